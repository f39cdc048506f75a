package analyzer

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The failure knowledge base: rules that name the kind of failure a log line shows.
//
// # Precedence
//
// A step log usually holds several lines that some rule recognises: the root cause, its
// consequences, and Jenkins' own epilogue ("script returned exit code 1"). Classify picks one
// match with three keys, in this order:
//
//  1. Tier. Every rule declares how much a match proves:
//     - cause: the line names a root cause on its own ("No space left on device",
//     "toomanyrequests", "manifest unknown", "Could not find credentials entry").
//     - symptom: the line is a usual consequence of several causes, or of a cause that
//     the text alone cannot decide: timeouts and interrupts, a bare SIGKILL ("Killed",
//     exit 137: most often the OOM killer, but also a timeout's kill -9), segfaults,
//     "Connection refused", missing stashes and JUnit files, "Error response from daemon".
//     - generic: catch-alls that only say that something failed ("script returned exit
//     code 1", "make: *** Error 1", "N failed" in a pytest summary).
//     A higher tier always wins: a specific cause anywhere beats a generic one.
//  2. Evidence position: within one tier the earliest matching line wins, because later
//     lines are usually consequences (a full disk breaks the build, then the stash, then
//     the JUnit upload).
//  3. Priority, then rule order: the explicit tie-break between rules that match the same
//     line (e.g. "nvidia-container-cli: initialization error" inside a Docker "OCI runtime
//     create failed" line names the nvidia runtime, not Docker in general).
//
// # Matching
//
// Patterns are Go regular expressions, matched case-insensitively (a pattern may turn that
// off with (?-i)) against one normalised line at a time: Jenkins timestamper prefixes
// ("[2022-06-13T22:39:22.006Z] ", "15:35:24 "), ISO timestamps, BuildKit step prefixes
// ("#10 304.0 "), pytest's "E   " prefix, ANSI colour codes and Jenkins console notes are
// removed; typographic quotes (‘ ’ “ ”) become ASCII quotes; leading and trailing space and
// CR are trimmed. Shell trace lines ("+ docker pull ...", from set -x) are commands, not
// output, and are never matched; nor are reports of tests that passed or were skipped
// ("...::test_x[No space left on device] PASSED", "SKIPPED [1] ...: no CUDA-capable device"),
// whose names and skip reasons read like failures but are not why the step failed, nor the
// Jenkins git plugin's "Commit message: ..." echo. A rule's Unless patterns veto a match on the same line: a
// transient-network rule ignores "Retrying ..." notices, since a retry that later succeeds
// is not a failure; the final "Max retries exceeded" line is.
//
// Classify does not know whether the step failed: callers pass the text of failed steps.
//
// # Speed
//
// Every pattern is compiled once. From its syntax tree each pattern yields a set of
// literals of which any matching line must contain one (lower-cased); a rule is tried only
// on the lines where one of its literals occurs. One Aho-Corasick pass over the lower-cased
// log finds those lines for all rules at once (ac.go). A pattern without such a literal
// makes its rule run on every line.

//go:embed rules_builtin.yaml
var builtinRulesYAML []byte

// Tier says how much a rule's match proves; see the package notes on precedence.
type Tier int

// The tiers, weakest first. The zero value is TierCause, the default for a rule.
const (
	TierGeneric Tier = iota - 2
	TierSymptom
	TierCause
)

var tierNames = map[Tier]string{TierGeneric: "generic", TierSymptom: "symptom", TierCause: "cause"}

// String returns the tier's YAML name.
func (t Tier) String() string {
	if n, ok := tierNames[t]; ok {
		return n
	}
	return fmt.Sprintf("tier(%d)", int(t))
}

// UnmarshalYAML reads a tier name: generic, symptom or cause.
func (t *Tier) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	for k, v := range tierNames {
		if v == s {
			*t = k
			return nil
		}
	}
	return fmt.Errorf("unknown tier %q (want generic, symptom or cause)", s)
}

// MarshalYAML writes the tier's name.
func (t Tier) MarshalYAML() (any, error) { return t.String(), nil }

