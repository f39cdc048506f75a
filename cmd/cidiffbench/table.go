package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// row is one line of the results table. Zero or negative fields have no meaning for the row
// and print as "-".
type row struct {
	Name     string
	Wall     time.Duration
	CPU      time.Duration // user+system
	Builds   int           // builds the run read: builds/s
	XMLBytes int64         // XML bytes the run parses: MB/s
	RSSKiB   int64         // peak resident set of the child, KiB
	RChar    int64         // bytes read through read(2), page cache included (MB, like XML)
	// Floor is the time to merely read the same XML files in parallel: the row's ratio.
	Floor time.Duration
}

var tableHeader = []string{"measure", "wall", "CPU", "builds/s", "XML MB/s", "peak RSS MiB", "rchar MB", "× floor"}

// renderTable writes rows as a text table.
func renderTable(w io.Writer, rows []row) error {
	tb := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}}),
	)
	tb.Header(tableHeader)
	for _, r := range rows {
		if err := tb.Append(r.cells()); err != nil {
			return err
		}
	}
	return tb.Render()
}

func (r row) cells() []string {
	c := []string{r.Name, fmtDuration(r.Wall), fmtDuration(r.CPU), "-", "-", "-", "-", "-"}
	if r.Wall <= 0 {
		return c
	}
	secs := r.Wall.Seconds()
	if r.Builds > 0 {
		c[3] = fmtRate(float64(r.Builds) / secs)
	}
	if r.XMLBytes > 0 {
		c[4] = fmtRate(float64(r.XMLBytes) / 1e6 / secs)
	}
	if r.RSSKiB > 0 {
		c[5] = strconv.FormatFloat(float64(r.RSSKiB)/1024, 'f', 0, 64)
	}
	if r.RChar >= 0 {
		c[6] = strconv.FormatFloat(float64(r.RChar)/1e6, 'f', 1, 64)
	}
	if r.Floor > 0 {
		c[7] = strconv.FormatFloat(secs/r.Floor.Seconds(), 'f', 1, 64)
	}
	return c
}

// fmtDuration prints three significant figures: 12.3s, 456ms, 7.89ms.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d >= 100*time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 0, 64) + "ms"
	case d >= 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	}
}

// fmtRate prints a rate with at least three significant figures and no more than one decimal
// above 100.
func fmtRate(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// corpusLine is the one-line summary of the corpus above the table.
func corpusLine(m corpusMarker, prod, staging homeFiles) string {
	return fmt.Sprintf("corpus: %d builds per home × 2 homes (seed %d), %d flow nodes, %d sh steps; prod home: %.1f MB of XML parsed (%d files), %.1f MB of logs not parsed; both homes: %.1f MB XML, %.1f MB logs",
		m.Spec.Builds, m.Spec.Seed, m.Stats.Nodes, m.Stats.Steps,
		mb(prod.XMLBytes), len(prod.XML), mb(prod.LogBytes),
		mb(prod.XMLBytes+staging.XMLBytes), mb(prod.LogBytes+staging.LogBytes))
}

func mb(n int64) float64 { return float64(n) / 1e6 }
