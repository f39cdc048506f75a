package analyzer

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/fixtures/fakejenkins"
	"github.com/cidiff/cidiff/fixtures/gen"
	"github.com/cidiff/cidiff/jenkins"
)

// Proof that Compare, which reads one pairing at a time, gives what CompareBuilds gives on the
// same builds held in memory, and that its memory does not grow with the homes.

var (
	fixtureProd    = filepath.Join("..", "fixtures", "homes", "prod")
	fixtureStaging = filepath.Join("..", "fixtures", "homes", "staging")
)

// inMemory is the comparison of two sources with every build in memory: ReadSource on each,
// then CompareBuilds, with the step logs and input errors Compare would use.
func inMemory(t testing.TB, prodDir, stagingDir string, opts Options) *Comparison {
	t.Helper()
	ctx := context.Background()
	prod, perrs, err := ReadSource(ctx, SideProd, prodDir, SourceOptions{})
	require.NoError(t, err)
	staging, serrs, err := ReadSource(ctx, SideStaging, stagingDir, SourceOptions{})
	require.NoError(t, err)
	logs := jenkins.NewStepLogs(64)
	defer logs.Close()
	opts.Logs = logs
	opts.InputErrors = append(append(append([]InputError{}, opts.InputErrors...), perrs...), serrs...)
	cmp, err := CompareBuilds(prod, staging, opts)
	require.NoError(t, err)
	return cmp
}

// TestCompareEqualsCompareBuilds: on the bundled homes, with filters, a job map and waivers,
// and with one worker or several (a different read-ahead), Compare's comparison is deep-equal
// to CompareBuilds' on the homes read whole, and so is its JSON, byte for byte.
func TestCompareEqualsCompareBuilds(t *testing.T) {
	waivers, err := LoadWaivers(filepath.Join("..", "fixtures", "waivers.yaml"))
	require.NoError(t, err)
	kb := BuiltinKnowledgeBase()
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"knowledge base", Options{Classifier: kb}},
		{"no knowledge base", Options{}},
		{"waivers", Options{Classifier: kb, Waivers: waivers}},
		{"job filter", Options{Classifier: kb, Jobs: []string{"tvm/*"}}},
		{"job map", Options{Classifier: kb, JobMap: []string{"tvm-lint-nightly=tvm/main"}}},
		{"caller's input errors", Options{Classifier: kb, InputErrors: []InputError{{Side: SideProd, Dir: "/elsewhere", Error: "caller"}}}},
	} {
		want := inMemory(t, fixtureProd, fixtureStaging, tc.opts)
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				got, err := Compare(context.Background(), fixtureProd, fixtureStaging, tc.opts, SourceOptions{Workers: workers})
				require.NoError(t, err)
				assert.Equal(t, want, got)
				gotJSON, err := json.Marshal(got)
				require.NoError(t, err)
				assert.Equal(t, string(wantJSON), string(gotJSON))
			})
		}
		if tc.name == "knowledge base" {
			// The test compares something: pairs with differences, unpaired builds, errors.
			require.NotEmpty(t, want.Pairs)
			assert.Positive(t, want.Summary.Differences)
			assert.NotEmpty(t, want.Unpaired.Staging)
		}
	}
}

// failingSource is a source whose builds listed in fail can be indexed but not read in full:
// what a build deleted, or a controller gone away, between the index and the pair's turn does.
type failingSource struct {
	jenkins.Source
	fail map[string]bool
}

func (s failingSource) ReadHeader(ctx context.Context, ref jenkins.BuildRef) (*jenkins.Build, error) {
	return s.Source.(jenkins.HeaderReader).ReadHeader(ctx, ref)
}

func (s failingSource) Read(ctx context.Context, ref jenkins.BuildRef) (*jenkins.Build, error) {
	if s.fail[ref.Dir] {
		return nil, fmt.Errorf("%s: gone", ref.Dir)
	}
	return s.Source.Read(ctx, ref)
}

