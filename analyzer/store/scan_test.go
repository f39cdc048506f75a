package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/require"
)

func TestScan(t *testing.T) {
	t.Run("TwiceUnchanged", func(t *testing.T) {
		f := newFixture(t)
		for n := 1; n <= 6; n++ {
			f.put(synthBuild("tvm/main", n, 12))
		}
		db, path := openDB(t)
		res := scan(t, db, f, nil)
		require.Equal(t, &store.ScanResult{Instance: "prod", BuildsSeen: 6, BuildsNew: 6, Errors: []store.ScanError{}}, res)
		require.Equal(t, 72, count(t, path, `SELECT count(*) FROM steps`))
		require.NoError(t, db.Close())
		before := snapshotDir(t, filepath.Dir(path))
		rowsBefore := dumpTables(t, path)

		db2, err := store.Open(path)
		require.NoError(t, err)
		var reader countingReader
		res2, err := db2.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: reader.read})
		require.NoError(t, err)
		require.Equal(t, &store.ScanResult{Instance: "prod", BuildsSeen: 6, BuildsUnchanged: 6, Errors: []store.ScanError{}}, res2)
		require.Zero(t, reader.n.Load(), "unchanged completed builds are not read")
		require.NoError(t, db2.Close())
		require.Equal(t, rowsBefore, dumpTables(t, path))
		require.Equal(t, before, snapshotDir(t, filepath.Dir(path)), "a scan with nothing new changes no byte")
	})

	t.Run("ChangedBuildUpdated", func(t *testing.T) {
		f := newFixture(t)
		var builds []*jenkins.Build
		for n := 1; n <= 4; n++ {
			b := synthBuild("tvm/main", n, 10)
			builds = append(builds, b)
			f.put(b)
		}
		db, path := openDB(t)
		scan(t, db, f, nil)
		var id1 int
		require.NoError(t, rawDB(t, path).QueryRow(`SELECT id FROM builds WHERE build_key = 'tvm/main#2'`).Scan(&id1))

		b := builds[1]
		b.Steps = b.Steps[:7]
		b.Steps[0] = step("10", "Lint", "step 0", "F", "agent-9")
		f.put(b)
		res := scan(t, db, f, nil)
		require.Equal(t, 1, res.BuildsUpdated)
		require.Equal(t, 3, res.BuildsUnchanged)
		require.Zero(t, res.BuildsNew)
		var id2 int
		require.NoError(t, rawDB(t, path).QueryRow(`SELECT id FROM builds WHERE build_key = 'tvm/main#2'`).Scan(&id2))
		require.Equal(t, id1, id2, "a rescan keeps the build's id")
		require.Equal(t, 7, count(t, path, `SELECT count(*) FROM steps WHERE build_id = ?`, id2))
		require.Equal(t, 1, count(t, path, `SELECT count(*) FROM steps WHERE build_id = ? AND node = 'agent-9' AND status = 'FAILURE'`, id2))
		checkConsistent(t, path, f)
	})

	t.Run("TouchedButSameContent", func(t *testing.T) {
		f := newFixture(t)
		b := synthBuild("tvm/main", 1, 5)
		f.put(b)
		db, _ := openDB(t)
		scan(t, db, f, nil)
		f.put(b) // same bytes, new mtime
		var reader countingReader
		res := scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsUnchanged)
		require.EqualValues(t, 1, reader.n.Load())
		res = scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsUnchanged)
		require.EqualValues(t, 1, reader.n.Load(), "the new fingerprint was remembered")
	})

	t.Run("RunningBuildRescannedUntilCompleted", func(t *testing.T) {
		f := newFixture(t)
		b := synthBuild("tvm/PR-10", 3, 4)
		b.Completed, b.Result = false, ""
		b.Steps = b.Steps[:2]
		f.put(b)
		db, path := openDB(t)
		var reader countingReader
		res := scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsNew)

		// Not moved: read again (it is running), nothing written.
		before := dumpTables(t, path)
		res = scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsUnchanged)
		require.EqualValues(t, 2, reader.n.Load())
		require.Equal(t, before, dumpTables(t, path))

		// Two more steps, still running.
		b.Steps = synthBuild("tvm/PR-10", 3, 4).Steps
		f.put(b)
		res = scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsUpdated)
		require.Equal(t, 4, count(t, path, `SELECT count(*) FROM steps`))

		// Finished.
		b.Completed, b.Result = true, jenkins.ResultSuccess
		f.put(b)
		res = scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsUpdated)
		require.Equal(t, 1, count(t, path, `SELECT count(*) FROM builds WHERE completed = 1 AND result = 'SUCCESS'`))
		require.EqualValues(t, 4, reader.n.Load())

		// Completed and unchanged: no longer read.
		res = scan(t, db, f, reader.read)
		require.Equal(t, 1, res.BuildsUnchanged)
		require.EqualValues(t, 4, reader.n.Load())
	})

	t.Run("ReadErrorRecordedAndRetried", func(t *testing.T) {
		f := newFixture(t)
		f.put(synthBuild("tvm/main", 1, 3))
		bad := f.put(synthBuild("tvm/main", 2, 3))
		f.put(synthBuild("tvm/main", 3, 3))
		f.writeRaw(bad.Dir, []byte("{not json"))
		db, path := openDB(t)
		res := scan(t, db, f, nil)
		require.Equal(t, 2, res.BuildsNew)
		require.Len(t, res.Errors, 1)
		require.Equal(t, bad.Dir, res.Errors[0].Dir)
		require.Contains(t, res.Errors[0].Error, "build.xml")
		require.Equal(t, 1, count(t, path, `SELECT count(*) FROM scan_errors WHERE dir = ?`, bad.Dir))

		// Still bad: retried (not skipped), still an error.
		res = scan(t, db, f, nil)
		require.Len(t, res.Errors, 1)
		require.Equal(t, 2, res.BuildsUnchanged)

		// Repaired: recorded, and the error forgotten.
		f.put(synthBuild("tvm/main", 2, 3))
		res = scan(t, db, f, nil)
		require.Empty(t, res.Errors)
		require.Equal(t, 1, res.BuildsNew)
		require.Zero(t, count(t, path, `SELECT count(*) FROM scan_errors`))
	})

	t.Run("ReaderPanicIsThatBuildsError", func(t *testing.T) {
		f := newFixture(t)
		f.put(synthBuild("tvm/main", 1, 3))
		boom := f.put(synthBuild("tvm/main", 2, 3))
		db, _ := openDB(t)
		res := scan(t, db, f, func(dir string) (*jenkins.Build, error) {
			if dir == boom.Dir {
				panic("corrupt flow graph")
			}
			return readBuild(dir)
		})
		require.Equal(t, 1, res.BuildsNew)
		require.Len(t, res.Errors, 1)
		require.Contains(t, res.Errors[0].Error, "corrupt flow graph")
	})

	t.Run("Links", func(t *testing.T) {
		f := newFixture(t)
		b := synthBuild("tvm/feature%2Fx", 5, 1)
		b.Steps[0] = step("27", "Build", "make", "F", "gpu-1")
		f.put(b)
		db, path := openDB(t)
		_, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", URL: "https://ci.tlcpack.ai/", Read: readBuild})
		require.NoError(t, err)
		var bl, sl string
		require.NoError(t, rawDB(t, path).QueryRow(`SELECT b.link, s.link FROM builds b JOIN steps s ON s.build_id = b.id`).Scan(&bl, &sl))
		require.Equal(t, "https://ci.tlcpack.ai/job/tvm/job/feature%252Fx/5/", bl)
		require.Equal(t, "https://ci.tlcpack.ai/job/tvm/job/feature%252Fx/5/execution/node/27/log", sl)

		// Without a URL, links are the build directory.
		db2, path2 := openDB(t)
		scan(t, db2, f, nil)
		require.NoError(t, rawDB(t, path2).QueryRow(`SELECT b.link, s.link FROM builds b JOIN steps s ON s.build_id = b.id`).Scan(&bl, &sl))
		require.Equal(t, f.cands[0].Dir, bl)
		require.Equal(t, f.cands[0].Dir, sl)

		// A scan with a base URL rewrites the links of builds already recorded without one.
		res, err := db2.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", URL: "https://ci.tlcpack.ai", Read: readBuild})
		require.NoError(t, err)
		require.Equal(t, 1, res.BuildsUpdated)
		require.NoError(t, rawDB(t, path2).QueryRow(`SELECT b.link FROM builds b`).Scan(&bl))
		require.Equal(t, "https://ci.tlcpack.ai/job/tvm/job/feature%252Fx/5/", bl)
	})

	t.Run("DuplicateCandidates", func(t *testing.T) {
		f := newFixture(t)
		c := f.put(synthBuild("tvm/main", 1, 3))
		f.cands = append(f.cands, c)
		db, _ := openDB(t)
		res := scan(t, db, f, nil)
		require.Equal(t, 1, res.BuildsSeen)
		require.Equal(t, 1, res.BuildsNew)
	})

	t.Run("SensitiveParameterNotStored", func(t *testing.T) {
		f := newFixture(t)
		b := synthBuild("tvm/main", 1, 1)
		b.Parameters = []jenkins.Parameter{{Name: "token", Value: "s3cret", Sensitive: true}}
		f.put(b)
		db, path := openDB(t)
		scan(t, db, f, nil)
		require.Zero(t, count(t, path, `SELECT count(*) FROM parameters WHERE value LIKE '%s3cret%'`))
		require.Equal(t, 1, count(t, path, `SELECT count(*) FROM parameters WHERE name = 'token' AND sensitive = 1`))
	})
}

