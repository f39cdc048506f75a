package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
	"github.com/cidiff/cidiff/report"
)

func init() {
	register(command{name: "compare", summary: "pair prod and staging builds, diff their shell steps, print the GO / NO-GO report", run: runCompare})
}

// compareFlags are the flags of `cidiff compare` (CONTRACT.md).
type compareFlags struct {
	prod, staging         string
	prodName, stagingName string
	waivers, rules, db    string
	jobMap, jobs          []string
	since, until          string
	format, output        string
	prodURL, stagingURL   string
	workers               int
}

func runCompare(e *env, args []string) error {
	var f compareFlags
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&f.prod, "prod", "", "production SOURCE: a JENKINS_HOME or a directory below it (required)")
	fs.StringVar(&f.staging, "staging", "", "staging SOURCE (required)")
	fs.StringVar(&f.prodName, "prod-name", "prod", "instance name of the production controller (history)")
	fs.StringVar(&f.stagingName, "staging-name", "staging", "instance name of the staging controller (history)")
	fs.StringVar(&f.waivers, "waivers", "", "YAML waivers file: differences it matches never block, and keep its reason")
	fs.StringVar(&f.rules, "rules", "", "YAML rules file that overrides built-in knowledge-base rules by id and adds new ones")
	fs.StringVar(&f.db, "db", "", "SQLite history database: flip history as flakiness evidence, and the comparison is recorded")
	fs.StringArrayVar(&f.jobMap, "job-map", nil, "PROD=STAGING job name mapping, globs allowed (repeatable)")
	fs.StringArrayVar(&f.jobs, "job", nil, "compare only jobs matching this glob (repeatable)")
	fs.StringVar(&f.since, "since", "", "compare only builds started at or after DATE (2022-01-31, RFC 3339, or 7d for 7 days ago)")
	fs.StringVar(&f.until, "until", "", "compare only builds started before this date")
	fs.StringVar(&f.format, "format", "text", "report format: text, markdown, json or html")
	fs.StringVarP(&f.output, "output", "o", "", "write the report to FILE; a summary (verdict, counts, one line per finding) goes to stdout")
	fs.StringVar(&f.prodURL, "prod-url", "", "production controller base URL: builds and steps become links")
	fs.StringVar(&f.stagingURL, "staging-url", "", "staging controller base URL")
	fs.IntVar(&f.workers, "workers", 0, "builds read in parallel (default: one per CPU)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff compare --prod SOURCE --staging SOURCE [--waivers FILE] [--db FILE] [--format text|markdown|json|html] [-o FILE]")
		fmt.Fprintln(e.stderr, "\nExit: 0 GO, 1 NO-GO, 2 usage or unusable input, 3 GO but some builds could not be read.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return nil
		}
		return usageErrorf("%v (see cidiff compare --help)", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q: sources are given with --prod and --staging", fs.Arg(0))
	}
	if err := checkFormat(f.format, report.Formats...); err != nil {
		return err
	}
	for _, u := range []struct{ flag, value string }{{"--prod-url", f.prodURL}, {"--staging-url", f.stagingURL}} {
		if err := checkBaseURL(u.flag, u.value); err != nil {
			return err
		}
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	var creds *jenkins.Credentials
	for _, s := range []struct{ flag, path string }{{"--prod", f.prod}, {"--staging", f.staging}} {
		if s.path == "" {
			return usageErrorf("%s SOURCE is required", s.flag)
		}
		c, err := checkSource(e, s.flag, s.path)
		if err != nil {
			return err
		}
		if c != nil {
			creds = c
		}
	}
	if f.output != "" {
		if err := checkOutputPath(f.output, f.prod, f.staging, f.waivers, f.rules, f.db); err != nil {
			return err
		}
	}

	var db *store.DB
	if f.db != "" {
		if db, err = store.Open(f.db); err != nil {
			return usageErrorf("--db: %v", err)
		}
		defer db.Close()
		opts.History = store.History{DB: db}
	}

	prog := newProgress(e, "reading builds")
	cmp, err := analyzer.Compare(context.Background(), f.prod, f.staging, opts, analyzer.SourceOptions{
		Workers:     f.workers,
		Credentials: creds,
		Progress:    func(side analyzer.Side, done, total int) { prog.update(done, total) },
	})
	prog.done()
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := checkSidesHaveBuilds(cmp, f.prod, f.staging); err != nil {
		return err
	}

	if db != nil {
		if _, err := db.RecordAnalysis(context.Background(), cmp, opts.Waivers); err != nil {
			return fmt.Errorf("recording the comparison in %s: %w", f.db, err)
		}
	}

	ropts := report.Options{
		ProdURL: f.prodURL, StagingURL: f.stagingURL,
		Color: e.isTerminal(e.stdout) && e.getenv("NO_COLOR") == "",
	}
	if f.output == "" {
		if err := report.Write(e.stdout, cmp, f.format, ropts); err != nil {
			return err
		}
	} else {
		if err := writeFileAtomic(f.output, func(w *os.File) error {
			fileOpts := ropts
			fileOpts.Color = false
			return report.Write(w, cmp, f.format, fileOpts)
		}); err != nil {
			return err
		}
		if err := report.WriteSummary(e.stdout, cmp, ropts); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "cidiff compare: %s report written to %s\n", f.format, f.output)
	}

	for _, ie := range cmp.Errors {
		fmt.Fprintf(e.stderr, "cidiff compare: %s: %s: %s\n", ie.Side, ie.Dir, ie.Error)
	}
	switch {
	case cmp.Verdict == analyzer.VerdictNoGo:
		return &exitError{code: exitNoGo}
	case len(cmp.Errors) > 0:
		return &exitError{code: exitPartial, err: fmt.Errorf("GO, but %d input(s) could not be read: the verdict covers only what was read", len(cmp.Errors))}
	}
	return nil
}

