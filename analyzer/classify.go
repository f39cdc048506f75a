package analyzer

import (
	"regexp"
	"sort"
	"strings"
)

// Classify returns the best match in text (see the precedence notes in rules.go): the
// class, cause and rule of the most decisive line. When no rule matches, Class is
// ClassUnknown and Cause and Rule are empty.
func (kb *KnowledgeBase) Classify(text string) Match {
	hits := kb.scan(text, true)
	if len(hits) == 0 {
		return Match{Class: ClassUnknown}
	}
	return hits[0].match()
}

// ClassifyAll returns one match per rule that matched text, best first; each carries the
// first line its rule matched. It returns nil when nothing matched.
func (kb *KnowledgeBase) ClassifyAll(text string) []Match {
	hits := kb.scan(text, true)
	if len(hits) == 0 {
		return nil
	}
	out := make([]Match, len(hits))
	for i, h := range hits {
		out[i] = h.match()
	}
	return out
}

// hit is a rule's first matching line.
type hit struct {
	rule *compiledRule
	line int
	text string // the line as displayed
}

func (h hit) match() Match {
	return Match{
		Class:       h.rule.Class,
		Cause:       h.rule.Cause,
		Rule:        h.rule.ID,
		Line:        truncateLine(h.text),
		Description: h.rule.Description,
		Generic:     h.rule.Tier == TierGeneric,
	}
}

// better reports whether a outranks b: tier, then earliest line, then priority, then order.
func better(a, b hit) bool {
	if a.rule.Tier != b.rule.Tier {
		return a.rule.Tier > b.rule.Tier
	}
	if a.line != b.line {
		return a.line < b.line
	}
	if a.rule.Priority != b.rule.Priority {
		return a.rule.Priority > b.rule.Priority
	}
	return a.rule.order < b.rule.order
}

// scan finds every rule's first matching line and returns the hits best first. With
// prefilter false every rule is tried on every line (the reference the tests compare
// the prefilter against).
func (kb *KnowledgeBase) scan(text string, prefilter bool) []hit {
	lg := newLog(text)
	var cands [][]lineHit
	if prefilter {
		cands = kb.index.candidates(lg.lower, len(kb.rules))
	}
	var hits []hit
	for ri, r := range kb.rules {
		line := -1
		if prefilter && r.lits != nil {
			for _, c := range cands[ri] {
				if r.matchesMasked(lg.match[c.line], c.pats, lg.ascii[c.line]) {
					line = c.line
					break
				}
			}
		} else {
			for i, s := range lg.match {
				if !lg.skip[i] && r.matches(s) {
					line = i
					break
				}
			}
		}
		if line >= 0 {
			hits = append(hits, hit{rule: r, line: line, text: lg.display[line]})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return better(hits[i], hits[j]) })
	return hits
}

func (r *compiledRule) matches(line string) bool { return r.matchesMasked(line, ^uint64(0), false) }

// matchesMasked tries only the patterns selected by mask (see lineHit). With prefound,
// mask comes from the literal index on an ASCII line: an exact-literal pattern in it has
// matched already.
func (r *compiledRule) matchesMasked(line string, mask uint64, prefound bool) bool {
	found := false
	for i, re := range r.res {
		if !maskHas(mask, i) {
			continue
		}
		// A mask bit shared by patterns 63+ does not prove any one of them.
		if prefound && r.exact[i] && i < 63 || re.MatchString(line) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, re := range r.unless {
		if re.MatchString(line) {
			return false
		}
	}
	return true
}

// logText is a log split into normalised lines, with a lower-cased copy of all of them
// joined by '\n' for the literal prefilter.
type logText struct {
	display []string // line without prefixes, ANSI codes and surrounding space
	match   []string // display with ASCII quotes: what patterns see
	skip    []bool   // shell trace lines, passed-test reports, commit messages: never matched
	ascii   []bool   // the line is pure ASCII (lower-casing kept its bytes aligned)
	lower   string   // lower-cased match lines joined by '\n'
}

func newLog(text string) *logText {
	n := strings.Count(text, "\n") + 1
	lg := &logText{
		display: make([]string, 0, n),
		match:   make([]string, 0, n),
		skip:    make([]bool, 0, n),
		ascii:   make([]bool, 0, n),
	}
	var low strings.Builder
	low.Grow(len(text) + n)
	for len(text) > 0 {
		var line string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, ""
		}
		// A lone CR (progress bars) separates lines too; keep the last segment that has text.
		if strings.IndexByte(line, '\r') >= 0 {
			line = lastSegment(line)
		}
		d := normaliseLine(line)
		m := asciiQuotes(d)
		lg.display = append(lg.display, d)
		lg.match = append(lg.match, m)
		lg.skip = append(lg.skip, isTraceLine(m) || isPassedTestLine(m) || isCommitMessage(m))
		lg.ascii = append(lg.ascii, isASCII(m))
		if !lg.skip[len(lg.skip)-1] { // a trace line stays empty: no literal is found there
			low.WriteString(strings.ToLower(m))
		}
		low.WriteByte('\n')
	}
	lg.lower = low.String()
	return lg
}

func lastSegment(line string) string {
	segs := strings.Split(line, "\r")
	for i := len(segs) - 1; i >= 0; i-- {
		if strings.TrimSpace(segs[i]) != "" {
			return segs[i]
		}
	}
	return ""
}

