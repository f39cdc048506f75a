package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/require"
)

var dump = flag.Bool("dump", false, "keep the test databases and print their paths")

// t0 is the fixtures' clock: Monday 2026-11-02 10:00 UTC.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// fixture is a tree of fake build directories. Each holds a build.xml whose bytes are the
// JSON of a jenkins.Build (readBuild decodes it), so that the scan's stat fingerprint sees real
// files with controlled mtimes, and a child process can read the same builds.
type fixture struct {
	t    testing.TB
	root string
	// mtime is advanced on every write so each rewrite gets a new, distinct mtime.
	mtime time.Time
	cands []store.Candidate
	index map[string]int // dir → place in cands
}

func newFixture(t testing.TB) *fixture {
	return &fixture{t: t, root: t.TempDir(), mtime: t0, index: map[string]int{}}
}

func intp(n int) *int            { return &n }
func strp(s string) *string      { return &s }
func stage(s ...string) []string { return s }

// put writes (or rewrites) a build's directory and returns its candidate.
func (f *fixture) put(b *jenkins.Build) store.Candidate {
	f.t.Helper()
	name := "x"
	if b.Number != nil {
		name = strconv.Itoa(*b.Number)
	}
	dir := filepath.Join(f.root, "jobs", filepath.FromSlash(b.Job), "builds", name)
	require.NoError(f.t, os.MkdirAll(dir, 0o755))
	b.Dir = dir
	data, err := json.Marshal(b)
	require.NoError(f.t, err)
	f.writeRaw(dir, data)
	c := store.Candidate{Dir: dir, Job: b.Job, Number: b.Number}
	if i, ok := f.index[dir]; ok {
		f.cands[i] = c
	} else {
		f.index[dir] = len(f.cands)
		f.cands = append(f.cands, c)
	}
	return c
}

// writeRaw replaces build.xml and stamps it and its directory with the next mtime.
func (f *fixture) writeRaw(dir string, data []byte) {
	f.t.Helper()
	p := filepath.Join(dir, "build.xml")
	require.NoError(f.t, os.WriteFile(p, data, 0o644))
	f.mtime = f.mtime.Add(time.Second)
	require.NoError(f.t, os.Chtimes(p, f.mtime, f.mtime))
	require.NoError(f.t, os.Chtimes(dir, f.mtime, f.mtime))
}

// readBuild is the fake jenkins.ReadBuild: build.xml holds JSON.
func readBuild(dir string) (*jenkins.Build, error) {
	data, err := os.ReadFile(filepath.Join(dir, "build.xml"))
	if err != nil {
		return nil, err
	}
	var b jenkins.Build
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "build.xml"), err)
	}
	return &b, nil
}

// countingReader counts reads, to tell a skipped build from a re-read one.
type countingReader struct{ n atomic.Int64 }

func (c *countingReader) read(dir string) (*jenkins.Build, error) {
	c.n.Add(1)
	return readBuild(dir)
}

// step makes a shell step. status "S" success, "F" failure (exit 1), "A" aborted.
func step(id string, stagePath, label, status, node string) jenkins.Step {
	s := jenkins.Step{ID: id, Kind: "sh", Stage: strings.Split(stagePath, "/"), Label: label, Script: "run " + label,
		Node: strp(node)}
	if stagePath == "" {
		s.Stage = nil
	}
	switch status {
	case "S":
		s.Status = jenkins.StatusSuccess
	case "F":
		s.Status = jenkins.StatusFailure
		s.ExitCode = intp(1)
		s.Error = "script returned exit code 1"
	case "A":
		s.Status = jenkins.StatusAborted
		s.Error = "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"
	default:
		panic("status " + status)
	}
	return s
}

