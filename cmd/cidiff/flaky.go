package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/report"
)

func init() {
	register(command{name: "flaky", summary: "rank recorded steps and tests by how often they flip", run: runFlaky})
}

func runFlaky(e *env, args []string) error {
	fl := pflag.NewFlagSet("flaky", pflag.ContinueOnError)
	fl.SetOutput(e.stderr)
	dbPath := fl.String("db", "", "history database `FILE` (written by cidiff scan)")
	instance := fl.String("instance", "", "only this instance")
	job := fl.String("job", "", "only jobs matching `GLOB` (* matches across /)")
	since := fl.String("since", "", "only builds started since `DATE` (2026-11-02, RFC 3339, or 7d for the last 7 days)")
	limit := fl.Int("limit", 0, "at most N items (0: all)")
	format := fl.String("format", "text", "output format: json or text")
	fl.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff flaky --db FILE [--instance NAME] [--job GLOB] [--since DATE] [--format json|text]")
		fmt.Fprintln(e.stderr, "Ranks by flip rate, then revisions with both a pass and a fail, then failures.")
		fl.PrintDefaults()
	}
	if err := parseHistoryFlags(fl, args); err != nil {
		return err
	}
	if err := checkFormat(*format, "json", "text"); err != nil {
		return err
	}
	sinceT, err := parseDate("--since", *since, time.Now())
	if err != nil {
		return err
	}
	db, err := openHistoryDB(e, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	items, err := db.Flaky(context.Background(), store.FlakyQuery{Instance: *instance, JobGlob: *job, Since: sinceT, Limit: *limit})
	if err != nil {
		return fmt.Errorf("%s: %w", *dbPath, err)
	}
	// A database written before --url refused credentials may hold them in its links.
	for i := range items {
		if lf := items[i].LastFailure; lf != nil {
			lf.Link = report.Redact(lf.Link)
		}
	}
	if *format == "json" {
		return writeHistoryJSON(e.stdout, map[string]any{"schema_version": historyJSONVersion, "items": items})
	}
	if len(items) == 0 {
		fmt.Fprintln(e.stdout, "No step or test flips in the recorded history.")
		return nil
	}
	t := newHistoryTable(e.stdout)
	t.Header("FLIP RATE", "FLIPS", "RUNS", "FAILS", "MIXED REVS", "INSTANCE", "JOB", "STAGE", "STEP / TEST", "NODES", "LAST FAILURE")
	for _, it := range items {
		name := it.Label
		switch {
		case it.Kind == "test":
			name = "test " + it.Test
		case name == "":
			name = "(unlabeled, script " + it.ScriptHash + ")"
		}
		last := ""
		if it.LastFailure != nil {
			last = "#" + optInt(it.LastFailure.Number) + " " + it.LastFailure.Link
		}
		if err := t.Append(strconv.FormatFloat(it.FlipRate, 'f', 2, 64), it.Flips, it.Runs, it.Failures, it.RevisionsMixed,
			it.Instance, it.Job, it.Stage, name, strings.Join(it.Nodes, ","), last); err != nil {
			return err
		}
	}
	return t.Render()
}
