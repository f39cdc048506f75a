package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
)

// runHistoryCLI runs one cidiff invocation in-process.
func runHistoryCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		isTerminal: func(io.Writer) bool { return false }}
	code = run(e, args)
	return code, out.String(), errb.String()
}

// historyDB records four builds of tvm/main whose unit-test step goes S F S F (three flips) and
// whose lint step always passes, started yesterday and today so that matrix shows them.
func historyDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := store.Open(path)
	require.NoError(t, err)
	defer db.Close()
	now := time.Now().UTC()
	builds := map[string]*jenkins.Build{}
	var cands []store.Candidate
	for n := 1; n <= 4; n++ {
		num := n
		dir := filepath.Join(t.TempDir(), fmt.Sprint(n))
		status, exit, errMsg := jenkins.StatusSuccess, (*int)(nil), ""
		if n%2 == 0 {
			one := 1
			status, exit, errMsg = jenkins.StatusFailure, &one, "script returned exit code 1"
		}
		node := fmt.Sprintf("agent-%d", n)
		builds[dir] = &jenkins.Build{Dir: dir, Job: "tvm/main", Number: &num, Completed: true, Result: jenkins.ResultSuccess,
			Start: now.Add(-time.Duration(5-n) * 6 * time.Hour), Revision: fmt.Sprintf("rev%d", (n+1)/2),
			Steps: []jenkins.Step{
				{ID: "10", Kind: "sh", Stage: []string{"Lint"}, Label: "Run lint", Status: jenkins.StatusSuccess, Node: &node},
				{ID: "20", Kind: "sh", Stage: []string{"Test", "unittest: CPU"}, Label: "Run Python unit tests", Status: status,
					ExitCode: exit, Error: errMsg, Node: &node},
			}}
		cands = append(cands, store.Candidate{Dir: dir, Job: "tvm/main", Number: &num})
	}
	_, err = db.Scan(context.Background(), cands, store.ScanOptions{Instance: "prod", URL: "https://ci.example",
		Read: func(dir string) (*jenkins.Build, error) { return builds[dir], nil }})
	require.NoError(t, err)
	return path
}

func TestFlakyCommand(t *testing.T) {
	path := historyDB(t)
	code, out, errOut := runHistoryCLI(t, "flaky", "--db", path, "--format", "json")
	require.Equal(t, exitOK, code, errOut)
	var got struct {
		SchemaVersion int              `json:"schema_version"`
		Items         []map[string]any `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Equal(t, 1, got.SchemaVersion)
	require.Len(t, got.Items, 1)
	it := got.Items[0]
	for _, k := range []string{"kind", "instance", "job", "stage", "label", "test", "runs", "failures", "flips", "flip_rate",
		"revisions_mixed", "first_seen", "last_seen", "nodes", "last_failure"} {
		require.Contains(t, it, k)
	}
	require.Equal(t, "step", it["kind"])
	require.Equal(t, "Test/unittest: CPU", it["stage"])
	require.EqualValues(t, 4, it["runs"])
	require.EqualValues(t, 3, it["flips"])
	require.EqualValues(t, 1, it["flip_rate"])
	require.EqualValues(t, 2, it["revisions_mixed"])
	require.Equal(t, map[string]any{"job": "tvm/main", "number": float64(4),
		"link": "https://ci.example/job/tvm/job/main/4/execution/node/20/log"}, it["last_failure"])
	_, err := time.Parse(time.RFC3339, it["first_seen"].(string))
	require.NoError(t, err)

	code, out, _ = runHistoryCLI(t, "flaky", "--db", path)
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "Run Python unit tests")
	require.Contains(t, out, "1.00")

	code, out, _ = runHistoryCLI(t, "flaky", "--db", path, "--job", "other/*", "--format", "json")
	require.Equal(t, exitOK, code)
	require.JSONEq(t, `{"schema_version": 1, "items": []}`, out)

	code, out, _ = runHistoryCLI(t, "flaky", "--db", path, "--since", "2d", "--instance", "prod", "--format", "json")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, `"flips": 3`)
}

func TestHistoryCommand(t *testing.T) {
	path := historyDB(t)
	code, out, errOut := runHistoryCLI(t, "history", "--db", path, "--stage", "Test/unittest: CPU", "--label", "Run Python unit tests", "--format", "json")
	require.Equal(t, exitOK, code, errOut)
	var got struct {
		SchemaVersion int              `json:"schema_version"`
		Runs          []map[string]any `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Equal(t, 1, got.SchemaVersion)
	require.Len(t, got.Runs, 4)
	for _, k := range []string{"instance", "job", "number", "revision", "status", "exit_code", "node", "class", "cause", "started", "link"} {
		require.Contains(t, got.Runs[0], k)
	}
	var seq []string
	for _, r := range got.Runs {
		seq = append(seq, fmt.Sprintf("%v:%v:%v", r["number"], r["status"], r["exit_code"]))
	}
	require.Equal(t, []string{"4:FAILURE:1", "3:SUCCESS:<nil>", "2:FAILURE:1", "1:SUCCESS:<nil>"}, seq)

	code, out, _ = runHistoryCLI(t, "history", "--db", path, "--stage", "Lint", "--label", "Run lint")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "agent-3")
	require.Contains(t, out, "SUCCESS")
}

