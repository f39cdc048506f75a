package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/require"
)

// flipFixture is six prod builds of tvm/main (two per revision r1, r2, r3; build n starts at
// t0 + n hours) and two staging builds, with these step outcomes (S pass, F fail, A abort):
//
//	Lint / Run lint                          S S S S S S   never flips
//	Build/BUILD: GPU / Run cmake build       S S S F F F   1 flip
//	Build/BUILD: GPU / Upload artifacts (x2) SF SS - - - -  2 flips in 4 runs
//	Test/unittest: CPU / Run Python unit     S F S S F S   4 flips; agents 1 2 1 1 3 1
//	Deploy / Upload docs                     S A S A S A   aborts are not runs: 0 flips
//	test tests.python.test_a.test_sometimes  P P F P P F   3 flips
//
// and on staging, unit tests F S on one revision.
func flipFixture(t *testing.T) (*fixture, []*jenkins.Build) {
	f := newFixture(t)
	unit := "SFSSFS"
	unitNode := []string{"agent-1", "agent-2", "agent-1", "agent-1", "agent-3", "agent-1"}
	cmake := "SSSFFF"
	docs := "SASASA"
	tests := "PPFPPF"
	var builds []*jenkins.Build
	for n := 1; n <= 6; n++ {
		b := &jenkins.Build{Job: "tvm/main", Number: intp(n), Completed: true, Result: jenkins.ResultSuccess,
			Start: t0.Add(time.Duration(n) * time.Hour), Revision: fmt.Sprintf("r%d", (n+1)/2)}
		i := n - 1
		b.Steps = append(b.Steps,
			step("10", "Lint", "Run lint", "S", "cpu-0"),
			step("20", "Build/BUILD: GPU", "Run cmake build", cmake[i:i+1], "gpu-1"))
		switch n {
		case 1:
			b.Steps = append(b.Steps, step("21", "Build/BUILD: GPU", "Upload artifacts", "S", "gpu-1"),
				step("22", "Build/BUILD: GPU", "Upload artifacts", "F", "gpu-1"))
		case 2:
			b.Steps = append(b.Steps, step("21", "Build/BUILD: GPU", "Upload artifacts", "S", "gpu-1"),
				step("22", "Build/BUILD: GPU", "Upload artifacts", "S", "gpu-1"))
		}
		u := step("30", "Test/unittest: CPU", "Run Python unit tests", unit[i:i+1], unitNode[i])
		if n == 5 {
			u.ExitCode, u.Error = nil, "java.io.IOException: No space left on device"
		}
		b.Steps = append(b.Steps, u, step("40", "Deploy", "Upload docs", docs[i:i+1], "cpu-0"))
		tc := jenkins.TestCase{Suite: "pytest", ClassName: "tests.python.test_a", Name: "test_sometimes",
			Status: jenkins.TestPassed, Stage: stage("Test", "unittest: CPU")}
		if tests[i] == 'F' {
			tc.Status, tc.ErrorDetails = jenkins.TestFailed, fmt.Sprintf("AssertionError: took %d.5s at 2026-11-0%dT10:00:00Z", n, n%9+1)
		}
		b.Tests = []jenkins.TestCase{tc}
		for _, s := range b.Steps {
			if s.Status != jenkins.StatusSuccess {
				b.Result = jenkins.ResultFailure
			}
		}
		builds = append(builds, b)
		f.put(b)
	}
	return f, builds
}

func classify(text string) (string, string) {
	if strings.Contains(text, "No space left on device") {
		return "executor", "disk_full"
	}
	return "unknown", ""
}

func scanFlips(t *testing.T) (*store.DB, string, *fixture) {
	f, _ := flipFixture(t)
	db, path := openDB(t)
	_, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", URL: "https://ci.example", Read: readBuild, Classify: classify})
	require.NoError(t, err)

	staging := newFixture(t)
	for n := 1; n <= 2; n++ {
		staging.put(&jenkins.Build{Job: "tvm/main", Number: intp(n), Completed: true, Start: t0.Add(time.Duration(n) * time.Hour),
			Revision: "r9", Steps: []jenkins.Step{step("30", "Test/unittest: CPU", "Run Python unit tests", "FS"[n-1:n], "stg-1")}})
	}
	_, err = db.Scan(context.Background(), staging.cands, store.ScanOptions{Instance: "staging", Read: readBuild})
	require.NoError(t, err)
	return db, path, f
}

