package analyzer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cidiff/cidiff/jenkins"
)

// SourceOptions tunes how Compare reads its two sources.
type SourceOptions struct {
	// Workers is how many builds are read at once per source (0: one per CPU, 8 for a URL).
	Workers int
	// Progress, when set, is told how far the comparison has come: first, per side, how many
	// of the side's builds have been indexed; then, with side "", how many pairs have been
	// compared. It is called from one goroutine at a time.
	Progress func(side Side, done, total int)
	// Credentials log in to a source that is a Jenkins URL (jenkins.CredentialsFromEnv).
	Credentials *jenkins.Credentials
}

// Compare reads the builds below the production and the staging source (each a JENKINS_HOME,
// a directory below one, or a Jenkins URL) and compares them as CompareBuilds does, with the
// same result. This is the one call a program needs:
//
//	cmp, err := analyzer.Compare(ctx, "/srv/prod-home", "/srv/staging-home", analyzer.Options{
//		Classifier: analyzer.BuiltinKnowledgeBase(),
//	}, analyzer.SourceOptions{})
//
// It never holds a whole home in memory. It first indexes both sources: every build's header
// (jenkins.ReadBuildHeader: build.xml only, no steps) is all pairing needs. Then it reads the
// builds of one pairing at a time (the pair and the key's older builds, its flakiness
// evidence), compares them and lets them go, reading a few pairings ahead in parallel. Its
// memory grows with the number of builds by a header and a compared Pair each, not by the
// builds' steps.
//
// Builds that cannot be read are listed in the comparison's Errors and the rest are compared;
// when a paired build that was indexed cannot then be read in full, the next older build of
// its key on that side takes its place, and if none is left the key's builds on the other side
// are listed as unpaired. When opts.Logs is nil, step logs are read from the sources' build
// directories. The error is for unusable options, or for ctx ending.
func Compare(ctx context.Context, prodSource, stagingSource string, opts Options, src SourceOptions) (*Comparison, error) {
	pl, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	prod, err := indexSource(ctx, SideProd, prodSource, src)
	if err != nil {
		return nil, err
	}
	defer prod.close()
	staging, err := indexSource(ctx, SideStaging, stagingSource, src)
	if err != nil {
		return nil, err
	}
	defer staging.close()
	cmp, err := pl.compareIndexed(ctx, prod, staging, src.Progress)
	if err != nil {
		return nil, fmt.Errorf("comparing %s with %s: %w", prodSource, stagingSource, err)
	}
	return cmp, nil
}

// compareIndexed pairs the two sides' headers and compares the pairings, reading their builds
// in full a few pairings ahead.
func (pl *plan) compareIndexed(ctx context.Context, prod, staging *sourceIndex, progress func(Side, int, int)) (*Comparison, error) {
	pl.opts.InputErrors = slices.Concat(pl.opts.InputErrors, prod.errs, staging.errs)
	if pl.opts.Logs == nil {
		logs := jenkins.NewStepLogs(64)
		defer logs.Close()
		pl.opts.Logs = logs
	}

	pairings, unpaired, filtered := pl.pair(prod.headers, staging.headers)
	// Headers are not needed once paired: the pairings and the unpaired list hold what is.
	prod.headers, staging.headers = nil, nil
	ld := newPairLoader(ctx, pairings, prod, staging, max(prod.workers, staging.workers))
	defer ld.stop()
	load := ld.load
	if progress != nil {
		load = func(i int) (loadedPair, error) {
			progress("", i, len(pairings))
			return ld.load(i)
		}
	}
	cmp, err := pl.run(pairings, unpaired, filtered, load)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress("", len(pairings), len(pairings))
	}
	return cmp, nil
}

// sourceIndex is one side's source, open, with the header of every Pipeline build below it.
type sourceIndex struct {
	side    Side
	src     jenkins.Source // nil when the source could not be opened (see errs)
	workers int
	headers []*jenkins.Build
	errs    []InputError
}

// indexSource lists source and reads the header of each of its builds, workers at a time.
// Non-Pipeline builds are left out quietly, as ReadSource leaves them out; builds whose
// build.xml cannot be read, parts of the tree that cannot be listed and a source that cannot
// be opened become InputErrors, as they do for ReadSource. The error is for ctx ending.
func indexSource(ctx context.Context, side Side, source string, so SourceOptions) (*sourceIndex, error) {
	idx := &sourceIndex{side: side, workers: jenkins.DefaultWorkers(source, so.Workers)}
	s, err := jenkins.OpenSource(source, jenkins.WalkOptions{Workers: so.Workers, Credentials: so.Credentials})
	if err != nil {
		idx.errs = append(idx.errs, InputError{Side: side, Error: err.Error()})
		return idx, nil
	}
	if err := idx.index(ctx, s, so.Progress); err != nil {
		s.Close()
		return nil, fmt.Errorf("reading %s source %s: %w", side, source, err)
	}
	return idx, nil
}

