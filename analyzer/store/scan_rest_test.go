package store_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/fixtures/fakejenkins"
	"github.com/cidiff/cidiff/jenkins"
)

// TestScanURLCandidates: a candidate named by URL is never stat'ed; stored as completed it is
// skipped without a read, stored as running it is read again.
func TestScanURLCandidates(t *testing.T) {
	db, _ := openDB(t)
	cands := []store.Candidate{
		{Dir: "https://ci.example.org/job/tvm/job/main/1/", Job: "tvm/main", Number: intp(1)},
		{Dir: "https://ci.example.org/job/tvm/job/main/2/", Job: "tvm/main", Number: intp(2)},
	}
	var mu sync.Mutex
	reads := map[string]int{}
	completed := map[string]bool{cands[0].Dir: true}
	opts := store.ScanOptions{Instance: "prod", URL: "https://ci.example.org/",
		ReadContext: func(ctx context.Context, c store.Candidate) (*jenkins.Build, error) {
			assert.NoError(t, ctx.Err())
			mu.Lock()
			defer mu.Unlock()
			reads[c.Dir]++
			b := &jenkins.Build{Dir: c.Dir, URL: c.Dir, Job: c.Job, Number: c.Number, Layout: jenkins.LayoutREST, Completed: completed[c.Dir],
				Steps: []jenkins.Step{step("8", "Build", "make", "S", "")}}
			if b.Completed {
				b.Result = jenkins.ResultSuccess
			}
			return b, nil
		}}
	res, err := db.Scan(context.Background(), cands, opts)
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	assert.Equal(t, 2, res.BuildsNew)

	res, err = db.Scan(context.Background(), cands, opts)
	require.NoError(t, err)
	assert.Equal(t, 2, res.BuildsUnchanged)
	assert.Equal(t, map[string]int{cands[0].Dir: 1, cands[1].Dir: 2}, reads, "the completed build read once, the running one every time")

	completed[cands[1].Dir] = true
	res, err = db.Scan(context.Background(), cands, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, res.BuildsUpdated)
	res, err = db.Scan(context.Background(), cands, opts)
	require.NoError(t, err)
	assert.Equal(t, 2, res.BuildsUnchanged)
	assert.Equal(t, map[string]int{cands[0].Dir: 1, cands[1].Dir: 3}, reads)

	// A completed build read with a part missing (the controller failed to send its test
	// report) is read again until it is read whole.
	third := store.Candidate{Dir: "https://ci.example.org/job/tvm/job/main/3/", Job: "tvm/main", Number: intp(3)}
	cands = append(cands, third)
	completed[third.Dir] = true
	partial := true
	read := opts.ReadContext
	opts.ReadContext = func(ctx context.Context, c store.Candidate) (*jenkins.Build, error) {
		b, err := read(ctx, c)
		if c.Dir == third.Dir && partial {
			b.Problems = []string{"GET " + c.Dir + "testReport/api/json: HTTP 502 Bad Gateway (after 4 attempts)"}
		}
		return b, err
	}
	for i, want := range []struct{ isNew, updated, unchanged int }{{1, 0, 2}, {0, 0, 3}, {0, 1, 2}, {0, 0, 3}} {
		if i == 2 {
			partial = false
		}
		res, err = db.Scan(context.Background(), cands, opts)
		require.NoError(t, err)
		assert.Equal(t, want, struct{ isNew, updated, unchanged int }{res.BuildsNew, res.BuildsUpdated, res.BuildsUnchanged}, "scan %d", i)
	}
	assert.Equal(t, map[string]int{cands[0].Dir: 1, cands[1].Dir: 3, third.Dir: 3}, reads,
		"read while partial (twice), then whole (once), then skipped")
}

