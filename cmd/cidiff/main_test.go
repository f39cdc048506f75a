package main

import (
	"bytes"
	"github.com/cidiff/cidiff/fixtures/sharedtest"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cliResult is what one in-process cidiff invocation printed and returned.
type cliResult struct {
	code   int
	stdout string
	stderr string
}

// runCLI runs cidiff in-process with captured output, no terminal and the given environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:      strings.NewReader(""),
		stdout:     &stdout,
		stderr:     &stderr,
		getenv:     func(k string) string { return environ[k] },
		isTerminal: func(io.Writer) bool { return false },
	}
	code := run(e, args)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// sharedDir returns ../shared/NAME from the repository root, or skips the test when the
// shared material is not there (it is not part of the repository).
func sharedDir(t *testing.T, name string) string {
	t.Helper()
	return sharedtest.Dir(t, name)
}

func TestUsageAndUnknownCommand(t *testing.T) {
	r := runCLI(t, nil)
	if r.code != exitUsage || !strings.Contains(r.stdout, "Usage: cidiff COMMAND") {
		t.Fatalf("no args: code %d, stdout %q", r.code, r.stdout)
	}
	r = runCLI(t, nil, "frobnicate")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: code %d, stderr %q", r.code, r.stderr)
	}
}

// TestProgressOnlyOnATerminal: long runs show progress on stderr for a person, and stay quiet
// when stderr is a pipe or a log file.
func TestProgressOnlyOnATerminal(t *testing.T) {
	layouts := "../../fixtures/homes/layouts"
	quiet := runCLI(t, nil, "steps", "--format", "json", layouts)
	require.Equal(t, exitOK, quiet.code)
	assert.Empty(t, quiet.stderr)

	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" }, isTerminal: func(io.Writer) bool { return true }}
	require.Equal(t, exitOK, run(e, []string{"steps", "--format", "json", layouts}))
	assert.Contains(t, stderr.String(), "reading builds: 5/5")
	assert.True(t, strings.HasSuffix(stderr.String(), "\r\x1b[K"), "the progress line is cleared at the end")
	assert.Equal(t, quiet.stdout, stdout.String(), "progress never mixes into the output")
}