// synthBuild makes a completed build with nSteps steps over a TVM-like stage layout; step k of
// build n fails when (n+k)%17 == 0, so some steps flip.
func synthBuild(job string, n, nSteps int) *jenkins.Build {
	b := &jenkins.Build{Job: job, Number: intp(n), Result: jenkins.ResultSuccess, Completed: true,
		Start: t0.Add(time.Duration(n) * time.Hour), Duration: 30 * time.Minute,
		Revision: fmt.Sprintf("%040x", n/2), Branch: "main", Layout: jenkins.LayoutPerNode,
		Parameters: []jenkins.Parameter{{Name: "ci_gpu", Value: "tlcpack/ci-gpu:v0.81"}, {Name: "token", Sensitive: true}},
		Causes:     []jenkins.Cause{{Kind: "BranchIndexingCause", Description: "Branch indexing"}}}
	stages := []string{"Lint", "Build/BUILD: GPU", "Build/BUILD: CPU", "Test/unittest: CPU", "Test/topi: GPU"}
	for k := range nSteps {
		st := "S"
		if (n+k)%17 == 0 {
			st = "F"
			b.Result = jenkins.ResultFailure
		}
		s := step(strconv.Itoa(10+k), stages[k%len(stages)], fmt.Sprintf("step %d", k/len(stages)), st, fmt.Sprintf("agent-%d", (n+k)%3))
		s.Start = b.Start.Add(time.Duration(k) * time.Second)
		s.Duration = time.Second
		b.Steps = append(b.Steps, s)
	}
	b.Tests = []jenkins.TestCase{
		{Suite: "pytest", ClassName: "tests.python.test_a", Name: "test_ok", Status: jenkins.TestPassed, Stage: stage("Test", "unittest: CPU")},
		{Suite: "pytest", ClassName: "tests.python.test_a", Name: "test_sometimes", Status: map[bool]jenkins.TestStatus{true: jenkins.TestFailed, false: jenkins.TestPassed}[n%3 == 0],
			ErrorDetails: fmt.Sprintf("AssertionError at 0x%x after %ds", 0xdead0000+n, n), Stage: stage("Test", "unittest: CPU")},
	}
	return b
}

// openDB opens a fresh database file in a temp dir (never :memory:).
func openDB(t testing.TB) (*store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	if *dump {
		d, err := os.MkdirTemp("", "cidiff-store-")
		require.NoError(t, err)
		dir = d
		t.Logf("database kept in %s", dir)
	}
	path := filepath.Join(dir, "history.db")
	db, err := store.Open(path)
	require.NoError(t, err)
	pinClock(db)
	t.Cleanup(func() { db.Close() })
	return db, path
}

func pinClock(db *store.DB) {
	db.Now = func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) }
}

func scan(t testing.TB, db *store.DB, f *fixture, read func(string) (*jenkins.Build, error)) *store.ScanResult {
	t.Helper()
	if read == nil {
		read = readBuild
	}
	res, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: read, Workers: 2})
	require.NoError(t, err)
	return res
}

