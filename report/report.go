// Package report renders a comparison (analyzer.Comparison) as the launch-validation report:
// a terminal table, GitHub Markdown, JSON or one self-contained HTML file.
//
// Every format says the same things in the same order: the verdict with its counts, each pair
// of builds with its differences (consequences grouped under their root) and their evidence,
// systematic findings, unpaired builds and the inputs that could not be read. Text that comes
// from builds and logs is redacted (Redact) in every format and escaped for the format.
//
//	err := report.Write(os.Stdout, cmp, report.FormatMarkdown, report.Options{
//		ProdURL: "https://ci.tlcpack.ai", StagingURL: "https://ci-staging.tlcpack.ai",
//	})
package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cidiff/cidiff/analyzer"
)

// The output formats.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
	FormatHTML     = "html"
)

// Formats lists every format Write accepts.
var Formats = []string{FormatText, FormatMarkdown, FormatJSON, FormatHTML}

// GitHubCommentLimit is the most characters a GitHub issue or pull-request comment may hold.
const GitHubCommentLimit = 65536

// Options tune a report. The zero value is usable.
type Options struct {
	// ProdURL and StagingURL are the controllers' base URLs ("https://ci.tlcpack.ai"). With
	// them every build and step links to its page; without, builds show their directory.
	ProdURL, StagingURL string
	// Color enables ANSI colour in the text format. The CLI sets it for a terminal when
	// NO_COLOR is unset.
	Color bool
	// Width is the terminal width the text format fits its tables to (default 120).
	Width int
	// Now gives the report's generation time (default time.Now); tests pin it.
	Now func() time.Time
	// MaxMarkdownBytes caps the Markdown report (default GitHubCommentLimit): evidence is
	// dropped first, then pairs, and the report says what was cut.
	MaxMarkdownBytes int
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 {
		o.Width = 120
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxMarkdownBytes <= 0 {
		o.MaxMarkdownBytes = GitHubCommentLimit
	}
	return o
}

// Write renders c in format (one of Formats) to w.
func Write(w io.Writer, c *analyzer.Comparison, format string, opts Options) error {
	if c == nil {
		return fmt.Errorf("report: no comparison to write")
	}
	opts = opts.withDefaults()
	switch format {
	case FormatText:
		return writeText(w, newView(c, opts), opts)
	case FormatMarkdown:
		return writeMarkdown(w, newView(c, opts), opts)
	case FormatJSON:
		return writeJSON(w, c, opts)
	case FormatHTML:
		return writeHTML(w, newView(c, opts), opts)
	}
	return fmt.Errorf("report: unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}