func TestScanConcurrent(t *testing.T) {
	f := newFixture(t)
	for n := 1; n <= 40; n++ {
		f.put(synthBuild("tvm/main", n, 20))
	}
	_, path := openDB(t)
	var wg sync.WaitGroup
	results := make([]*store.ScanResult, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(path)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			results[i], errs[i] = db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild, Workers: 2})
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	for _, r := range results {
		require.Empty(t, r.Errors)
		require.Equal(t, 40, r.BuildsSeen)
		require.Equal(t, 40, r.BuildsNew+r.BuildsUnchanged)
	}
	require.Equal(t, 40, results[0].BuildsNew+results[1].BuildsNew, "each build recorded once")
	require.Equal(t, 40, count(t, path, `SELECT count(*) FROM builds`))
	checkConsistent(t, path, f)

	ref, refPath := openDB(t)
	scan(t, ref, f, nil)
	requireSameDump(t, dumpTables(t, refPath), dumpTables(t, path))
}

func TestScanConcurrentOpenOfNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(path)
			if err == nil {
				err = db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, store.SchemaVersion(), count(t, path, `SELECT count(*) FROM schema_migrations`))
}

func TestScanInterrupted(t *testing.T) {
	f := newFixture(t)
	for n := 1; n <= 30; n++ {
		f.put(synthBuild("tvm/main", n, 15))
	}
	ref, refPath := openDB(t)
	scan(t, ref, f, nil)

	for _, k := range []int{1, 7, 29} {
		t.Run(fmt.Sprintf("After%d", k), func(t *testing.T) {
			db, path := openDB(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := db.Scan(ctx, f.cands, store.ScanOptions{Instance: "prod", Read: readBuild, Workers: 2,
				Progress: func(done, total int) {
					if done == k {
						cancel()
					}
				}})
			require.ErrorIs(t, err, context.Canceled)
			require.Equal(t, k, res.BuildsNew, "stops after the build being written")
			stored := count(t, path, `SELECT count(*) FROM builds`)
			require.Equal(t, k, stored)
			checkConsistent(t, path, f)

			res, err = db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild})
			require.NoError(t, err)
			require.Equal(t, 30-k, res.BuildsNew)
			require.Equal(t, k, res.BuildsUnchanged)
			requireSameDump(t, dumpTables(t, refPath), dumpTables(t, path))
		})
	}
}

