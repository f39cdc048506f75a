package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cidiff/cidiff/jenkins"
)

// Passing and failing, for flakiness and the matrix: a step passes with SUCCESS and fails with
// FAILURE; a test passes with PASSED and fails with FAILED. ABORTED steps (user aborts of
// superseded builds, timeouts), NOT_EXECUTED, UNKNOWN and SKIPPED are neither: counting an
// abort of a superseded PR build as a failure would make every step of every busy job look
// flaky.
const (
	stepRunStatuses = `'SUCCESS', 'FAILURE'`
	testRunStatuses = `'PASSED', 'FAILED'`
)

// FlakyQuery selects what Flaky ranks. Zero fields do not filter.
type FlakyQuery struct {
	Instance string
	// JobGlob matches job names with SQLite GLOB rules: * and ? match any characters including
	// "/", [...] a set; case-sensitive.
	JobGlob string
	// Since keeps runs of builds that started at or after it.
	Since time.Time
	// Limit caps the number of items (0: all).
	Limit int
}

// FlakyItem is one step (per instance, job, stage, label) or one JUnit test case (per instance,
// job, stage, full name) whose outcome flips (CONTRACT.md, `cidiff flaky`).
type FlakyItem struct {
	Kind     string `json:"kind"` // "step" or "test"
	Instance string `json:"instance"`
	Job      string `json:"job"`
	Stage    string `json:"stage"`
	Label    string `json:"label"`
	Test     string `json:"test"`
	// ScriptHash tells unlabeled steps of one stage apart (see steps.script_hash); empty for a
	// labeled step or a test.
	ScriptHash string `json:"script_hash,omitempty"`
	// Runs counts passing and failing executions, ordered by build start.
	Runs     int `json:"runs"`
	Failures int `json:"failures"`
	// Flips counts changes between passing and failing from one run to the next.
	Flips    int     `json:"flips"`
	FlipRate float64 `json:"flip_rate"`
	// RevisionsMixed counts revisions with both a passing and a failing run.
	RevisionsMixed int `json:"revisions_mixed"`
	// FirstSeen and LastSeen are the starts of the first and last runs' builds (RFC 3339 UTC).
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	// Nodes are the agents the runs used, sorted (for tests: inferred from the stage's steps).
	Nodes       []string `json:"nodes"`
	LastFailure *Ref     `json:"last_failure"`
}

// Ref points at one build (and, for a step, at its log).
type Ref struct {
	Job    string `json:"job"`
	Number *int   `json:"number"`
	Link   string `json:"link"`
}

// Flaky ranks steps and test cases by flakiness, most flaky first: by flip rate, then
// revisions with mixed results, then failures, then runs (more evidence first); ties by
// instance, job, stage, label, test. Only items with at least one flip or one mixed revision
// are listed.
func (db *DB) Flaky(ctx context.Context, q FlakyQuery) ([]FlakyItem, error) {
	var where []string
	var args []any
	if q.Instance != "" {
		where, args = append(where, "i.name = ?"), append(args, q.Instance)
	}
	if q.JobGlob != "" {
		where, args = append(where, "j.name GLOB ?"), append(args, q.JobGlob)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "b.start >= ?"), append(args, formatTime(q.Since))
	}
	filter := ""
	if len(where) > 0 {
		filter = " AND " + strings.Join(where, " AND ")
	}
	// Unlabeled steps are told apart by script: one stage's unlabeled "make" and "pytest" are
	// different steps, and interleaving them would look like flips.
	steps := `SELECT 'step', i.name, j.name, s.stage, s.label, '', CASE WHEN s.label = '' THEN s.script_hash ELSE '' END AS script,
			s.status = 'SUCCESS', b.revision, b.start, b.number, s.node, s.link
		FROM steps s JOIN builds b ON b.id = s.build_id JOIN jobs j ON j.id = b.job_id JOIN instances i ON i.id = b.instance_id
		WHERE s.status IN (` + stepRunStatuses + `)` + filter + `
		ORDER BY i.name, j.name, s.stage, s.label, script, b.start, b.number, s.ordinal`
	tests := `SELECT 'test', i.name, j.name, t.stage, '', t.full_name, '', t.status = 'PASSED', b.revision, b.start,
			b.number, t.node, b.link
		FROM test_cases t JOIN builds b ON b.id = t.build_id JOIN jobs j ON j.id = b.job_id JOIN instances i ON i.id = b.instance_id
		WHERE t.status IN (` + testRunStatuses + `)` + filter + `
		ORDER BY i.name, j.name, t.stage, t.full_name, b.start, b.number, t.id`
	var items []FlakyItem
	for _, query := range []string{steps, tests} {
		got, err := db.flakyItems(ctx, query, args)
		if err != nil {
			return nil, fmt.Errorf("flaky: %w", err)
		}
		items = append(items, got...)
	}
	sort.SliceStable(items, func(a, b int) bool {
		x, y := items[a], items[b]
		switch {
		case x.FlipRate != y.FlipRate:
			return x.FlipRate > y.FlipRate
		case x.RevisionsMixed != y.RevisionsMixed:
			return x.RevisionsMixed > y.RevisionsMixed
		case x.Failures != y.Failures:
			return x.Failures > y.Failures
		case x.Runs != y.Runs:
			return x.Runs > y.Runs
		}
		return strings.Join([]string{x.Instance, x.Job, x.Stage, x.Label, x.Test, x.ScriptHash}, "\x00") <
			strings.Join([]string{y.Instance, y.Job, y.Stage, y.Label, y.Test, y.ScriptHash}, "\x00")
	})
	if q.Limit > 0 && len(items) > q.Limit {
		items = items[:q.Limit]
	}
	if items == nil {
		items = []FlakyItem{}
	}
	return items, nil
}

