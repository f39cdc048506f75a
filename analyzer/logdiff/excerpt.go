// Package logdiff picks the evidence lines of a failing step: the lines of its log that the
// passing side's log of the same step does not have, once what varies from run to run
// (timestamps, ids, numbers, temporary paths, colours) is set aside.
//
// It lives below analyzer so the analyzer can attach evidence to a difference and the reports
// can show it; it works on bytes only and never fails.
package logdiff

import (
	"bytes"
	"fmt"
	"strings"
)

// Options bounds an excerpt. Zero fields take the defaults of DefaultOptions.
type Options struct {
	// Context is the number of unchanged lines shown before and after each new line.
	Context int
	// MaxLines caps the lines of the excerpt (not counting the markers of what was cut).
	MaxLines int
	// MaxBytes caps the bytes of the excerpt's text.
	MaxBytes int
	// MaxLineBytes cuts single long lines (minified output, base64 blobs).
	MaxLineBytes int
	// Fallback is the number of error lines kept when there is no passing log to diff against.
	Fallback int
}

// DefaultOptions fit a report a person reads in minutes.
var DefaultOptions = Options{Context: 2, MaxLines: 40, MaxBytes: 8 << 10, MaxLineBytes: 400, Fallback: 12}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Context > 0 {
		d.Context = o.Context
	}
	if o.Context < 0 {
		d.Context = 0
	}
	if o.MaxLines > 0 {
		d.MaxLines = o.MaxLines
	}
	if o.MaxBytes > 0 {
		d.MaxBytes = o.MaxBytes
	}
	if o.MaxLineBytes > 0 {
		d.MaxLineBytes = o.MaxLineBytes
	}
	if o.Fallback > 0 {
		d.Fallback = o.Fallback
	}
	return d
}

// Mode says how an excerpt's lines were chosen.
type Mode string

// Excerpt modes.
const (
	// ModeDiff: lines absent from the passing log, with context.
	ModeDiff Mode = "diff"
	// ModeErrors: no passing log (or nothing new in the failing one): the last lines that
	// look like errors, with context.
	ModeErrors Mode = "errors"
	// ModeTail: not even error-looking lines: the end of the log.
	ModeTail Mode = "tail"
	// ModeEmpty: the log is empty.
	ModeEmpty Mode = "empty"
)

// Line is one line of the failing log.
type Line struct {
	// N is the 1-based line number in the failing log.
	N int `json:"n"`
	// Text is the line without ANSI codes and Jenkins console notes; long lines are cut.
	Text string `json:"text"`
	// Marked is true for a line the excerpt was made for (new, or error-looking); false for context.
	Marked bool `json:"marked"`
}

// Excerpt is the evidence chosen from one log.
type Excerpt struct {
	Mode Mode `json:"mode"`
	// Lines are in log order; a jump in N marks a gap.
	Lines []Line `json:"lines"`
	// Cut counts the chosen lines dropped by MaxLines / MaxBytes, between CutAfter and the
	// next line.
	Cut int `json:"cut,omitempty"`
	// CutAfter is the index in Lines after which the Cut lines were (-1: before the first).
	CutAfter int `json:"-"`
	// Total is the number of lines in the failing log.
	Total int `json:"total"`
}

