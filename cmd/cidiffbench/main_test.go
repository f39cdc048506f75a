package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/jenkins"
)

// TestMain lets the test binary be the launcher runOnce starts (os.Executable).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == launchFlag {
		os.Exit(launchMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func TestCorpusKeyNamesEveryInput(t *testing.T) {
	base := corpusSpec{Builds: 300, Seed: 1, LogMB: 2}
	assert.Equal(t, "b300-s1-l2", base.key())
	assert.Equal(t, "b2000-s1-l0.2", corpusSpec{Builds: 2000, Seed: 1, LogMB: 0.2}.key())
	seen := map[string]corpusSpec{}
	for _, s := range []corpusSpec{base, {301, 1, 2}, {300, 2, 2}, {300, 1, 0.2}, {300, 1, 2.5}, {30, 1, 2}, {3001, 1, 2}} {
		k := s.key()
		if other, dup := seen[k]; dup {
			t.Fatalf("%+v and %+v share the cache key %q", s, other, k)
		}
		seen[k] = s
	}
}

// tinyCorpus generates (once per test) a paired corpus small enough for unit tests.
func tinyCorpus(t *testing.T) (cache, dir string, m corpusMarker) {
	t.Helper()
	cache = t.TempDir()
	var log bytes.Buffer
	dir, m, err := ensureCorpus(cache, corpusSpec{Builds: 4, Seed: 7, LogMB: 0.02}, &log)
	require.NoError(t, err)
	require.Contains(t, log.String(), "generating")
	return cache, dir, m
}

func TestEnsureCorpusReusesCompleteCorpusAndRegeneratesIncomplete(t *testing.T) {
	cache, dir, m := tinyCorpus(t)
	assert.Equal(t, 8, m.Stats.Builds) // 4 per home, two homes

	var log bytes.Buffer
	again, m2, err := ensureCorpus(cache, m.Spec, &log)
	require.NoError(t, err)
	assert.Equal(t, dir, again)
	assert.Equal(t, m.Stats, m2.Stats)
	assert.Contains(t, log.String(), "reusing")

	// A stray file and a missing marker: what an interrupted run leaves. It is regenerated whole.
	stray := filepath.Join(dir, "prod", "stray")
	require.NoError(t, os.WriteFile(stray, []byte("x"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, markerName)))
	log.Reset()
	_, m3, err := ensureCorpus(cache, m.Spec, &log)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "generating")
	assert.Equal(t, m.Stats, m3.Stats, "the generator is deterministic")
	assert.NoFileExists(t, stray)
}

func TestListHomeFilesIsWhatReadBuildParses(t *testing.T) {
	_, dir, _ := tinyCorpus(t)
	hf, err := listHomeFiles(filepath.Join(dir, "prod"))
	require.NoError(t, err)
	require.Len(t, hf.Builds, 4)
	var sum int64
	for _, f := range hf.XML {
		assert.True(t, strings.HasSuffix(f, ".xml"), f)
		st, err := os.Stat(f)
		require.NoError(t, err)
		sum += st.Size()
	}
	assert.Equal(t, sum, hf.XMLBytes)
	assert.Positive(t, hf.LogBytes, "logs are present, only not listed")
	for _, b := range hf.Builds {
		assert.Contains(t, b.XML, filepath.Join(b.Dir, "build.xml"))
		got, err := jenkins.ReadBuild(b.Dir)
		require.NoError(t, err)
		require.Empty(t, got.Problems)
		assert.Equal(t, got.Layout == jenkins.LayoutBulk, b.Bulk, b.Dir)
		// Every flow-node file listed lies in the storage directory ReadBuild used.
		for _, f := range b.XML {
			if base := filepath.Base(f); base != "build.xml" && base != "junitResult.xml" {
				assert.Equal(t, filepath.Join(b.Dir, got.StorageDir), filepath.Dir(f))
			}
		}
	}
	bulk := hf.filter(func(b buildFiles) bool { return b.Bulk })
	per := hf.filter(func(b buildFiles) bool { return !b.Bulk })
	assert.Equal(t, len(hf.Builds), len(bulk.Builds)+len(per.Builds))
	assert.Equal(t, hf.XMLBytes, bulk.XMLBytes+per.XMLBytes)
}

func TestReadAllCountsEveryByte(t *testing.T) {
	_, dir, _ := tinyCorpus(t)
	hf, err := listHomeFiles(filepath.Join(dir, "prod"))
	require.NoError(t, err)
	for _, w := range []int{1, 2, 0} {
		n, d, err := readAll(hf.XML, w)
		require.NoError(t, err)
		assert.Equal(t, hf.XMLBytes, n, "workers=%d", w)
		assert.Positive(t, d)
	}
	_, _, err = readAll(append(hf.XML, filepath.Join(dir, "missing.xml")), 2)
	assert.ErrorContains(t, err, "missing.xml")
}

