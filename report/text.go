package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/cidiff/cidiff/analyzer"
)

// ANSI styles of the text format, used only with Options.Color.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

type textWriter struct {
	w     *bufio.Writer
	color bool
	width int
}

func (t *textWriter) style(s string, codes ...string) string {
	if !t.color || s == "" {
		return s
	}
	return strings.Join(codes, "") + s + ansiReset
}

func (t *textWriter) line(format string, args ...any) {
	fmt.Fprintf(t.w, format+"\n", args...)
}

// table renders rows under header, fitted to the terminal width: columns are given widths
// that add up to what the terminal has (the widest shrink first) and every cell is wrapped to
// its column beforehand, so tablewriter never has to guess.
//
// An optional table (one whose content the text repeats below it) is left out when its columns
// cannot fit without breaking words.
func (t *textWriter) table(indent string, header []string, rows [][]string, optional bool) error {
	all := append([][]string{header}, rows...)
	for _, r := range all {
		for i := range r {
			r[i] = plain(r[i])
		}
	}
	widths, fits := fitColumns(all, t.width-len(indent)-(3*len(header)+1))
	if !fits && optional {
		return nil
	}
	for _, r := range all {
		for i := range r {
			r[i] = strings.Join(wrapHard(r[i], widths[i]), "\n")
		}
	}
	var sb strings.Builder
	tb := tablewriter.NewTable(&sb,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tb.Header(all[0])
	for _, r := range all[1:] {
		if err := tb.Append(r); err != nil {
			return fmt.Errorf("report: text table: %w", err)
		}
	}
	if err := tb.Render(); err != nil {
		return fmt.Errorf("report: text table: %w", err)
	}
	for _, l := range strings.Split(strings.TrimRight(sb.String(), "\n"), "\n") {
		t.line("%s%s", indent, l)
	}
	return nil
}

// fitColumns returns column widths whose sum is at most avail. Each column first gets room
// for its longest word (up to maxWord), so statuses and names do not break; the space left goes
// to the columns with longer text, the widest capped first. When even the words do not fit,
// fits is false and the widths break words (never below 4).
func fitColumns(rows [][]string, avail int) (widths []int, fits bool) {
	const minColumn, maxWord = 4, 16
	var natural, floor []int
	for _, r := range rows {
		for i, c := range r {
			for len(natural) <= i {
				natural, floor = append(natural, 1), append(floor, 1)
			}
			natural[i] = max(natural[i], utf8.RuneCountInString(c))
			for _, w := range strings.Fields(c) {
				floor[i] = max(floor[i], min(utf8.RuneCountInString(w), maxWord))
			}
		}
	}
	total := func(cap int, floor []int) int {
		n := 0
		for i, w := range natural {
			n += max(min(w, cap), floor[i])
		}
		return n
	}
	fits = total(0, floor) <= avail
	if !fits {
		for i := range floor {
			floor[i] = min(natural[i], minColumn)
		}
	}
	cap := 0
	for _, w := range natural {
		cap = max(cap, w)
	}
	for cap > 0 && total(cap, floor) > avail {
		cap--
	}
	widths = make([]int, len(natural))
	for i, w := range natural {
		widths[i] = max(min(w, cap), floor[i])
	}
	return widths, fits
}

// wrapWords breaks s into lines of at most width runes at spaces; a word longer than width
// (a URL) keeps its own line whole, so it stays usable.
func wrapWords(s string, width int) []string {
	var lines []string
	var line strings.Builder
	n := 0 // runes in line
	for _, w := range strings.Fields(s) {
		wn := utf8.RuneCountInString(w)
		switch {
		case n == 0:
		case n+1+wn <= width:
			line.WriteByte(' ')
			n++
		default:
			lines = append(lines, line.String())
			line.Reset()
			n = 0
		}
		line.WriteString(w)
		n += wn
	}
	if n > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// wrapHard is wrapWords that also breaks words longer than width: table cells must fit.
func wrapHard(s string, width int) []string {
	var out []string
	for _, l := range wrapWords(s, width) {
		r := []rune(l)
		for len(r) > width {
			out = append(out, string(r[:width]))
			r = r[width:]
		}
		out = append(out, string(r))
	}
	return out
}

// plain makes s safe for a terminal: control characters (ESC above all, which could rewrite
// the screen) are dropped, tabs and line breaks become spaces.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// clip cuts s to n display characters (runes), marking the cut.
func clip(s string, n int) string {
	if n < 2 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// WriteSummary prints the verdict, the counts and one line per finding as terminal text: the
// summary that goes to stdout when the full report is written to a file.
func WriteSummary(w io.Writer, c *analyzer.Comparison, opts Options) error {
	if c == nil {
		return fmt.Errorf("report: no comparison to write")
	}
	opts = opts.withDefaults()
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color, width: max(opts.Width, 60)}
	if err := t.summary(newView(c, opts)); err != nil {
		return err
	}
	return t.w.Flush()
}

func writeText(w io.Writer, v *view, opts Options) error {
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color, width: max(opts.Width, 60)}
	if err := t.render(v); err != nil {
		return err
	}
	return t.w.Flush()
}

func (t *textWriter) render(v *view) error {
	if err := t.header(v); err != nil {
		return err
	}
	return t.body(v)
}

// summary prints the header and one line per finding: what a person reads on the terminal
// when the full report went to a file.
func (t *textWriter) summary(v *view) error {
	if err := t.header(v); err != nil {
		return err
	}
	rows := [][]string{}
	for _, p := range v.Pairs {
		for _, f := range p.Findings {
			name := f.Name()
			if n := len(f.Consequences); n > 0 {
				name += fmt.Sprintf(" (+%d)", n)
			}
			rows = append(rows, []string{p.Job + " " + p.Prod.Number + "/" + p.Staging.Number, name,
				f.ProdStatus + " → " + f.StagingStatus, f.ClassCause(), f.Outcome()})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	t.line("")
	t.line("%s", t.style(fmt.Sprintf("FINDINGS (%d): root differences, with the number of differences that follow from each", len(rows)), ansiBold))
	return t.table("  ", []string{"pair", "finding", v.ProdName + " → " + v.StagingName, "class/cause", "outcome"}, rows, false)
}

// header prints the verdict line and the counts table.
func (t *textWriter) header(v *view) error {
	verdict := t.style(v.Verdict, ansiBold, ansiGreen)
	if v.NoGo {
		verdict = t.style(v.Verdict, ansiBold, ansiRed)
	}
	head := wrapWords(plain(v.headline()), t.width)
	head[0] = verdict + strings.TrimPrefix(head[0], v.Verdict)
	for _, l := range head {
		t.line("%s", l)
	}
	t.line("%s", t.style(plain(fmt.Sprintf("%s vs %s · generated %s", v.ProdName, v.StagingName, v.Generated)), ansiDim))
	t.line("")

	rows := [][]string{}
	for _, c := range v.Classes {
		blocks := "no"
		if c.Blocking {
			blocks = "yes"
		}
		rows = append(rows, []string{c.Class, fmt.Sprint(c.Differences), fmt.Sprint(c.Findings), blocks})
	}
	s := v.Summary
	rows = append(rows,
		[]string{"blocking (unwaived)", fmt.Sprint(s.Blocking), "", ""},
		[]string{"waived", fmt.Sprint(s.Waived), "", ""},
		[]string{"pairs compared", fmt.Sprint(s.PairsCompared), "", ""},
		[]string{"pairs identical", fmt.Sprint(s.PairsIdentical), "", ""},
		[]string{"unpaired " + v.ProdName, fmt.Sprint(s.UnpairedProd), "", ""},
		[]string{"unpaired " + v.StagingName, fmt.Sprint(s.UnpairedStaging), "", ""},
		[]string{"unreadable inputs", fmt.Sprint(len(v.Errors)), "", ""},
	)
	return t.table("", []string{"class", "differences", "findings", "blocks launch"}, rows, false)
}

// body prints the pairs, systematic findings, unpaired builds, unreadable inputs and warnings.
func (t *textWriter) body(v *view) error {
	var identical []pairView
	for i, p := range v.Pairs {
		if p.Identical && len(p.Findings) == 0 && len(p.BothFailed) == 0 {
			identical = append(identical, p)
			continue
		}
		t.line("")
		if err := t.pair(i+1, len(v.Pairs), p); err != nil {
			return err
		}
	}
	if len(identical) > 0 {
		t.line("")
		t.line("%s", t.style(fmt.Sprintf("IDENTICAL PAIRS (%d)", len(identical)), ansiBold))
		rows := [][]string{}
		for _, p := range identical {
			rows = append(rows, []string{p.Job, shortRev(p.Revision), p.Prod.Number + " " + p.Prod.Result, p.Staging.Number + " " + p.Staging.Result})
		}
		if err := t.table("  ", []string{"job", "revision", v.ProdName, v.StagingName}, rows, false); err != nil {
			return err
		}
	}

	if len(v.Systematic) > 0 {
		t.line("")
		t.line("%s", t.style(fmt.Sprintf("SYSTEMATIC (%d): steps that fail more often on %s", len(v.Systematic), v.StagingName), ansiBold))
		rows := [][]string{}
		for _, sy := range v.Systematic {
			rows = append(rows, []string{orDash(sy.Stage), orDash(sy.Label),
				fmt.Sprintf("%d/%d", sy.StagingFailures, sy.StagingRuns), fmt.Sprintf("%d/%d", sy.ProdFailures, sy.ProdRuns),
				sy.PValue, strings.Join(sy.Jobs, ", "), sy.Reason})
		}
		if err := t.table("  ", []string{"stage", "label", v.StagingName + " failed", v.ProdName + " failed", "p", "jobs", "reason"}, rows, false); err != nil {
			return err
		}
	}
	if len(v.Unpaired[0])+len(v.Unpaired[1]) > 0 {
		t.line("")
		t.line("%s", t.style(fmt.Sprintf("UNPAIRED BUILDS (%s %d, %s %d)", v.ProdName, len(v.Unpaired[0]), v.StagingName, len(v.Unpaired[1])), ansiBold))
		rows := [][]string{}
		for side, list := range v.Unpaired {
			name := v.ProdName
			if side == 1 {
				name = v.StagingName
			}
			for _, u := range list {
				rows = append(rows, []string{name, u.Short(), u.Result, shortRev(u.Revision), u.Reason, u.Where()})
			}
		}
		if err := t.table("  ", []string{"side", "build", "result", "revision", "reason", "link"}, rows, false); err != nil {
			return err
		}
	}
	if len(v.Errors) > 0 {
		t.line("")
		t.line("%s", t.style(fmt.Sprintf("UNREADABLE INPUTS (%d)", len(v.Errors)), ansiBold, ansiYellow))
		for _, e := range v.Errors {
			t.para("  ", "    ", fmt.Sprintf("%s %s: %s", e.Side, e.Dir, e.Error))
		}
	}
	if len(v.Warnings) > 0 {
		t.line("")
		t.line("%s", t.style("WARNINGS", ansiBold))
		for _, w := range v.Warnings {
			t.para("  - ", "    ", w)
		}
	}
	return nil
}

func (t *textWriter) pair(n, total int, p pairView) error {
	tag := "not blocking"
	if p.Blocking {
		tag = t.style("BLOCKING", ansiBold, ansiRed)
	}
	t.line("%s  %s", t.style(plain(fmt.Sprintf("PAIR %d/%d  %s @ %s", n, total, p.Job, shortRev(p.Revision))), ansiBold), tag)
	for _, b := range []buildView{p.Prod, p.Staging} {
		t.para("  ", "           ", fmt.Sprintf("%-8s %s  %s  %s", b.Side, b.Short(), b.Result, b.Where()))
	}
	rev := "revision " + orDash(p.Revision)
	if p.Prod.Base != "" || p.Staging.Base != "" {
		rev += fmt.Sprintf(", merged with %s (prod) / %s (staging)", shortRev(p.Prod.Base), shortRev(p.Staging.Base))
	}
	t.para("  ", "    ", rev)
	for _, older := range [][]buildView{p.OlderProd, p.OlderStaging} {
		for _, b := range older {
			t.para("  ", "           ", fmt.Sprintf("%-8s %s  %s  (older build of the same revision)  %s", b.Side, b.Short(), b.Result, b.Where()))
		}
	}
	if len(p.Findings) > 0 {
		rows := [][]string{}
		for i, f := range p.Findings {
			rows = append(rows, []string{fmt.Sprint(i + 1), orDash(f.Stage), orDash(f.Label), f.ProdStatus, f.StagingStatus, f.ClassCause(), f.Outcome()})
			for j, c := range f.Consequences {
				rows = append(rows, []string{fmt.Sprintf("%d.%d", i+1, j+1), "↳ " + orDash(c.Stage), orDash(c.Label), c.ProdStatus, c.StagingStatus, "consequence", c.Outcome()})
			}
		}
		if err := t.table("  ", []string{"#", "stage", "label", "prod", "staging", "class/cause", "outcome"}, rows, true); err != nil {
			return err
		}
	}
	for i, f := range p.Findings {
		t.finding(i+1, f)
	}
	if len(p.BothFailed) > 0 {
		t.line("  failed on both sides (not differences):")
		for _, b := range p.BothFailed {
			t.para("    ", "      ", fmt.Sprintf("%s: %s %s / %s %s", diffView{Stage: b.Stage, Label: b.Label}.Name(),
				b.ProdStatus, b.ProdError, b.StagingStatus, b.StagingError))
		}
	}
	return nil
}

func (t *textWriter) finding(n int, f findingView) {
	head := fmt.Sprintf("  [%d] %s — %s, ", n, plain(f.Name()), plain(f.ClassCause()))
	if utf8.RuneCountInString(head+f.Outcome()) <= t.width {
		t.line("%s%s", head, t.outcome(f.diffView))
	} else {
		t.para("", "      ", head+f.Outcome())
	}
	t.field("reason", f.Reason)
	if f.Waived {
		t.field("waived", f.WaiverReason)
	}
	if f.Rule != "" {
		t.field("rule", f.Rule)
	}
	for _, s := range []*stepView{f.Prod, f.Staging} {
		var parts []string
		parts = append(parts, s.Status)
		if s.ExitCode != "" {
			parts = append(parts, "exit "+s.ExitCode)
		}
		if s.Node != "" {
			parts = append(parts, "on "+s.Node)
		}
		if s.Image != "" {
			parts = append(parts, "in "+s.Image)
		}
		if s.Attempts > 1 {
			parts = append(parts, fmt.Sprintf("after %d attempts", s.Attempts))
		}
		if s.Error != "" && s.Status != "SUCCESS" {
			parts = append(parts, s.Error)
		}
		if s.URL != "" {
			parts = append(parts, s.URL)
		}
		t.field(s.Side, strings.Join(parts, " · "))
	}
	if k := len(f.Consequences); k > 0 {
		var names []string
		for _, c := range f.Consequences {
			names = append(names, fmt.Sprintf("%s (%s → %s)", c.Name(), c.ProdStatus, c.StagingStatus))
		}
		t.field("then", fmt.Sprintf("%d later %s follow from this: %s", k, plural(k, "difference", "differences"), strings.Join(names, "; ")))
	}
	if len(f.Evidence) > 0 {
		t.line("      evidence:")
		gutter := t.style("│", ansiDim)
		for _, l := range f.Evidence {
			t.line("      %s %s", gutter, clip(plain(l), t.width-8))
		}
	}
	if len(f.Excerpt) > 0 {
		t.line("      %s log, lines the other side did not print:", f.ExcerptSide)
		gutter := t.style("│", ansiDim)
		for _, l := range f.Excerpt {
			t.line("      %s %s", gutter, clip(plain(l), t.width-8))
		}
	}
}

// para prints text wrapped to the terminal, the first line after first, the others after rest.
func (t *textWriter) para(first, rest, text string) {
	text = plain(text)
	if utf8.RuneCountInString(first+text) <= t.width {
		t.line("%s%s", first, text)
		return
	}
	for i, l := range wrapWords(plain(text), max(20, t.width-len(rest))) {
		if i == 0 {
			t.line("%s%s", first, l)
		} else {
			t.line("%s%s", rest, l)
		}
	}
}

// field prints "name: value" wrapped to the terminal with a hanging indent.
func (t *textWriter) field(name, value string) {
	if value == "" {
		return
	}
	const indent = "               " // 6 + "name:" padded to 8 + 1
	for i, l := range wrapWords(plain(value), max(20, t.width-len(indent))) {
		if i == 0 {
			t.line("      %-8s %s", name+":", l)
		} else {
			t.line("%s%s", indent, l)
		}
	}
}

func (t *textWriter) outcome(d diffView) string {
	switch o := d.Outcome(); o {
	case "blocking":
		return t.style("BLOCKING", ansiBold, ansiRed)
	case "waived":
		return t.style(o, ansiYellow)
	default:
		return o
	}
}
