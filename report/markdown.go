package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxMarkdownList caps the unpaired builds and input errors listed in Markdown; the rest are
// counted.
const maxMarkdownList = 50

// mdCut says what a Markdown rendering left out to fit the size limit.
type mdCut struct {
	noEvidence bool
	// pairs is how many pairs with differences get a section; -1 for all.
	pairs int
}

func writeMarkdown(w io.Writer, v *view, opts Options) error {
	limit := opts.MaxMarkdownBytes
	out := renderMarkdown(v, mdCut{pairs: -1}, limit)
	if len(out) > limit {
		out = renderMarkdown(v, mdCut{noEvidence: true, pairs: -1}, limit)
	}
	if len(out) > limit {
		// The most pairs that fit: sections are in reading order (blocking first), so the
		// pairs dropped are the least important ones.
		n := sort.Search(len(v.Pairs)+1, func(k int) bool {
			return len(renderMarkdown(v, mdCut{noEvidence: true, pairs: k}, limit)) > limit
		}) - 1
		out = renderMarkdown(v, mdCut{noEvidence: true, pairs: max(n, 0)}, limit)
	}
	if len(out) > limit {
		// Even the summary does not fit (thousands of unpaired builds, say): cut at a line.
		note := "\n\n_Report truncated to fit a GitHub comment; see the JSON or HTML report._\n"
		cut := bytes.LastIndexByte(out[:max(0, limit-len(note))], '\n')
		out = append(out[:max(cut, 0)], note...)
	}
	_, err := w.Write(out)
	return err
}