func TestFlaky(t *testing.T) {
	db, _, _ := scanFlips(t)
	ctx := context.Background()
	unitLink := "https://ci.example/job/tvm/job/main/5/execution/node/30/log"

	t.Run("All", func(t *testing.T) {
		items, err := db.Flaky(ctx, store.FlakyQuery{})
		require.NoError(t, err)
		want := []store.FlakyItem{
			{Kind: "step", Instance: "staging", Job: "tvm/main", Stage: "Test/unittest: CPU", Label: "Run Python unit tests",
				Runs: 2, Failures: 1, Flips: 1, FlipRate: 1, RevisionsMixed: 1,
				FirstSeen: "2026-11-02T11:00:00Z", LastSeen: "2026-11-02T12:00:00Z", Nodes: []string{"stg-1"},
				LastFailure: &store.Ref{Job: "tvm/main", Number: intp(1), Link: staging1Dir(t, db)}},
			{Kind: "step", Instance: "prod", Job: "tvm/main", Stage: "Test/unittest: CPU", Label: "Run Python unit tests",
				Runs: 6, Failures: 2, Flips: 4, FlipRate: 0.8, RevisionsMixed: 2,
				FirstSeen: "2026-11-02T11:00:00Z", LastSeen: "2026-11-02T16:00:00Z", Nodes: []string{"agent-1", "agent-2", "agent-3"},
				LastFailure: &store.Ref{Job: "tvm/main", Number: intp(5), Link: unitLink}},
			{Kind: "step", Instance: "prod", Job: "tvm/main", Stage: "Build/BUILD: GPU", Label: "Upload artifacts",
				Runs: 4, Failures: 1, Flips: 2, FlipRate: 2.0 / 3, RevisionsMixed: 1,
				FirstSeen: "2026-11-02T11:00:00Z", LastSeen: "2026-11-02T12:00:00Z", Nodes: []string{"gpu-1"},
				LastFailure: &store.Ref{Job: "tvm/main", Number: intp(1), Link: "https://ci.example/job/tvm/job/main/1/execution/node/22/log"}},
			{Kind: "test", Instance: "prod", Job: "tvm/main", Stage: "Test/unittest: CPU", Test: "tests.python.test_a.test_sometimes",
				Runs: 6, Failures: 2, Flips: 3, FlipRate: 0.6, RevisionsMixed: 2,
				FirstSeen: "2026-11-02T11:00:00Z", LastSeen: "2026-11-02T16:00:00Z", Nodes: []string{"agent-1", "agent-2", "agent-3"},
				LastFailure: &store.Ref{Job: "tvm/main", Number: intp(6), Link: "https://ci.example/job/tvm/job/main/6/"}},
			{Kind: "step", Instance: "prod", Job: "tvm/main", Stage: "Build/BUILD: GPU", Label: "Run cmake build",
				Runs: 6, Failures: 3, Flips: 1, FlipRate: 0.2, RevisionsMixed: 1,
				FirstSeen: "2026-11-02T11:00:00Z", LastSeen: "2026-11-02T16:00:00Z", Nodes: []string{"gpu-1"},
				LastFailure: &store.Ref{Job: "tvm/main", Number: intp(6), Link: "https://ci.example/job/tvm/job/main/6/execution/node/20/log"}},
		}
		require.Equal(t, want, items)
	})

	t.Run("InstanceSinceLimit", func(t *testing.T) {
		items, err := db.Flaky(ctx, store.FlakyQuery{Instance: "prod", Since: t0.Add(3*time.Hour + 30*time.Minute), Limit: 1})
		require.NoError(t, err)
		require.Len(t, items, 1)
		// builds 4, 5, 6: S F S
		require.Equal(t, "Run Python unit tests", items[0].Label)
		require.Equal(t, 3, items[0].Runs)
		require.Equal(t, 2, items[0].Flips)
		require.Equal(t, 1.0, items[0].FlipRate)
		require.Equal(t, 1, items[0].RevisionsMixed) // r3: F then S
		require.Equal(t, "2026-11-02T14:00:00Z", items[0].FirstSeen)
	})

	t.Run("JobGlob", func(t *testing.T) {
		items, err := db.Flaky(ctx, store.FlakyQuery{JobGlob: "tvm/*"})
		require.NoError(t, err)
		require.Len(t, items, 5)
		items, err = db.Flaky(ctx, store.FlakyQuery{JobGlob: "tvm"})
		require.NoError(t, err)
		require.Empty(t, items)
		require.NotNil(t, items, "JSON shows [] not null")
	})
}

