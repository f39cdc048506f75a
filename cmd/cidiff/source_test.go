package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSourceMustBeADirectory: a SOURCE that is a file is unusable input (exit 2, naming the
// flag and the file), not a partial run: compare used to answer GO from the other side alone.
func TestSourceMustBeADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "build.xml")
	require.NoError(t, os.WriteFile(file, []byte("<flow-build/>"), 0o644))
	db := filepath.Join(t.TempDir(), "h.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--prod", file, "--staging", fixtureStaging, "--format", "json"}, "--prod " + file},
		{[]string{"compare", "--prod", fixtureProd, "--staging", file, "--format", "json"}, "--staging " + file},
		{[]string{"steps", file}, "SOURCE " + file},
		{[]string{"scan", file, "--instance", "prod", "--db", db}, "SOURCE " + file},
	} {
		r := runCLI(t, nil, tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.Contains(t, r.stderr, "not a directory", tc.args)
	}
}

// TestCompareSideWithoutBuilds: a side below which no build is found (a mistyped JENKINS_HOME,
// an empty directory) is unusable input, not a GO over the other side's unpaired builds.
func TestCompareSideWithoutBuilds(t *testing.T) {
	empty := t.TempDir()
	r := runCLI(t, nil, "compare", "--prod", empty, "--staging", fixtureStaging, "--format", "json")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--prod "+empty+": no Pipeline builds found")
	assert.Empty(t, r.stdout, "no report over one side")

	r = runCLI(t, nil, "compare", "--prod", fixtureProd, "--staging", empty, "--format", "text")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--staging "+empty+": no Pipeline builds found")

	// A filter that leaves nothing is the user's choice: the report says so, with its warning.
	r = runCLI(t, nil, "compare", "--prod", fixtureProd, "--staging", fixtureStaging, "--job", "nomatch", "--format", "json")
	assert.NotEqual(t, exitUsage, r.code, r.stderr)
}
