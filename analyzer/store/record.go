package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Comparison is one `cidiff compare` run as the history keeps it. It mirrors the report's JSON
// (CONTRACT.md, `cidiff compare`) in plain values, so that this package does not depend on the
// analyzer.
type Comparison struct {
	// ID is set by RecordComparison.
	ID              int64
	CreatedAt       time.Time
	ProdInstance    string
	StagingInstance string
	Verdict         string // "GO" or "NO-GO"
	// Report is the report's JSON as printed, kept whole when the recorder wants it.
	Report      string
	Differences []Difference
	// Waivers are the waivers the comparison applied.
	Waivers []Waiver
}

// Difference is one step whose status differs between a prod and a staging build.
type Difference struct {
	PairKey        string
	Job            string
	ProdNumber     *int
	StagingNumber  *int
	Stage, Label   string
	ProdStatus     string
	StagingStatus  string
	Class, Cause   string
	Blocking       bool
	Waived         bool
	Reason         string
	ConsequenceOf  *StepRef // the root difference this one follows from, if any
	FailureMessage string   // the failing side's message; its group id is stored (see GroupID)
}

// StepRef names a step by stage path and label.
type StepRef struct{ Stage, Label string }

// Waiver is one waiver applied by a comparison.
type Waiver struct {
	Job, Stage, Label, Class string
	Reason                   string
}

// RecordComparison stores a comparison with its differences and waivers in one transaction and
// returns its id.
func (db *DB) RecordComparison(ctx context.Context, c Comparison) (int64, error) {
	if c.ProdInstance == "" || c.StagingInstance == "" {
		return 0, errors.New("record comparison: prod and staging instance names are required")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.Now()
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("record comparison: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO comparisons (created_at, prod_instance, staging_instance, verdict, report)
		VALUES (?, ?, ?, ?, ?)`, formatTime(c.CreatedAt), c.ProdInstance, c.StagingInstance, c.Verdict, c.Report)
	if err != nil {
		return 0, fmt.Errorf("record comparison: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record comparison: %w", err)
	}
	for _, d := range c.Differences {
		var cs, cl, group any
		if d.ConsequenceOf != nil {
			cs, cl = d.ConsequenceOf.Stage, d.ConsequenceOf.Label
		}
		if d.FailureMessage != "" {
			g := GroupID(d.FailureMessage)
			if err := upsertGroup(ctx, tx, g, NormaliseMessage(d.FailureMessage), d.FailureMessage); err != nil {
				return 0, fmt.Errorf("record comparison: %w", err)
			}
			group = g
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO differences (comparison_id, pair_key, job, prod_number, staging_number,
			stage, label, prod_status, staging_status, class, cause, blocking, waived, reason, consequence_stage,
			consequence_label, group_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, d.PairKey, d.Job, nullInt(d.ProdNumber), nullInt(d.StagingNumber), d.Stage, d.Label, d.ProdStatus,
			d.StagingStatus, d.Class, d.Cause, d.Blocking, d.Waived, d.Reason, cs, cl, group); err != nil {
			return 0, fmt.Errorf("record comparison: %w", err)
		}
	}
	for _, w := range c.Waivers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO waivers (comparison_id, job, stage, label, class, reason)
			VALUES (?, ?, ?, ?, ?, ?)`, id, w.Job, w.Stage, w.Label, w.Class, w.Reason); err != nil {
			return 0, fmt.Errorf("record comparison: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record comparison: %w", err)
	}
	return id, nil
}

// Comparisons returns the recorded comparisons, newest first, with their differences and
// waivers; limit ≤ 0 means all. Report is left empty (it can be large).
func (db *DB) Comparisons(ctx context.Context, limit int) ([]Comparison, error) {
	query := `SELECT id, created_at, prod_instance, staging_instance, verdict FROM comparisons ORDER BY created_at DESC, id DESC`
	var args []any
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("comparisons: %w", err)
	}
	var out []Comparison
	for rows.Next() {
		var c Comparison
		var created sql.NullString
		if err := rows.Scan(&c.ID, &created, &c.ProdInstance, &c.StagingInstance, &c.Verdict); err != nil {
			rows.Close()
			return nil, fmt.Errorf("comparisons: %w", err)
		}
		c.CreatedAt = parseTime(created)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("comparisons: %w", err)
	}
	for i := range out {
		if err := db.loadComparison(ctx, &out[i]); err != nil {
			return nil, fmt.Errorf("comparisons: %w", err)
		}
	}
	return out, nil
}