func staging1Dir(t *testing.T, db *store.DB) string {
	runs, err := db.History(context.Background(), store.HistoryQuery{Instance: "staging", Stage: "Test/unittest: CPU", Label: "Run Python unit tests"})
	require.NoError(t, err)
	require.Len(t, runs, 2)
	require.True(t, strings.HasSuffix(runs[1].Link, "/jobs/tvm/main/builds/1"), runs[1].Link)
	return runs[1].Link
}

func TestHistory(t *testing.T) {
	db, _, _ := scanFlips(t)
	ctx := context.Background()

	runs, err := db.History(ctx, store.HistoryQuery{Stage: "Test/unittest: CPU", Label: "Run Python unit tests", Instance: "prod"})
	require.NoError(t, err)
	require.Len(t, runs, 6)
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%d %s %s %v %s %s/%s %s", *r.Number, *r.Revision, r.Status, fmtInt(r.ExitCode), *r.Node, r.Class, r.Cause, r.Started))
	}
	require.Equal(t, []string{
		"6 r3 SUCCESS - agent-1 / 2026-11-02T16:00:00Z",
		"5 r3 FAILURE - agent-3 executor/disk_full 2026-11-02T15:00:00Z",
		"4 r2 SUCCESS - agent-1 / 2026-11-02T14:00:00Z",
		"3 r2 SUCCESS - agent-1 / 2026-11-02T13:00:00Z",
		"2 r1 FAILURE 1 agent-2 unknown/ 2026-11-02T12:00:00Z",
		"1 r1 SUCCESS - agent-1 / 2026-11-02T11:00:00Z",
	}, got)
	require.Equal(t, "https://ci.example/job/tvm/job/main/5/execution/node/30/log", runs[1].Link)
	require.Equal(t, store.GroupID("java.io.IOException: No space left on device"), runs[1].Group)
	require.Equal(t, "prod", runs[0].Instance)

	t.Run("AllInstancesLimit", func(t *testing.T) {
		runs, err := db.History(ctx, store.HistoryQuery{Stage: "Test/unittest: CPU", Label: "Run Python unit tests", Limit: 3})
		require.NoError(t, err)
		require.Len(t, runs, 3)
		require.Equal(t, 6, *runs[0].Number)
	})

	t.Run("Test", func(t *testing.T) {
		for _, name := range []string{"tests.python.test_a.test_sometimes", "test_sometimes"} {
			runs, err := db.History(ctx, store.HistoryQuery{Test: name, JobGlob: "tvm/*"})
			require.NoError(t, err)
			require.Len(t, runs, 6)
			require.Equal(t, "FAILED", runs[0].Status)
			require.Equal(t, 6, *runs[0].Number)
			require.Nil(t, runs[0].ExitCode)
			require.Equal(t, "agent-1", *runs[0].Node, "inferred from the stage's step")
			require.Equal(t, "unknown", runs[0].Class)
			require.Equal(t, "AssertionError: took 6.5s at 2026-11-07T10:00:00Z", runs[0].Error)
			require.Equal(t, "PASSED", runs[1].Status)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		runs, err := db.History(ctx, store.HistoryQuery{Stage: "Nope", Label: "x"})
		require.NoError(t, err)
		require.Empty(t, runs)
		require.NotNil(t, runs)
		_, err = db.History(ctx, store.HistoryQuery{})
		require.Error(t, err)
	})
}

