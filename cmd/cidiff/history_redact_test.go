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
	// A database written before --url refused credentials may hold them in its links.
	const urlPassword = "pw-Zq81"
	one := 1
	builds := map[string]*jenkins.Build{}
	var cands []store.Candidate
	for n := 1; n <= 2; n++ {
		num := n
		dir := filepath.Join(t.TempDir(), "b")
		st := jenkins.Step{ID: "10", Kind: "sh", Stage: []string{"Deploy"}, Label: "Push", Status: jenkins.StatusSuccess}
		if n == 2 {
			st.Status, st.ExitCode = jenkins.StatusFailure, &one
			st.Error = "java.io.IOException: git push https://ci:" + secret + "@github.com/apache/tvm failed"
		}
		builds[dir] = &jenkins.Build{Dir: dir, Job: "tvm/main", Number: &num, Completed: true, Result: jenkins.ResultFailure,
			Start: time.Now().UTC().Add(time.Duration(n) * time.Minute), Revision: "rev", Steps: []jenkins.Step{st}}
		cands = append(cands, store.Candidate{Dir: dir, Job: "tvm/main", Number: &num})
	}
	_, err = db.Scan(context.Background(), cands, store.ScanOptions{
		Instance: "prod", URL: "https://ci:" + urlPassword + "@ci.example.org/", Read: func(dir string) (*jenkins.Build, error) { return builds[dir], nil }})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	for _, format := range []string{"json", "text"} {
		code, stdout, stderr := runHistoryCLI(t, "history", "--db", path, "--stage", "Deploy", "--label", "Push", "--format", format)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "tvm/main")
		assert.NotContains(t, stdout, secret, format)
		assert.NotContains(t, stdout, urlPassword, format)
	}
	code, stdout, stderr := runHistoryCLI(t, "flaky", "--db", path, "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"flips": 1`)
	assert.NotContains(t, stdout, secret)
	assert.NotContains(t, stdout, urlPassword)
}
