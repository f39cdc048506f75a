package jenkins

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSanitizeXML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"xml 1.0 untouched", "<?xml version='1.0' encoding='UTF-8'?><a/>", "<?xml version='1.0' encoding='UTF-8'?><a/>"},
		{"xml 1.1 single quotes", "<?xml version='1.1' encoding='UTF-8'?><a/>", "<?xml version='1.0' encoding='UTF-8'?><a/>"},
		{"xml 1.1 double quotes", `<?xml version="1.1" encoding="UTF-8"?><a/>`, `<?xml version="1.0" encoding="UTF-8"?><a/>`},
		{"bom", "\xef\xbb\xbf<?xml version='1.1'?><a/>", "\xef\xbb\xbf<?xml version='1.0'?><a/>"},
		{"1.1 in body untouched", "<a>version='1.1'</a>", "<a>version='1.1'</a>"},
		{"escape char ref hex", "<a>&#x1b;[31mred</a>", "<a>&#xFFFD;[31mred</a>"},
		{"escape char ref decimal", "<a>&#27;x&#9;</a>", "<a>&#xFFFD;x&#9;</a>"},
		{"legal refs kept", "<a>&#x41;&#65;&amp;&#xD7FF;</a>", "<a>&#x41;&#65;&amp;&#xD7FF;</a>"},
		{"null ref", "<a>&#0;</a>", "<a>&#xFFFD;</a>"},
		{"raw control byte", "<a>x\x1by</a>", "<a>x\uFFFDy</a>"},
		{"invalid utf8", "<a>x\xffy</a>", "<a>x\uFFFDy</a>"},
		{"broken ref left alone", "<a>&#xZZ;</a>", "<a>&#xZZ;</a>"},
		{"unterminated ref", "<a>&#x1b", "<a>&#x1b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, string(sanitizeXML([]byte(tc.in))))
		})
	}
}

func TestParseXML11WithControlRefs(t *testing.T) {
	doc, err := parseXML("t.xml", []byte("<?xml version='1.1' encoding='UTF-8'?>\n<Tag><msg>&#x1b;[31mboom&#x1b;[0m</msg></Tag>"))
	require.NoError(t, err)
	assert.Equal(t, "\uFFFD[31mboom\uFFFD[0m", doc.SelectElement("Tag").SelectElement("msg").InnerText())
}

func TestParseXMLErrorNamesFile(t *testing.T) {
	_, err := parseXML("builds/3/build.xml", []byte("<?xml version='1.1'?><flow-build><result>SUC"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "builds/3/build.xml")
}

func FuzzSanitizeXML(f *testing.F) {
	f.Add([]byte("<?xml version='1.1' encoding='UTF-8'?><a>&#x1b;</a>"))
	f.Add([]byte("<a>&#99999999999;&#x;&#</a>"))
	f.Add([]byte("\xef\xbb\xbf<?xml version=\"1.1\"?>\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := sanitizeXML(data)
		// Whatever the input, the output has no byte encoding/xml rejects as a character.
		for _, r := range string(out) {
			if !xml10Char(r) {
				t.Fatalf("sanitizeXML left %U in %q", r, out)
			}
		}
		_, _ = parseXML("fuzz.xml", data) // must not panic
	})
}