// flakyAcc folds the ordered runs of one item.
type flakyAcc struct {
	item     FlakyItem
	lastPass *bool
	revs     map[string][2]bool // revision → (seen passing, seen failing)
	nodes    map[string]bool
}

func (a *flakyAcc) finish() (FlakyItem, bool) {
	it := a.item
	for _, pf := range a.revs {
		if pf[0] && pf[1] {
			it.RevisionsMixed++
		}
	}
	if it.Runs > 1 {
		it.FlipRate = float64(it.Flips) / float64(it.Runs-1)
	}
	it.Nodes = make([]string, 0, len(a.nodes))
	for n := range a.nodes {
		it.Nodes = append(it.Nodes, n)
	}
	sort.Strings(it.Nodes)
	return it, it.Flips > 0 || it.RevisionsMixed > 0
}

func (db *DB) flakyItems(ctx context.Context, query string, args []any) ([]FlakyItem, error) {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []FlakyItem
	var acc *flakyAcc
	flush := func() {
		if acc != nil {
			if it, ok := acc.finish(); ok {
				items = append(items, it)
			}
		}
	}
	for rows.Next() {
		var (
			kind, inst, job, stage, label, test, script, link string
			pass                                              bool
			rev, start, node                                  sql.NullString
			number                                            sql.NullInt64
		)
		if err := rows.Scan(&kind, &inst, &job, &stage, &label, &test, &script, &pass, &rev, &start, &number, &node, &link); err != nil {
			return nil, err
		}
		if acc == nil || acc.item.Instance != inst || acc.item.Job != job || acc.item.Stage != stage ||
			acc.item.Label != label || acc.item.Test != test || acc.item.ScriptHash != script {
			flush()
			acc = &flakyAcc{
				item: FlakyItem{Kind: kind, Instance: inst, Job: job, Stage: stage, Label: label, Test: test, ScriptHash: script,
					FirstSeen: rfc3339(start)},
				revs:  map[string][2]bool{},
				nodes: map[string]bool{},
			}
		}
		it := &acc.item
		it.Runs++
		it.LastSeen = rfc3339(start)
		if acc.lastPass != nil && *acc.lastPass != pass {
			it.Flips++
		}
		acc.lastPass = &pass
		if !pass {
			it.Failures++
			it.LastFailure = &Ref{Job: job, Number: ptrInt(number), Link: link}
		}
		if rev.Valid && rev.String != "" {
			pf := acc.revs[rev.String]
			if pass {
				pf[0] = true
			} else {
				pf[1] = true
			}
			acc.revs[rev.String] = pf
		}
		if node.Valid {
			acc.nodes[node.String] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush()
	return items, nil
}

// rfc3339 turns a stored time into RFC 3339 UTC with seconds, or "" when unknown.
func rfc3339(s sql.NullString) string {
	t := parseTime(s)
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// HistoryQuery selects the runs History lists: of one step (Stage and Label, compared exactly)
// or of one test (Test: a full name "class.name", or a bare case name).
type HistoryQuery struct {
	Stage, Label string
	Test         string
	JobGlob      string // SQLite GLOB on the job name, as in FlakyQuery
	Instance     string
	Limit        int // 0: all
}

// Run is one execution of a step or test (CONTRACT.md, `cidiff history`).
type Run struct {
	Instance string  `json:"instance"`
	Job      string  `json:"job"`
	Number   *int    `json:"number"`
	Revision *string `json:"revision"`
	Status   string  `json:"status"`
	ExitCode *int    `json:"exit_code"`
	Node     *string `json:"node"`
	Class    string  `json:"class"`
	Cause    string  `json:"cause"`
	// Started is the step's start (else its build's), RFC 3339 UTC, or "" when unknown.
	Started string `json:"started"`
	Link    string `json:"link"`
	// Stage is the run's stage (useful for a test run in several stages).
	Stage string `json:"stage"`
	// Error is the step's error or the test's failure message.
	Error string `json:"error"`
	// Group is the failure group id (see GroupID), "" when the run did not fail.
	Group string `json:"group"`
}

// History lists the runs of one step or test, newest first.
func (db *DB) History(ctx context.Context, q HistoryQuery) ([]Run, error) {
	var where []string
	var args []any
	var query string
	switch {
	case q.Test != "":
		where, args = append(where, "(t.full_name = ? OR t.name = ?)"), append(args, q.Test, q.Test)
		query = `SELECT i.name, j.name, b.number, b.revision, t.status, NULL, t.node, f.class, f.cause, b.start, b.link,
				t.stage, t.error_details, f.group_id
			FROM test_cases t JOIN builds b ON b.id = t.build_id JOIN jobs j ON j.id = b.job_id
			JOIN instances i ON i.id = b.instance_id LEFT JOIN failures f ON f.test_id = t.id`
	case q.Stage != "" || q.Label != "":
		where, args = append(where, "s.stage = ?", "s.label = ?"), append(args, q.Stage, q.Label)
		query = `SELECT i.name, j.name, b.number, b.revision, s.status, s.exit_code, s.node, f.class, f.cause,
				COALESCE(s.start, b.start), s.link, s.stage, s.error, f.group_id
			FROM steps s JOIN builds b ON b.id = s.build_id JOIN jobs j ON j.id = b.job_id
			JOIN instances i ON i.id = b.instance_id LEFT JOIN failures f ON f.step_id = s.id`
	default:
		return nil, errors.New("history: give a stage and label, or a test")
	}
	if q.Instance != "" {
		where, args = append(where, "i.name = ?"), append(args, q.Instance)
	}
	if q.JobGlob != "" {
		where, args = append(where, "j.name GLOB ?"), append(args, q.JobGlob)
	}
	query += " WHERE " + strings.Join(where, " AND ")
	if q.Test != "" {
		query += " ORDER BY b.start DESC, b.number DESC, t.id DESC"
	} else {
		query += " ORDER BY b.start DESC, b.number DESC, s.ordinal DESC"
	}
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	runs := []Run{}
	for rows.Next() {
		var (
			r                                     Run
			number, exit                          sql.NullInt64
			rev, node, class, cause, start, group sql.NullString
		)
		if err := rows.Scan(&r.Instance, &r.Job, &number, &rev, &r.Status, &exit, &node, &class, &cause, &start,
			&r.Link, &r.Stage, &r.Error, &group); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		r.Number, r.Revision, r.ExitCode, r.Node = ptrInt(number), ptrString(rev), ptrInt(exit), ptrString(node)
		r.Class, r.Cause, r.Group, r.Started = class.String, cause.String, group.String, rfc3339(start)
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return runs, nil
}

// MatrixQuery selects the pass/fail matrix.
type MatrixQuery struct {
	// Days is the number of UTC days shown, ending with Now's day (default 14).
	Days int
	// By is "stage" (default: rows per stage path) or "image" (rows per docker image; steps
	// whose image is unknown are left out).
	By       string
	Instance string
	// Now is the end of the window (default time.Now()).
	Now time.Time
}

// Matrix is passes and failures of steps per row key and day (CONTRACT.md, `cidiff matrix`).
type Matrix struct {
	By   string      `json:"by"`
	Days []string    `json:"days"`
	Rows []MatrixRow `json:"rows"`
}

// MatrixRow is one stage or image; Cells has one cell per day of Matrix.Days, in order.
type MatrixRow struct {
	Key   string       `json:"key"`
	Cells []MatrixCell `json:"cells"`
}

// MatrixCell counts the step runs of one day, by their build's start day (UTC).
type MatrixCell struct {
	Day     string `json:"day"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Aborted int    `json:"aborted"`
}

// Matrix counts passing, failing and aborted steps per stage (or image) and day. Rows with no
// run in the window are left out; rows are sorted by key.
func (db *DB) Matrix(ctx context.Context, q MatrixQuery) (*Matrix, error) {
	days := q.Days
	if days <= 0 {
		days = 14
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	var keyCol string
	switch q.By {
	case "", "stage":
		q.By, keyCol = "stage", "s.stage"
	case "image":
		keyCol = "s.image"
	default:
		return nil, fmt.Errorf("matrix: by %q: must be stage or image", q.By)
	}
	y, m, d := now.UTC().Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	begin := end.AddDate(0, 0, -days)
	mx := &Matrix{By: q.By, Days: make([]string, days), Rows: []MatrixRow{}}
	dayIndex := map[string]int{}
	for i := range days {
		mx.Days[i] = begin.AddDate(0, 0, i).Format("2006-01-02")
		dayIndex[mx.Days[i]] = i
	}
	query := `SELECT ` + keyCol + `, substr(b.start, 1, 10),
			sum(s.status = 'SUCCESS'), sum(s.status = 'FAILURE'), sum(s.status = 'ABORTED')
		FROM steps s JOIN builds b ON b.id = s.build_id JOIN instances i ON i.id = b.instance_id
		WHERE b.start >= ? AND b.start < ? AND ` + keyCol + ` IS NOT NULL`
	args := []any{formatTime(begin), formatTime(end)}
	if q.Instance != "" {
		query += " AND i.name = ?"
		args = append(args, q.Instance)
	}
	query += " GROUP BY 1, 2 ORDER BY 1, 2"
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, day string
		var c MatrixCell
		if err := rows.Scan(&key, &day, &c.Passed, &c.Failed, &c.Aborted); err != nil {
			return nil, fmt.Errorf("matrix: %w", err)
		}
		i, ok := dayIndex[day]
		if !ok {
			continue
		}
		if n := len(mx.Rows); n == 0 || mx.Rows[n-1].Key != key {
			row := MatrixRow{Key: key, Cells: make([]MatrixCell, days)}
			for j := range row.Cells {
				row.Cells[j].Day = mx.Days[j]
			}
			mx.Rows = append(mx.Rows, row)
		}
		c.Day = day
		mx.Rows[len(mx.Rows)-1].Cells[i] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	return mx, nil
}

// StepRun is one execution of a step, for the analyzer's flakiness evidence.
type StepRun struct {
	Job      string
	Number   *int
	Revision string
	Status   jenkins.Status
	Start    time.Time
	// Node is the agent; nil when unknown.
	Node *string
}

// StepRuns lists the recorded executions of one step (exact stage path and label) of one job on
// one instance, newest first; limit ≤ 0 means all.
func (db *DB) StepRuns(instance, job, stage, label string, limit int) ([]StepRun, error) {
	query := `SELECT j.name, b.number, b.revision, s.status, COALESCE(s.start, b.start), s.node
		FROM steps s JOIN builds b ON b.id = s.build_id JOIN jobs j ON j.id = b.job_id JOIN instances i ON i.id = b.instance_id
		WHERE i.name = ? AND j.name = ? AND s.stage = ? AND s.label = ?
		ORDER BY b.start DESC, b.number DESC, s.ordinal DESC`
	args := []any{instance, job, stage, label}
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := db.db.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("step runs: %w", err)
	}
	defer rows.Close()
	var runs []StepRun
	for rows.Next() {
		var (
			r                StepRun
			number           sql.NullInt64
			rev, start, node sql.NullString
			status           string
		)
		if err := rows.Scan(&r.Job, &number, &rev, &status, &start, &node); err != nil {
			return nil, fmt.Errorf("step runs: %w", err)
		}
		r.Number, r.Revision, r.Status, r.Start, r.Node = ptrInt(number), rev.String, jenkins.Status(status), parseTime(start), ptrString(node)
		runs = append(runs, r)
	}
	return runs, rows.Err()
}