// index lists the opened source s and reads its builds' headers, idx.workers at a time.
func (idx *sourceIndex) index(ctx context.Context, s jenkins.Source, progress func(Side, int, int)) error {
	side := idx.side
	idx.src = s
	refs, lerrs := s.Builds(ctx)
	for _, e := range lerrs {
		idx.errs = append(idx.errs, InputError{Side: side, Error: e.Error()})
	}
	readHeader := s.Read
	if hr, ok := s.(jenkins.HeaderReader); ok {
		readHeader = hr.ReadHeader
	}
	headers := make([]*jenkins.Build, len(refs))
	errs := make([]error, len(refs))
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, max(idx.workers, 1))
		mu   sync.Mutex
		done int
	)
	for i, r := range refs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			headers[i], errs[i] = readHeader(ctx, r)
			if progress != nil {
				mu.Lock()
				done++
				progress(side, done, len(refs))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, h := range headers {
		if err := errs[i]; err != nil {
			if !errors.Is(err, jenkins.ErrNotPipeline) {
				idx.errs = append(idx.errs, InputError{Side: side, Dir: refs[i].Dir, Error: err.Error()})
			}
			continue
		}
		if h == nil {
			continue
		}
		// Pairing needs none of these; the full read brings them back for the pairs.
		h.Steps, h.Tests, h.Causes, h.Parameters = nil, nil, nil, nil
		idx.headers = append(idx.headers, h)
	}
	return nil
}

func (idx *sourceIndex) close() {
	if idx.src != nil {
		idx.src.Close()
	}
}

// read reads in full the builds of one side of a pairing (newest first, as paired), dropping
// the test cases the comparison does not use. Builds that cannot be read are left out, with an
// InputError.
func (idx *sourceIndex) read(ctx context.Context, headers []*jenkins.Build, errs *[]InputError) []*jenkins.Build {
	var out []*jenkins.Build
	for _, h := range headers {
		b, err := idx.src.Read(ctx, jenkins.BuildRef{Dir: h.Dir, Job: h.Job, Number: h.Number})
		if err != nil {
			*errs = append(*errs, InputError{Side: idx.side, Dir: h.Dir, Error: err.Error()})
			continue
		}
		b.Tests = nil
		out = append(out, b)
	}
	return out
}

// maxPairWindow caps the pairings read ahead, whatever the number of workers: the comparison
// itself runs on one goroutine, so more pairings in hand would cost memory (a pair's builds
// with their steps) without making it faster.
const maxPairWindow = 16

// pairLoader reads the pairings' builds in full, a window of pairings ahead of the comparison
// (jenkins.InOrder): at most min(2×workers, maxPairWindow) pairings are read or waiting, plus
// the one being compared.
type pairLoader struct {
	pairings      []pairing
	prod, staging *sourceIndex
	reads         *jenkins.InOrder[loadedPair]
}

func newPairLoader(ctx context.Context, pairings []pairing, prod, staging *sourceIndex, workers int) *pairLoader {
	l := &pairLoader{pairings: pairings, prod: prod, staging: staging}
	l.reads = jenkins.NewInOrder(ctx, pairings, workers, min(2*max(workers, 1), maxPairWindow), l.read)
	return l
}

// load waits for pairing i (loads must come in order).
func (l *pairLoader) load(i int) (loadedPair, error) {
	lp, err := l.reads.Get(i)
	l.pairings[i] = pairing{} // the headers are no longer needed
	return lp, err
}

// stop ends the readers.
func (l *pairLoader) stop() { l.reads.Stop() }

// read reads one pairing's builds in full. A paired build that cannot be read gives its place
// to the next older build of its side; a side with none left leaves no pair, and the other
// side's builds of the key unpaired.
func (l *pairLoader) read(ctx context.Context, p pairing) loadedPair {
	lp := loadedPair{p: pairing{key: p.key, job: p.job, revision: p.revision}}
	prod := l.prod.read(ctx, append([]*jenkins.Build{p.prod}, p.olderProd...), &lp.errs)
	staging := l.staging.read(ctx, append([]*jenkins.Build{p.staging}, p.olderStaging...), &lp.errs)
	if len(prod) > 0 && len(staging) > 0 {
		lp.ok = true
		lp.p.prod, lp.p.olderProd = prod[0], prod[1:]
		lp.p.staging, lp.p.olderStaging = staging[0], staging[1:]
		return lp
	}
	lp.unpaired = Unpaired{Prod: []UnpairedBuild{}, Staging: []UnpairedBuild{}}
	for _, b := range prod {
		lp.unpaired.Prod = append(lp.unpaired.Prod, unpairedBuild(b, fmt.Sprintf("no readable staging build of %s at %s", p.job, short(p.revision))))
	}
	for _, b := range staging {
		lp.unpaired.Staging = append(lp.unpaired.Staging, unpairedBuild(b, fmt.Sprintf("no readable prod build of %s at %s", p.job, short(p.revision))))
	}
	return lp
}

// ReadSource reads every Pipeline build below source for one side of a comparison, for
// CompareBuilds. It holds the whole side in memory (about 55 KB of steps per TVM build): Compare
// does not use it. Builds and parts of the tree that cannot be read come back as InputErrors,
// naming the path.
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