// MarshalText writes the tier's name (JSON).
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Rule recognises one kind of failure in a log line.
type Rule struct {
	// ID is stable and kebab-case ("disk-full-enospc"); a user rule with a built-in
	// rule's ID replaces it.
	ID    string `yaml:"id" json:"id"`
	Class Class  `yaml:"class" json:"class"`
	// Cause is lower_snake_case ("disk_full"), or empty.
	Cause       string `yaml:"cause" json:"cause"`
	Description string `yaml:"description" json:"description"`
	// Patterns are Go regexps; any one matching a line makes the rule match it.
	Patterns []string `yaml:"patterns" json:"patterns"`
	// Unless are Go regexps that, matching the same line, veto the match.
	Unless []string `yaml:"unless,omitempty" json:"unless,omitempty"`
	// Tier is how much a match proves (generic, symptom or cause; default cause).
	Tier Tier `yaml:"tier,omitempty" json:"tier"`
	// Priority breaks ties between rules of one tier that match the same line: higher wins.
	Priority int `yaml:"priority,omitempty" json:"priority,omitempty"`
}

var (
	ruleIDRe    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	ruleCauseRe = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)
)

// Validate checks the rule's fields and compiles its patterns. The error names the rule
// and, for a bad pattern, the pattern.
func (r Rule) Validate() error {
	_, err := compileRule(r)
	return err
}

// RuleError is a problem with one rule of a rules file.
type RuleError struct {
	File string // the rules file, or "" for rules built in code
	Line int    // the rule's line in File, or 0
	Rule string // the rule's id, or "#N" (1-based position) when it has none
	Err  error
}

func (e *RuleError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "rule %s: %v", e.Rule, e.Err)
	return b.String()
}

func (e *RuleError) Unwrap() error { return e.Err }

// LoadRules reads a YAML rules file of the form `rules: [...]`. Every rule is validated;
// errors name the file, the rule's line and id, and the pattern at fault.
func LoadRules(path string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	return ParseRules(path, data)
}

// ParseRules parses and validates the YAML rules in data; name is used in errors.
func ParseRules(name string, data []byte) ([]Rule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty rules file (want a top-level `rules:` list)", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with a `rules:` list", name, root.Line)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Value == "rules" {
			list = root.Content[i+1]
			continue
		}
		return nil, fmt.Errorf("%s:%d: unknown key %q (want `rules`)", name, k.Line, k.Value)
	}
	if list == nil {
		return nil, fmt.Errorf("%s: no `rules:` list", name)
	}
	if list.Kind != yaml.SequenceNode {
		if list.Tag == "!!null" {
			return nil, nil
		}
		return nil, fmt.Errorf("%s:%d: `rules` must be a list", name, list.Line)
	}
	rules := make([]Rule, 0, len(list.Content))
	seen := map[string]int{}
	for i, n := range list.Content {
		var r Rule
		ref := fmt.Sprintf("#%d", i+1)
		if err := decodeStrict(n, &r); err != nil {
			return nil, &RuleError{File: name, Line: n.Line, Rule: ref, Err: err}
		}
		if r.ID != "" {
			ref = fmt.Sprintf("%q", r.ID)
		}
		if err := r.Validate(); err != nil {
			return nil, &RuleError{File: name, Line: n.Line, Rule: ref, Err: err}
		}
		if prev, dup := seen[r.ID]; dup {
			return nil, &RuleError{File: name, Line: n.Line, Rule: ref,
				Err: fmt.Errorf("duplicate id (first at line %d)", prev)}
		}
		seen[r.ID] = n.Line
		rules = append(rules, r)
	}
	return rules, nil
}

// decodeStrict decodes one rule node, rejecting unknown keys (a typo like `pattern:`
// would otherwise silently give a rule that never matches).
func decodeStrict(n *yaml.Node, r *Rule) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("want a mapping")
	}
	known := map[string]bool{"id": true, "class": true, "cause": true, "description": true,
		"patterns": true, "unless": true, "tier": true, "priority": true}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !known[k] {
			return fmt.Errorf("line %d: unknown field %q", n.Content[i].Line, k)
		}
	}
	return n.Decode(r)
}