// fakeController serves n completed builds of tvm/main, every other one failed.
func fakeController(t *testing.T, n int) *fakejenkins.Controller {
	c := fakejenkins.New(t, "tvm")
	for i := 1; i <= n; i++ {
		b := fakejenkins.Build{Number: i, Result: "SUCCESS", Commit: fmt.Sprintf("c%d", i), Start: time.Date(2026, 11, 20, 10, i, 0, 0, time.UTC),
			Steps: []fakejenkins.Step{
				{ID: "8", Stage: "Build", Label: "build", Script: "make", Result: "SUCCESS"},
				{ID: "12", Stage: "Test", Label: "unit tests", Script: "pytest", Result: "SUCCESS"},
			}}
		if i%2 == 0 {
			b.Result, b.Steps[1].Result, b.Steps[1].ExitCode = "FAILURE", "FAILURE", 1
		}
		c.Put("main", b)
	}
	return c
}

// scanSource records a source as the CLI does: candidates from its listing, reads through it.
func scanSource(ctx context.Context, t *testing.T, db *store.DB, source string, progress func(done, total int)) (*store.ScanResult, error) {
	t.Helper()
	src, err := jenkins.OpenSource(source, jenkins.WalkOptions{SkipNonPipeline: true, Workers: 4})
	require.NoError(t, err)
	defer src.Close()
	refs, errs := src.Builds(ctx)
	require.Empty(t, errs)
	var cands []store.Candidate
	for _, r := range refs {
		cands = append(cands, store.Candidate{Dir: r.Dir, Job: r.Job, Number: r.Number})
	}
	return db.Scan(ctx, cands, store.ScanOptions{Instance: "prod", URL: "https://ci.example.org/", Workers: 4, Progress: progress,
		ReadContext: func(ctx context.Context, c store.Candidate) (*jenkins.Build, error) {
			return src.Read(ctx, jenkins.BuildRef{Dir: c.Dir, Job: c.Job, Number: c.Number})
		}})
}

// TestScanURLInterrupted cancels scans of a controller part-way, between builds and in the
// middle of a build's requests: the database holds only whole builds and no error for the cut
// reads, and the next scan fetches only what is missing and ends where an uninterrupted scan
// does.
func TestScanURLInterrupted(t *testing.T) {
	const n = 12
	c := fakeController(t, n)
	ref, refPath := openDB(t)
	res, err := scanSource(context.Background(), t, ref, c.URL+"/", nil)
	require.NoError(t, err)
	require.Equal(t, n, res.BuildsNew)

	for name, mode := range map[string]struct {
		afterWritten int // cancel once this many builds are handled
		atBuild      int // or when this build is first asked for
	}{
		"between builds": {afterWritten: 5},
		"mid-request":    {atBuild: 9},
	} {
		t.Run(name, func(t *testing.T) {
			db, path := openDB(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c.OnBuildRequest(func(_ *http.Request, _ string, number int) {
				if number == mode.atBuild {
					cancel()
				}
			})
			defer c.OnBuildRequest(nil)
			res, err := scanSource(ctx, t, db, c.URL+"/", func(done, total int) {
				if done == mode.afterWritten {
					cancel()
				}
			})
			require.ErrorIs(t, err, context.Canceled)
			stored := count(t, path, `SELECT count(*) FROM builds`)
			require.Equal(t, res.BuildsNew, stored)
			require.Less(t, stored, n)
			if mode.afterWritten > 0 {
				require.Equal(t, mode.afterWritten, stored, "stops after the build being written")
			}
			assert.Empty(t, res.Errors, "a read cut by the cancel is no build's error")
			assert.Zero(t, count(t, path, `SELECT count(*) FROM scan_errors`))
			assert.Zero(t, count(t, path, `SELECT count(*) FROM builds b WHERE (SELECT count(*) FROM steps s WHERE s.build_id = b.id) != 2`),
				"every stored build whole")

			c.OnBuildRequest(nil)
			c.Reset()
			res, err = scanSource(context.Background(), t, db, c.URL+"/", nil)
			require.NoError(t, err)
			assert.Equal(t, n-stored, res.BuildsNew)
			assert.Equal(t, stored, res.BuildsUnchanged)
			assert.Len(t, c.BuildHits(), n-stored, "only the builds not yet recorded are fetched")
			requireSameDump(t, dumpTables(t, refPath), dumpTables(t, path))
		})
	}
}