func fmtInt(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func TestMatrix(t *testing.T) {
	db, path, _ := scanFlips(t)
	ctx := context.Background()

	m, err := db.Matrix(ctx, store.MatrixQuery{Days: 2, Instance: "prod", Now: t0})
	require.NoError(t, err)
	require.Equal(t, []string{"2026-11-01", "2026-11-02"}, m.Days)
	got := map[string][2]store.MatrixCell{}
	var keys []string
	for _, r := range m.Rows {
		require.Len(t, r.Cells, 2)
		got[r.Key] = [2]store.MatrixCell(r.Cells)
		keys = append(keys, r.Key)
	}
	require.Equal(t, []string{"Build/BUILD: GPU", "Deploy", "Lint", "Test/unittest: CPU"}, keys)
	empty := store.MatrixCell{Day: "2026-11-01"}
	require.Equal(t, [2]store.MatrixCell{empty, {Day: "2026-11-02", Passed: 6, Failed: 4}}, got["Build/BUILD: GPU"])
	require.Equal(t, [2]store.MatrixCell{empty, {Day: "2026-11-02", Passed: 3, Aborted: 3}}, got["Deploy"])
	require.Equal(t, [2]store.MatrixCell{empty, {Day: "2026-11-02", Passed: 6}}, got["Lint"])
	require.Equal(t, [2]store.MatrixCell{empty, {Day: "2026-11-02", Passed: 4, Failed: 2}}, got["Test/unittest: CPU"])

	t.Run("AllInstances", func(t *testing.T) {
		m, err := db.Matrix(ctx, store.MatrixQuery{Days: 1, Now: t0})
		require.NoError(t, err)
		for _, r := range m.Rows {
			if r.Key == "Test/unittest: CPU" {
				require.Equal(t, store.MatrixCell{Day: "2026-11-02", Passed: 5, Failed: 3}, r.Cells[0])
			}
		}
	})

	t.Run("OutOfWindow", func(t *testing.T) {
		m, err := db.Matrix(ctx, store.MatrixQuery{Days: 3, Now: t0.AddDate(0, 0, -1)})
		require.NoError(t, err)
		require.Len(t, m.Days, 3)
		require.Empty(t, m.Rows)
	})

	t.Run("ByImage", func(t *testing.T) {
		m, err := db.Matrix(ctx, store.MatrixQuery{Days: 1, By: "image", Now: t0})
		require.NoError(t, err)
		require.Empty(t, m.Rows, "no image recorded yet")
		_, err = rawDB(t, path).Exec(`UPDATE steps SET image = 'tlcpack/ci-lint:v0.67' WHERE stage = 'Lint'`)
		require.NoError(t, err)
		m, err = db.Matrix(ctx, store.MatrixQuery{Days: 1, By: "image", Now: t0})
		require.NoError(t, err)
		require.Equal(t, []store.MatrixRow{{Key: "tlcpack/ci-lint:v0.67", Cells: []store.MatrixCell{{Day: "2026-11-02", Passed: 6}}}}, m.Rows)
	})

	_, err = db.Matrix(ctx, store.MatrixQuery{By: "agent"})
	require.ErrorContains(t, err, "agent")
}

func TestStepRuns(t *testing.T) {
	db, _, _ := scanFlips(t)
	runs, err := db.StepRuns("prod", "tvm/main", "Test/unittest: CPU", "Run Python unit tests", 3)
	require.NoError(t, err)
	require.Len(t, runs, 3)
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%d %s %s %s %s", *r.Number, r.Revision, r.Status, r.Start.Format(time.RFC3339), *r.Node))
	}
	require.Equal(t, []string{
		"6 r3 SUCCESS 2026-11-02T16:00:00Z agent-1",
		"5 r3 FAILURE 2026-11-02T15:00:00Z agent-3",
		"4 r2 SUCCESS 2026-11-02T14:00:00Z agent-1",
	}, got)
	runs, err = db.StepRuns("prod", "tvm/other", "Test/unittest: CPU", "Run Python unit tests", 0)
	require.NoError(t, err)
	require.Empty(t, runs)
}

func TestGroupIDsStableAcrossRescans(t *testing.T) {
	f, builds := flipFixture(t)
	db, path := openDB(t)
	scan(t, db, f, nil)
	groups := func() []string {
		var out []string
		rows, err := rawDB(t, path).Query(`SELECT f.group_id || ' ' || f.message FROM failures f ORDER BY 1`)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			out = append(out, s)
		}
		return out
	}
	before := groups()
	require.Len(t, before, 1+2+2+3+3) // upload 1, unit 2, tests 2, cmake 3, docs aborted 3
	for _, g := range before {
		id, msg, _ := strings.Cut(g, " ")
		require.Equal(t, store.GroupID(msg), id)
	}
	// The two flaky-test messages differ only in numbers and times: one group.
	require.Equal(t, store.GroupID("AssertionError: took 3.5s at 2026-11-04T10:00:00Z"),
		store.GroupID("AssertionError: took 6.5s at 2026-11-07T10:00:00Z"))

	// Rewrite every build (new duration): all are replaced, no group id moves.
	for _, b := range builds {
		b.Duration += time.Minute
		f.put(b)
	}
	res := scan(t, db, f, nil)
	require.Equal(t, 6, res.BuildsUpdated)
	require.Equal(t, before, groups())
	require.Equal(t, 4, count(t, path, `SELECT count(*) FROM failure_groups`))
}