func (db *DB) loadComparison(ctx context.Context, c *Comparison) error {
	rows, err := db.db.QueryContext(ctx, `SELECT pair_key, job, prod_number, staging_number, stage, label, prod_status,
		staging_status, class, cause, blocking, waived, reason, consequence_stage, consequence_label
		FROM differences WHERE comparison_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d Difference
		var pn, sn sql.NullInt64
		var cs, cl sql.NullString
		if err := rows.Scan(&d.PairKey, &d.Job, &pn, &sn, &d.Stage, &d.Label, &d.ProdStatus, &d.StagingStatus,
			&d.Class, &d.Cause, &d.Blocking, &d.Waived, &d.Reason, &cs, &cl); err != nil {
			return err
		}
		d.ProdNumber, d.StagingNumber = ptrInt(pn), ptrInt(sn)
		if cs.Valid {
			d.ConsequenceOf = &StepRef{Stage: cs.String, Label: cl.String}
		}
		c.Differences = append(c.Differences, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	wrows, err := db.db.QueryContext(ctx, `SELECT job, stage, label, class, reason FROM waivers WHERE comparison_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return err
	}
	defer wrows.Close()
	for wrows.Next() {
		var w Waiver
		if err := wrows.Scan(&w.Job, &w.Stage, &w.Label, &w.Class, &w.Reason); err != nil {
			return err
		}
		c.Waivers = append(c.Waivers, w)
	}
	return wrows.Err()
}

// TriageNote is what a committer wrote about a step, a test or a failure group.
type TriageNote struct {
	ID        int64
	CreatedAt time.Time
	Author    string
	Instance  string
	Job       string
	Stage     string
	Label     string
	Test      string
	GroupID   string
	Note      string
	IssueURL  string
}

// AddTriageNote stores a note and returns its id. A note must say something and be about
// something: a job, a step, a test or a failure group.
func (db *DB) AddTriageNote(ctx context.Context, n TriageNote) (int64, error) {
	if n.Note == "" && n.IssueURL == "" {
		return 0, errors.New("triage note: empty note")
	}
	if n.Job == "" && n.Stage == "" && n.Label == "" && n.Test == "" && n.GroupID == "" {
		return 0, errors.New("triage note: about nothing (give a job, step, test or failure group)")
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = db.Now()
	}
	res, err := db.db.ExecContext(ctx, `INSERT INTO triage_notes (created_at, author, instance, job, stage, label, test,
		group_id, note, issue_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, formatTime(n.CreatedAt), n.Author, n.Instance,
		n.Job, n.Stage, n.Label, n.Test, n.GroupID, n.Note, n.IssueURL)
	if err != nil {
		return 0, fmt.Errorf("triage note: %w", err)
	}
	return res.LastInsertId()
}

// TriageNotes returns the notes about one step (job, stage, label; empty job: any job) or one
// failure group (groupID non-empty), oldest first.
func (db *DB) TriageNotes(ctx context.Context, job, stage, label, groupID string) ([]TriageNote, error) {
	query := `SELECT id, created_at, author, instance, job, stage, label, test, group_id, note, issue_url FROM triage_notes WHERE `
	var args []any
	if groupID != "" {
		query += "group_id = ?"
		args = append(args, groupID)
	} else {
		query += "stage = ? AND label = ? AND (? = '' OR job = ?)"
		args = append(args, stage, label, job, job)
	}
	rows, err := db.db.QueryContext(ctx, query+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("triage notes: %w", err)
	}
	defer rows.Close()
	var out []TriageNote
	for rows.Next() {
		var n TriageNote
		var created sql.NullString
		if err := rows.Scan(&n.ID, &created, &n.Author, &n.Instance, &n.Job, &n.Stage, &n.Label, &n.Test, &n.GroupID,
			&n.Note, &n.IssueURL); err != nil {
			return nil, fmt.Errorf("triage notes: %w", err)
		}
		n.CreatedAt = parseTime(created)
		out = append(out, n)
	}
	return out, rows.Err()
}
