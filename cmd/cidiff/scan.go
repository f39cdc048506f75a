package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
	"github.com/cidiff/cidiff/report"
)

func init() {
	register(command{name: "scan", summary: "record every build below SOURCE in the history database (incremental)", run: runScan})
}

// scanJSON is `cidiff scan --format json` (CONTRACT.md).
type scanJSON struct {
	SchemaVersion int `json:"schema_version"`
	*store.ScanResult
}

func runScan(e *env, args []string) error {
	fl := pflag.NewFlagSet("scan", pflag.ContinueOnError)
	fl.SetOutput(e.stderr)
	instance := fl.String("instance", "", "name of the controller the builds come from (required), e.g. prod")
	url := fl.String("url", "", "the controller's base URL, from which every link is made (default: a URL SOURCE's controller)")
	dbPath := fl.String("db", "", "history database FILE (created if missing)")
	format := fl.String("format", "text", "output format: json or text")
	workers := fl.Int("workers", 0, "builds read in parallel (default: one per CPU; 8 for a URL)")
	fl.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff scan SOURCE --instance NAME [--url BASE] --db FILE [--format json|text]")
		fmt.Fprintln(e.stderr, "\nSOURCE is a JENKINS_HOME (or a directory below it) or a controller, folder or job URL")
		fmt.Fprintln(e.stderr, "(credentials from JENKINS_USER + JENKINS_TOKEN, or a netrc file).")
		fmt.Fprintln(e.stderr, "\nBuilds already recorded and unchanged are skipped without being parsed (over REST: a build")
		fmt.Fprintln(e.stderr, "recorded as completed is never fetched again; only the job and build lists are); running")
		fmt.Fprintln(e.stderr, "builds are read again until they complete. Interrupting a scan leaves the database consistent:")
		fmt.Fprintln(e.stderr, "the next scan picks up where it stopped.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return nil
		}
		return usageErrorf("%v (see cidiff scan --help)", err)
	}
	if err := checkFormat(*format, "json", "text"); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return usageErrorf("one SOURCE is required (a JENKINS_HOME or a directory below it, or a controller, folder or job URL), got %d", fl.NArg())
	}
	source := fl.Arg(0)
	if *instance == "" {
		return usageErrorf("--instance NAME is required")
	}
	if *dbPath == "" {
		return usageErrorf("--db FILE is required")
	}
	creds, err := checkSource(e, "SOURCE", source)
	if err != nil {
		return err
	}
	if err := checkBaseURL("--url", *url); err != nil {
		return err
	}
	baseURL := *url
	if baseURL == "" && jenkins.IsURLSource(source) {
		// Links to a controller's builds are made from its root, whatever part of it was scanned.
		if baseURL, err = jenkins.ControllerURL(source); err != nil {
			return usageErrorf("SOURCE: %v", err)
		}
	}

	db, err := store.Open(*dbPath)
	if err != nil {
		return usageErrorf("--db: %v", err)
	}
	defer db.Close()

	// Ctrl-C stops the scan after the build being written: every build is recorded whole or
	// not at all, and the next scan goes on from there.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Freestyle and other non-Pipeline builds have no shell steps to remember: left out while
	// listing (a directory's by its build.xml's root element, a controller's by its job's class).
	src, err := jenkins.OpenSource(source, jenkins.WalkOptions{Workers: *workers, Credentials: creds, SkipNonPipeline: true})
	if err != nil {
		return usageErrorf("SOURCE: %v", err)
	}
	defer src.Close()
	// Only the listing is fetched every time; which builds are read is the store's decision
	// (new and running ones: a completed build does not change).
	refs, walkErrs := src.Builds(ctx)
	var cands []store.Candidate
	var skipped []store.ScanError
	for _, err := range walkErrs {
		skipped = append(skipped, store.ScanError{Error: err.Error()})
	}
	// The history keys a build by instance, job and number: two directories claiming the same
	// key (a SOURCE holding several homes) would overwrite each other, so the later is refused.
	seen := map[string]string{}
	for _, r := range refs {
		if r.Number != nil {
			key := fmt.Sprintf("%s#%d", r.Job, *r.Number)
			if first, dup := seen[key]; dup {
				skipped = append(skipped, store.ScanError{Dir: r.Dir, Error: fmt.Sprintf(
					"job %q build %d is also at %s: scan one controller's home per instance", r.Job, *r.Number, first)})
				continue
			}
			seen[key] = r.Dir
		}
		cands = append(cands, store.Candidate{Dir: r.Dir, Job: r.Job, Number: r.Number})
	}

	kb := analyzer.BuiltinKnowledgeBase()
	logs := jenkins.NewStepLogs(16)
	defer logs.Close()
	prog := newProgress(e, "scanning builds")
	res, err := db.Scan(ctx, cands, store.ScanOptions{
		Instance: *instance, URL: baseURL, Workers: jenkins.DefaultWorkers(source, *workers), Progress: prog.update,
		ReadContext: func(ctx context.Context, c store.Candidate) (*jenkins.Build, error) {
			return src.Read(ctx, jenkins.BuildRef{Dir: c.Dir, Job: c.Job, Number: c.Number})
		},
		Explain: func(b *jenkins.Build, s *jenkins.Step) store.Explanation { return explainFailure(kb, logs, b, s) },
		Classify: func(text string) (string, string) {
			m := kb.Classify(text)
			return string(m.Class), m.Cause
		},
	})
	prog.done()
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return err
	}
	res.Errors = append(skipped, res.Errors...)
	if res.Errors == nil {
		res.Errors = []store.ScanError{} // JSON: [] rather than null
	}

	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(scanJSON{SchemaVersion: 1, ScanResult: res}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "%s: %d builds seen, %d new, %d updated, %d unchanged, %d errors\n",
			res.Instance, res.BuildsSeen, res.BuildsNew, res.BuildsUpdated, res.BuildsUnchanged, len(res.Errors))
		for _, se := range res.Errors {
			fmt.Fprintf(e.stdout, "  error: %s: %s\n", se.Dir, se.Error)
		}
	}
	switch {
	case interrupted:
		return &exitError{code: exitPartial, err: fmt.Errorf("interrupted: %d builds recorded; run the scan again to finish", res.BuildsNew+res.BuildsUpdated)}
	case len(res.Errors) > 0:
		return &exitError{code: exitPartial, err: fmt.Errorf("%d build(s) could not be read; they will be read again by the next scan", len(res.Errors))}
	}
	return nil
}

// explainLogTail is how much of a failed step's log the history reads to say why it failed.
const explainLogTail = 32 << 10

// explainFailure reads the end of a failed step's log and asks the knowledge base why it
// failed (analyzer.ExplainFailure).
func explainFailure(kb *analyzer.KnowledgeBase, logs *jenkins.StepLogs, b *jenkins.Build, s *jenkins.Step) store.Explanation {
	data, _ := logs.StepLog(b, s, explainLogTail) // no log: the error alone is read
	m, ok := analyzer.ExplainFailure(kb, data, s.Error)
	if !ok {
		return store.Explanation{}
	}
	// The line is kept in the history and printed by history: no credential in it is.
	return store.Explanation{Message: report.Redact(m.Line), Class: string(m.Class), Cause: m.Cause}
}