func TestMatrixCommand(t *testing.T) {
	path := historyDB(t)
	code, out, errOut := runHistoryCLI(t, "matrix", "--db", path, "--days", "3", "--format", "json")
	require.Equal(t, exitOK, code, errOut)
	var got struct {
		SchemaVersion int      `json:"schema_version"`
		Days          []string `json:"days"`
		Rows          []struct {
			Key   string `json:"key"`
			Cells []struct {
				Day            string
				Passed, Failed int
			} `json:"cells"`
		} `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Equal(t, 1, got.SchemaVersion)
	require.Len(t, got.Days, 3)
	require.Equal(t, time.Now().UTC().Format("2006-01-02"), got.Days[2])
	require.Len(t, got.Rows, 2)
	passed, failed := 0, 0
	for _, r := range got.Rows {
		require.Len(t, r.Cells, 3)
		for _, c := range r.Cells {
			passed, failed = passed+c.Passed, failed+c.Failed
		}
	}
	require.Equal(t, 4+2, passed)
	require.Equal(t, 2, failed)

	code, out, _ = runHistoryCLI(t, "matrix", "--db", path, "--by", "image")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "could name")

	code, out, _ = runHistoryCLI(t, "matrix", "--db", path)
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "unittest: CPU")
}

func TestHistoryCommandsUsageErrors(t *testing.T) {
	path := historyDB(t)
	missing := filepath.Join(t.TempDir(), "nope.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"flaky"}, "--db"},
		{[]string{"flaky", "--db", path, "--format", "xml"}, "--format"},
		{[]string{"flaky", "--db", path, "--since", "last tuesday"}, "--since"},
		{[]string{"history", "--db", path}, "--stage"},
		{[]string{"history", "--db", path, "--test", "t", "--stage", "s"}, "not both"},
		{[]string{"matrix", "--db", path, "--by", "agent"}, "--by"},
		{[]string{"matrix", "--db", path, "--days", "0"}, "--days"},
		{[]string{"matrix", "--db", path, "extra"}, "extra"},
		{[]string{"flaky", "--db", path, "--bogus"}, "bogus"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runHistoryCLI(t, tc.args...)
			require.Equal(t, exitUsage, code)
			require.Contains(t, errOut, tc.want)
		})
	}
	_, err := os.Stat(missing)
	require.True(t, os.IsNotExist(err), "a usage error creates nothing")

	code, _, _ := runHistoryCLI(t, "flaky", "--help")
	require.Equal(t, exitOK, code)
}

// TestHistoryCommandsCreateTheDatabase: CONTRACT.md, History: every command takes --db FILE,
// created if missing. A query on a new database answers with nothing, and says on stderr that
// the file is new (a mistyped path shows there).
func TestHistoryCommandsCreateTheDatabase(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"flaky", "--format", "json"}, `"items": []`},
		{[]string{"history", "--test", "x", "--format", "json"}, `"runs": []`},
		{[]string{"matrix", "--format", "json"}, `"rows": []`},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			missing := filepath.Join(t.TempDir(), "new.db")
			code, out, errOut := runHistoryCLI(t, append(tc.args, "--db", missing)...)
			require.Equal(t, exitOK, code, errOut)
			require.Contains(t, out, tc.want)
			require.Contains(t, errOut, missing)
			_, err := os.Stat(missing)
			require.NoError(t, err, "created")
			code, _, errOut = runHistoryCLI(t, append(tc.args, "--db", missing)...)
			require.Equal(t, exitOK, code)
			require.Empty(t, errOut, "an existing database is not announced")
		})
	}
}

func TestHistoryCommandsNewerDatabase(t *testing.T) {
	path := historyDB(t)
	// Pretend a newer cidiff wrote it: bump SQLite's user_version in the file header (offset 60).
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[63] = 99
	require.NoError(t, os.WriteFile(path, data, 0o644))
	code, _, errOut := runHistoryCLI(t, "flaky", "--db", path)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "newer")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, data, after)
}
