// Command cidiffbench measures cidiff on a generated corpus: builds/s and MB/s of XML for a full
// `steps` walk, a full `scan`, an incremental `scan` of one new build and a full `compare`, the
// peak resident memory and the bytes read of each, against the floor of merely reading the XML
// those commands parse. `make bench` runs it; README.md (Performance) has the figures.
//
//	cidiffbench -builds 300 -seed 1 -runs 3
//
// The corpus (a prod and a staging home from fixtures/gen) is cached under -cache, keyed by
// builds, seed and log size. cidiff is built once and every measured command runs as a child
// process, so peak RSS (rusage) and rchar (/proc/PID/io) are the command's own. Each command
// runs once to warm the page cache, then -runs times; the table shows the median run.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type config struct {
	spec    corpusSpec
	runs    int
	cache   string
	bin     string
	profile string
	clean   bool
	split   bool
	workers int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == launchFlag {
		os.Exit(launchMain(os.Args[2:]))
	}
	var cfg config
	flag.IntVar(&cfg.spec.Builds, "builds", 300, "builds per home (the corpus has a prod and a staging home)")
	flag.Uint64Var(&cfg.spec.Seed, "seed", 1, "generator seed")
	flag.Float64Var(&cfg.spec.LogMB, "log-mb", 2, "mean console log per build, MB (0.2 keeps a 2,000-build corpus small)")
	flag.IntVar(&cfg.runs, "runs", 3, "measured runs per command, after one warm-up run; the median is shown")
	flag.StringVar(&cfg.cache, "cache", filepath.Join(os.TempDir(), "cidiff-bench"), "directory holding generated corpora, one per builds/seed/log size")
	flag.StringVar(&cfg.bin, "cidiff", "", "cidiff binary to measure (default: go build ./cmd/cidiff)")
	flag.StringVar(&cfg.profile, "profile", "", "write a CPU profile of each command's last run to DIR/NAME.pprof (CIDIFF_CPUPROFILE)")
	flag.BoolVar(&cfg.clean, "clean", false, "delete the corpus afterwards")
	flag.BoolVar(&cfg.split, "split", true, "also walk the bulk-layout and the per-node-layout builds separately")
	flag.IntVar(&cfg.workers, "workers", 0, "cidiff --workers (default: cidiff's own, one per CPU)")
	flag.Parse()
	if cfg.spec.Builds <= 0 || cfg.runs <= 0 || cfg.spec.LogMB <= 0 {
		fmt.Fprintln(os.Stderr, "cidiffbench: -builds, -runs and -log-mb must be positive")
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cidiffbench:", err)
		os.Exit(1)
	}
}