// TestScanKilled kills a scanning process with SIGKILL part-way, then checks that the file is
// sound, holds only whole builds, and that a rescan ends with the same history as a scan that
// was never interrupted.
func TestScanKilled(t *testing.T) {
	if os.Getenv("CIDIFF_STORE_KILL_DB") != "" {
		t.Skip("helper process")
	}
	f := newFixture(t)
	const total = 40
	for n := 1; n <= total; n++ {
		f.put(synthBuild("tvm/main", n, 150)) // big builds: long write transactions to land the kill in
	}
	ref, refPath := openDB(t)
	scan(t, ref, f, nil)

	path := filepath.Join(t.TempDir(), "killed.db")
	var dirs []string
	for _, c := range f.cands {
		dirs = append(dirs, c.Dir)
	}
	listFile := filepath.Join(t.TempDir(), "dirs")
	require.NoError(t, os.WriteFile(listFile, []byte(strings.Join(dirs, "\n")), 0o644))

	cmd := exec.Command(os.Args[0], "-test.run=^TestScanKilledHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CIDIFF_STORE_KILL_DB="+path, "CIDIFF_STORE_KILL_DIRS="+listFile)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	const killAfter = 12
	killed := false
	for sc.Scan() {
		var done int
		if _, err := fmt.Sscanf(sc.Text(), "done %d", &done); err == nil && done >= killAfter {
			// A varying delay so the kill lands in a read, a write or a commit.
			time.Sleep(time.Duration(time.Now().UnixNano()%10) * time.Millisecond)
			require.NoError(t, cmd.Process.Kill())
			killed = true
			break
		}
	}
	require.True(t, killed, "helper never reached %d builds", killAfter)
	_ = cmd.Wait()

	stored := count(t, path, `SELECT count(*) FROM builds`)
	t.Logf("killed with %d of %d builds stored", stored, total)
	require.GreaterOrEqual(t, stored, killAfter)
	require.Less(t, stored, total, "the kill came before the end")
	checkConsistent(t, path, f)

	db, err := store.Open(path)
	require.NoError(t, err)
	defer db.Close()
	pinClock(db)
	res, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild})
	require.NoError(t, err)
	require.Equal(t, total-stored, res.BuildsNew)
	require.Equal(t, stored, res.BuildsUnchanged)
	requireSameDump(t, dumpTables(t, refPath), dumpTables(t, path))
}

