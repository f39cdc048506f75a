// Command kbeval measures the failure knowledge base against a labelled corpus
// (shared/failure-corpus/*.jsonl): class accuracy, category (cause) accuracy, a confusion
// table of expected against predicted class, and every misclassified record with the rule
// that matched. `make eval` runs it on the development split.
//
//	go run ./cmd/kbeval -corpus ../shared/failure-corpus/dev.jsonl [-rules FILE] [-v]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/olekukonko/tablewriter"
)

// Record is one line of the corpus.
type Record struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Category string `json:"category"`
	RFCClass string `json:"rfc_class"`
}

// rfcClass maps the corpus's rfc_class vocabulary onto cidiff's classes.
var rfcClass = map[string]analyzer.Class{
	"executor-node": analyzer.ClassExecutor,
	"controller":    analyzer.ClassController,
	"flaky-test":    analyzer.ClassFlaky,
	"environment":   analyzer.ClassEnvironment,
	"ambiguous":     analyzer.ClassUnknown,
}

// causeCategory maps a knowledge-base cause onto the corpus's category vocabulary where the
// two differ. Every other cause is its own category (the built-in causes reuse the corpus
// names). Causes with no corpus category (script_failed, test_failure, build_failure,
// global_env_unset, superseded, aborted, git_host_key) never count as a correct category.
var causeCategory = map[string]string{
	"docker_not_installed":     "docker_daemon_unreachable",
	"docker_registry_auth":     "credentials_not_found",
	"cuda_driver_insufficient": "gpu_driver_mismatch",
	"jvm_out_of_memory":        "oom_killed",
	"shared_library_missing":   "no_such_dsl_method",
	"git_auth_failed":          "git_fetch_failure",
	"connection_reset":         "flaky_rpc",
	"dns_resolution_failure":   "network_download",
	"docs_example_failed":      "network_download",
}

// Category returns the corpus category a cause counts as.
func Category(cause string) string {
	if c, ok := causeCategory[cause]; ok {
		return c
	}
	return cause
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kbeval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	corpus := fs.String("corpus", "../shared/failure-corpus/dev.jsonl", "labelled corpus (JSON lines)")
	rulesFile := fs.String("rules", "", "extra rules file (YAML) to evaluate with the built-in ones")
	verbose := fs.Bool("v", false, "list every record, not only the misclassified ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kb := analyzer.BuiltinKnowledgeBase()
	if *rulesFile != "" {
		rules, err := analyzer.LoadRules(*rulesFile)
		if err != nil {
			fmt.Fprintln(stderr, "kbeval:", err)
			return 2
		}
		if kb, err = kb.Extend(rules); err != nil {
			fmt.Fprintf(stderr, "kbeval: %s: %v\n", *rulesFile, err)
			return 2
		}
	}
	data, err := os.ReadFile(*corpus)
	if err != nil {
		fmt.Fprintln(stderr, "kbeval:", err)
		return 2
	}
	recs, err := ReadCorpus(*corpus, data)
	if err != nil {
		fmt.Fprintln(stderr, "kbeval:", err)
		return 2
	}
	res := Evaluate(kb, recs)
	if err := res.Write(stdout, *verbose); err != nil {
		fmt.Fprintln(stderr, "kbeval:", err)
		return 1
	}
	return 0
}

// ReadCorpus parses JSON-lines records; name is used in errors.
func ReadCorpus(name string, data []byte) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if _, ok := rfcClass[r.RFCClass]; !ok {
			return nil, fmt.Errorf("%s:%d: record %s: unknown rfc_class %q", name, n, r.ID, r.RFCClass)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, errors.New(name + ": no records")
	}
	return recs, nil
}

// Outcome is one record's classification.
type Outcome struct {
	Record
	Want       analyzer.Class
	Got        analyzer.Match
	ClassOK    bool
	CategoryOK bool
}

// Result is the evaluation of a knowledge base on a corpus.
type Result struct {
	Outcomes []Outcome
	// Confusion[want][got] counts records.
	Confusion map[analyzer.Class]map[analyzer.Class]int
}