// TestCompareUnreadablePairedBuild: a paired build that was indexed but cannot be read in full
// is an input error, and its key pairs as if it had never been there: the next older build of
// its side takes its place, and with none left the other side's builds are unpaired.
func TestCompareUnreadablePairedBuild(t *testing.T) {
	ctx := context.Background()
	opts := Options{Classifier: BuiltinKnowledgeBase()}
	compare := func(fail map[string]bool) *Comparison {
		index := func(side Side, dir string) *sourceIndex {
			s, err := jenkins.OpenSource(dir, jenkins.WalkOptions{})
			require.NoError(t, err)
			idx := &sourceIndex{side: side, workers: 2}
			require.NoError(t, idx.index(ctx, failingSource{s, fail}, nil))
			return idx
		}
		prod, staging := index(SideProd, fixtureProd), index(SideStaging, fixtureStaging)
		pl, err := newPlan(opts)
		require.NoError(t, err)
		cmp, err := pl.compareIndexed(ctx, prod, staging, nil)
		require.NoError(t, err)
		return cmp
	}

	// A key with an older production build: its newest is the pair's.
	all := inMemory(t, fixtureProd, fixtureStaging, opts)
	var key *Pair
	for i := range all.Pairs {
		if len(all.Pairs[i].Older.Prod) > 0 {
			key = &all.Pairs[i]
			break
		}
	}
	require.NotNil(t, key, "the bundled homes have a rebuilt production key")
	newest, older := key.Prod.Dir, key.Older.Prod[0].Dir

	t.Run("newest unreadable", func(t *testing.T) {
		got := compare(map[string]bool{newest: true})
		// What CompareBuilds says of the homes without that build, plus the error.
		prod, perrs, err := ReadSource(ctx, SideProd, fixtureProd, SourceOptions{})
		require.NoError(t, err)
		staging, serrs, err := ReadSource(ctx, SideStaging, fixtureStaging, SourceOptions{})
		require.NoError(t, err)
		var kept []*jenkins.Build
		for _, b := range prod {
			if b.Dir != newest {
				kept = append(kept, b)
			}
		}
		logs := jenkins.NewStepLogs(8)
		defer logs.Close()
		o := opts
		o.Logs = logs
		o.InputErrors = append(append([]InputError{{Side: SideProd, Dir: newest, Error: newest + ": gone"}}, perrs...), serrs...)
		want, err := CompareBuilds(kept, staging, o)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		for _, p := range got.Pairs {
			if p.Key == key.Key {
				assert.Equal(t, older, p.Prod.Dir)
			}
		}
	})

	t.Run("every build of a side unreadable", func(t *testing.T) {
		fail := map[string]bool{newest: true}
		for _, o := range key.Older.Prod {
			fail[o.Dir] = true
		}
		got := compare(fail)
		assert.Len(t, got.Pairs, len(all.Pairs)-1)
		for _, p := range got.Pairs {
			assert.NotEqual(t, key.Key, p.Key)
		}
		var reasons []string
		for _, u := range got.Unpaired.Staging {
			if u.Dir == key.Staging.Dir {
				reasons = append(reasons, u.Reason)
			}
		}
		assert.Equal(t, []string{fmt.Sprintf("no readable prod build of %s at %s", key.Job, short(key.Revision))}, reasons)
		assert.Equal(t, len(all.Unpaired.Staging)+1+len(key.Older.Staging), len(got.Unpaired.Staging))
		var errs []string
		for _, e := range got.Errors {
			if fail[e.Dir] {
				errs = append(errs, e.Error)
			}
		}
		assert.Len(t, errs, len(fail))
		assert.Equal(t, got.Summary.UnpairedStaging, len(got.Unpaired.Staging))
	})
}

// TestCompareProgressAndCancel: Progress sees each side indexed, then every pair compared; a
// context ended mid-comparison stops Compare with its error.
func TestCompareProgressAndCancel(t *testing.T) {
	final := map[Side][2]int{}
	cmp, err := Compare(context.Background(), fixtureProd, fixtureStaging, Options{}, SourceOptions{
		Workers:  2,
		Progress: func(s Side, done, total int) { final[s] = [2]int{done, total} },
	})
	require.NoError(t, err)
	assert.Equal(t, [2]int{13, 13}, final[SideProd])
	assert.Equal(t, [2]int{14, 14}, final[SideStaging])
	assert.Equal(t, [2]int{len(cmp.Pairs), len(cmp.Pairs)}, final[""])

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Compare(ctx, fixtureProd, fixtureStaging, Options{}, SourceOptions{
		Workers: 2,
		Progress: func(s Side, done, total int) {
			if s == "" && done == 1 {
				cancel()
			}
		},
	})
	assert.ErrorIs(t, err, context.Canceled)
}

// liveHeapPeak runs compare and returns the highest live heap (after a collection) seen when
// a pair has been compared and dropped: what the comparison holds, without the garbage a
// collector may not have reclaimed yet.
func liveHeapPeak(t *testing.T, compare func() *Comparison) (uint64, *Comparison) {
	var peak uint64
	pairCompared = func(int) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	defer func() { pairCompared = nil }()
	cmp := compare()
	require.NotEmpty(t, cmp.Pairs)
	return peak, cmp
}