func TestAddBuildAndLinkHome(t *testing.T) {
	_, dir, _ := tinyCorpus(t)
	prod := filepath.Join(dir, "prod")
	before, _ := jenkins.FindBuilds(prod)
	added, err := addBuild(prod)
	require.NoError(t, err)
	after, _ := jenkins.FindBuilds(prod)
	assert.Len(t, after, len(before)+1)
	b, err := jenkins.ReadBuild(added)
	require.NoError(t, err)
	assert.NotEmpty(t, b.Steps)

	hf, err := listHomeFiles(prod)
	require.NoError(t, err)
	isBulk := func(b buildFiles) bool { return b.Bulk }
	linked := filepath.Join(t.TempDir(), "bulk")
	require.NoError(t, linkHome(prod, linked, hf.Builds, isBulk))
	lf, err := listHomeFiles(linked)
	require.NoError(t, err)
	want := hf.filter(isBulk)
	assert.Len(t, lf.Builds, len(want.Builds))
	assert.Equal(t, want.XMLBytes, lf.XMLBytes)
	for _, b := range lf.Builds {
		assert.True(t, b.Bulk, b.Dir)
	}
}

func TestRenderTable(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, renderTable(&out, []row{
		{Name: "steps walk", Wall: 2 * time.Second, CPU: 3 * time.Second, Builds: 100, XMLBytes: 50e6, RSSKiB: 2048, RChar: 5e6, Floor: 500 * time.Millisecond},
		{Name: "scan (+1 build)", Wall: 45 * time.Millisecond, RSSKiB: 30 * 1024, RChar: -1},
	}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6) // top border, header, separator, two rows, bottom border
	assert.Equal(t, []string{"measure", "wall", "CPU", "builds/s", "XML MB/s", "peak RSS MiB", "rchar MB", "× floor"}, cellsOf(lines[1]))
	assert.Equal(t, []string{"steps walk", "2.00s", "3.00s", "50.0", "25.0", "2", "5.0", "4.0"}, cellsOf(lines[3]))
	assert.Equal(t, []string{"scan (+1 build)", "45.0ms", "-", "-", "-", "30", "-", "-"}, cellsOf(lines[4]))
}

func cellsOf(line string) []string {
	var cells []string
	for _, c := range strings.Split(line, "│") {
		if c = strings.TrimSpace(c); c != "" {
			cells = append(cells, c)
		}
	}
	return cells
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "-", 1500 * time.Millisecond: "1.50s", 250 * time.Millisecond: "250ms",
		12345 * time.Microsecond: "12.3ms", 1234 * time.Microsecond: "1.23ms",
	} {
		assert.Equal(t, want, fmtDuration(d), "%v", d)
	}
	assert.Equal(t, "1234", fmtRate(1234.4))
	assert.Equal(t, "12.3", fmtRate(12.34))
	assert.Equal(t, "1.23", fmtRate(1.234))
}

func TestMedian(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	got := median([]sample{{Wall: ms(30), MaxRSS: 3}, {Wall: ms(10), MaxRSS: 1}, {Wall: ms(20), MaxRSS: 2}})
	assert.Equal(t, sample{Wall: ms(20), MaxRSS: 2}, got, "the median run, whole")
	assert.Equal(t, ms(20), medianDuration([]time.Duration{ms(20), ms(10)}), "upper middle of an even count")
	assert.Zero(t, median(nil))
	assert.Zero(t, medianDuration(nil))
}

func TestParseRChar(t *testing.T) {
	io := "rchar: 19789\nwchar: 12813\nsyscr: 12\nread_bytes: 0\n"
	assert.Equal(t, int64(19789), parseRChar([]byte(io)))
	assert.Equal(t, int64(-1), parseRChar([]byte("wchar: 1\n")))
	assert.Equal(t, int64(-1), parseRChar([]byte("rchar: x\n")))
}

func TestRunOnceMeasuresAChild(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS and rchar are read the Linux way")
	}
	f := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.WriteFile(f, bytes.Repeat([]byte("x"), 1<<20), 0o644))
	s, err := runOnce("cat", []string{f}, nil, nil)
	require.NoError(t, err)
	assert.Positive(t, s.Wall)
	assert.Positive(t, s.MaxRSS)
	assert.GreaterOrEqual(t, s.RChar, int64(1<<20), "cat read the file")

	_, err = runOnce("sh", []string{"-c", "echo boom >&2; exit 3"}, nil, nil)
	assert.ErrorContains(t, err, "boom")
	s, err = runOnce("sh", []string{"-c", "exit 3"}, nil, nil, 0, 3)
	assert.NoError(t, err, "exit 3 accepted")
	assert.Equal(t, 3, s.Exit)
}

// A child's peak RSS must be its own, not this process's: Linux carries ru_maxrss across
// execve, and Go starts children with vfork.
func TestRunOnceIgnoresTheParentsPeak(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read the Linux way")
	}
	big := make([]byte, 256<<20)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	s, err := runOnce("true", nil, nil, nil)
	runtime.KeepAlive(big)
	require.NoError(t, err)
	assert.Less(t, s.MaxRSS, int64(64<<10), "KiB: the child's peak, not the 256 MiB of its grandparent")
}

func TestCheckScan(t *testing.T) {
	ok := []byte(`{"builds_seen": 5, "builds_new": 1, "errors": []}`)
	assert.NoError(t, checkScan(5, 1)(ok))
	assert.Error(t, checkScan(5, 5)(ok))
	assert.Error(t, checkScan(5, 1)([]byte(`{"builds_seen": 5, "builds_new": 1, "errors": [{"dir": "d", "error": "e"}]}`)))
	assert.Error(t, checkScan(5, 1)([]byte(`not json`)))
}