// compiledRule is a validated rule with its regexps and prefilter literals.
type compiledRule struct {
	Rule
	res    []*regexp.Regexp
	unless []*regexp.Regexp
	// lits holds lower-case literals one of which every matching line contains; nil means
	// the rule must be tried on every line. patLits[i] are pattern i's own literals.
	lits    []string
	patLits [][]string
	// exact[i]: pattern i is a case-insensitive literal, so on an ASCII line the prefilter's
	// finding its literal is the match and the regexp need not run.
	exact []bool
	// order is the rule's position in the knowledge base (the last tie-break).
	order int
}

func compileRule(r Rule) (*compiledRule, error) {
	if r.ID == "" {
		return nil, errors.New("missing id")
	}
	if !ruleIDRe.MatchString(r.ID) {
		return nil, fmt.Errorf("id %q: want kebab-case (a-z, 0-9, -)", r.ID)
	}
	if !r.Class.Valid() {
		return nil, fmt.Errorf("unknown class %q (want one of executor, controller, flaky, environment, unknown)", r.Class)
	}
	if r.Cause != "" && !ruleCauseRe.MatchString(r.Cause) {
		return nil, fmt.Errorf("cause %q: want lower_snake_case", r.Cause)
	}
	if _, ok := tierNames[r.Tier]; !ok {
		return nil, fmt.Errorf("unknown tier %d", int(r.Tier))
	}
	if len(r.Patterns) == 0 {
		return nil, errors.New("no patterns")
	}
	c := &compiledRule{Rule: r}
	prefilter := true
	litSet := map[string]bool{}
	for i, p := range r.Patterns {
		re, lits, err := compilePattern(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %d %q: %w", i+1, p, err)
		}
		c.res = append(c.res, re)
		c.patLits = append(c.patLits, lits)
		c.exact = append(c.exact, len(lits) == 1 && isFoldLiteral(p))
		if lits == nil {
			prefilter = false
		}
		for _, l := range lits {
			litSet[l] = true
		}
	}
	for i, p := range r.Unless {
		re, _, err := compilePattern(p)
		if err != nil {
			return nil, fmt.Errorf("unless pattern %d %q: %w", i+1, p, err)
		}
		c.unless = append(c.unless, re)
	}
	if prefilter {
		c.lits = minimalLiterals(litSet)
	} else {
		c.patLits, c.exact = nil, nil
	}
	return c, nil
}

// compilePattern compiles p case-insensitively and derives its required literals.
func compilePattern(p string) (*regexp.Regexp, []string, error) {
	if p == "" {
		return nil, nil, errors.New("empty pattern")
	}
	re, err := regexp.Compile("(?i)" + p)
	if err != nil {
		return nil, nil, err
	}
	tree, err := syntax.Parse("(?i)"+p, syntax.Perl)
	if err != nil { // cannot happen after regexp.Compile succeeded
		return re, nil, nil
	}
	lits := requiredLiterals(tree.Simplify())
	return re, lits, nil
}

// isFoldLiteral reports whether p, compiled case-insensitively, is a plain literal string.
func isFoldLiteral(p string) bool {
	tree, err := syntax.Parse("(?i)"+p, syntax.Perl)
	if err != nil {
		return false
	}
	tree = tree.Simplify()
	return tree.Op == syntax.OpLiteral && tree.Flags&syntax.FoldCase != 0
}

// minLiteralLen is the shortest literal worth prefiltering on: shorter ones match almost
// every line and cost more than they save.
const minLiteralLen = 3

// requiredLiterals returns lower-case strings one of which every match of re contains, or
// nil when no useful such set exists.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := strings.ToLower(string(re.Rune))
		if len(s) < minLiteralLen {
			return nil
		}
		return []string{s}
	case syntax.OpCapture:
		return requiredLiterals(re.Sub[0])
	case syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		// Any one child's requirement is the concatenation's; adjacent literals join into a
		// longer, more selective one. Pick the set whose shortest member is longest.
		var best []string
		score := func(s []string) int {
			m := -1
			for _, x := range s {
				if m < 0 || len(x) < m {
					m = len(x)
				}
			}
			return m
		}
		var run strings.Builder
		flush := func() {
			if run.Len() >= minLiteralLen {
				cand := []string{run.String()}
				if best == nil || score(cand) > score(best) {
					best = cand
				}
			}
			run.Reset()
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				run.WriteString(strings.ToLower(string(sub.Rune)))
				continue
			}
			flush()
			if s := requiredLiterals(sub); s != nil && (best == nil || score(s) > score(best)) {
				best = s
			}
		}
		flush()
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			s := requiredLiterals(sub)
			if s == nil {
				return nil
			}
			all = append(all, s...)
		}
		return all
	default:
		return nil
	}
}