// options turns the flags into analyzer options, loading the waivers and rules files.
func (f *compareFlags) options() (analyzer.Options, error) {
	opts := analyzer.Options{
		JobMap: f.jobMap, Jobs: f.jobs,
		ProdName: f.prodName, StagingName: f.stagingName,
	}
	// The names key each side's history: one name for both would read prod's flips as staging's.
	switch {
	case strings.TrimSpace(f.prodName) == "":
		return opts, usageErrorf("--prod-name: must not be empty")
	case strings.TrimSpace(f.stagingName) == "":
		return opts, usageErrorf("--staging-name: must not be empty")
	case f.prodName == f.stagingName:
		return opts, usageErrorf("--staging-name %q is also --prod-name: the two instances need different names", f.stagingName)
	}
	// Checked one by one so that the message names the flag and the value at fault.
	for _, m := range f.jobMap {
		if err := (analyzer.Options{JobMap: []string{m}}).Validate(); err != nil {
			return opts, usageErrorf("--job-map %q: %v", m, err)
		}
	}
	for _, j := range f.jobs {
		if err := (analyzer.Options{Jobs: []string{j}}).Validate(); err != nil {
			return opts, usageErrorf("--job %q: %v", j, err)
		}
	}
	var err error
	if opts.Since, err = parseDate("--since", f.since, time.Now()); err != nil {
		return opts, err
	}
	if opts.Until, err = parseDate("--until", f.until, time.Now()); err != nil {
		return opts, err
	}
	// An empty window would compare nothing and still say GO.
	if !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Since.Before(opts.Until) {
		return opts, usageErrorf("--until %s is not after --since %s: no build could be compared", f.until, f.since)
	}
	if f.waivers != "" {
		if opts.Waivers, err = analyzer.LoadWaivers(f.waivers); err != nil {
			return opts, usageErrorf("--waivers: %v", err)
		}
	}
	kb := analyzer.BuiltinKnowledgeBase()
	if f.rules != "" {
		rules, err := analyzer.LoadRules(f.rules)
		if err != nil {
			return opts, usageErrorf("--rules %s: %v", f.rules, err)
		}
		kb = kb.With(rules)
	}
	opts.Classifier = kb
	return opts, nil
}

// checkOutputPath refuses an output file that is one of the user's inputs: a report must
// never overwrite what the user gave.
func checkOutputPath(out string, inputs ...string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return usageErrorf("-o %s: %v", out, err)
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		ia, err := filepath.Abs(in)
		if err != nil {
			continue
		}
		if abs == ia || strings.HasPrefix(abs, ia+string(filepath.Separator)) {
			return usageErrorf("-o %s would overwrite or write into the input %s", out, in)
		}
	}
	return nil
}

// writeFileAtomic writes a file through a temporary file in the same directory, so a failed
// run never leaves a truncated report where a good one was.
func writeFileAtomic(name string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return usageErrorf("-o %s: %v", name, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// checkSidesHaveBuilds refuses a comparison in which one side holds no build at all (none
// paired, none unpaired, none unreadable, none filtered out): a mistyped or empty SOURCE would
// otherwise be reported as GO over the other side's unpaired builds.
func checkSidesHaveBuilds(cmp *analyzer.Comparison, prod, staging string) error {
	if len(cmp.Pairs) > 0 || cmp.Summary.Filtered > 0 {
		return nil
	}
	for _, s := range []struct {
		flag, source string
		side         analyzer.Side
		unpaired     int
	}{{"--prod", prod, analyzer.SideProd, len(cmp.Unpaired.Prod)}, {"--staging", staging, analyzer.SideStaging, len(cmp.Unpaired.Staging)}} {
		if s.unpaired > 0 {
			continue
		}
		unreadable := false
		for _, ie := range cmp.Errors {
			unreadable = unreadable || ie.Side == s.side
		}
		if !unreadable {
			return usageErrorf("%s %s: no Pipeline builds found below it (want a JENKINS_HOME, a folder, job or build directory, or a controller URL)", s.flag, s.source)
		}
	}
	return nil
}
