package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cidiff/cidiff/jenkins"
)

// homeFiles is what a walk of one home parses, in the walk's order, and what it leaves alone.
type homeFiles struct {
	Builds []buildFiles
	// XML are the files ReadBuild parses: build.xml, junitResult.xml, and the flow-node files
	// (flowNodeStore.xml, or every N.xml) of the storage directory it picks.
	XML      []string
	XMLBytes int64
	// LogBytes counts the console logs present (log, log-index, per-node N.log): `steps` and
	// `scan` read none of them, `compare` only those of the steps it reports.
	LogBytes int64
}

// buildFiles is one build's share of homeFiles.
type buildFiles struct {
	Dir      string
	Bulk     bool // flow nodes in one flowNodeStore.xml (else one file per node)
	XML      []string
	XMLBytes int64
	LogBytes int64
}

// flowStorageDirs is the order ReadBuild probes when build.xml records no storage directory
// (JENKINS_FORMATS.md §5.1); the generated homes record the one they use, and it comes first
// here for completed builds.
var flowStorageDirs = []string{"workflow-completed", "workflow", "workflow-fallback"}

// listHomeFiles lists, for every build below home in discovery order, the files a walk parses.
func listHomeFiles(home string) (homeFiles, error) {
	refs, errs := jenkins.FindBuilds(home)
	if len(errs) > 0 {
		return homeFiles{}, fmt.Errorf("listing %s: %v", home, errs[0])
	}
	var bs []buildFiles
	for _, r := range refs {
		b := buildFiles{Dir: r.Dir}
		entries, err := os.ReadDir(r.Dir)
		if err != nil {
			return homeFiles{}, err
		}
		for _, e := range entries {
			switch n := e.Name(); {
			case n == "build.xml" || n == "junitResult.xml":
				b.add(filepath.Join(r.Dir, n))
			case n == "log" || n == "log-index":
				b.LogBytes += fileSize(filepath.Join(r.Dir, n))
			}
		}
		nodes, logs := flowFiles(r.Dir)
		for _, f := range nodes {
			b.add(f)
		}
		b.Bulk = len(nodes) == 1 && filepath.Base(nodes[0]) == "flowNodeStore.xml"
		b.LogBytes += logs
		bs = append(bs, b)
	}
	return collect(bs), nil
}

// collect totals builds into a homeFiles.
func collect(bs []buildFiles) homeFiles {
	hf := homeFiles{Builds: bs}
	for _, b := range bs {
		hf.XML = append(hf.XML, b.XML...)
		hf.XMLBytes += b.XMLBytes
		hf.LogBytes += b.LogBytes
	}
	return hf
}

// filter keeps the builds keep accepts.
func (hf homeFiles) filter(keep func(buildFiles) bool) homeFiles {
	var bs []buildFiles
	for _, b := range hf.Builds {
		if keep(b) {
			bs = append(bs, b)
		}
	}
	return collect(bs)
}

func (b *buildFiles) add(name string) {
	b.XML = append(b.XML, name)
	b.XMLBytes += fileSize(name)
}

// flowFiles are the flow-node files of the first storage directory that has any (the bulk
// file, else N.xml in id order), and the bytes of per-node logs (N.log) found beside them.
func flowFiles(buildDir string) (nodes []string, logBytes int64) {
	for _, sd := range flowStorageDirs {
		dir := filepath.Join(buildDir, sd)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		var ids []int
		bulk := false
		for _, e := range entries {
			n := e.Name()
			switch {
			case n == "flowNodeStore.xml":
				bulk = true
			case strings.HasSuffix(n, ".log"):
				logBytes += fileSize(filepath.Join(dir, n))
			case strings.HasSuffix(n, ".xml"):
				if id, err := strconv.Atoi(strings.TrimSuffix(n, ".xml")); err == nil && id > 0 {
					ids = append(ids, id)
				}
			}
		}
		if bulk {
			return []string{filepath.Join(dir, "flowNodeStore.xml")}, logBytes
		}
		if len(ids) == 0 {
			continue
		}
		sort.Ints(ids)
		for _, id := range ids {
			nodes = append(nodes, filepath.Join(dir, strconv.Itoa(id)+".xml"))
		}
		return nodes, logBytes
	}
	return nil, logBytes
}

func fileSize(name string) int64 {
	st, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return st.Size()
}

// readAll reads every file with os.ReadFile, by `workers` goroutines taking files in order,
// and returns the bytes read and the time taken: the floor under any walk that parses them.
func readAll(files []string, workers int) (int64, time.Duration, error) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	var (
		total   atomic.Int64
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				data, err := os.ReadFile(files[i])
				if err != nil {
					errOnce.Do(func() { first = err })
					return
				}
				total.Add(int64(len(data)))
			}
		}()
	}
	wg.Wait()
	return total.Load(), time.Since(start), first
}

// linkHome makes at dst a copy of the home src made of hard links (no data copied, same page
// cache) holding only the builds keep accepts: a home of one flow-node layout, say. Symbolic
// links are recreated as they are.
func linkHome(src, dst string, all []buildFiles, keep func(buildFiles) bool) error {
	drop := map[string]bool{}
	for _, b := range all {
		if !keep(b) {
			drop[filepath.Clean(b.Dir)] = true
		}
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && drop[filepath.Clean(p)] {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			return os.Link(p, to)
		}
		return nil
	})
}