func renderMarkdown(v *view, cut mdCut, limit int) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	icon := "✅"
	if v.NoGo {
		icon = "❌"
	}
	p("## %s %s · launch validation: %s vs %s\n\n", icon, mdText(v.Verdict), mdText(v.ProdName), mdText(v.StagingName))
	p("**%s**%s\n\n", mdText(v.Verdict), mdText(strings.TrimPrefix(v.headline(), v.Verdict)))

	var withDiffs, identical []pairView
	for _, pv := range v.Pairs {
		if pv.Identical && len(pv.Findings) == 0 && len(pv.BothFailed) == 0 {
			identical = append(identical, pv)
		} else {
			withDiffs = append(withDiffs, pv)
		}
	}
	shown := withDiffs
	if cut.pairs >= 0 && cut.pairs < len(withDiffs) {
		shown = withDiffs[:cut.pairs]
	}
	if cut.noEvidence || len(shown) < len(withDiffs) {
		var what []string
		if cut.noEvidence {
			what = append(what, "evidence excerpts are omitted")
		}
		if n := len(withDiffs) - len(shown); n > 0 {
			what = append(what, fmt.Sprintf("%d %s with differences %s not shown", n, plural(n, "pair", "pairs"), plural(n, "is", "are")))
		}
		p("> ✂️ To stay within %d bytes (a GitHub comment holds %d characters), %s. The JSON and HTML reports have everything.\n\n", limit, GitHubCommentLimit, strings.Join(what, " and "))
	}

	p("| class | differences | findings | blocks launch |\n|---|--:|--:|---|\n")
	for _, c := range v.Classes {
		p("| %s | %d | %d | %s |\n", c.Class, c.Differences, c.Findings, yesNo(c.Blocking))
	}
	s := v.Summary
	p("| **blocking (unwaived)** | **%d** | | |\n", s.Blocking)
	p("| waived | %d | | |\n", s.Waived)
	p("| pairs compared / identical | %d / %d | | |\n", s.PairsCompared, s.PairsIdentical)
	p("| unpaired %s / %s | %d / %d | | |\n", mdText(v.ProdName), mdText(v.StagingName), s.UnpairedProd, s.UnpairedStaging)
	p("| unreadable inputs | %d | | |\n\n", len(v.Errors))
	p("<sub>Generated %s.</sub>\n\n", mdText(v.Generated))

	if len(shown) > 0 {
		p("### Findings\n\n| pair | stage | label | %s | %s | class/cause | outcome |\n|---|---|---|---|---|---|---|\n", mdText(v.ProdName), mdText(v.StagingName))
		for _, pv := range shown {
			for _, f := range pv.Findings {
				p("| %s | %s | %s | %s | %s | %s | %s |\n", mdText(pv.Job)+" `"+mdCode(shortRev(pv.Revision))+"`", mdText(orDash(f.Stage)), mdText(orDash(f.Label)),
					mdText(f.ProdStatus), mdText(f.StagingStatus), mdText(f.ClassCause()), mdOutcome(f.diffView))
			}
		}
		p("\n### Pairs\n\n")
		for _, pv := range shown {
			mdPair(&b, pv, cut.noEvidence)
		}
	}
	if len(identical) > 0 {
		p("<details><summary>%d identical %s</summary>\n\n| job | revision | %s | %s |\n|---|---|---|---|\n",
			len(identical), plural(len(identical), "pair", "pairs"), mdText(v.ProdName), mdText(v.StagingName))
		for _, pv := range identical {
			p("| %s | %s | %s | %s |\n", mdText(pv.Job), mdText(shortRev(pv.Revision)), mdBuildLink(pv.Prod), mdBuildLink(pv.Staging))
		}
		p("\n</details>\n\n")
	}
	if len(v.Systematic) > 0 {
		p("### Systematic differences\n\nSteps that fail significantly more often on %s than on %s across all pairs.\n\n", mdText(v.StagingName), mdText(v.ProdName))
		p("| stage | label | %s failed | %s failed | p | jobs | reason |\n|---|---|--:|--:|--:|---|---|\n", mdText(v.StagingName), mdText(v.ProdName))
		for _, sy := range v.Systematic {
			p("| %s | %s | %d/%d | %d/%d | %s | %s | %s |\n", mdText(orDash(sy.Stage)), mdText(orDash(sy.Label)), sy.StagingFailures, sy.StagingRuns,
				sy.ProdFailures, sy.ProdRuns, mdText(sy.PValue), mdText(strings.Join(sy.Jobs, ", ")), mdText(sy.Reason))
		}
		p("\n")
	}
	if len(v.Unpaired[0])+len(v.Unpaired[1]) > 0 {
		p("### Unpaired builds\n\n| side | build | result | revision | reason |\n|---|---|---|---|---|\n")
		n := 0
		for side, list := range v.Unpaired {
			name := v.ProdName
			if side == 1 {
				name = v.StagingName
			}
			for _, u := range list {
				if n++; n > maxMarkdownList {
					continue
				}
				p("| %s | %s | %s | %s | %s |\n", mdText(name), mdBuildLink(u.buildView), mdText(u.Result), mdText(shortRev(u.Revision)), mdText(u.Reason))
			}
		}
		if n > maxMarkdownList {
			p("\n… and %d more.\n", n-maxMarkdownList)
		}
		p("\n")
	}
	if len(v.Errors) > 0 {
		p("### Unreadable inputs\n\n")
		for i, e := range v.Errors {
			if i == maxMarkdownList {
				p("- … and %d more\n", len(v.Errors)-i)
				break
			}
			p("- %s `%s`: %s\n", mdText(string(e.Side)), mdCode(e.Dir), mdText(e.Error))
		}
		p("\n")
	}
	if len(v.Warnings) > 0 {
		p("### Warnings\n\n")
		for _, w := range v.Warnings {
			p("- %s\n", mdText(w))
		}
		p("\n")
	}
	return b.Bytes()
}

