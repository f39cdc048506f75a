package analyzer

import (
	"context"
	"fmt"

	"github.com/cidiff/cidiff/jenkins"
)

// SourceOptions tunes how Compare reads its two sources.
type SourceOptions struct {
	// Workers is how many builds are read at once per source (0: one per CPU).
	Workers int
	// Progress, when set, is told how far the reading of each side has come.
	Progress func(side Side, done, total int)
	// Credentials log in to a source that is a Jenkins URL (jenkins.CredentialsFromEnv).
	Credentials *jenkins.Credentials
}

// Compare reads every build below the production and the staging source (each a JENKINS_HOME,
// a directory below one, or a Jenkins URL) and compares them (CompareBuilds). This is the one call a program
// needs:
//
//	cmp, err := analyzer.Compare(ctx, "/srv/prod-home", "/srv/staging-home", analyzer.Options{
//		Classifier: analyzer.BuiltinKnowledgeBase(),
//	}, analyzer.SourceOptions{})
//
// Builds that cannot be read are listed in the comparison's Errors and the rest are compared.
// When opts.Logs is nil, step logs are read from the sources' build directories. The error is
// for unusable options or a source that cannot be walked at all.
func Compare(ctx context.Context, prodSource, stagingSource string, opts Options, src SourceOptions) (*Comparison, error) {
	prod, prodErrs, err := ReadSource(ctx, SideProd, prodSource, src)
	if err != nil {
		return nil, err
	}
	staging, stagingErrs, err := ReadSource(ctx, SideStaging, stagingSource, src)
	if err != nil {
		return nil, err
	}
	opts.InputErrors = append(append(opts.InputErrors, prodErrs...), stagingErrs...)
	if opts.Logs == nil {
		logs := jenkins.NewStepLogs(64)
		defer logs.Close()
		opts.Logs = logs
	}
	return CompareBuilds(prod, staging, opts)
}

// ReadSource reads every Pipeline build below source for one side of a comparison. Builds and
// parts of the tree that cannot be read come back as InputErrors, naming the path.
func ReadSource(ctx context.Context, side Side, source string, src SourceOptions) ([]*jenkins.Build, []InputError, error) {
	var builds []*jenkins.Build
	var errs []InputError
	wo := jenkins.WalkOptions{Workers: src.Workers, SkipNonPipeline: true, Credentials: src.Credentials}
	if src.Progress != nil {
		wo.Progress = func(done, total int) { src.Progress(side, done, total) }
	}
	err := jenkins.Walk(ctx, source, wo, func(r jenkins.WalkResult) error {
		if r.Err != nil {
			errs = append(errs, InputError{Side: side, Dir: r.Ref.Dir, Error: r.Err.Error()})
		}
		if r.Build != nil {
			// The comparison needs steps, not test cases: drop them to keep a large home in
			// memory cheaply.
			r.Build.Tests = nil
			builds = append(builds, r.Build)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s source %s: %w", side, source, err)
	}
	return builds, errs, nil
}
