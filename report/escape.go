package report

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
)

// zwsp is a zero-width space as an entity. Put after @ and # it stops GitHub from turning
// "@team" into a mention (which notifies people) and "#123" into an issue link, while the
// text still reads the same. Dependabot does the same.
const zwsp = "&#8203;"

// mdText escapes s for a GitHub-flavoured Markdown table cell, list item or heading: nothing
// in it can open a link, an image, emphasis, code, a table column, HTML, a mention or an issue
// reference. Line breaks become spaces (a table row is one line).
func mdText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\r', '\n', '\t':
			b.WriteByte(' ')
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '|', '\\', '`', '*', '_', '[', ']', '(', ')', '~', '!':
			// Table column, code, emphasis, strike-through, link and image syntax. Without
			// brackets no "[x](url)" can form; a bare https:// URL may still autolink, but it
			// shows the address it goes to.
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@', '#':
			b.WriteRune(r)
			b.WriteString(zwsp)
		default:
			if r < 0x20 || r == 0x7f {
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdHTML escapes s for the inside of an HTML element in Markdown (<summary>, <code>): HTML
// escaping plus the mention and issue guards, since GitHub links those in HTML text too.
func mdHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\r', '\n', '\t':
			b.WriteByte(' ')
		case '@', '#':
			b.WriteRune(r)
			b.WriteString(zwsp)
		default:
			if r < 0x20 || r == 0x7f {
				continue
			}
			b.WriteString(html.EscapeString(string(r)))
		}
	}
	return b.String()
}

// mdFence returns body as a fenced code block whose fence is longer than any run of backticks
// inside, so no line of a log can close it early. Inside a fence GitHub renders nothing: no
// HTML, links or mentions.
func mdFence(info, body string) string {
	longest, run := 0, 0
	for i := 0; i < len(body); i++ {
		if body[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	body = strings.TrimRight(body, "\n")
	return fence + info + "\n" + body + "\n" + fence + "\n"
}

// ansiSeq matches terminal escape sequences: CSI (colours, cursor moves), OSC (window titles,
// hyperlinks; ended by BEL or ST) and two-byte escapes.
var ansiSeq = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)|\x1b[@-Z\\-_]?`)

// clean removes terminal escape sequences and other control characters (tabs stay) from text
// read from builds, and replaces invalid UTF-8: what remains is the text a person saw in the
// Jenkins console, safe to put in any format.
func clean(s string) string {
	if strings.IndexFunc(s, isControl) < 0 && utf8.ValidString(s) {
		return s
	}
	s = ansiSeq.ReplaceAllString(strings.ToValidUTF8(s, "\uFFFD"), "")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0)
}