func mdPair(b *bytes.Buffer, pv pairView, noEvidence bool) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	tag := "not blocking"
	if pv.Blocking {
		tag = "<b>BLOCKING</b>"
	}
	p("<details><summary><b>%s</b> @ <code>%s</code> — %d %s, %s</summary>\n\n", mdHTML(pv.Job), mdHTML(shortRev(pv.Revision)),
		len(pv.Findings), plural(len(pv.Findings), "finding", "findings"), tag)
	p("- %s: %s, %s\n", pv.Prod.Side, mdBuildLink(pv.Prod), mdText(pv.Prod.Result))
	p("- %s: %s, %s\n", pv.Staging.Side, mdBuildLink(pv.Staging), mdText(pv.Staging.Result))
	p("- revision `%s`", mdCode(orDash(pv.Revision)))
	if pv.Prod.Base != "" || pv.Staging.Base != "" {
		p(", merged with `%s` / `%s`", mdCode(orDash(pv.Prod.Base)), mdCode(orDash(pv.Staging.Base)))
	}
	p("\n")
	for _, older := range [][]buildView{pv.OlderProd, pv.OlderStaging} {
		for _, ob := range older {
			p("- older %s build of this revision: %s, %s\n", ob.Side, mdBuildLink(ob), mdText(ob.Result))
		}
	}
	p("\n")
	if len(pv.Findings) > 0 {
		p("| # | stage | label | prod | staging | class/cause | outcome | reason |\n|---|---|---|---|---|---|---|---|\n")
		for i, f := range pv.Findings {
			p("| %d | %s | %s | %s | %s | %s | %s | %s |\n", i+1, mdText(orDash(f.Stage)), mdText(orDash(f.Label)), mdStep(f.Prod), mdStep(f.Staging),
				mdText(f.ClassCause()), mdOutcome(f.diffView), mdText(f.Reason))
			for j, c := range f.Consequences {
				p("| %d.%d | ↳ %s | %s | %s | %s | consequence of %d | %s | %s |\n", i+1, j+1, mdText(orDash(c.Stage)), mdText(orDash(c.Label)),
					mdStep(c.Prod), mdStep(c.Staging), i+1, mdOutcome(c), mdText(c.Reason))
			}
		}
		p("\n")
	}
	for i, f := range pv.Findings {
		p("**%d. %s** — %s, %s\n\n", i+1, mdText(f.Name()), mdText(f.ClassCause()), mdOutcome(f.diffView))
		if f.Waived {
			p("- waived: %s\n", mdText(f.WaiverReason))
		}
		if f.Rule != "" {
			p("- rule: `%s`\n", mdCode(f.Rule))
		}
		for _, s := range []*stepView{f.Prod, f.Staging} {
			if s.Error != "" && s.Status != "SUCCESS" {
				p("- %s error: %s\n", s.Side, mdText(s.Error))
			}
		}
		if len(f.Consequences) > 0 {
			p("- consequences: %d %s that did not run or ran differently because of this\n", len(f.Consequences), plural(len(f.Consequences), "step", "steps"))
		}
		if len(f.Evidence) > 0 && !noEvidence {
			p("\nEvidence:\n\n%s", mdFence("text", strings.Join(f.Evidence, "\n")))
		}
		if len(f.Excerpt) > 0 && !noEvidence {
			p("\nLog excerpt (%s: lines the other side did not print):\n\n%s", f.ExcerptSide, mdFence("text", strings.Join(f.Excerpt, "\n")))
		}
		p("\n")
	}
	if len(pv.BothFailed) > 0 {
		p("Failed on both sides (not differences):\n\n")
		for _, bf := range pv.BothFailed {
			p("- %s: %s / %s\n", mdText(diffView{Stage: bf.Stage, Label: bf.Label}.Name()), mdText(bf.ProdStatus+" "+bf.ProdError), mdText(bf.StagingStatus+" "+bf.StagingError))
		}
		p("\n")
	}
	p("</details>\n\n")
}

// mdBuildLink is "[tvm/PR-10 #3](url)", or the build's name and directory without a URL.
func mdBuildLink(b buildView) string {
	if b.URL == "" {
		if b.Dir == "" {
			return mdText(b.Short())
		}
		return mdText(b.Short()) + " (`" + mdCode(b.Dir) + "`)"
	}
	return "[" + mdText(b.Short()) + "](" + mdURL(b.URL) + ")"
}

// mdStep is a step's status, linked to its log when possible.
func mdStep(s *stepView) string {
	t := mdText(s.Status)
	if s.ExitCode != "" {
		t += " (" + s.ExitCode + ")"
	}
	if s.URL != "" {
		t = "[" + t + "](" + mdURL(s.URL) + ")"
	}
	return t
}

func mdOutcome(d diffView) string {
	if o := d.Outcome(); o == "blocking" {
		return "**blocking**"
	} else {
		return o
	}
}

// mdURL percent-encodes the characters that could end a Markdown link destination early.
func mdURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", "\n", "", "\r", "", "`", "%60", "|", "%7C").Replace(u)
}

// mdCode makes s safe inside a single-backtick code span in a table: backticks cannot be
// escaped there, so they become a look-alike; pipes are escaped (GitHub splits cells first).
func mdCode(s string) string {
	return strings.NewReplacer("`", "ˋ", "|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