// TestCompareMemoryBoundedByPair: on generated TVM-shaped homes of 25 and of 100 builds each,
// Compare's live heap stays about the same (well under twice), while holding the homes in
// memory (CompareBuilds on ReadSource) grows with them: the measure sees a home held whole.
func TestCompareMemoryBoundedByPair(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two corpora")
	}
	if raceEnabled {
		t.Skip("the race detector distorts the heap and takes a minute here: run without -race")
	}
	peaks := map[string]map[int]uint64{"stream": {}, "whole": {}}
	sizes := []int{25, 100}
	for _, n := range sizes {
		out := t.TempDir()
		_, err := gen.Corpus(gen.CorpusOptions{Out: out, Builds: n, Seed: 7, LogMB: 0.01, Pair: true})
		require.NoError(t, err)
		prod, staging := filepath.Join(out, "prod"), filepath.Join(out, "staging")
		opts := Options{Classifier: BuiltinKnowledgeBase()}
		stream, got := liveHeapPeak(t, func() *Comparison {
			cmp, err := Compare(context.Background(), prod, staging, opts, SourceOptions{Workers: 2})
			require.NoError(t, err)
			return cmp
		})
		whole, want := liveHeapPeak(t, func() *Comparison { return inMemory(t, prod, staging, opts) })
		assert.Equal(t, want, got, "%d builds", n)
		peaks["stream"][n], peaks["whole"][n] = stream, whole
		t.Logf("%d builds per home, %d pairs: live heap peak %.1f MiB reading a pair at a time, %.1f MiB with the homes in memory",
			n, len(got.Pairs), float64(stream)/(1<<20), float64(whole)/(1<<20))
	}
	small, large := sizes[0], sizes[1]
	assert.Less(t, float64(peaks["stream"][large]), 2*float64(peaks["stream"][small]),
		"a pair at a time: %d builds peak %d, %d builds peak %d", large, peaks["stream"][large], small, peaks["stream"][small])
	assert.Greater(t, float64(peaks["whole"][large]), 1.5*float64(peaks["whole"][small]),
		"the homes in memory should grow with them (else the measure cannot tell)")
}

// TestCompareURLSources: two controllers read over REST compare as their builds held in
// memory do (the step log of a failure fetched from the controller), and an unpaired build is
// asked only for its header.
func TestCompareURLSources(t *testing.T) {
	start := func(n int) time.Time { return time.Date(2026, 11, 20, 10, n, 0, 0, time.UTC) }
	passed := func(n int, commit string) fakejenkins.Build {
		return fakejenkins.Build{Number: n, Result: "SUCCESS", Commit: commit, Start: start(n),
			Steps: []fakejenkins.Step{
				{ID: "8", Stage: "Build", Label: "Run cmake build", Script: "cmake --build build", Result: "SUCCESS"},
				{ID: "12", Stage: "Test", Label: "unit tests", Script: "pytest tests/python", Result: "SUCCESS"},
			}}
	}
	diskFull := func(n int, commit string) fakejenkins.Build {
		b := passed(n, commit)
		b.Result = "FAILURE"
		b.Steps[1].Result, b.Steps[1].ExitCode = "FAILURE", 1
		b.Steps[1].Log = "+ pytest tests/python\nOSError: [Errno 28] No space left on device: '/tmp/x'\n"
		return b
	}
	prod, staging := fakejenkins.New(t, "tvm"), fakejenkins.New(t, "tvm")
	prod.Put("main", passed(1, "c1c1c1c1"))
	prod.Put("main", passed(2, "c2c2c2c2"))
	staging.Put("main", passed(1, "c1c1c1c1"))
	staging.Put("main", diskFull(2, "c2c2c2c2"))
	staging.Put("main", passed(3, "c3c3c3c3")) // no production build at c3: unpaired

	opts := Options{Classifier: BuiltinKnowledgeBase()}
	want := inMemory(t, prod.URL+"/", staging.URL+"/", opts)
	require.Len(t, want.Pairs, 2)
	require.Len(t, want.Unpaired.Staging, 1)
	require.Equal(t, ClassExecutor, want.Pairs[1].Differences[0].Class, "the disk-full log was read: %+v", want.Pairs[1].Differences[0])

	staging.Reset()
	got, err := Compare(context.Background(), prod.URL+"/", staging.URL+"/", opts, SourceOptions{Workers: 2})
	require.NoError(t, err)
	assert.Equal(t, want, got)
	hits := staging.BuildHits()
	t.Logf("staging requests per build: %v", hits)
	assert.Greater(t, hits["main#2"], hits["main#3"], "the unpaired build is read for its header only: %v", hits)
}