// minimalLiterals drops literals that contain another literal of the set (the shorter one
// already finds every line the longer one would) and sorts the rest.
func minimalLiterals(set map[string]bool) []string {
	var out []string
	for l := range set {
		redundant := false
		for o := range set {
			if o != l && strings.Contains(l, o) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// KnowledgeBase is an immutable, compiled set of rules. It is safe for concurrent use.
type KnowledgeBase struct {
	rules []*compiledRule
	index *literalIndex
}

// NewKnowledgeBase compiles rules into a knowledge base; later rules with an id already
// seen replace the earlier one in place.
func NewKnowledgeBase(rules []Rule) (*KnowledgeBase, error) {
	return (&KnowledgeBase{}).Extend(rules)
}

var (
	builtinOnce sync.Once
	builtinKB   *KnowledgeBase
)

// BuiltinKnowledgeBase returns the rules shipped with cidiff (rules_builtin.yaml),
// compiled once.
func BuiltinKnowledgeBase() *KnowledgeBase {
	builtinOnce.Do(func() {
		rules, err := ParseRules("rules_builtin.yaml", builtinRulesYAML)
		if err != nil {
			panic("analyzer: built-in rules: " + err.Error()) // caught by the package tests
		}
		builtinKB = MustKnowledgeBase(rules)
	})
	return builtinKB
}

// MustKnowledgeBase is NewKnowledgeBase for rules known to be valid; it panics otherwise.
func MustKnowledgeBase(rules []Rule) *KnowledgeBase {
	kb, err := NewKnowledgeBase(rules)
	if err != nil {
		panic(err)
	}
	return kb
}

// Extend returns a new knowledge base: kb's rules, with each of rules replacing the rule
// of the same id in place or, if kb has none, added at the end. kb is unchanged.
func (kb *KnowledgeBase) Extend(rules []Rule) (*KnowledgeBase, error) {
	out := &KnowledgeBase{rules: make([]*compiledRule, len(kb.rules), len(kb.rules)+len(rules))}
	copy(out.rules, kb.rules)
	index := map[string]int{}
	for i, r := range out.rules {
		index[r.ID] = i
	}
	for i, r := range rules {
		c, err := compileRule(r)
		if err != nil {
			ref := fmt.Sprintf("%q", r.ID)
			if r.ID == "" {
				ref = fmt.Sprintf("#%d", i+1)
			}
			return nil, &RuleError{Rule: ref, Err: err}
		}
		if j, ok := index[r.ID]; ok {
			out.rules[j] = c
			continue
		}
		index[r.ID] = len(out.rules)
		out.rules = append(out.rules, c)
	}
	for i := range out.rules {
		// Copy before renumbering: compiled rules may be shared with kb.
		c := *out.rules[i]
		c.order = i
		out.rules[i] = &c
	}
	out.index = newLiteralIndex(out.rules)
	return out, nil
}

// With returns kb with rules (as returned by LoadRules) overriding built-in rules of the
// same id and adding new ones. It panics on an invalid rule, like regexp.MustCompile; use
// Extend for rules that were not validated.
func (kb *KnowledgeBase) With(rules []Rule) *KnowledgeBase {
	out, err := kb.Extend(rules)
	if err != nil {
		panic(err)
	}
	return out
}

// Rules returns the knowledge base's rules in order.
func (kb *KnowledgeBase) Rules() []Rule {
	out := make([]Rule, len(kb.rules))
	for i, r := range kb.rules {
		out[i] = r.Rule
		out[i].Patterns = append([]string(nil), r.Patterns...)
		out[i].Unless = append([]string(nil), r.Unless...)
	}
	return out
}

// maxLineLen bounds Match.Line: a minified or binary "line" can be megabytes long.
const maxLineLen = 512

func truncateLine(s string) string {
	if len(s) <= maxLineLen {
		return s
	}
	cut := maxLineLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