// isTraceLine reports whether a normalised line is a shell xtrace line ("+ cmd", "++ cmd").
func isTraceLine(s string) bool {
	i := 0
	for i < len(s) && s[i] == '+' {
		i++
	}
	// xtrace repeats '+' once per nesting level; a long run is a banner ("+++++ Timeout +++++").
	return i > 0 && i <= 8 && i < len(s) && s[i] == ' '
}

// isCommitMessage reports whether a normalised line is the Jenkins git plugin's echo of the
// checked-out commit's subject ("Commit message: \"[CI] Retry on toomanyrequests\""): prose
// about failures, not a failure.
func isCommitMessage(s string) bool {
	return strings.HasPrefix(s, "Commit message: ")
}

// isPassedTestLine reports whether a normalised line reports a test that passed, was skipped or
// failed as expected (pytest verbose and -rs/-rx summaries, pytest-xdist, go test, googletest).
// A passing test's name or skip reason is not evidence of why the step failed, yet it often
// reads like one: "test_classify[No space left on device] PASSED", "SKIPPED (no CUDA-capable
// device is detected)". Classify sees such lines when another test in the same step failed.
func isPassedTestLine(s string) bool {
	if !strings.Contains(s, "PASS") && !strings.Contains(s, "SKIP") && !strings.Contains(s, "XFAIL") &&
		!strings.Contains(s, "OK ]") {
		return false
	}
	return passedTestRe.MatchString(s)
}

var passedTestRe = regexp.MustCompile(`^(?:` +
	`\S+::\S.*\s(?:PASSED|SKIPPED|XFAIL|XPASS)\b` + // tests/x.py::test_y[p] PASSED [ 1%]
	`|\[gw\d+\] \[\s*\d+%\] (?:PASSED|SKIPPED|XFAIL|XPASS) ` + // [gw0] [  1%] PASSED tests/...
	`|(?:SKIPPED|XFAIL|XPASS) (?:\[\d+\] |\S+::)` + // SKIPPED [2] tests/x.py:10: reason
	`|--- (?:PASS|SKIP): ` + // go test -v
	`|\[\s+(?:OK|SKIPPED)\s+\] ` + // googletest
	`)`)

// normaliseLine removes what log decorators add around a line: ANSI escapes and Jenkins
// console notes, timestamper and ISO timestamps, BuildKit step prefixes, pytest's "E   "
// and surrounding white space.
func normaliseLine(s string) string {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = stripANSI(s)
	}
	s = strings.TrimSpace(s)
	for range 3 { // prefixes nest: "[ts] E   ...", "#5 3.2 [ts] ..."
		t := strings.TrimLeft(stripPrefix(s), " \t")
		if t == s {
			break
		}
		s = t
	}
	return s
}

func stripPrefix(s string) string {
	if s == "" {
		return s
	}
	switch {
	case s[0] == '[':
		// Timestamper: [2022-06-13T22:39:22.006Z] or [22:39:22]
		if end := strings.IndexByte(s, ']'); end > 0 && end <= 40 && isTimestamp(s[1:end]) {
			return s[end+1:]
		}
	case s[0] >= '0' && s[0] <= '9':
		// "15:35:24 ", "2022-06-13T22:39:22.006Z ", "2022-06-13 22:39:22,782 "? (the last is
		// a program's own log format: kept).
		if end := strings.IndexAny(s, " \t"); end > 0 && isTimestamp(s[:end]) {
			return s[end:]
		}
	case s[0] == '#':
		// BuildKit: "#10 304.0 "
		return stripBuildKit(s)
	case s[0] == 'E':
		// pytest failure detail: "E       AssertionError" (never "E: apt error").
		if len(s) > 1 && (s[1] == ' ' || s[1] == '\t') {
			return s[1:]
		}
	}
	return s
}

// isTimestamp accepts HH:MM:SS[.fff] and YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm].
func isTimestamp(s string) bool {
	if len(s) < 8 {
		return false
	}
	digits, colons := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ':':
			colons++
		case c == '-' || c == '.' || c == 'T' || c == 'Z' || c == '+' || c == ',':
		default:
			return false
		}
	}
	return colons >= 2 && digits >= 6
}

func stripBuildKit(s string) string {
	i := 1
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 1 || i >= len(s) || s[i] != ' ' {
		return s
	}
	j := i + 1
	k := j
	for k < len(s) && (s[k] >= '0' && s[k] <= '9' || s[k] == '.') {
		k++
	}
	if k == j || (k < len(s) && s[k] != ' ') {
		return s
	}
	return s[k:]
}

// stripANSI removes CSI escape sequences and Jenkins' hidden console notes
// (ESC[8mha:...ESC[0m).
func stripANSI(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != 0x1b {
			b.WriteByte(s[i])
			i++
			continue
		}
		if strings.HasPrefix(s[i:], "\x1b[8mha:") {
			if end := strings.Index(s[i:], "\x1b[0m"); end > 0 {
				i += end + len("\x1b[0m")
				continue
			}
		}
		if i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == '?') {
				j++
			}
			if j < len(s) {
				j++ // the final byte
			}
			i = j
			continue
		}
		i++ // a lone ESC
	}
	return b.String()
}

var quoteReplacer = strings.NewReplacer("‘", "'", "’", "'", "‚", "'", "“", `"`, "”", `"`, "„", `"`, "`", "'")

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiQuotes turns typographic quotes (Jenkins writes ‘label’) and backticks into ASCII
// single and double quotes, so patterns need only one spelling.
func asciiQuotes(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == '`' {
			return quoteReplacer.Replace(s)
		}
	}
	return s
}
