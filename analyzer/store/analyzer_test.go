package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
)

func TestHistoryServesTheAnalyzer(t *testing.T) {
	db, _, _ := scanFlips(t)
	var h analyzer.History = store.History{DB: db}
	runs, err := h.StepRuns("prod", "tvm/main", "Test/unittest: CPU", "Run Python unit tests", 2)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, analyzer.StepRun{Instance: "prod", Job: "tvm/main", Number: 6, Revision: "r3",
		Status: jenkins.StatusSuccess, Node: "agent-1", Started: runs[0].Started}, runs[0])
	assert.Equal(t, 5, runs[1].Number)
	assert.Equal(t, jenkins.StatusFailure, runs[1].Status)
}

func TestRecordAnalysis(t *testing.T) {
	db, path := openDB(t)
	n3, n1 := 3, 1
	c := &analyzer.Comparison{
		SchemaVersion: 1, Verdict: analyzer.VerdictNoGo, ProdName: "prod", StagingName: "staging",
		Pairs: []analyzer.Pair{{
			Key: "tvm/PR-10@abc", Job: "tvm/PR-10",
			Prod:    analyzer.BuildRef{Job: "tvm/PR-10", Number: &n3},
			Staging: analyzer.BuildRef{Job: "tvm/PR-10", Number: &n1},
			Differences: []analyzer.Difference{
				{Stage: "Build", Label: "make", ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusFailure,
					Class: analyzer.ClassExecutor, Cause: "disk_full", Blocking: true, Reason: "no space",
					Staging: &analyzer.StepDetail{Error: "script returned exit code 1"}},
				{Stage: "Test", Label: "pytest", ProdStatus: jenkins.StatusSuccess, StagingStatus: jenkins.StatusMissing,
					Class: analyzer.ClassExecutor, Cause: "disk_full", Blocking: true,
					ConsequenceOf: &analyzer.StepRef{Stage: "Build", Label: "make"}},
			},
		}},
	}
	waivers := []analyzer.Waiver{{Stage: "Deploy*", Reason: "no docs token on staging"}}
	id, err := db.RecordAnalysis(context.Background(), c, waivers)
	require.NoError(t, err)
	assert.Positive(t, id)

	got, err := db.Comparisons(context.Background(), 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "NO-GO", got[0].Verdict)
	require.Len(t, got[0].Differences, 2)
	assert.Equal(t, "disk_full", got[0].Differences[0].Cause)
	require.NotNil(t, got[0].Differences[1].ConsequenceOf)
	assert.Equal(t, "make", got[0].Differences[1].ConsequenceOf.Label)
	require.Len(t, got[0].Waivers, 1)
	assert.Equal(t, "no docs token on staging", got[0].Waivers[0].Reason)
	// The whole JSON report is kept, for looking back at what a person saw.
	var report string
	require.NoError(t, rawDB(t, path).QueryRow(`SELECT report FROM comparisons WHERE id = ?`, id).Scan(&report))
	assert.Contains(t, report, `"verdict":"NO-GO"`)
}