// Strings renders the excerpt as plain lines: "…" marks a gap, "… N more lines" what the caps cut.
func (e Excerpt) Strings() []string {
	out := make([]string, 0, len(e.Lines)+2)
	cutNote := func() {
		if e.Cut > 0 {
			out = append(out, fmt.Sprintf("… %d more %s", e.Cut, plural(e.Cut, "line", "lines")))
		}
	}
	if e.CutAfter < 0 {
		cutNote()
	}
	for i, l := range e.Lines {
		if i > 0 && l.N != e.Lines[i-1].N+1 && !(e.Cut > 0 && e.CutAfter == i-1) {
			out = append(out, "…")
		}
		out = append(out, l.Text)
		if i == e.CutAfter {
			cutNote()
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Diff returns the evidence of a failing step's log against the same step's passing log. With
// passing == nil (the step did not run on the other side) it falls back to error-looking lines.
func Diff(failing, passing []byte, opts Options) Excerpt {
	o := opts.withDefaults()
	lines := splitLines(failing)
	ex := Excerpt{Total: len(lines), CutAfter: -1}
	if len(lines) == 0 {
		ex.Mode = ModeEmpty
		return ex
	}
	var marked []bool
	if passing != nil {
		seen := make(map[string]struct{})
		for _, l := range splitLines(passing) {
			seen[Normalize(l)] = struct{}{}
		}
		marked = make([]bool, len(lines))
		any := false
		for i, l := range lines {
			n := Normalize(l)
			if n == "" {
				continue
			}
			if _, ok := seen[n]; !ok {
				marked[i] = true
				any = true
			}
		}
		if any {
			ex.Mode = ModeDiff
			return pick(ex, lines, marked, o.Context, o)
		}
	}
	// Nothing to diff against, or nothing new: the failure is in what the log shares with the
	// passing one (or not in the log at all); show the last error-looking lines.
	marked = make([]bool, len(lines))
	found := 0
	for i := len(lines) - 1; i >= 0 && found < o.Fallback; i-- {
		if looksLikeError(lines[i]) {
			marked[i] = true
			found++
		}
	}
	if found > 0 {
		ex.Mode = ModeErrors
		return pick(ex, lines, marked, min(o.Context, 1), o)
	}
	ex.Mode = ModeTail
	for i := max(0, len(lines)-o.Fallback); i < len(lines); i++ {
		marked[i] = true
	}
	return pick(ex, lines, marked, 0, o)
}

// pick turns marked lines plus context into an excerpt under the caps. When over the caps it
// keeps the first quarter and the last three quarters of the chosen lines: the first new line
// is often the root error, the end of the log is where the step died.
func pick(ex Excerpt, lines [][]byte, marked []bool, context int, o Options) Excerpt {
	show := make([]bool, len(lines))
	for i, m := range marked {
		if !m {
			continue
		}
		for j := max(0, i-context); j <= min(len(lines)-1, i+context); j++ {
			show[j] = true
		}
	}
	var chosen []Line
	for i, s := range show {
		if s {
			chosen = append(chosen, Line{N: i + 1, Text: display(lines[i], o.MaxLineBytes), Marked: marked[i]})
		}
	}
	if len(chosen) <= o.MaxLines && textBytes(chosen) <= o.MaxBytes {
		ex.Lines = chosen
		return ex
	}
	headBudget := o.MaxBytes / 4
	headLines := o.MaxLines / 4
	var head, tail []Line
	used := 0
	for _, l := range chosen {
		if len(head) >= headLines || used+len(l.Text)+1 > headBudget {
			break
		}
		head = append(head, l)
		used += len(l.Text) + 1
	}
	for i := len(chosen) - 1; i >= len(head); i-- {
		l := chosen[i]
		if len(head)+len(tail) >= o.MaxLines || used+len(l.Text)+1 > o.MaxBytes {
			break
		}
		tail = append(tail, l)
		used += len(l.Text) + 1
	}
	for i, j := 0, len(tail)-1; i < j; i, j = i+1, j-1 {
		tail[i], tail[j] = tail[j], tail[i]
	}
	ex.Cut = len(chosen) - len(head) - len(tail)
	ex.CutAfter = len(head) - 1
	ex.Lines = append(head, tail...)
	return ex
}

func textBytes(ls []Line) int {
	n := 0
	for _, l := range ls {
		n += len(l.Text) + 1
	}
	return n
}

// splitLines splits a log on \n, dropping a final empty line. A carriage return inside a line
// is a progress bar redrawing itself: only the last drawing counts.
func splitLines(b []byte) [][]byte {
	if len(b) == 0 {
		return nil
	}
	lines := bytes.Split(b, []byte{'\n'})
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		l = bytes.TrimRight(l, "\r")
		if k := bytes.LastIndexByte(l, '\r'); k >= 0 {
			l = l[k+1:]
		}
		lines[i] = l
	}
	return lines
}

// display makes a line safe to show as text: console notes and ANSI codes removed, invalid
// UTF-8 replaced, other control characters dropped, and cut at max bytes.
func display(l []byte, maxBytes int) string {
	var b strings.Builder
	stripped := stripEscapes(l)
	s := strings.ToValidUTF8(string(stripped), "\uFFFD")
	for _, r := range s {
		if r == '\t' || r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > maxBytes {
		cut := maxBytes
		for cut > 0 && !utf8Start(out[cut]) {
			cut--
		}
		out = fmt.Sprintf("%s … (%d more bytes)", out[:cut], len(out)-cut)
	}
	return out
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

// stripEscapes removes Jenkins console notes (ESC[8mha:<base64>ESC[0m, hidden annotations that
// differ per build) and ANSI escape sequences.
func stripEscapes(l []byte) []byte {
	if bytes.IndexByte(l, 0x1b) < 0 {
		return l
	}
	out := make([]byte, 0, len(l))
	for i := 0; i < len(l); {
		if l[i] != 0x1b {
			out = append(out, l[i])
			i++
			continue
		}
		if bytes.HasPrefix(l[i:], []byte("\x1b[8mha:")) {
			if end := bytes.Index(l[i:], []byte("\x1b[0m")); end >= 0 {
				i += end + len("\x1b[0m")
				continue
			}
			// An unterminated note (log cut mid-way) hides the rest of the line.
			break
		}
		i++ // ESC
		if i < len(l) && l[i] == '[' {
			i++
			for i < len(l) && (l[i] >= 0x30 && l[i] <= 0x3f || l[i] >= 0x20 && l[i] <= 0x2f) {
				i++
			}
			if i < len(l) {
				i++ // final byte
			}
		} else if i < len(l) {
			i++ // two-byte sequence (ESC c, ESC =, ...)
		}
	}
	return out
}

// Normalize returns the form of a log line that is stable from run to run: escapes removed,
// every number run (12, 3.14, 2022-01-20, 10.0.0.1) written 0, hex-looking words of 7+ characters
// (commits, container and image ids) and mixed hex words with digits written #, paths below
// /tmp/ written /tmp/*, and blanks squeezed. Timestamper prefixes, durations and timestamps come
// out equal because their digits do.
func Normalize(l []byte) string {
	l = stripEscapes(l)
	var b strings.Builder
	b.Grow(len(l))
	space := false
	for i := 0; i < len(l); {
		c := l[i]
		switch {
		case c == ' ' || c == '\t':
			space = true
			i++
			continue
		case isAlnum(c):
			j := i
			hexOnly, digit, letter := true, false, false
			for j < len(l) && isAlnum(l[j]) {
				d := l[j]
				switch {
				case d >= '0' && d <= '9':
					digit = true
				case d >= 'a' && d <= 'f' || d >= 'A' && d <= 'F':
					letter = true
				default:
					hexOnly = false
				}
				j++
			}
			flushSpace(&b, &space)
			word := l[i:j]
			switch {
			case hexOnly && digit && (len(word) >= 7 || letter && len(word) >= 4):
				b.WriteByte('#')
			case digit:
				// Digit runs (with the dots and commas inside numbers) become 0.
				for k := 0; k < len(word); {
					if isDigit(word[k]) {
						b.WriteByte('0')
						for k < len(word) && isDigit(word[k]) {
							k++
						}
						continue
					}
					b.WriteByte(word[k])
					k++
				}
			default:
				b.Write(word)
			}
			i = j
			// 3.14, 1,024, 10.0.0.1: a separator between digits belongs to the number.
			for i+1 < len(l) && (l[i] == '.' || l[i] == ',' || l[i] == ':') && isDigit(l[i+1]) && digit {
				i++
				for i < len(l) && isAlnum(l[i]) {
					i++
				}
			}
			continue
		case c == '/' && bytes.HasPrefix(l[i:], []byte("/tmp/")):
			flushSpace(&b, &space)
			b.WriteString("/tmp/*")
			i += len("/tmp/")
			for i < len(l) && !isPathEnd(l[i]) {
				i++
			}
			continue
		}
		flushSpace(&b, &space)
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func flushSpace(b *strings.Builder, space *bool) {
	if *space && b.Len() > 0 {
		b.WriteByte(' ')
	}
	*space = false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
func isPathEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ':' || c == ')' || c == ']' || c == ','
}

// errorWords are lower-case fragments that make a line look like an error.
var errorWords = []string{
	"error", "fail", "fatal", "exception", "traceback", "denied", "not found", "no such",
	"no space", "killed", "timed out", "timeout", "abort", "cannot", "can't", "unable",
	"panic", "segmentation fault", "core dumped", "exit code", "exit status", "refused",
	"out of memory", "oom", "unreachable", "missing", "invalid", "unauthorized", "forbidden",
}

func looksLikeError(l []byte) bool {
	low := bytes.ToLower(stripEscapes(l))
	for _, w := range errorWords {
		if bytes.Contains(low, []byte(w)) {
			return true
		}
	}
	return false
}
