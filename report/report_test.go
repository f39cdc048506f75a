package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretsInFixture are the credential values planted in the fixture.
func secretsInFixture() []string {
	return []string{fixtureGitHubToken[4:], payloadURLSecret, "s3cr3t-d0cs"}
}

func TestWriteRedactsEverywhere(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			out := string(render(t, format, fixtureOptions()))
			for _, s := range secretsInFixture() {
				assert.False(t, strings.Contains(out, s), "secret %q in %s", s, format)
			}
			assert.Contains(t, out, "ghp_****", "the kind of credential stays readable")
		})
	}
}

func TestWriteDoesNotChangeTheComparison(t *testing.T) {
	c := fixtureComparison()
	before, err := json.Marshal(c)
	require.NoError(t, err)
	for _, f := range Formats {
		require.NoError(t, Write(&bytes.Buffer{}, c, f, fixtureOptions()))
	}
	after, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, string(before), string(after))
}

func TestWriteErrors(t *testing.T) {
	err := Write(&bytes.Buffer{}, fixtureComparison(), "xml", Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"xml"`)
	assert.Contains(t, err.Error(), "markdown")
	assert.Error(t, Write(&bytes.Buffer{}, nil, FormatText, Options{}))
}

// TestMarkdownInjection checks the payloads cannot become markup: outside fenced blocks no
// raw HTML tag, link or unescaped pipe from the data survives, and the fences cannot be closed
// early by a log line.
func TestMarkdownInjection(t *testing.T) {
	out := string(render(t, FormatMarkdown, fixtureOptions()))
	prose, fences := splitFences(t, out)
	for _, bad := range []string{"<script", "<img", "onerror=\"", "](http://evil)", "Build | x", "@apache", "#10152"} {
		assert.NotContains(t, prose, bad)
	}
	// The only tags outside fences are the report's own.
	for _, tag := range regexp.MustCompile(`</?([a-zA-Z]+)`).FindAllStringSubmatch(prose, -1) {
		assert.Contains(t, []string{"details", "summary", "b", "code", "sub"}, tag[1], "unexpected tag %q", tag[0])
	}
	// Every table row keeps its column count: an unescaped | would add a column.
	for _, line := range strings.Split(prose, "\n") {
		if strings.HasPrefix(line, "| # |") {
			assert.Equal(t, 9, cells(line), line)
		}
		if strings.HasPrefix(line, "| 2 | Build") {
			assert.Equal(t, 9, cells(line), line)
		}
	}
	joined := strings.Join(fences, "\n")
	assert.Contains(t, joined, payloadScript, "log text inside a fence is shown as is")
	assert.Contains(t, joined, "</details>")
}

// splitFences separates the Markdown outside fenced code blocks from their contents, following
// CommonMark's rule that a fence closes only with at least as many backticks.
func splitFences(t *testing.T, md string) (prose string, fences []string) {
	var outside, inside []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		run := len(line) - len(strings.TrimLeft(line, "`"))
		switch {
		case fence == "" && run >= 3:
			fence = line[:run]
		case fence != "" && run >= len(fence) && strings.TrimSpace(line[run:]) == "":
			fences = append(fences, strings.Join(inside, "\n"))
			inside, fence = nil, ""
		case fence != "":
			inside = append(inside, line)
		default:
			outside = append(outside, line)
		}
	}
	require.Empty(t, fence, "unclosed fence")
	return strings.Join(outside, "\n"), fences
}

// cells counts the columns of a Markdown table row, honouring backslash-escaped pipes.
func cells(row string) int {
	n, esc := 0, false
	for _, r := range row {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '|':
			n++
		}
	}
	return n
}

