// Command jenkinsgen writes realistic JENKINS_HOME trees for tests and benchmarks.
//
//	jenkinsgen -out fixtures/homes -scenario launch
//	jenkinsgen -out /tmp/corpus -scenario corpus -builds 300 -seed 1 -log-mb 2 [-pair]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cidiff/cidiff/fixtures/gen"
)

func main() {
	out := flag.String("out", "", "directory to write (created; existing files are overwritten)")
	scenario := flag.String("scenario", "launch", "launch (the bundled fixtures) or corpus (benchmark homes)")
	builds := flag.Int("builds", 300, "corpus: number of builds per home")
	seed := flag.Uint64("seed", 1, "random seed; the output is a pure function of it")
	logMB := flag.Float64("log-mb", 2, "corpus: approximate console log size per build, in MB")
	pair := flag.Bool("pair", false, "corpus: write prod/ and staging/ homes with planted differences")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "jenkinsgen: -out is required")
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch *scenario {
	case "launch":
		var ex *gen.Expected
		ex, err = gen.WriteLaunch(*out, *seed)
		if err == nil {
			diffs := 0
			for _, p := range ex.Pairs {
				diffs += len(p.Differences)
			}
			fmt.Printf("wrote %d prod/staging builds (%d pairs, %d differences, %d unpaired, %d unreadable) and the layouts home to %s\n",
				len(ex.Builds), len(ex.Pairs), diffs, len(ex.Unpaired), len(ex.Errors), *out)
		}
	case "corpus":
		var st gen.CorpusStats
		st, err = gen.Corpus(gen.CorpusOptions{Out: *out, Builds: *builds, Seed: *seed, LogMB: *logMB, Pair: *pair})
		if err == nil {
			fmt.Printf("wrote %d builds, %d flow nodes, %d sh steps, %d log bytes\n", st.Builds, st.Nodes, st.Steps, st.LogBytes)
		}
	default:
		fmt.Fprintf(os.Stderr, "jenkinsgen: unknown -scenario %q (want launch or corpus)\n", *scenario)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jenkinsgen:", err)
		os.Exit(1)
	}
}