// Evaluate classifies every record.
func Evaluate(kb *analyzer.KnowledgeBase, recs []Record) Result {
	res := Result{Confusion: map[analyzer.Class]map[analyzer.Class]int{}}
	for _, r := range recs {
		want := rfcClass[r.RFCClass]
		m := kb.Classify(r.Text)
		o := Outcome{Record: r, Want: want, Got: m,
			ClassOK:    m.Class == want,
			CategoryOK: m.Cause != "" && Category(m.Cause) == r.Category}
		res.Outcomes = append(res.Outcomes, o)
		if res.Confusion[want] == nil {
			res.Confusion[want] = map[analyzer.Class]int{}
		}
		res.Confusion[want][m.Class]++
	}
	return res
}

// ClassAccuracy and CategoryAccuracy return the share of correct records.
func (r Result) ClassAccuracy() float64 {
	return r.share(func(o Outcome) bool { return o.ClassOK })
}

// CategoryAccuracy is the share of records whose cause maps to the labelled category.
func (r Result) CategoryAccuracy() float64 {
	return r.share(func(o Outcome) bool { return o.CategoryOK })
}

func (r Result) share(ok func(Outcome) bool) float64 {
	if len(r.Outcomes) == 0 {
		return 0
	}
	n := 0
	for _, o := range r.Outcomes {
		if ok(o) {
			n++
		}
	}
	return float64(n) / float64(len(r.Outcomes))
}

func (r Result) count(ok func(Outcome) bool) int {
	n := 0
	for _, o := range r.Outcomes {
		if ok(o) {
			n++
		}
	}
	return n
}

// Write prints the summary, the confusion table and the misclassified records.
func (r Result) Write(w io.Writer, verbose bool) error {
	n := len(r.Outcomes)
	fmt.Fprintf(w, "records:           %d\n", n)
	fmt.Fprintf(w, "class accuracy:    %.1f%% (%d/%d)\n", 100*r.ClassAccuracy(), r.count(func(o Outcome) bool { return o.ClassOK }), n)
	fmt.Fprintf(w, "category accuracy: %.1f%% (%d/%d)\n", 100*r.CategoryAccuracy(), r.count(func(o Outcome) bool { return o.CategoryOK }), n)
	fmt.Fprintf(w, "unmatched:         %d\n\n", r.count(func(o Outcome) bool { return o.Got.Rule == "" }))

	fmt.Fprintln(w, "confusion (rows: expected class, columns: predicted class)")
	t := tablewriter.NewWriter(w)
	header := []any{"expected"}
	for _, c := range analyzer.Classes {
		header = append(header, string(c))
	}
	header = append(header, "total")
	t.Header(header...)
	for _, want := range analyzer.Classes {
		row := []any{string(want)}
		total := 0
		for _, got := range analyzer.Classes {
			v := r.Confusion[want][got]
			total += v
			row = append(row, fmt.Sprint(v))
		}
		row = append(row, fmt.Sprint(total))
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}

	list := make([]Outcome, 0, n)
	for _, o := range r.Outcomes {
		if verbose || !o.ClassOK || !o.CategoryOK {
			list = append(list, o)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	if len(list) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	if verbose {
		fmt.Fprintln(w, "records")
	} else {
		fmt.Fprintln(w, "misclassified (class or category)")
	}
	t = tablewriter.NewWriter(w)
	t.Header("id", "ok", "expected", "got", "category", "cause", "rule")
	for _, o := range list {
		mark := ""
		switch {
		case o.ClassOK && o.CategoryOK:
			mark = "ok"
		case o.ClassOK:
			mark = "class"
		case o.CategoryOK:
			mark = "category"
		}
		rule := o.Got.Rule
		if rule == "" {
			rule = "(none)"
		}
		if err := t.Append(o.ID, mark, string(o.Want), string(o.Got.Class), o.Category, o.Got.Cause, rule); err != nil {
			return err
		}
	}
	return t.Render()
}