func TestMarkdownSizeLimit(t *testing.T) {
	full := render(t, FormatMarkdown, fixtureOptions())
	for _, limit := range []int{len(full), len(full) - 1, 6000, 3000, 1200, 300} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			opts := fixtureOptions()
			opts.MaxMarkdownBytes = limit
			out := string(render(t, FormatMarkdown, opts))
			assert.LessOrEqual(t, len(out), limit)
			if limit < len(full) {
				assert.Regexp(t, `omitted|not shown|truncated`, out, "the report says what was cut")
			}
			if limit >= 1200 {
				assert.Contains(t, out, "NO-GO", "the verdict survives every cut")
				_, _ = splitFences(t, out)
			}
		})
	}
	opts := fixtureOptions()
	opts.MaxMarkdownBytes = 6000
	out := string(render(t, FormatMarkdown, opts))
	assert.NotContains(t, out, "```text", "evidence goes first")
	assert.Contains(t, out, "tvm/PR-10152", "the blocking pair stays longest")
}

func TestJSONComplete(t *testing.T) {
	out := render(t, FormatJSON, fixtureOptions())
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	assert.EqualValues(t, 1, got["schema_version"])
	assert.Equal(t, "NO-GO", got["verdict"])
	for _, k := range []string{"summary", "pairs", "unpaired", "systematic", "errors", "warnings", "generated_at"} {
		assert.Contains(t, got, k)
	}
	// It reads back into the analyzer's model: nothing renamed or dropped.
	var back analyzer.Comparison
	require.NoError(t, json.Unmarshal(out, &back))
	want := fixtureComparison()
	require.Len(t, back.Pairs, len(want.Pairs))
	d := back.Pairs[0].Differences[0]
	assert.Equal(t, want.Pairs[0].Differences[0].Reason, d.Reason)
	assert.Equal(t, analyzer.ClassExecutor, d.Class)
	assert.Equal(t, "disk_full", d.Cause)
	assert.Equal(t, &analyzer.StepRef{Stage: "Build/BUILD: GPU", Label: "Run cmake build"}, back.Pairs[0].Differences[1].ConsequenceOf)
	assert.Equal(t, "docs-push-token deliberately absent on staging", back.Pairs[1].Differences[1].WaiverReason)
	assert.Equal(t, want.Summary, back.Summary)

	pairs := got["pairs"].([]any)
	p0 := pairs[0].(map[string]any)
	assert.Equal(t, "https://ci.tlcpack.ai/job/tvm/job/PR-10152/3/", p0["prod"].(map[string]any)["url"])
	d0 := p0["differences"].([]any)[0].(map[string]any)
	assert.Equal(t, "https://ci-staging.tlcpack.ai/job/tvm/job/PR-10152/1/execution/node/31/log/", d0["staging_log_url"])
	for _, k := range []string{"stage", "label", "prod_status", "staging_status", "class", "cause", "blocking", "waived", "reason", "evidence"} {
		assert.Contains(t, d0, k)
	}
}

func TestBuildURL(t *testing.T) {
	n := 7
	tests := []struct{ base, job, want string }{
		{"https://ci.tlcpack.ai", "tvm/PR-10", "https://ci.tlcpack.ai/job/tvm/job/PR-10/7/"},
		{"https://ci.tlcpack.ai/", "tvm/feature%2Fx", "https://ci.tlcpack.ai/job/tvm/job/feature%252Fx/7/"},
		{"https://ci.example.org/jenkins", "my folder/job #1", "https://ci.example.org/jenkins/job/my%20folder/job/job%20%231/7/"},
		{"", "tvm/PR-10", ""},
		{"javascript:alert(1)", "x", ""},
		// A library caller's base with credentials: the link must not print them.
		{"https://ci:s3cret@ci.tlcpack.ai/", "tvm/PR-10", "https://ci.tlcpack.ai/job/tvm/job/PR-10/7/"},
		{"https://ci.tlcpack.ai", "", ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, BuildURL(tc.base, tc.job, &n), "%s %s", tc.base, tc.job)
	}
	assert.Equal(t, "", BuildURL("https://ci.tlcpack.ai", "tvm/PR-10", nil))
}

func TestHTMLInjection(t *testing.T) {
	out := string(render(t, FormatHTML, fixtureOptions()))
	assert.NotContains(t, out, "<img")
	assert.NotContains(t, out, "<script>document")
	assert.Equal(t, 1, strings.Count(out, "<script"), "the page's own script is the only one")
	assert.Contains(t, out, "&lt;script&gt;document.title=&#39;pwned&#39;")
	assert.Contains(t, out, `href="https://ci-staging.tlcpack.ai/job/tvm/job/PR-10152/1/execution/node/44/log/"`)
	assert.NotContains(t, out, "http://evil\"", "no link made from a label")
	assert.NotRegexp(t, `(?i)(src|href)="(https?:)?//[^"]*\.(js|css)"`, out, "no external assets")
}