func run(cfg config, out, log io.Writer) error {
	if err := os.MkdirAll(cfg.cache, 0o755); err != nil {
		return err
	}
	dir, marker, err := ensureCorpus(cfg.cache, cfg.spec, log)
	if err != nil {
		return err
	}
	if cfg.clean {
		defer os.RemoveAll(dir)
	}
	work, err := os.MkdirTemp(cfg.cache, "run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if cfg.profile != "" {
		if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
			return err
		}
	}

	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(work, "cidiff")
		fmt.Fprintln(log, "building cidiff")
		if err := goBuild(bin); err != nil {
			return err
		}
	}

	prod, staging := filepath.Join(dir, "prod"), filepath.Join(dir, "staging")
	pf, err := listHomeFiles(prod)
	if err != nil {
		return err
	}
	sf, err := listHomeFiles(staging)
	if err != nil {
		return err
	}
	b := bench{cfg: cfg, bin: bin, log: log}
	nb := len(pf.Builds)

	// The floor: the same XML files, read and thrown away.
	floorSerial, err := b.floor(pf.XML, 1)
	if err != nil {
		return err
	}
	floorPar, err := b.floor(pf.XML, 0)
	if err != nil {
		return err
	}
	floorBoth, err := b.floor(append(append([]string(nil), pf.XML...), sf.XML...), 0)
	if err != nil {
		return err
	}

	var rows []row
	add := func(name string, s sample, builds int, xml int64, floor time.Duration) {
		rows = append(rows, row{Name: name, Wall: s.Wall, CPU: s.CPU, Builds: builds, XMLBytes: xml, RSSKiB: s.MaxRSS, RChar: s.RChar, Floor: floor})
	}
	steps := func(home string) []string {
		return b.withWorkers("steps", home, "--format", "json")
	}

	s, err := b.measure("steps", func(int) []string { return steps(prod) }, nil, nil, 0, 3)
	if err != nil {
		return err
	}
	add("steps walk (all builds)", s, nb, pf.XMLBytes, floorPar)
	stepsAll := s

	if cfg.split {
		for _, l := range []struct {
			name string
			keep func(buildFiles) bool
		}{
			{"bulk", func(b buildFiles) bool { return b.Bulk }},
			{"per-node", func(b buildFiles) bool { return !b.Bulk }},
		} {
			home := filepath.Join(work, l.name)
			if err := linkHome(prod, home, pf.Builds, l.keep); err != nil {
				return fmt.Errorf("linking the %s-layout home: %w", l.name, err)
			}
			part := pf.filter(l.keep)
			if len(part.Builds) == 0 {
				continue
			}
			fl, err := b.floor(part.XML, 0)
			if err != nil {
				return err
			}
			s, err := b.measure("steps-"+l.name, func(int) []string { return steps(home) }, nil, nil, 0, 3)
			if err != nil {
				return err
			}
			add(fmt.Sprintf("steps walk (%d %s)", len(part.Builds), l.name), s, len(part.Builds), part.XMLBytes, fl)
		}
	}

	// Full scan: a new database every run. The last one is the base of the incremental scan.
	dbOf := func(kind string, i int) string { return filepath.Join(work, fmt.Sprintf("%s-%d.db", kind, i+1)) }
	s, err = b.measure("scan-full",
		func(i int) []string {
			return b.withWorkers("scan", prod, "--instance", "prod", "--db", dbOf("full", i), "--format", "json")
		},
		nil, checkScan(nb, nb), 0)
	if err != nil {
		return err
	}
	add("scan (full, new db)", s, nb, pf.XMLBytes, floorPar)
	base := dbOf("full", cfg.runs-1)

	// Incremental: one new build in the home; each run starts from a copy of the full scan's
	// database. The corpus loses its marker while it holds the extra build, so an interrupted
	// run leaves a corpus that is regenerated, never a wrong one.
	if err := os.Remove(filepath.Join(dir, markerName)); err != nil {
		return err
	}
	newBuild, err := addBuild(prod)
	if err != nil {
		return err
	}
	s, err = b.measure("scan-incremental",
		func(i int) []string {
			return b.withWorkers("scan", prod, "--instance", "prod", "--db", dbOf("inc", i), "--format", "json")
		},
		func(i int) error { return copyDB(base, dbOf("inc", i)) },
		checkScan(nb+1, 1), 0)
	if rmErr := os.RemoveAll(newBuild); rmErr != nil && err == nil {
		err = rmErr
	}
	if err == nil {
		err = writeMarker(dir, marker)
	}
	if err != nil {
		return err
	}
	add(fmt.Sprintf("scan (+1 build, %d seen)", nb+1), s, 0, 0, 0)
	incremental := s

	s, err = b.measure("compare",
		func(int) []string {
			return b.withWorkers("compare", "--prod", prod, "--staging", staging, "--format", "json", "-o", filepath.Join(work, "compare.json"))
		}, nil, nil, 0, 1, 3)
	if err != nil {
		return err
	}
	add("compare (prod+staging)", s, 2*nb, pf.XMLBytes+sf.XMLBytes, floorBoth)
	compare := s

	rows = append(rows,
		row{Name: "floor: read XML, 1 thread", Wall: floorSerial, Builds: nb, XMLBytes: pf.XMLBytes, RChar: -1, Floor: floorPar},
		row{Name: fmt.Sprintf("floor: read XML, %d threads", runtime.NumCPU()), Wall: floorPar, Builds: nb, XMLBytes: pf.XMLBytes, RChar: -1, Floor: floorPar},
	)

	fmt.Fprintln(out, corpusLine(marker, pf, sf))
	fmt.Fprintf(out, "machine: %d CPUs, %s/%s, load average %s; median of %d runs after a warm-up run; × floor: wall / parallel read of the same XML\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, loadAverage(), cfg.runs)
	if err := renderTable(out, rows); err != nil {
		return err
	}
	fmt.Fprintf(out, "log bytes read: steps %s, compare %s (rchar minus the XML parsed; logs present: %.1f MB per home)\n",
		fmtExtra(stepsAll.RChar, pf.XMLBytes), fmtExtra(compare.RChar, pf.XMLBytes+sf.XMLBytes), mb(pf.LogBytes))
	fmt.Fprintf(out, "incremental scan of 1 new build among %d: %s\n", nb+1, fmtDuration(incremental.Wall))
	return nil
}

