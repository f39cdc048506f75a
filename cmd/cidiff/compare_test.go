package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	fixtureProd    = filepath.Join("..", "..", "fixtures", "homes", "prod")
	fixtureStaging = filepath.Join("..", "..", "fixtures", "homes", "staging")
	fixtureWaivers = filepath.Join("..", "..", "fixtures", "waivers.yaml")
)

// TestCompareMainJob is the README's first command: the HTML report goes to a file, a summary
// to stdout, and the exit code says NO-GO (the fixtures plant blocking differences).
func TestCompareMainJob(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.html")
	r := runCLI(t, nil, "compare", "--prod", fixtureProd, "--staging", fixtureStaging,
		"--waivers", fixtureWaivers, "--format", "html", "-o", out)
	assert.Equal(t, exitNoGo, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "NO-GO: 6 blocking findings"), r.stdout)
	assert.Contains(t, r.stdout, "FINDINGS (10)")
	assert.Contains(t, r.stderr, "build.xml: XML syntax error", "the truncated staging build is reported")
	html, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(html), "<!DOCTYPE html>")
	assert.Contains(t, string(html), "staging has no &#39;doc&#39; agent by design", "the waiver's reason is in the report")
}

func TestCompareJSONContract(t *testing.T) {
	r := runCLI(t, nil, "compare", "--prod", fixtureProd, "--staging", fixtureStaging, "--format", "json")
	assert.Equal(t, exitNoGo, r.code, r.stderr)
	var doc struct {
		SchemaVersion int    `json:"schema_version"`
		Verdict       string `json:"verdict"`
		Pairs         []struct {
			Key  string `json:"key"`
			Prod struct {
				Job    string
				Number int
				Result string
			}
			Differences []struct {
				Stage, Label, Class, Cause, Reason string
				ProdStatus                         string `json:"prod_status"`
				StagingStatus                      string `json:"staging_status"`
				Blocking, Waived                   bool
				Evidence                           []string        `json:"evidence"`
				ConsequenceOf                      json.RawMessage `json:"consequence_of"`
			} `json:"differences"`
		} `json:"pairs"`
		Unpaired struct{ Prod, Staging []json.RawMessage } `json:"unpaired"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, 1, doc.SchemaVersion)
	assert.Equal(t, "NO-GO", doc.Verdict)
	assert.Len(t, doc.Pairs, 11)
	assert.Len(t, doc.Unpaired.Prod, 1)
	assert.Len(t, doc.Unpaired.Staging, 2)
	n := 0
	for _, p := range doc.Pairs {
		assert.Contains(t, p.Key, "@")
		for _, d := range p.Differences {
			n++
			assert.NotEmpty(t, d.Class)
			assert.NotNil(t, d.Evidence, "evidence is a list, never null")
		}
	}
	assert.Equal(t, 95, n)
}

func TestCompareBadInputs(t *testing.T) {
	dir := t.TempDir()
	noReason := filepath.Join(dir, "waivers.yaml")
	require.NoError(t, os.WriteFile(noReason, []byte("waivers:\n  - stage: Deploy*\n"), 0o644))
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"waiver without reason": {[]string{"--waivers", noReason}, "reason"},
		"missing staging":       {[]string{"--staging", filepath.Join(dir, "nope")}, "nope"},
		"bad format":            {[]string{"--format", "pdf"}, `--format "pdf"`},
		"bad since":             {[]string{"--since", "yesterday"}, "--since"},
		"bad job map":           {[]string{"--job-map", "tvm/*"}, `--job-map "tvm/*"`},
		"bad job glob":          {[]string{"--job", "tvm/["}, `--job "tvm/["`},
		"one name for both":     {[]string{"--prod-name", "ci", "--staging-name", "ci"}, "--staging-name"},
		"empty name":            {[]string{"--prod-name", ""}, "--prod-name"},
		"empty window":          {[]string{"--since", "2022-02-05", "--until", "2022-02-01"}, "--until"},
		"window of no time":     {[]string{"--since", "2022-02-01", "--until", "2022-02-01T00:00:00Z"}, "--until"},
		"output over an input":  {[]string{"-o", fixtureWaivers, "--waivers", fixtureWaivers}, "would overwrite"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"compare", "--prod", fixtureProd, "--staging", fixtureStaging}, tc.args...)
			r := runCLI(t, nil, args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
	before, err := os.ReadFile(fixtureWaivers)
	require.NoError(t, err)
	assert.Contains(t, string(before), "reason:", "the waivers file was not overwritten")
}
