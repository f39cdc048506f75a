package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/report"
)

func init() {
	register(command{name: "classify", summary: "classify failure text (a log excerpt or a step log) with the knowledge base", run: runClassify})
}

// classifyJSON is the CONTRACT.md shape of `cidiff classify --format json`, plus the rule's
// description and, with --all, every rule that matched.
type classifyJSON struct {
	Class       analyzer.Class   `json:"class"`
	Cause       string           `json:"cause"`
	Rule        string           `json:"rule"`
	Line        string           `json:"line"`
	Description string           `json:"description,omitempty"`
	Matches     []analyzer.Match `json:"matches,omitempty"`
}

// rulesExample is the rules-file format shown by --help (a test parses it).
const rulesExample = `  rules:
    - id: docs-token-denied          # kebab-case, stable
      class: controller              # executor|controller|flaky|environment|unknown
      cause: docs_token_missing      # lower_snake_case
      description: docs-push-token lacks access
      patterns: ['Permission to apache/tvm-site\.git denied']   # Go regexps, case-insensitive
      unless: ['retrying']           # optional: vetoes a match on the same line
      tier: cause                    # optional: cause (default), symptom or generic
      priority: 0                    # optional: tie-break on the same line
`

func runClassify(e *env, args []string) error {
	fs := pflag.NewFlagSet("classify", pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "text", "output format: text or json")
	rulesFile := fs.String("rules", "", "YAML rules file that overrides built-in rules by id and adds new ones")
	all := fs.Bool("all", false, "also list every other rule that matched (evidence), best first")
	listRules := fs.Bool("list-rules", false, "print the knowledge base's rules instead of classifying")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: cidiff classify [FILE|-] [--rules FILE] [--format text|json] [--all]")
		fmt.Fprintln(e.stderr, "\nReads failure text from FILE (or standard input) and prints the class, cause and rule")
		fmt.Fprintln(e.stderr, "of its most decisive line. Class is unknown, with an empty cause, when no rule matches.")
		fmt.Fprintln(e.stderr, "\nA rules file is YAML; a rule with a built-in id replaces that rule:")
		fmt.Fprint(e.stderr, rulesExample)
		fmt.Fprintln(e.stderr, "List the built-in rules with --list-rules.")
		fmt.Fprintln(e.stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return nil
		}
		return usageErrorf("%v (see cidiff classify --help)", err)
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageErrorf("one FILE at most, got %d", fs.NArg())
	}

	kb := analyzer.BuiltinKnowledgeBase()
	if *rulesFile != "" {
		rules, err := analyzer.LoadRules(*rulesFile)
		if err != nil {
			return usageErrorf("--rules %s: %v", *rulesFile, err)
		}
		if kb, err = kb.Extend(rules); err != nil {
			return usageErrorf("--rules %s: %v", *rulesFile, err)
		}
	}
	if *listRules {
		return writeRules(e.stdout, *format, kb.Rules())
	}

	name := "-"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	var (
		data []byte
		err  error
	)
	if name == "-" {
		data, err = io.ReadAll(e.stdin)
		if err != nil {
			return usageErrorf("read standard input: %v", err)
		}
	} else if data, err = os.ReadFile(name); err != nil {
		return usageErrorf("%v", err)
	}

	text := string(data)
	m := kb.Classify(text)
	var evidence []analyzer.Match
	if *all {
		evidence = kb.ClassifyAll(text)
	}
	// The decisive lines are log text: printed with credentials masked, as every report does.
	m.Line = report.Redact(m.Line)
	for i := range evidence {
		evidence[i].Line = report.Redact(evidence[i].Line)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(classifyJSON{Class: m.Class, Cause: m.Cause, Rule: m.Rule, Line: m.Line,
			Description: m.Description, Matches: evidence})
	}
	fmt.Fprintln(e.stdout, matchText(m))
	for i, ev := range evidence {
		if i == 0 {
			continue // the best match, printed above
		}
		fmt.Fprintf(e.stdout, "  also: %s\n", matchText(ev))
	}
	return nil
}

// matchText is one readable line: "executor/disk_full (disk-full-enospc): No space left ...".
func matchText(m analyzer.Match) string {
	if m.Rule == "" {
		return "unknown: no rule matched"
	}
	head := string(m.Class)
	if m.Cause != "" {
		head += "/" + m.Cause
	}
	return fmt.Sprintf("%s (%s): %s", head, m.Rule, m.Line)
}

func writeRules(w io.Writer, format string, rules []analyzer.Rule) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rules []analyzer.Rule `json:"rules"`
		}{rules})
	}
	for _, r := range rules {
		fmt.Fprintf(w, "%-28s %-11s %-26s %s\n", r.ID, r.Class, r.Cause, r.Description)
	}
	return nil
}
