package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
)

// TestHistoryRedactsErrors: a step's error is printed by history as it is by steps and
// compare, so a credential in it is masked there too (CONTRACT: no report prints one).
func TestHistoryRedactsErrors(t *testing.T) {
	const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := store.Open(path)
	require.NoError(t, err)
	num, one := 1, 1
	dir := filepath.Join(t.TempDir(), "1")
	b := &jenkins.Build{Dir: dir, Job: "tvm/main", Number: &num, Completed: true, Result: jenkins.ResultFailure,
		Start: time.Now().UTC(), Steps: []jenkins.Step{{ID: "10", Kind: "sh", Stage: []string{"Deploy"}, Label: "Push",
			Status: jenkins.StatusFailure, ExitCode: &one,
			Error: "java.io.IOException: git push https://ci:" + secret + "@github.com/apache/tvm failed"}}}
	_, err = db.Scan(context.Background(), []store.Candidate{{Dir: dir, Job: b.Job, Number: &num}}, store.ScanOptions{
		Instance: "prod", Read: func(string) (*jenkins.Build, error) { return b, nil }})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	for _, format := range []string{"json", "text"} {
		code, stdout, stderr := runHistoryCLI(t, "history", "--db", path, "--stage", "Deploy", "--label", "Push", "--format", format)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "tvm/main")
		assert.NotContains(t, stdout, secret, format)
	}
	code, stdout, stderr := runHistoryCLI(t, "flaky", "--db", path, "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stdout, secret)
}
