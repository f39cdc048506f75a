package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlFiles embed.FS

var (
	htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"short": shortRev,
	}).ParseFS(htmlFiles, "html/report.html.tmpl"))
	htmlCSS = mustRead("html/report.css")
	htmlJS  = mustRead("html/report.js")
	// htmlCSP allows nothing but the page's own style and its one script, by hash: no
	// network, no inline handlers, so markup that slipped through escaping still cannot run.
	htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + scriptHash(htmlJS) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := htmlFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// scriptHash is the CSP source hash of an inline script: base64 of the SHA-256 of its text.
func scriptHash(js string) string {
	sum := sha256.Sum256([]byte(js))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// htmlPage is the template's data. Everything from builds and logs reaches the page only as
// template data, so html/template escapes it for its context.
type htmlPage struct {
	V        *view
	Headline string
	CSP      string
	CSS      template.CSS
	JS       template.JS
	Unpaired []unpairedView
}

// DiffView exposes a finding's root difference to the template.
func (f findingView) DiffView() diffView { return f.diffView }

// BuildView exposes an unpaired build's build to the template.
func (u unpairedView) BuildView() buildView { return u.buildView }

// CellOutcome is the outcome the filters and the matrix use: blocking, open or waived.
func (d diffView) CellOutcome() string { return d.cellOutcome() }

func writeHTML(w io.Writer, v *view, _ Options) error {
	page := htmlPage{
		V:        v,
		Headline: v.headline(),
		CSP:      htmlCSP,
		CSS:      template.CSS(htmlCSS),
		JS:       template.JS(htmlJS),
	}
	page.Unpaired = append(append(page.Unpaired, v.Unpaired[0]...), v.Unpaired[1]...)
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
