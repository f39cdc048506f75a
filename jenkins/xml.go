package jenkins

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/antchfx/xmlquery"
)

// parseXML parses one XML file Jenkins wrote. Jenkins (XStream) writes XML 1.1 and may emit
// character references and raw bytes that XML 1.0 forbids; Go's encoding/xml, under xmlquery,
// accepts neither, so the bytes go through sanitizeXML first. name is only used in errors.
func parseXML(name string, data []byte) (*xmlquery.Node, error) {
	doc, err := xmlquery.Parse(bytes.NewReader(sanitizeXML(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return doc, nil
}

// replacementRef stands in for a character XML 1.0 cannot carry.
const replacementRef = "&#xFFFD;"

// sanitizeXML makes Jenkins' XML acceptable to encoding/xml without changing its meaning:
//   - an XML 1.1 prolog is declared 1.0 (the two differ only in what we fix below);
//   - character references to code points XML 1.0 forbids (e.g. &#x1b; from ANSI-coloured
//     exception messages) become U+FFFD;
//   - raw control bytes and invalid UTF-8 become U+FFFD.
//
// It returns data itself when nothing needs fixing, which is the common case.
func sanitizeXML(data []byte) []byte {
	var out []byte // nil until the first change
	start := 0     // data[start:i] is pending copy into out
	flush := func(i int, repl string) {
		if out == nil {
			out = make([]byte, 0, len(data)+64)
		}
		out = append(out, data[start:i]...)
		out = append(out, repl...)
	}

	if p := prologVersion11(data); p >= 0 {
		flush(p, "1.0")
		start = p + 3
	}

	// Scan from the end of the rewritten prolog: flush must never go backwards.
	for i := start; i < len(data); {
		c := data[i]
		switch {
		case c == '&' && i+2 < len(data) && data[i+1] == '#':
			end, r, ok := parseCharRef(data, i)
			if ok && !xml10Char(r) {
				flush(i, replacementRef)
				start = end
			}
			if end > i {
				i = end
			} else {
				i++
			}
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			flush(i, "\uFFFD")
			i++
			start = i
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if (r == utf8.RuneError && size == 1) || !xml10Char(r) {
				flush(i, "\uFFFD")
				i += size
				start = i
			} else {
				i += size
			}
		}
	}
	if out == nil {
		return data
	}
	return append(out, data[start:]...)
}

// prologVersion11 returns the offset of "1.1" in an XML declaration's version, or -1.
func prologVersion11(data []byte) int {
	d := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	off := len(data) - len(d)
	if !bytes.HasPrefix(d, []byte("<?xml")) {
		return -1
	}
	end := bytes.Index(d, []byte("?>"))
	if end < 0 {
		return -1
	}
	decl := d[:end]
	v := bytes.Index(decl, []byte("version"))
	if v < 0 {
		return -1
	}
	rest := decl[v+len("version"):]
	i := 0
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '=' || rest[i] == '\t') {
		i++
	}
	if i < len(rest) && (rest[i] == '\'' || rest[i] == '"') && bytes.HasPrefix(rest[i+1:], []byte("1.1")) {
		return off + v + len("version") + i + 1
	}
	return -1
}

// parseCharRef parses "&#NNN;" or "&#xHHH;" at data[i]. It returns the offset after ';'.
func parseCharRef(data []byte, i int) (end int, r rune, ok bool) {
	j := i + 2
	hex := false
	if j < len(data) && (data[j] == 'x' || data[j] == 'X') {
		hex = true
		j++
	}
	digits := j
	var v int64
	for ; j < len(data) && j-digits < 9; j++ {
		c := data[j]
		switch {
		case c >= '0' && c <= '9':
			v = v*16*b2i(hex) + v*10*b2i(!hex) + int64(c-'0')
		case hex && c >= 'a' && c <= 'f':
			v = v*16 + int64(c-'a'+10)
		case hex && c >= 'A' && c <= 'F':
			v = v*16 + int64(c-'A'+10)
		case c == ';':
			if j == digits {
				return i, 0, false
			}
			return j + 1, rune(v), true
		default:
			return i, 0, false
		}
	}
	return i, 0, false
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// xml10Char reports whether r may appear in an XML 1.0 document (production [2] Char).
func xml10Char(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}
