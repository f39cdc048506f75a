package jenkins

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fakeRefs(n int) []BuildRef {
	refs := make([]BuildRef, n)
	for i := range refs {
		num := i + 1
		refs[i] = BuildRef{Dir: fmt.Sprintf("jobs/j/builds/%d", num), Job: "j", Number: &num}
	}
	return refs
}

// slowRead finishes builds in a random order, as parallel readers do.
func slowRead(inFlight, maxInFlight *int64) func(context.Context, BuildRef) WalkResult {
	return func(_ context.Context, r BuildRef) WalkResult {
		n := atomic.AddInt64(inFlight, 1)
		for {
			m := atomic.LoadInt64(maxInFlight)
			if n <= m || atomic.CompareAndSwapInt64(maxInFlight, m, n) {
				break
			}
		}
		time.Sleep(time.Duration(rand.Intn(300)) * time.Microsecond)
		atomic.AddInt64(inFlight, -1)
		return WalkResult{Ref: r, Build: &Build{Dir: r.Dir, Number: r.Number}}
	}
}

func TestWalkRefsKeepsOrder(t *testing.T) {
	refs := fakeRefs(200)
	var inFlight, maxInFlight int64
	var got []int
	var progress int
	err := walkRefs(context.Background(), refs, 4, WalkOptions{Progress: func(done, total int) { progress = done }},
		slowRead(&inFlight, &maxInFlight), func(r WalkResult) error {
			got = append(got, *r.Build.Number)
			return nil
		})
	require.NoError(t, err)
	require.Len(t, got, 200)
	for i, n := range got {
		require.Equal(t, i+1, n, "results must come in discovery order")
	}
	assert.Equal(t, 200, progress)
	assert.LessOrEqual(t, maxInFlight, int64(4), "no more readers than workers")
}

func TestWalkRefsStopsEarly(t *testing.T) {
	refs := fakeRefs(500)
	var inFlight, maxInFlight int64
	stop := errors.New("enough")
	seen := 0
	done := make(chan error, 1)
	go func() {
		done <- walkRefs(context.Background(), refs, 3, WalkOptions{}, slowRead(&inFlight, &maxInFlight), func(r WalkResult) error {
			seen++
			if seen == 10 {
				return stop
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, stop)
		assert.Equal(t, 10, seen)
	case <-time.After(10 * time.Second):
		t.Fatal("walk did not return after the callback stopped it")
	}
}

func TestWalkRefsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var inFlight, maxInFlight int64
	seen := 0
	err := walkRefs(ctx, fakeRefs(500), 2, WalkOptions{}, slowRead(&inFlight, &maxInFlight), func(r WalkResult) error {
		seen++
		if seen == 5 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, seen, 500)
}

func TestWalkSkipsNonPipeline(t *testing.T) {
	refs := fakeRefs(3)
	read := func(_ context.Context, r BuildRef) WalkResult {
		if *r.Number == 2 {
			return WalkResult{Ref: r, Err: fmt.Errorf("%s/build.xml: %w", r.Dir, ErrNotPipeline)}
		}
		return WalkResult{Ref: r, Build: &Build{Number: r.Number}}
	}
	var got []int
	err := walkRefs(context.Background(), refs, 2, WalkOptions{SkipNonPipeline: true}, read, func(r WalkResult) error {
		got = append(got, *r.Ref.Number)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 3}, got)
}

func TestIsPipelineBuild(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		want      bool
	}{
		{"pipeline", "<?xml version='1.1' encoding='UTF-8'?>\n<flow-build plugin=\"workflow-job@1472\">", true},
		{"freestyle", "<?xml version='1.1' encoding='UTF-8'?>\n<build>\n  <actions/>", false},
		{"matrix", "<?xml version='1.0'?><!-- c --><matrix-build>", false},
		{"no root yet", "<?xml version='1.1'?>", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "build.xml"), []byte(tc.xml), 0o644))
			got, err := IsPipelineBuild(dir)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := IsPipelineBuild(t.TempDir())
	assert.Error(t, err, "a directory without build.xml")
}

// FuzzIsPipelineBuild: the cheap peek never panics, and never drops a build the reader would
// read (a walk with SkipNonPipeline leaves out what it says is not a Pipeline run, silently).
func FuzzIsPipelineBuild(f *testing.F) {
	f.Add([]byte("<?xml version='1.1' encoding='UTF-8'?>\n<flow-build plugin=\"workflow-job@1472\"><result>SUCCESS</result></flow-build>"))
	f.Add([]byte("<?xml version='1.0'?><!-- c --><matrix-build/>"))
	f.Add([]byte("<?xml version='1.0'?><!-- <build> --><flow-build/>"))
	f.Add([]byte("<!DOCTYPE flow-build><flow-build/>"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "build.xml"), data, 0o644))
		ok, err := IsPipelineBuild(dir)
		require.NoError(t, err)
		if !ok {
			_, rerr := readBuildBytes("build.xml", data)
			assert.Error(t, rerr, "IsPipelineBuild drops a build ReadBuild reads")
		}
	})
}
