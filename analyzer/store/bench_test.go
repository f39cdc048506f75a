package store_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cidiff/cidiff/analyzer/store"
)

// benchFixture is 200 completed builds of 70 steps (the size of a TVM era-A run).
func benchFixture(b *testing.B) *fixture {
	f := newFixture(b)
	for n := 1; n <= 200; n++ {
		f.put(synthBuild("tvm/PR-"+strconv.Itoa(n%20), n, 70))
	}
	return f
}

func BenchmarkScanFull(b *testing.B) {
	f := benchFixture(b)
	dir := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		db, err := store.Open(filepath.Join(dir, strconv.Itoa(i)+".db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild})
		if err != nil || res.BuildsNew != 200 {
			b.Fatalf("%v %+v", err, res)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/200, "ms/build")
}

func BenchmarkScanIncrementalOneNew(b *testing.B) {
	f := benchFixture(b)
	db, err := store.Open(filepath.Join(b.TempDir(), "h.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild}); err != nil {
		b.Fatal(err)
	}
	n := 200
	for b.Loop() {
		b.StopTimer()
		n++
		f.put(synthBuild("tvm/main", n, 70))
		b.StartTimer()
		res, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild})
		if err != nil || res.BuildsNew != 1 || res.BuildsUnchanged != n-1 {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkFlaky ranks the 14,000 step runs and 400 test runs of the benchmark fixture.
func BenchmarkFlaky(b *testing.B) {
	f := benchFixture(b)
	db, err := store.Open(filepath.Join(b.TempDir(), "h.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Scan(context.Background(), f.cands, store.ScanOptions{Instance: "prod", Read: readBuild}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		items, err := db.Flaky(context.Background(), store.FlakyQuery{})
		if err != nil || len(items) == 0 {
			b.Fatal(err, len(items))
		}
	}
}
