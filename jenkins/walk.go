package jenkins

import (
	"context"
	"errors"
	"net/http"
)

// WalkOptions tunes Walk.
type WalkOptions struct {
	// Workers is how many builds are read at once; 0 means one per CPU (8 for a URL source,
	// whose readers wait on the network).
	Workers int
	// Include, when set, is asked about every build found before it is read: a cheap way to
	// narrow a walk (by job, say) without parsing what is left out.
	Include func(BuildRef) bool
	// Progress, when set, is called after each build is handed to the callback.
	Progress func(done, total int)
	// SkipNonPipeline drops builds that are not Pipeline runs (freestyle, matrix…) silently
	// instead of reporting them as errors.
	SkipNonPipeline bool

	// Credentials authenticate to a URL source (see CredentialsFromEnv); nil means anonymous.
	// Walk reads no environment itself.
	Credentials *Credentials
	// HTTPClient, when set, makes the requests to a URL source (its redirect policy is wrapped
	// so that credentials never leave the controller's host). Nil means a keep-alive client
	// that, like any Go program, honours HTTPS_PROXY / NO_PROXY (never for loopback).
	HTTPClient *http.Client
}

// WalkResult is one build found by Walk: either Build is set (possibly with Problems), or Err
// says, naming the path, why the build or a part of the tree could not be read.
type WalkResult struct {
	Ref   BuildRef
	Build *Build
	Err   error
}

// Walk reads every build below root (a JENKINS_HOME, a folder, a job, a branch or one build
// directory; or the URL of a controller, folder, job or build, read over the REST APIs with
// opts.Credentials: see rest.go) and calls fn once per build, in FindBuilds' deterministic
// order (job, then number), whatever order the parallel readers finish in. Parts of the tree
// that could not be listed are passed to fn first, as results with only Err set.
//
// At most a few builds per worker are held in memory at once, so a walk of a large home runs
// in bounded memory. Walk stops early when fn returns an error (returning it) or ctx ends.
// It lists and reads through OpenSource; callers that choose which builds to read (the
// history's incremental scan) use a Source directly.
func Walk(ctx context.Context, root string, opts WalkOptions, fn func(WalkResult) error) error {
	// Builds that are not Pipeline runs are dropped after reading (below), as the reader tells
	// them apart; the listing keeps them so that a bad build.xml is reported by its reader.
	lo := opts
	lo.SkipNonPipeline = false
	src, err := OpenSource(root, lo)
	if err != nil {
		return fn(WalkResult{Err: err})
	}
	defer src.Close()
	refs, errs := src.Builds(ctx)
	for _, err := range errs {
		if err := fn(WalkResult{Err: err}); err != nil {
			return err
		}
	}
	if opts.Include != nil {
		kept := refs[:0:0]
		for _, r := range refs {
			if opts.Include(r) {
				kept = append(kept, r)
			}
		}
		refs = kept
	}
	read := func(ctx context.Context, r BuildRef) WalkResult {
		b, err := src.Read(ctx, r)
		return WalkResult{Ref: r, Build: b, Err: err}
	}
	return walkRefs(ctx, refs, DefaultWorkers(root, opts.Workers), opts, read, fn)
}

// walkRefs reads refs with a pool of workers and hands results to fn in input order.
// A window of 4×workers slots bounds what is read ahead of the consumer. read is given a
// context that ends when walkRefs returns, so that reads under way when fn stops the walk
// (a slow controller's requests) are cancelled rather than waited for.
func walkRefs(ctx context.Context, refs []BuildRef, workers int, opts WalkOptions, read func(context.Context, BuildRef) WalkResult, fn func(WalkResult) error) error {
	// A stopped walk cancels the reads under way (a slow controller's requests in flight).
	reads := NewInOrder(ctx, refs, workers, 4*workers, read)
	defer reads.Stop()
	for i := range refs {
		res, err := reads.Get(i)
		if err != nil {
			return err
		}
		if !(opts.SkipNonPipeline && errors.Is(res.Err, ErrNotPipeline)) {
			if err := fn(res); err != nil {
				return err
			}
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(refs))
		}
	}
	return nil
}

// readRef reads one build found by discovery and names it as discovery did.
func readRef(ref BuildRef) WalkResult {
	b, err := ReadBuild(ref.Dir)
	if b != nil {
		b.Dir = ref.Dir
		b.Job = ref.Job
		b.Number = ref.Number
	}
	return WalkResult{Ref: ref, Build: b, Err: err}
}
