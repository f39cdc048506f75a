package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cidiff/cidiff/fixtures/golden"
	"github.com/stretchr/testify/require"
)

// assertGolden compares got with testdata/golden/<name> (fixtures/golden; -update rewrites).
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", "golden", name), got)
}

func render(t *testing.T, format string, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, fixtureComparison(), format, opts))
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		format string
		opts   func(*Options)
	}{
		{"report.txt", FormatText, nil},
		{"report-color.txt", FormatText, func(o *Options) { o.Color = true }},
		{"report-narrow.txt", FormatText, func(o *Options) { o.Width = 72 }},
		{"report.md", FormatMarkdown, nil},
		{"report-cut.md", FormatMarkdown, func(o *Options) { o.MaxMarkdownBytes = 6000 }},
		{"report.json", FormatJSON, nil},
		{"report-nourl.json", FormatJSON, func(o *Options) { o.ProdURL, o.StagingURL = "", "" }},
		{"report.html", FormatHTML, nil},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, ".", "_"), func(t *testing.T) {
			opts := fixtureOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			assertGolden(t, tc.name, render(t, tc.format, opts))
		})
	}
}

func TestGoldenSummary(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteSummary(&buf, fixtureComparison(), fixtureOptions()))
	assertGolden(t, "summary.txt", buf.Bytes())
}
