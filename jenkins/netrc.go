package jenkins

import (
	"strings"
)

// netrcEntry is one machine (or the default) of a netrc file.
type netrcEntry struct {
	machine  string // "" for the default entry
	login    string
	password string
}

// parseNetrc reads a netrc file (the format curl and ftp read): whitespace-separated tokens
// `machine NAME`, `default`, `login NAME`, `password SECRET`, `account X`, and `macdef NAME`
// followed by a macro body up to an empty line, which is skipped. Quoted tokens ("a b", with \
// escapes) are accepted as curl accepts them, and # starts a comment. It never fails: what it
// cannot make sense of is ignored, as curl does.
func parseNetrc(data []byte) []netrcEntry {
	var out []netrcEntry
	cur := -1
	toks := netrcTokens(string(data))
	for i := 0; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch toks[i] {
		case "machine":
			out = append(out, netrcEntry{machine: next()})
			cur = len(out) - 1
		case "default":
			out = append(out, netrcEntry{})
			cur = len(out) - 1
		case "login":
			if v := next(); cur >= 0 {
				out[cur].login = v
			}
		case "password":
			if v := next(); cur >= 0 {
				out[cur].password = v
			}
		case "account", "macdef":
			next()
		}
	}
	return out
}

// netrcTokens splits s into tokens, honouring quotes and # comments, and drops the body of
// every macdef (up to the next empty line), whose words are not netrc keywords.
func netrcTokens(s string) []string {
	var out []string
	s = strings.ReplaceAll(s, "\r\n", "\n")
	i := 0
	for i < len(s) {
		c := s[i]
		if isNetrcSpace(c) {
			i++
			continue
		}
		if c == '#' {
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		}
		var b strings.Builder
		if c == '"' {
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i < len(s) {
				i++ // the closing quote
			}
		} else {
			for ; i < len(s) && !isNetrcSpace(s[i]); i++ {
				b.WriteByte(s[i])
			}
		}
		out = append(out, b.String())
		if b.String() == "macdef" {
			// The name is on the macdef line; the body follows up to an empty line.
			eol := strings.IndexByte(s[i:], '\n')
			if eol < 0 {
				out = append(out, strings.TrimSpace(s[i:]))
				return out
			}
			out = append(out, strings.TrimSpace(s[i:i+eol]))
			i += eol + 1
			if strings.HasPrefix(s[i:], "\n") {
				// An empty body.
			} else if end := strings.Index(s[i:], "\n\n"); end >= 0 {
				i += end + 2
			} else {
				i = len(s)
			}
		}
	}
	return out
}

func isNetrcSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// netrcLookup finds the login for host (a host name, or host:port as some files write it);
// the first matching machine wins, then the default entry.
func netrcLookup(entries []netrcEntry, host, hostport string) (login, password string, ok bool) {
	for _, e := range entries {
		if e.machine != "" && (strings.EqualFold(e.machine, hostport) || strings.EqualFold(e.machine, host)) {
			return e.login, e.password, true
		}
	}
	for _, e := range entries {
		if e.machine == "" {
			return e.login, e.password, true
		}
	}
	return "", "", false
}