func TestRecordComparison(t *testing.T) {
	db, path := openDB(t)
	ctx := context.Background()
	id, err := db.RecordComparison(ctx, store.Comparison{ProdInstance: "prod", StagingInstance: "staging", Verdict: "NO-GO",
		Report: `{"schema_version":1}`,
		Differences: []store.Difference{
			{PairKey: "tvm/PR-10@abc", Job: "tvm/PR-10", ProdNumber: intp(3), StagingNumber: intp(1), Stage: "Build/BUILD: GPU",
				Label: "Run cmake build", ProdStatus: "SUCCESS", StagingStatus: "FAILURE", Class: "executor", Cause: "disk_full",
				Blocking: true, Reason: "staging step failed with: No space left on device", FailureMessage: "No space left on device"},
			{PairKey: "tvm/PR-10@abc", Job: "tvm/PR-10", ProdNumber: intp(3), StagingNumber: intp(1), Stage: "Test",
				Label: "Run tests", ProdStatus: "SUCCESS", StagingStatus: "NOT_EXECUTED", Class: "executor", Cause: "disk_full",
				Blocking: true, ConsequenceOf: &store.StepRef{Stage: "Build/BUILD: GPU", Label: "Run cmake build"}},
		},
		Waivers: []store.Waiver{{Job: "tvm/*", Stage: "Deploy*", Reason: "no docs token on staging"}},
	})
	require.NoError(t, err)
	require.Positive(t, id)
	cs, err := db.Comparisons(ctx, 0)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	c := cs[0]
	require.Equal(t, id, c.ID)
	require.Equal(t, "NO-GO", c.Verdict)
	require.Len(t, c.Differences, 2)
	require.Equal(t, 3, *c.Differences[0].ProdNumber)
	require.True(t, c.Differences[0].Blocking)
	require.Equal(t, &store.StepRef{Stage: "Build/BUILD: GPU", Label: "Run cmake build"}, c.Differences[1].ConsequenceOf)
	require.Equal(t, []store.Waiver{{Job: "tvm/*", Stage: "Deploy*", Reason: "no docs token on staging"}}, c.Waivers)
	require.Equal(t, 1, count(t, path, `SELECT count(*) FROM differences WHERE group_id = ?`, store.GroupID("No space left on device")))

	_, err = db.RecordComparison(ctx, store.Comparison{Verdict: "GO"})
	require.Error(t, err)
}

func TestTriageNotes(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	_, err := db.AddTriageNote(ctx, store.TriageNote{Author: "tqchen", Job: "tvm/main", Stage: "Test/unittest: CPU",
		Label: "Run Python unit tests", Note: "flaky since the ci-cpu v0.80 image", IssueURL: "https://github.com/apache/tvm/issues/12311"})
	require.NoError(t, err)
	g := store.GroupID("No space left on device")
	_, err = db.AddTriageNote(ctx, store.TriageNote{Author: "driazati", GroupID: g, Note: "disk cleanup cron missing on staging agents"})
	require.NoError(t, err)

	notes, err := db.TriageNotes(ctx, "", "Test/unittest: CPU", "Run Python unit tests", "")
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Equal(t, "tqchen", notes[0].Author)
	require.Equal(t, "https://github.com/apache/tvm/issues/12311", notes[0].IssueURL)
	notes, err = db.TriageNotes(ctx, "", "", "", g)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	require.Equal(t, "disk cleanup cron missing on staging agents", notes[0].Note)

	_, err = db.AddTriageNote(ctx, store.TriageNote{Note: "about nothing"})
	require.ErrorContains(t, err, "about nothing")
	_, err = db.AddTriageNote(ctx, store.TriageNote{Job: "x"})
	require.ErrorContains(t, err, "empty")
}

// Unlabeled steps of one stage are different steps when their scripts differ: a stage whose
// unlabeled "make" always passes and "pytest" always fails does not flip.
func TestFlakyUnlabeledSteps(t *testing.T) {
	f := newFixture(t)
	for n := 1; n <= 4; n++ {
		mk := step("10", "Build", "", "S", "a")
		mk.Script = "make -j8"
		py := step("11", "Build", "", "F", "a")
		py.Script = "pytest tests/"
		flip := step("12", "Build", "", "SF"[n%2:n%2+1], "a")
		flip.Script = "./flaky.sh"
		f.put(&jenkins.Build{Job: "tvm/main", Number: intp(n), Completed: true, Start: t0.Add(time.Duration(n) * time.Hour),
			Steps: []jenkins.Step{mk, py, flip}})
	}
	db, _ := openDB(t)
	scan(t, db, f, nil)
	items, err := db.Flaky(context.Background(), store.FlakyQuery{})
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, "", items[0].Label)
	require.NotEmpty(t, items[0].ScriptHash)
	require.Equal(t, 4, items[0].Runs)
	require.Equal(t, 3, items[0].Flips)
}