// TestHTMLInBrowser opens the report in headless Chromium: the page runs without console
// messages (no script error, no CSP violation), the payloads stay text, and the filters show
// what the data says.
func TestHTMLInBrowser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(path, render(t, FormatHTML, fixtureOptions()), 0o644))
	page := openInBrowser(t, path, "selftest")

	assert.Empty(t, page.Console, "console messages (script errors or CSP violations)")
	// (assert.True, not Contains: a failure should not print the whole DOM.)
	has := func(s string) bool { return strings.Contains(page.DOM, s) }
	assert.False(t, has("pwned</title>"), "the payload set the title")
	assert.True(t, has("<title>NO-GO · cidiff"), "title")
	assert.False(t, has("<img"), "the img payload became an element")
	assert.True(t, has("&lt;script&gt;document.title='pwned';alert(1)&lt;/script&gt;"), "the script payload is shown as text")
	assert.True(t, has(`findings in 4 pairs shown`), "the page's script ran and counted")

	m := regexp.MustCompile(`(?s)<pre id="selftest">(.*?)</pre>`).FindStringSubmatch(page.DOM)
	require.NotNil(t, m, "the #selftest hook wrote its results")
	got := strings.Split(strings.TrimSpace(m[1]), "\n")
	assert.Equal(t, expectedSelftest(fixtureComparison()), got)
}

// expectedSelftest computes, from the comparison, what each filter must leave visible:
// findings are root differences; a pair shows when its job matches and, under a class or
// outcome filter, it keeps at least one finding.
func expectedSelftest(c *analyzer.Comparison) []string {
	type finding struct{ class, outcome, job string }
	var all []finding
	jobs := map[string]bool{}
	for _, p := range c.Pairs {
		jobs[p.Job] = true
		for _, d := range p.Differences {
			if d.ConsequenceOf != nil {
				continue
			}
			o := "open"
			if d.Waived {
				o = "waived"
			} else if d.Blocking {
				o = "blocking"
			}
			all = append(all, finding{string(d.Class), o, p.Job})
		}
	}
	count := func(name, value string, keep func(f finding) bool, pairOK func(p analyzer.Pair) bool, filtering bool) string {
		findings, pairs := 0, 0
		for _, p := range c.Pairs {
			n := 0
			for _, f := range all {
				if f.job == p.Job && keep(f) {
					n++
				}
			}
			if pairOK(p) && (!filtering || n > 0) {
				pairs++
				findings += n
			}
		}
		return fmt.Sprintf("%s=%s findings=%d pairs=%d", name, value, findings, pairs)
	}
	yes := func(analyzer.Pair) bool { return true }
	lines := []string{count("all", "", func(finding) bool { return true }, yes, false)}
	for _, k := range analyzer.Classes {
		lines = append(lines, count("class", string(k), func(f finding) bool { return f.class == string(k) }, yes, true))
	}
	for _, o := range []string{"blocking", "open", "waived"} {
		lines = append(lines, count("outcome", o, func(f finding) bool { return f.outcome == o }, yes, true))
	}
	var js []string
	for j := range jobs {
		js = append(js, j)
	}
	sort.Strings(js)
	for _, j := range js {
		lines = append(lines, count("job", j, func(f finding) bool { return f.job == j }, func(p analyzer.Pair) bool { return p.Job == j }, false))
	}
	return lines
}

