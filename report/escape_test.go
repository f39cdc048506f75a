package report

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestMdText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Build/BUILD: GPU", "Build/BUILD: GPU"},
		{"pipe", "Build | x", `Build \| x`},
		{"backticks", "run `make` now", "run \\`make\\` now"},
		{"link injection", "label](http://evil)", `label\]\(http://evil\)`},
		{"image", "![x](http://evil/x.png)", `\!\[x\]\(http://evil/x.png\)`},
		{"html", "<script>alert(1)</script>", `&lt;script&gt;alert\(1\)&lt;/script&gt;`},
		{"entity", "&lt;b&gt;", "&amp;lt;b&amp;gt;"},
		{"mention", "ping @apache/tvm-ci", "ping @" + zwsp + "apache/tvm-ci"},
		{"issue", "see #10152", "see #" + zwsp + "10152"},
		{"emphasis", "*bold* _it_ ~~s~~", `\*bold\* \_it\_ \~\~s\~\~`},
		{"newlines", "a\nb\r\nc", "a b  c"},
		{"backslash", `C:\path\|`, `C:\\path\\\|`},
		{"control", "a\x00b\x1b[31m", `ab\[31m`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, mdText(tc.in))
		})
	}
}

func TestMdHTML(t *testing.T) {
	assert.Equal(t, "&lt;img src=x onerror=alert(1)&gt; @"+zwsp+"x #"+zwsp+"1", mdHTML("<img src=x onerror=alert(1)> @x #1"))
	assert.Equal(t, "&#34;a&#34; &amp; b", mdHTML(`"a" & b`))
}

func TestMdFence(t *testing.T) {
	tests := []struct{ name, body, fence string }{
		{"no backticks", "error: boom", "```"},
		{"short run", "use `x`", "```"},
		{"triple run", "```\n</details>\n```", "````"},
		{"long run", "a ````` b", "``````"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mdFence("text", tc.body)
			assert.True(t, strings.HasPrefix(got, tc.fence+"text\n"), got)
			assert.True(t, strings.HasSuffix(got, "\n"+tc.fence+"\n"), got)
			inner := strings.TrimSuffix(strings.TrimPrefix(got, tc.fence+"text\n"), tc.fence+"\n")
			for _, line := range strings.Split(inner, "\n") {
				assert.False(t, strings.HasPrefix(strings.TrimLeft(line, " "), tc.fence), "line %q closes the fence", line)
			}
		})
	}
}

// unescapedMarkdown returns the first Markdown-active character of s that is not neutralised
// by a backslash or an entity, or 0.
func unescapedMarkdown(s string) rune {
	esc := false
	for _, r := range s {
		if esc {
			esc = false
			continue
		}
		switch r {
		case '\\':
			esc = true
		case '|', '`', '<', '>', '[', ']', '(', ')', '*', '_', '~', '!', '\n':
			return r
		}
	}
	return 0
}

func FuzzMdText(f *testing.F) {
	for _, s := range []string{"Build | x", "`a`](http://evil)", "<img src=x onerror=alert(1)>", "@user #12", "\\|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := mdText(s)
		if r := unescapedMarkdown(got); r != 0 {
			t.Fatalf("mdText(%q) = %q leaves %q active", s, got, r)
		}
		// Every @ and # is followed by the zero-width space.
		for i := 0; i < len(got); i++ {
			if (got[i] == '@' || got[i] == '#') && !strings.HasPrefix(got[i+1:], zwsp) && !(i >= 1 && strings.HasSuffix(got[:i+1], "&#")) {
				t.Fatalf("mdText(%q) = %q: unguarded %c at %d", s, got, got[i], i)
			}
		}
	})
}

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "error: boom\tx", "error: boom\tx"},
		{"colour", "\x1b[1;31mFAILED\x1b[0m test", "FAILED test"},
		{"osc title", "a\x1b]0;pwned\x07b", "ab"},
		{"osc st", "a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"},
		{"cursor", "50%\x1b[2K\r100%", "50%100%"},
		{"nul and bell", "a\x00b\x07c", "abc"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"c1", "a\u0085b", "ab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, clean(tc.in))
		})
	}
}

func FuzzClean(f *testing.F) {
	f.Add("\x1b[31mx\x1b]0;t\x07")
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s)
		if strings.IndexFunc(got, isControl) >= 0 || !utf8.ValidString(got) {
			t.Fatalf("clean(%q) = %q", s, got)
		}
	})
}