// TestScanKilledHelper is the process TestScanKilled kills: it scans slowly and prints its
// progress.
func TestScanKilledHelper(t *testing.T) {
	path := os.Getenv("CIDIFF_STORE_KILL_DB")
	if path == "" {
		t.Skip("run by TestScanKilled")
	}
	list, err := os.ReadFile(os.Getenv("CIDIFF_STORE_KILL_DIRS"))
	require.NoError(t, err)
	var cands []store.Candidate
	for _, dir := range strings.Split(string(list), "\n") {
		n, err := strconv.Atoi(filepath.Base(dir))
		require.NoError(t, err)
		cands = append(cands, store.Candidate{Dir: dir, Job: "tvm/main", Number: &n})
	}
	db, err := store.Open(path)
	require.NoError(t, err)
	pinClock(db)
	_, err = db.Scan(context.Background(), cands, store.ScanOptions{Instance: "prod", Workers: 1,
		Read: func(dir string) (*jenkins.Build, error) {
			time.Sleep(5 * time.Millisecond)
			return readBuild(dir)
		},
		Progress: func(done, total int) { fmt.Printf("done %d\n", done) }})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	if os.Getenv("CIDIFF_STORE_HELPER_EXIT") != "" {
		return
	}
	// Never reached when killed; if the parent is slow, linger so the kill lands mid-scan or
	// after, never on a clean exit that would hide a problem.
	time.Sleep(time.Minute)
}

// TestScanTwoProcesses runs three scanning processes on one new file at once: all must succeed
// (writers wait for each other) and the result must equal one scan's.
func TestScanTwoProcesses(t *testing.T) {
	if os.Getenv("CIDIFF_STORE_KILL_DB") != "" {
		t.Skip("helper process")
	}
	f := newFixture(t)
	for n := 1; n <= 30; n++ {
		f.put(synthBuild("tvm/main", n, 40))
	}
	ref, refPath := openDB(t)
	scan(t, ref, f, nil)

	path := filepath.Join(t.TempDir(), "shared.db")
	var dirs []string
	for _, c := range f.cands {
		dirs = append(dirs, c.Dir)
	}
	listFile := filepath.Join(t.TempDir(), "dirs")
	require.NoError(t, os.WriteFile(listFile, []byte(strings.Join(dirs, "\n")), 0o644))
	var cmds []*exec.Cmd
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestScanKilledHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CIDIFF_STORE_KILL_DB="+path, "CIDIFF_STORE_KILL_DIRS="+listFile, "CIDIFF_STORE_HELPER_EXIT=1")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("helper output:\n%s", out.String())
			}
		})
	}
	for _, cmd := range cmds {
		require.NoError(t, cmd.Wait())
	}
	checkConsistent(t, path, f)
	requireSameDump(t, dumpTables(t, refPath), dumpTables(t, path))
}

func TestScanBadOptions(t *testing.T) {
	db, _ := openDB(t)
	_, err := db.Scan(context.Background(), nil, store.ScanOptions{Read: readBuild})
	require.ErrorContains(t, err, "instance")
	_, err = db.Scan(context.Background(), nil, store.ScanOptions{Instance: "x"})
	require.ErrorContains(t, err, "reader")
	res, err := db.Scan(context.Background(), nil, store.ScanOptions{Instance: "x", Read: readBuild})
	require.NoError(t, err)
	require.Zero(t, res.BuildsSeen)
	require.NotNil(t, res.Errors)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = db.Scan(ctx, []store.Candidate{{Dir: "/nonexistent", Job: "j", Number: intp(1)}}, store.ScanOptions{Instance: "x", Read: readBuild})
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
}