// TestAnalyzerOutput renders the analyzer's own golden comparison of TVM-shaped builds (its
// JSON, read back into the model): every root difference becomes one finding, every
// consequence finds its root, and the HTML filters agree with the data in a real browser.
func TestAnalyzerOutput(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "analyzer", "testdata", "compare", "tvm.json"))
	if os.IsNotExist(err) {
		t.Skip("analyzer golden comparison not present")
	}
	require.NoError(t, err)
	var c analyzer.Comparison
	require.NoError(t, json.Unmarshal(data, &c))
	opts := fixtureOptions()

	v := newView(&c, opts)
	roots, consequences, grouped := 0, 0, 0
	for _, p := range c.Pairs {
		for _, d := range p.Differences {
			if d.ConsequenceOf == nil {
				roots++
			} else {
				consequences++
			}
		}
	}
	shown := 0
	for _, p := range v.Pairs {
		shown += len(p.Findings)
		for _, f := range p.Findings {
			grouped += len(f.Consequences)
		}
	}
	assert.Equal(t, roots, shown, "one finding per root difference")
	assert.Equal(t, consequences, grouped, "every consequence grouped under its root")

	for _, f := range Formats {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, &c, f, opts), f)
		assert.Contains(t, buf.String(), string(c.Verdict), f)
		if f == FormatMarkdown {
			_, _ = splitFences(t, buf.String())
		}
		if f == FormatHTML {
			path := filepath.Join(t.TempDir(), "tvm.html")
			require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			page := openInBrowser(t, path, "selftest")
			assert.Empty(t, page.Console)
			m := regexp.MustCompile(`(?s)<pre id="selftest">(.*?)</pre>`).FindStringSubmatch(page.DOM)
			require.NotNil(t, m)
			assert.Equal(t, expectedSelftest(&c), strings.Split(strings.TrimSpace(m[1]), "\n"))
		}
	}
}

// TestTextFitsWidth checks the text report against the terminal width: tables always fit;
// a longer line holds a word that cannot be broken without losing its use (a URL, a Java
// class name).
func TestTextFitsWidth(t *testing.T) {
	for _, width := range []int{60, 72, 100, 160} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			opts := fixtureOptions()
			opts.Width = width
			for _, line := range strings.Split(string(render(t, FormatText, opts)), "\n") {
				n := utf8.RuneCountInString(line)
				if n <= width {
					continue
				}
				if strings.ContainsAny(line, "│┌└├") {
					t.Errorf("table line of %d > %d: %q", n, width, line)
					continue
				}
				longest := 0
				for _, w := range strings.Fields(line) {
					longest = max(longest, utf8.RuneCountInString(w))
				}
				assert.Greater(t, longest, width/2, "line of %d > %d has no unbreakable word: %q", n, width, line)
			}
		})
	}
}

func TestTextColor(t *testing.T) {
	opts := fixtureOptions()
	plainOut := string(render(t, FormatText, opts))
	assert.NotContains(t, plainOut, "\x1b", "no escape without Color")
	opts.Color = true
	colored := string(render(t, FormatText, opts))
	assert.True(t, strings.HasPrefix(colored, ansiBold+ansiRed+"NO-GO"+ansiReset), "the verdict is red")
	assert.NotContains(t, colored, "pwned-title", "escape sequences from logs never reach the terminal")
	assert.NotContains(t, colored, "\x1b]", "no OSC sequence")
	for _, f := range Formats {
		assert.False(t, strings.Contains(string(render(t, f, fixtureOptions())), "pwned-title"), "escape sequence in %s", f)
	}
}

func TestHTMLAnchors(t *testing.T) {
	out := string(render(t, FormatHTML, fixtureOptions()))
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(out, -1) {
		assert.False(t, ids[m[1]], "duplicate id %q", m[1])
		ids[m[1]] = true
	}
	links := regexp.MustCompile(` href="#([^"]+)"`).FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, links)
	for _, m := range links {
		assert.True(t, ids[m[1]], "link to missing #%s", m[1])
	}
}

// bigComparison has n pairs, each with a blocking difference carrying 40 evidence lines.
func bigComparison(n int) *analyzer.Comparison {
	c := fixtureComparison()
	tmpl := c.Pairs[0]
	c.Pairs = nil
	for i := range n {
		p := tmpl
		p.Job = fmt.Sprintf("tvm/PR-%d", 20000+i)
		p.Key = p.Job + "@" + p.Revision
		p.Prod.Job, p.Staging.Job = p.Job, p.Job
		d := tmpl.Differences[0]
		d.Evidence = nil
		for j := range 40 {
			d.Evidence = append(d.Evidence, fmt.Sprintf("[2022-02-01T08:03:%02d.000Z] line %d of the failing log of pair %d", j, j, i))
		}
		p.Differences = []analyzer.Difference{d}
		c.Pairs = append(c.Pairs, p)
	}
	c.Summary.PairsCompared = n
	return c
}

