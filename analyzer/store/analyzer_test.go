package store_test

import (
	"context"
	"fmt"
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

// TestExplainGroupsFailuresByWhatWentWrong: with an Explain function (the CLI reads the end of
// the step's log through the knowledge base), two exit-code-1 failures with different causes
// land in different groups, and a third with the first one's cause in the same group.
func TestExplainGroupsFailuresByWhatWentWrong(t *testing.T) {
	f := newFixture(t)
	why := map[int]string{1: "No space left on device", 2: "docker: permission denied", 3: "No space left on device"}
	for n := 1; n <= 3; n++ {
		f.put(&jenkins.Build{Job: "tvm/main", Number: intp(n), Result: jenkins.ResultFailure, Completed: true,
			Revision: fmt.Sprintf("r%d", n), Steps: []jenkins.Step{
				step("5", "Build", "make", "F", "agent-1"),
			}})
	}
	db, path := openDB(t)
	_, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild, Workers: 2,
		Explain: func(b *jenkins.Build, s *jenkins.Step) store.Explanation {
			return store.Explanation{Message: why[*b.Number], Class: "executor", Cause: "x"}
		}})
	require.NoError(t, err)
	rows, err := rawDB(t, path).Query(`SELECT f.message, f.group_id, f.class, f.cause FROM failures f JOIN builds b ON b.id = f.build_id ORDER BY b.number`)
	require.NoError(t, err)
	defer rows.Close()
	var msgs, groups []string
	for rows.Next() {
		var m, g, cl, ca string
		require.NoError(t, rows.Scan(&m, &g, &cl, &ca))
		msgs, groups = append(msgs, m), append(groups, g)
		assert.Equal(t, "executor/x", cl+"/"+ca)
	}
	assert.Equal(t, []string{why[1], why[2], why[3]}, msgs)
	assert.Equal(t, groups[0], groups[2])
	assert.NotEqual(t, groups[0], groups[1])
}
