package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cidiff/cidiff/fixtures/gen"
	"github.com/cidiff/cidiff/jenkins"
)

// corpusSpec is what the generated corpus is a pure function of.
type corpusSpec struct {
	Builds int
	Seed   uint64
	LogMB  float64
}

// key names the cache directory of a corpus: every input of the generator is in it, so two
// different corpora never share a directory and the same one is generated once.
func (c corpusSpec) key() string {
	return fmt.Sprintf("b%d-s%d-l%s", c.Builds, c.Seed, strconv.FormatFloat(c.LogMB, 'f', -1, 64))
}

// markerName is written last into a corpus directory: a directory without it is half-written
// (interrupted generation, or an interrupted incremental-scan measurement) and is regenerated.
const markerName = "corpus.json"

type corpusMarker struct {
	Spec  corpusSpec
	Stats gen.CorpusStats
	// Took is how long generation took, to tell the reader what reusing the cache saves.
	Took time.Duration
}

// ensureCorpus returns the paired corpus of spec under cacheDir, generating it when absent or
// incomplete.
func ensureCorpus(cacheDir string, spec corpusSpec, log io.Writer) (dir string, m corpusMarker, err error) {
	dir = filepath.Join(cacheDir, spec.key())
	if m, err := readMarker(dir); err == nil && m.Spec == spec {
		fmt.Fprintf(log, "corpus: reusing %s\n", dir)
		return dir, m, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", m, err
	}
	fmt.Fprintf(log, "corpus: generating %d builds per home (seed %d, ~%g MB of log each) into %s\n", spec.Builds, spec.Seed, spec.LogMB, dir)
	start := time.Now()
	st, err := gen.Corpus(gen.CorpusOptions{Out: dir, Builds: spec.Builds, Seed: spec.Seed, LogMB: spec.LogMB, Pair: true})
	if err != nil {
		return "", m, fmt.Errorf("generating the corpus: %w", err)
	}
	m = corpusMarker{Spec: spec, Stats: st, Took: time.Since(start)}
	fmt.Fprintf(log, "corpus: generated in %s\n", m.Took.Round(time.Second))
	return dir, m, writeMarker(dir, m)
}

func readMarker(dir string) (corpusMarker, error) {
	var m corpusMarker
	data, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, markerName), err)
	}
	return m, nil
}

func writeMarker(dir string, m corpusMarker) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, markerName), data, 0o644)
}

// addBuild copies the newest build of the home's first job (in discovery order) to the next
// free number and touches its build.xml: to a scan it is one new build, all files real. It
// returns the new directory; the caller removes it when done.
func addBuild(home string) (string, error) {
	refs, errs := jenkins.FindBuilds(home)
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	var last *jenkins.BuildRef
	for i := range refs {
		r := &refs[i]
		if r.Number == nil {
			continue
		}
		if last != nil && r.Job != last.Job {
			break
		}
		if last == nil || *r.Number > *last.Number {
			last = r
		}
	}
	if last == nil {
		return "", fmt.Errorf("%s: no numbered build to copy", home)
	}
	next := filepath.Join(filepath.Dir(last.Dir), strconv.Itoa(*last.Number+1))
	if _, err := os.Stat(next); err == nil {
		return "", fmt.Errorf("%s already exists", next)
	}
	if err := copyTree(last.Dir, next); err != nil {
		os.RemoveAll(next)
		return "", err
	}
	now := time.Now()
	if err := os.Chtimes(filepath.Join(next, "build.xml"), now, now); err != nil {
		os.RemoveAll(next)
		return "", err
	}
	return next, nil
}

// copyTree copies the regular files and directories below src to dst (symlinks are skipped:
// a build directory has none that matter to a scan).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, 0o644)
		}
		return nil
	})
}
