package jenkins

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Source lists and reads the builds of one source: a directory tree (a JENKINS_HOME or any
// directory below it) or a controller, folder, job or build URL read over the REST APIs. Listing
// and reading are apart so that a caller can decide, from the list alone, which builds it needs
// to read (the history's incremental scan reads only new and running builds).
//
// A Source is safe for concurrent use once Builds has returned.
type Source interface {
	// Builds lists the builds below the source, in FindBuilds' order (job, then number), with
	// the parts that could not be listed. No build is read: a directory is walked (FindBuilds);
	// a URL costs one request per folder or multibranch project, whose answer carries its
	// jobs' build numbers. With WalkOptions.SkipNonPipeline, builds that are cheaply known not
	// to be Pipeline runs are left out: a directory's by the first bytes of its build.xml
	// (IsPipelineBuild), a URL's by its job's class in the listing.
	Builds(ctx context.Context) ([]BuildRef, []error)
	// Read reads one build that Builds listed and names it as Builds did (Dir, Job, Number).
	// For a URL source, Dir and Build.URL are the build's URL and the build keeps the
	// connection StepLogs fetches its logs through. A build that is not a Pipeline run is an
	// error wrapping ErrNotPipeline.
	Read(ctx context.Context, ref BuildRef) (*Build, error)
	// Close releases the idle connections of a URL source; builds already read can still
	// fetch their logs (over new connections).
	Close() error
}

// OpenSource opens a directory or URL source (see Source). opts.Credentials and
// opts.HTTPClient are used for a URL; opts.Workers bounds a URL's concurrent listing requests;
// opts.SkipNonPipeline narrows Builds. A URL that names no controller, folder, job or build, or
// credentials that cannot be read (a netrc file), are errors; a directory's problems are
// reported by Builds.
func OpenSource(source string, opts WalkOptions) (Source, error) {
	if !IsURLSource(source) {
		return &dirSource{root: source, skipNonPipeline: opts.SkipNonPipeline}, nil
	}
	src, err := parseRESTSource(source)
	if err != nil {
		return nil, err
	}
	c, err := newRESTClient(src.root, opts)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	w := &restWalker{src: src, c: c, classes: map[string]string{}, jobs: map[string]*restJobInfo{}, branch: map[string]*boBranch{}}
	return &urlSource{w: w, workers: DefaultWorkers(source, opts.Workers), skipNonPipeline: opts.SkipNonPipeline, ownClient: opts.HTTPClient == nil}, nil
}

// DefaultWorkers is how many builds of source to read at once when the caller asked for
// workers (0: the default): one per CPU for a directory, 8 for a URL, whose readers wait on the
// network rather than the CPU.
func DefaultWorkers(source string, workers int) int {
	switch {
	case workers > 0:
		return workers
	case IsURLSource(source):
		return restDefaultWorkers
	}
	return runtime.NumCPU()
}

// ControllerURL is the root URL of the controller a URL source is on, ending in "/": for
// https://ci.example.org/jenkins/job/tvm/job/main/ it is https://ci.example.org/jenkins/. Job
// full names are relative to it, so it is what links to the source's builds are made from.
func ControllerURL(source string) (string, error) {
	src, err := parseRESTSource(source)
	if err != nil {
		return "", err
	}
	return src.root.String(), nil
}

// dirSource is a directory tree: FindBuilds and ReadBuild.
type dirSource struct {
	root            string
	skipNonPipeline bool
}

func (s *dirSource) Builds(ctx context.Context) ([]BuildRef, []error) {
	refs, errs := FindBuilds(s.root)
	if !s.skipNonPipeline {
		return refs, errs
	}
	kept := refs[:0:0]
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return kept, append(errs, err)
		}
		// A build.xml that cannot be peeked at is kept: ReadBuild says what is wrong with it.
		if ok, err := IsPipelineBuild(r.Dir); ok || err != nil {
			kept = append(kept, r)
		}
	}
	return kept, errs
}

func (s *dirSource) Read(ctx context.Context, ref BuildRef) (*Build, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := readRef(ref)
	return r.Build, r.Err
}

func (s *dirSource) Close() error { return nil }

// urlSource is a controller read over REST; its walker remembers what listing learnt (job
// classes) and what reading learnt (which APIs the controller serves) for the next reads.
type urlSource struct {
	w               *restWalker
	workers         int
	skipNonPipeline bool
	ownClient       bool // the client was made here: Close may drop its idle connections
}

func (s *urlSource) Builds(ctx context.Context) ([]BuildRef, []error) {
	refs, errs := s.w.findBuilds(ctx, s.workers)
	if !s.skipNonPipeline {
		return refs, errs
	}
	kept := refs[:0:0]
	s.w.mu.Lock()
	for _, r := range refs {
		if info := s.w.jobs[r.Job]; info == nil || info.pipeline {
			kept = append(kept, r)
		}
	}
	s.w.mu.Unlock()
	return kept, errs
}

func (s *urlSource) Read(ctx context.Context, ref BuildRef) (*Build, error) {
	r := s.w.read(ctx, ref)
	if r.Err != nil && r.Build == nil && ctx.Err() != nil && !errors.Is(r.Err, ctx.Err()) {
		// A request cut by the end of ctx reads as a transport error: say why it stopped.
		return nil, fmt.Errorf("%w (%v)", ctx.Err(), r.Err)
	}
	return r.Build, r.Err
}

func (s *urlSource) Close() error {
	if s.ownClient {
		s.w.c.http.CloseIdleConnections()
	}
	return nil
}
