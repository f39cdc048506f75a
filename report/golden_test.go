package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// assertGolden compares got with testdata/golden/<name>; with -update it rewrites the file.
// On a mismatch it writes <name>.got next to it (gitignored) for a diff.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./report -run Golden -update")
	if !bytes.Equal(want, got) {
		_ = os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; see %s.got (diff -u %s %s.got), or rerun with -update if the change is intended",
			name, path, path, path)
	}
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
