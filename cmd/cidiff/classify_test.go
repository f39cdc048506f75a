package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer"
)

type classifyRun struct {
	code           int
	stdout, stderr string
}

// runClassifyCLI runs `cidiff classify args...` in-process with stdin.
func runClassifyCLI(t *testing.T, stdin string, args ...string) classifyRun {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, isTerminal: func(io.Writer) bool { return false }}
	code := run(e, append([]string{"classify"}, args...))
	return classifyRun{code, out.String(), errb.String()}
}

func TestClassifyJSONFromFile(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "step.log")
	require.NoError(t, os.WriteFile(log, []byte("[2022-06-13T22:39:22.006Z] + make -j8\n"+
		"[2022-06-13T22:39:23.376Z] cp: error writing 'build/libtvm.so': No space left on device\r\n"+
		"script returned exit code 1\n"), 0o644))
	r := runClassifyCLI(t, "", log, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "executor", got["class"])
	assert.Equal(t, "disk_full", got["cause"])
	assert.Equal(t, "disk-full-enospc", got["rule"])
	assert.Equal(t, "cp: error writing 'build/libtvm.so': No space left on device", got["line"])
	assert.NotContains(t, got, "matches")
}

func TestClassifyStdinText(t *testing.T) {
	r := runClassifyCLI(t, "Still waiting to schedule task\nThere are no nodes with the label ‘GPUBUILD’\n")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "controller/no_node_with_label (no-node-with-label): There are no nodes with the label ‘GPUBUILD’\n", r.stdout)

	r = runClassifyCLI(t, "everything passed\n", "-")
	require.Equal(t, 0, r.code)
	assert.Equal(t, "unknown: no rule matched\n", r.stdout)

	r = runClassifyCLI(t, "all fine", "--format=json")
	require.Equal(t, 0, r.code)
	assert.JSONEq(t, `{"class":"unknown","cause":"","rule":"","line":""}`, r.stdout)
}

func TestClassifyAll(t *testing.T) {
	in := "Error response from daemon: manifest for tlcpack/ci-gpu:x not found: manifest unknown\nscript returned exit code 1\n"
	r := runClassifyCLI(t, in, "--all")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.True(t, strings.HasPrefix(lines[0], "environment/docker_image_not_found (docker-image-not-found): "))
	assert.True(t, strings.HasPrefix(lines[2], "  also: unknown/script_failed (script-exit-code): script returned exit code 1"))

	r = runClassifyCLI(t, in, "--all", "--format", "json")
	var got struct {
		Rule    string `json:"rule"`
		Matches []struct {
			Rule string `json:"rule"`
		} `json:"matches"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "docker-image-not-found", got.Rule)
	assert.Len(t, got.Matches, 3)
}

func TestClassifyUserRules(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "site.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(`rules:
  - id: tvm-site-push-denied
    class: controller
    cause: docs_token_missing
    description: docs-push-token absent or without access
    patterns: ['Permission to apache/tvm-site\.git denied']
`), 0o644))
	r := runClassifyCLI(t, "remote: Permission to apache/tvm-site.git denied to tvm-bot.\nfatal: unable to access 'https://github.com/apache/tvm-site.git/': The requested URL returned error: 403\n",
		"--rules", rules, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"rule": "tvm-site-push-denied"`)

	r = runClassifyCLI(t, "", "--rules", rules, "--list-rules")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "tvm-site-push-denied")
	assert.Contains(t, r.stdout, "disk-full-enospc")
}

func TestClassifyErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("rules:\n  - {id: my-rule, class: executor, patterns: ['(']}\n"), 0o644))
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"missing file":    {[]string{filepath.Join(dir, "nope.log")}, []string{"nope.log", "no such file"}},
		"bad rules":       {[]string{"--rules", bad}, []string{"bad.yaml", `rule "my-rule"`, "pattern 1"}},
		"missing rules":   {[]string{"--rules", filepath.Join(dir, "none.yaml")}, []string{"none.yaml"}},
		"bad format":      {[]string{"--format", "xml"}, []string{"--format", "xml"}},
		"two files":       {[]string{"a", "b"}, []string{"one FILE at most"}},
		"unknown flag":    {[]string{"--bogus"}, []string{"unknown flag: --bogus"}},
		"directory input": {[]string{dir}, []string{dir}},
	} {
		t.Run(name, func(t *testing.T) {
			r := runClassifyCLI(t, "x", tc.args...)
			assert.Equal(t, 2, r.code)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Empty(t, r.stdout)
		})
	}
}

func TestClassifyHelp(t *testing.T) {
	r := runClassifyCLI(t, "", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stderr, "Usage: cidiff classify")
	assert.Contains(t, r.stderr, rulesExample)
	// The example in --help is a valid rules file.
	rules, err := analyzer.ParseRules("help", []byte(rulesExample))
	require.NoError(t, err)
	m := analyzer.BuiltinKnowledgeBase().With(rules).Classify("remote: Permission to apache/tvm-site.git denied to bot.")
	assert.Equal(t, "docs-token-denied", m.Rule)
}

// TestClassifyRedacts: the decisive line is printed as every report prints log text, with
// credentials masked (classify output is pasted into issues).
func TestClassifyRedacts(t *testing.T) {
	const secret = "abcd1234efgh"
	in := "No space left on device while uploading with token=" + secret + "\n"
	for _, args := range [][]string{{"--format", "json", "--all"}, {"--format", "text", "--all"}} {
		r := runClassifyCLI(t, in, args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "disk_full")
		assert.Contains(t, r.stdout, "token=****", args)
		assert.NotContains(t, r.stdout, secret, args)
	}
}