// fmtExtra is how much more than the XML a command read, in MB.
func fmtExtra(rchar, xml int64) string {
	if rchar < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%+.1f MB", mb(rchar-xml))
}

// bench runs measured commands.
type bench struct {
	cfg config
	bin string
	log io.Writer
}

func (b *bench) withWorkers(args ...string) []string {
	if b.cfg.workers > 0 {
		args = append(args, "--workers", strconv.Itoa(b.cfg.workers))
	}
	return args
}

// measure runs a command once to warm up, then cfg.runs times, and returns the median run.
// setup (optional) prepares run i (-1 is the warm-up); check (optional) vets its stdout.
func (b *bench) measure(name string, args func(i int) []string, setup func(i int) error, check func([]byte) error, okExits ...int) (sample, error) {
	var ss []sample
	for i := -1; i < b.cfg.runs; i++ {
		if setup != nil {
			if err := setup(i); err != nil {
				return sample{}, err
			}
		}
		var env []string
		if b.cfg.profile != "" && i == b.cfg.runs-1 {
			env = append(env, "CIDIFF_CPUPROFILE="+filepath.Join(b.cfg.profile, name+".pprof"))
		}
		var stdout bytes.Buffer
		var w io.Writer // nil: the child writes to /dev/null, no pipe to drain
		if check != nil {
			w = &stdout
		}
		s, err := runOnce(b.bin, args(i), env, w, okExits...)
		if err != nil {
			return s, err
		}
		if check != nil {
			if err := check(stdout.Bytes()); err != nil {
				return s, fmt.Errorf("%s: %w", name, err)
			}
		}
		what := "run " + strconv.Itoa(i+1)
		if i < 0 {
			what = "warm-up"
		} else {
			ss = append(ss, s)
		}
		fmt.Fprintf(b.log, "%-18s %-8s %8s wall %8s CPU %6.0f MiB\n", name, what, fmtDuration(s.Wall), fmtDuration(s.CPU), float64(s.MaxRSS)/1024)
	}
	return median(ss), nil
}

// floor times reading files with the given number of goroutines (0: one per CPU): one warm-up
// pass, then the median of cfg.runs.
func (b *bench) floor(files []string, workers int) (time.Duration, error) {
	var ds []time.Duration
	for i := -1; i < b.cfg.runs; i++ {
		_, d, err := readAll(files, workers)
		if err != nil {
			return 0, err
		}
		if i >= 0 {
			ds = append(ds, d)
		}
	}
	return medianDuration(ds), nil
}

// checkScan vets `cidiff scan --format json`: every build seen, `fresh` of them new.
func checkScan(seen, fresh int) func([]byte) error {
	return func(out []byte) error {
		var r struct {
			Seen   int `json:"builds_seen"`
			New    int `json:"builds_new"`
			Errors []struct {
				Dir, Error string
			} `json:"errors"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("scan output: %w", err)
		}
		if r.Seen != seen || r.New != fresh || len(r.Errors) > 0 {
			return fmt.Errorf("scan saw %d builds, %d new, %d errors; want %d seen, %d new, none", r.Seen, r.New, len(r.Errors), seen, fresh)
		}
		return nil
	}
}

// copyDB copies a closed SQLite database (and its WAL, if one was left) to a fresh path.
func copyDB(from, to string) error {
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(from + suffix)
		if err != nil {
			if suffix != "" && os.IsNotExist(err) {
				os.Remove(to + suffix)
				continue
			}
			return err
		}
		if err := os.WriteFile(to+suffix, data, 0o644); err != nil {
			return err
		}
	}
	os.Remove(to + "-shm")
	return nil
}

// goBuild builds cidiff from the module this program belongs to.
func goBuild(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/cidiff")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/cidiff: %v\n%s", err, msg)
	}
	return nil
}

// loadAverage is the 1-minute load average: on a shared machine it says how far to trust the
// figures. "?" where /proc/loadavg is absent.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}