// rawDB opens the file with the driver directly, to look at or prepare what the public API
// does not show.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=30000")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// dumpTables lists every history row by natural keys (no row ids, no scan times), sorted, so
// that two databases built in different orders compare equal when they hold the same history.
func dumpTables(t testing.TB, path string) map[string][]string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	queries := map[string]string{
		"instances": `SELECT name, url FROM instances`,
		"jobs":      `SELECT i.name, j.name FROM jobs j JOIN instances i ON i.id = j.instance_id`,
		"builds": `SELECT i.name, j.name, b.build_key, b.number, b.dir, b.result, b.completed, b.start, b.duration_ms,
			b.revision, b.branch, b.remote, b.pr_number, b.pr_head, b.pr_base, b.pr_merge, b.pr_target, b.layout,
			b.problems, b.fingerprint, b.content_hash, b.link
			FROM builds b JOIN instances i ON i.id = b.instance_id JOIN jobs j ON j.id = b.job_id`,
		"steps": `SELECT b.build_key, s.node_id, s.ordinal, s.kind, s.stage, s.label, s.identity_key, s.script_hash,
			s.status, s.exit_code, s.error, s.error_class, s.node, s.workspace, s.context, s.start, s.duration_ms,
			s.link, s.image FROM steps s JOIN builds b ON b.id = s.build_id`,
		"test_cases": `SELECT b.build_key, t.suite, t.class_name, t.name, t.full_name, t.status, t.duration_ms,
			t.error_details, t.stage, t.node, t.flow_node_id FROM test_cases t JOIN builds b ON b.id = t.build_id`,
		"failures": `SELECT b.build_key, s.identity_key, t.full_name, f.message, f.normalised, f.group_id, f.class, f.cause
			FROM failures f JOIN builds b ON b.id = f.build_id LEFT JOIN steps s ON s.id = f.step_id
			LEFT JOIN test_cases t ON t.id = f.test_id`,
		"failure_groups": `SELECT id, normalised, example FROM failure_groups`,
		"parameters":     `SELECT b.build_key, p.name, p.value, p.sensitive FROM parameters p JOIN builds b ON b.id = p.build_id`,
		"causes":         `SELECT b.build_key, c.kind, c.description, c.original_number FROM causes c JOIN builds b ON b.id = c.build_id`,
		"scan_errors":    `SELECT dir, error FROM scan_errors`,
	}
	out := map[string][]string{}
	for name, q := range queries {
		rows, err := db.Query(q)
		require.NoError(t, err, name)
		cols, err := rows.Columns()
		require.NoError(t, err)
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprintf("%v", v)
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		require.NoError(t, rows.Err())
		rows.Close()
		sort.Strings(lines)
		out[name] = lines
	}
	return out
}

func count(t testing.TB, path, query string, args ...any) int {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(query, args...).Scan(&n))
	return n
}

// checkConsistent asserts what a crash or cancel must never leave behind: a damaged file, or a
// build with only part of its rows.
func checkConsistent(t testing.TB, path string, f *fixture) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var ok string
	require.NoError(t, db.QueryRow(`PRAGMA integrity_check`).Scan(&ok))
	require.Equal(t, "ok", ok)
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	require.NoError(t, err)
	require.False(t, rows.Next(), "foreign key violations")
	rows.Close()
	// every stored build has exactly the steps and tests its directory holds
	bs, err := db.Query(`SELECT b.dir, (SELECT count(*) FROM steps s WHERE s.build_id = b.id),
		(SELECT count(*) FROM test_cases t WHERE t.build_id = b.id) FROM builds b`)
	require.NoError(t, err)
	defer bs.Close()
	for bs.Next() {
		var dir string
		var nSteps, nTests int
		require.NoError(t, bs.Scan(&dir, &nSteps, &nTests))
		b, err := readBuild(dir)
		require.NoError(t, err)
		require.Equal(t, len(b.Steps), nSteps, "steps of %s", dir)
		require.Equal(t, len(b.Tests), nTests, "tests of %s", dir)
	}
	require.NoError(t, bs.Err())
}

// requireSameDump compares two dumps table by table and shows only the differing rows.
func requireSameDump(t testing.TB, want, got map[string][]string) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		inW := map[string]int{}
		for _, l := range w {
			inW[l]++
		}
		for _, l := range g {
			inW[l]--
		}
		var diff []string
		for l, n := range inW {
			switch {
			case n > 0:
				diff = append(diff, fmt.Sprintf("missing x%d: %s", n, l))
			case n < 0:
				diff = append(diff, fmt.Sprintf("extra x%d: %s", -n, l))
			}
		}
		sort.Strings(diff)
		if len(diff) > 6 {
			diff = append(diff[:6], fmt.Sprintf("... %d more", len(diff)-6))
		}
		if len(diff) > 0 {
			t.Fatalf("table %s differs (%d want rows, %d got rows):\n%s", table, len(w), len(g), strings.Join(diff, "\n"))
		}
	}
}
