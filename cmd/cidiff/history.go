package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/report"
)

// historyJSONVersion is the schema_version of the JSON that flaky, history and matrix print.
const historyJSONVersion = 1

func init() {
	register(command{name: "history", summary: "list the recorded runs of one step or test, newest first", run: runHistory})
}

func runHistory(e *env, args []string) error {
	fl := pflag.NewFlagSet("history", pflag.ContinueOnError)
	fl.SetOutput(e.stderr)
	dbPath := fl.String("db", "", "history database `FILE` (written by cidiff scan)")
	stage := fl.String("stage", "", "the step's stage path, exactly as cidiff flaky shows it (\"Build/BUILD: GPU\")")
	label := fl.String("label", "", "the step's label, exactly")
	test := fl.String("test", "", "a JUnit test: full name \"class.name\" or bare case name (instead of --stage/--label)")
	job := fl.String("job", "", "only jobs matching `GLOB` (* matches across /)")
	instance := fl.String("instance", "", "only this instance")
	limit := fl.Int("limit", 0, "at most N runs (0: all)")
	format := fl.String("format", "text", "output format: json or text")
	fl.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff history --db FILE (--stage S --label L | --test NAME) [--job GLOB] [--instance NAME] [--format json|text]")
		fl.PrintDefaults()
	}
	if err := parseHistoryFlags(fl, args); err != nil {
		return err
	}
	if err := checkFormat(*format, "json", "text"); err != nil {
		return err
	}
	stepGiven := fl.Changed("stage") || fl.Changed("label")
	switch {
	case *test != "" && stepGiven:
		return usageErrorf("give either --test or --stage/--label, not both")
	case *test == "" && !stepGiven:
		return usageErrorf("give --stage and --label of a step, or --test NAME")
	}
	db, err := openHistoryDB(e, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.History(context.Background(), store.HistoryQuery{Stage: *stage, Label: *label, Test: *test,
		JobGlob: *job, Instance: *instance, Limit: *limit})
	if err != nil {
		return fmt.Errorf("%s: %w", *dbPath, err)
	}
	// Errors and test failure messages come from builds and logs: masked as every report masks them.
	for i := range runs {
		runs[i].Error = report.Redact(runs[i].Error)
		runs[i].Link = report.Redact(runs[i].Link)
	}
	if *format == "json" {
		return writeHistoryJSON(e.stdout, map[string]any{"schema_version": historyJSONVersion, "runs": runs})
	}
	if len(runs) == 0 {
		fmt.Fprintln(e.stdout, "No recorded runs.")
		return nil
	}
	t := newHistoryTable(e.stdout)
	t.Header("STARTED", "INSTANCE", "JOB", "#", "REVISION", "STATUS", "EXIT", "NODE", "CLASS", "LINK")
	for _, r := range runs {
		class := r.Class
		if r.Cause != "" {
			class += "/" + r.Cause
		}
		if err := t.Append(r.Started, r.Instance, r.Job, optInt(r.Number), shortRev(r.Revision), r.Status,
			optInt(r.ExitCode), optString(r.Node), class, r.Link); err != nil {
			return err
		}
	}
	return t.Render()
}

// parseHistoryFlags parses args; --help prints the usage and succeeds, a bad flag is a usage
// error.
func parseHistoryFlags(fl *pflag.FlagSet, args []string) error {
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return usageErrorf("%v", err)
	}
	if fl.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fl.Arg(0))
	}
	return nil
}

// openHistoryDB opens the history database of a query, creating it when missing (CONTRACT.md:
// every history command takes --db FILE, created if missing). A new file is announced on
// stderr: a query on it finds nothing, and a mistyped path shows there.
func openHistoryDB(e *env, path string) (*store.DB, error) {
	if path == "" {
		return nil, usageErrorf("--db FILE is required")
	}
	_, statErr := os.Stat(path)
	db, err := store.Open(path)
	if err != nil {
		return nil, usageErrorf("--db: %v", err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "cidiff: created the empty history database %s (record builds with cidiff scan)\n", path)
	}
	return db, nil
}

// parseDate reads a date flag (--since, --until): a date (2026-11-02, UTC midnight), an RFC
// 3339 time, or a number of days back from now ("7d").
func parseDate(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErrorf("%s %q: want a date (2026-11-02), an RFC 3339 time or a number of days (7d)", flag, s)
}

// newHistoryTable is a table whose header is printed as written (tablewriter would otherwise
// upper-case it and space out "/" and "-").
func newHistoryTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
}

func writeHistoryJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func optInt(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func optString(p *string) string {
	if p == nil {
		return "-"
	}
	if *p == "" {
		return "(built-in)"
	}
	return *p
}

func shortRev(p *string) string {
	if p == nil {
		return "-"
	}
	if len(*p) > 10 {
		return (*p)[:10]
	}
	return *p
}
