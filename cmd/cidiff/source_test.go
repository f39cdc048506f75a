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