func TestMarkdownSizeLimitManyPairs(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, bigComparison(400), FormatMarkdown, fixtureOptions()))
	out := buf.String()
	assert.LessOrEqual(t, len(out), GitHubCommentLimit)
	assert.Greater(t, len(out), GitHubCommentLimit*3/4, "the cut keeps as much as fits")
	assert.Regexp(t, `evidence excerpts are omitted and \d+ pairs with differences are not shown`, out)
	_, _ = splitFences(t, out)
}

func BenchmarkWriteMarkdownCut(b *testing.B) {
	c := bigComparison(400)
	for b.Loop() {
		_ = Write(io.Discard, c, FormatMarkdown, Options{Now: fixedNow})
	}
}

func BenchmarkWriteHTML(b *testing.B) {
	c := bigComparison(400)
	for b.Loop() {
		_ = Write(io.Discard, c, FormatHTML, Options{Now: fixedNow})
	}
}

// FuzzWrite puts arbitrary text where builds and logs put theirs: no format fails, the HTML
// keeps its single script, Markdown fences stay balanced and nothing from the data opens a tag.
func FuzzWrite(f *testing.F) {
	f.Add(payloadStage, payloadLabel, payloadScript, payloadImg)
	f.Add("```", "<details>", "````\n</details>", "\x1b]0;x\x07")
	f.Fuzz(func(t *testing.T, stage, label, evidence, reason string) {
		c := fixtureComparison()
		d := &c.Pairs[0].Differences[3]
		d.Stage, d.Label, d.Reason, d.Evidence = stage, label, reason, []string{evidence}
		for _, format := range Formats {
			var buf bytes.Buffer
			if err := Write(&buf, c, format, fixtureOptions()); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out := buf.String()
			switch format {
			case FormatHTML:
				if n := strings.Count(strings.ToLower(out), "<script"); n != 1 {
					t.Fatalf("html has %d <script", n)
				}
				if strings.Contains(strings.ToLower(out), "<img") {
					t.Fatal("html has an <img")
				}
			case FormatMarkdown:
				prose, _ := splitFences(t, out)
				if strings.Contains(strings.ToLower(prose), "<img") || strings.Contains(strings.ToLower(prose), "<script") {
					t.Fatalf("markdown prose has a tag from the data")
				}
			case FormatJSON:
				if !json.Valid(buf.Bytes()) {
					t.Fatal("invalid json")
				}
			}
		}
	})
}

func TestWriteEmptyComparison(t *testing.T) {
	c := &analyzer.Comparison{Verdict: analyzer.VerdictGo}
	for _, f := range Formats {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, c, f, Options{Now: fixedNow}), f)
		assert.Contains(t, buf.String(), "GO", f)
		assert.NotContains(t, buf.String(), "NO-GO", f)
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal(render1(t, c, FormatJSON), &got))
	for _, k := range []string{"pairs", "systematic", "errors", "warnings"} {
		assert.Equal(t, []any{}, got[k], k)
	}
	assert.Equal(t, map[string]any{"prod": []any{}, "staging": []any{}}, got["unpaired"])

	path := filepath.Join(t.TempDir(), "empty.html")
	require.NoError(t, os.WriteFile(path, render1(t, c, FormatHTML), 0o644))
	page := openInBrowser(t, path, "selftest")
	assert.Empty(t, page.Console)
	assert.True(t, strings.Contains(page.DOM, `<h1 id="verdict">GO</h1>`))
	assert.True(t, strings.Contains(page.DOM, "all= findings=0 pairs=0"))
}

func render1(t *testing.T, c *analyzer.Comparison, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, c, format, Options{Now: fixedNow}))
	return buf.Bytes()
}
