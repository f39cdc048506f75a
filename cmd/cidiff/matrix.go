package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/analyzer/store"
)

func init() {
	register(command{name: "matrix", summary: "passed/failed steps per stage (or image) and day", run: runMatrix})
}

func runMatrix(e *env, args []string) error {
	fl := pflag.NewFlagSet("matrix", pflag.ContinueOnError)
	fl.SetOutput(e.stderr)
	dbPath := fl.String("db", "", "history database `FILE` (written by cidiff scan)")
	days := fl.Int("days", 14, "number of days, ending today (UTC) or on --until")
	until := fl.String("until", "", "last day of the window (2022-02-08, RFC 3339, or 7d for 7 days ago); default today")
	by := fl.String("by", "stage", "rows per stage or per docker image (image: only steps whose image was recorded)")
	instance := fl.String("instance", "", "only this instance")
	format := fl.String("format", "text", "output format: json or text")
	fl.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff matrix --db FILE [--days N] [--until DATE] [--by stage|image] [--instance NAME] [--format json|text]")
		fl.PrintDefaults()
	}
	if err := parseHistoryFlags(fl, args); err != nil {
		return err
	}
	if err := checkFormat(*format, "json", "text"); err != nil {
		return err
	}
	if *by != "stage" && *by != "image" {
		return usageErrorf("--by %q: must be stage or image", *by)
	}
	if *days < 1 || *days > 366 {
		return usageErrorf("--days %d: must be between 1 and 366", *days)
	}
	end := time.Now()
	if *until != "" {
		t, err := parseDate("--until", *until, end)
		if err != nil {
			return err
		}
		end = t
	}
	db, err := openHistoryDB(e, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Matrix(context.Background(), store.MatrixQuery{Days: *days, By: *by, Instance: *instance, Now: end})
	if err != nil {
		return fmt.Errorf("%s: %w", *dbPath, err)
	}
	if *format == "json" {
		return writeHistoryJSON(e.stdout, map[string]any{"schema_version": historyJSONVersion, "by": m.By, "days": m.Days, "rows": m.Rows})
	}
	if len(m.Rows) == 0 {
		if *by == "image" {
			fmt.Fprintln(e.stdout, "No step in the window ran in a docker image cidiff could name (it reads the image from docker/bash.sh IMAGE in step scripts).")
		} else {
			fmt.Fprintln(e.stdout, "No step ran in the window.")
		}
		return nil
	}
	t := newHistoryTable(e.stdout)
	header := []any{strings.ToUpper(*by)}
	for _, d := range m.Days {
		header = append(header, d[5:]) // MM-DD
	}
	t.Header(header...)
	for _, r := range m.Rows {
		row := []any{r.Key}
		if r.Key == "" {
			row[0] = "(no stage)"
		}
		for _, c := range r.Cells {
			row = append(row, matrixCell(c))
		}
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, "passed/failed (+aborted) steps per day, by build start (UTC)")
	return t.Render()
}

func matrixCell(c store.MatrixCell) string {
	if c.Passed == 0 && c.Failed == 0 && c.Aborted == 0 {
		return "."
	}
	s := fmt.Sprintf("%d/%d", c.Passed, c.Failed)
	if c.Aborted > 0 {
		s += fmt.Sprintf("+%d", c.Aborted)
	}
	return s
}
