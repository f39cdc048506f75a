package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/cidiff/cidiff/report"
)

func init() {
	register(command{name: "steps", summary: "print every shell step of the builds below SOURCE...", run: runSteps})
}

func runSteps(e *env, args []string) error {
	fs := pflag.NewFlagSet("steps", pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "text", "output format: text or json")
	workers := fs.Int("workers", 0, "builds read in parallel (default: one per CPU)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff steps SOURCE... [--format text|json]")
		fmt.Fprintln(e.stderr, "\nSOURCE is a JENKINS_HOME or any directory below it: a folder, a job, a branch, one build;")
		fmt.Fprintln(e.stderr, "or a Jenkins URL (controller, folder, job or build), read with JENKINS_USER + JENKINS_TOKEN or ~/.netrc.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	sources := fs.Args()
	if len(sources) == 0 {
		return usageErrorf("no SOURCE given (a JENKINS_HOME or a directory below it)")
	}
	var creds *jenkins.Credentials
	for _, src := range sources {
		c, err := checkSource(e, "SOURCE", src)
		if err != nil {
			return err
		}
		if c != nil {
			creds = c
		}
	}

	out, err := report.NewStepsWriter(e.stdout, *format)
	if err != nil {
		return usageErrorf("%v", err)
	}
	progress := newProgress(e, "reading builds")
	failed := 0
	for _, src := range sources {
		err := jenkins.Walk(context.Background(), src, jenkins.WalkOptions{
			Workers:         *workers,
			SkipNonPipeline: true,
			Progress:        progress.update,
			Credentials:     creds,
		}, func(r jenkins.WalkResult) error {
			if r.Err != nil {
				failed++
				fmt.Fprintf(e.stderr, "cidiff steps: %v\n", r.Err)
			} else if r.Build != nil && len(r.Build.Problems) > 0 {
				// Read, but not all of it: the listing is partial.
				failed++
				for _, p := range r.Build.Problems {
					fmt.Fprintf(e.stderr, "cidiff steps: %s: %s\n", r.Build.Dir, p)
				}
			}
			if r.Build == nil && r.Ref.Dir == "" {
				return nil // a part of the tree that could not be listed: reported above
			}
			return out.Add(r.Ref.Dir, r.Build, r.Err)
		})
		if err != nil {
			return err
		}
	}
	progress.done()
	if err := out.End(); err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{code: exitPartial, err: fmt.Errorf("%d build(s) or folder(s) could not be read in full", failed)}
	}
	return nil
}
