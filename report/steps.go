package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/cidiff/cidiff/jenkins"
)

// StepsSchemaVersion is the schema_version of `cidiff steps --format json`.
const StepsSchemaVersion = 1

// StepsWriter prints the shell steps of builds one build at a time, so a listing of a whole
// controller never holds more than one build in memory: NewStepsWriter, Add per build, End.
type StepsWriter interface {
	// Add prints one build, or one build that could not be read (b nil, err set).
	Add(dir string, b *jenkins.Build, err error) error
	// End finishes the document.
	End() error
}

// NewStepsWriter returns a StepsWriter for format "json" or "text".
func NewStepsWriter(w io.Writer, format string) (StepsWriter, error) {
	switch format {
	case "json":
		if _, err := io.WriteString(w, `{"schema_version":`+strconv.Itoa(StepsSchemaVersion)+`,"builds":[`); err != nil {
			return nil, err
		}
		return &stepsJSON{w: w}, nil
	case "text":
		return &stepsText{w: w}, nil
	}
	return nil, fmt.Errorf("unknown steps format %q", format)
}

// stepsBuildJSON is one build of `cidiff steps --format json` (CONTRACT.md).
type stepsBuildJSON struct {
	Dir       string          `json:"dir"`
	Job       string          `json:"job"`
	Number    *int            `json:"number"`
	Result    *string         `json:"result"`
	Revision  *string         `json:"revision"`
	Completed bool            `json:"completed"`
	Start     string          `json:"start,omitempty"`
	Duration  int64           `json:"duration_ms"`
	Layout    string          `json:"layout,omitempty"`
	PR        *prJSON         `json:"pull_request,omitempty"`
	Steps     []stepJSON      `json:"steps,omitzero"` // [] for a build without shell steps; absent for one that could not be read
	Problems  []string        `json:"problems,omitempty"`
	Error     string          `json:"error,omitempty"`
	Tests     *testsCountJSON `json:"tests,omitempty"`
}

type prJSON struct {
	Number int    `json:"number"`
	Head   string `json:"head"`
	Base   string `json:"base,omitempty"`
	Merge  string `json:"merge,omitempty"`
	Target string `json:"target,omitempty"`
}

type testsCountJSON struct {
	Total   int `json:"total"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

type stepJSON struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Stage    string   `json:"stage"`
	Label    string   `json:"label"`
	Status   string   `json:"status"`
	ExitCode *int     `json:"exit_code"`
	Node     *string  `json:"node"`
	Error    string   `json:"error"`
	Start    string   `json:"start,omitempty"`
	Duration int64    `json:"duration_ms"`
	Context  []string `json:"context,omitempty"`
}

func buildJSON(dir string, b *jenkins.Build, err error) stepsBuildJSON {
	if b == nil {
		out := stepsBuildJSON{Dir: dir}
		if err != nil {
			out.Error = err.Error()
		}
		return out
	}
	out := stepsBuildJSON{
		Dir: b.Dir, Job: b.Job, Number: b.Number, Completed: b.Completed,
		Duration: b.Duration.Milliseconds(), Layout: string(b.Layout), Problems: b.Problems,
		Start: rfc3339(b.Start),
	}
	if b.Result != "" {
		r := string(b.Result)
		out.Result = &r
	}
	if b.Revision != "" {
		r := b.Revision
		out.Revision = &r
	}
	if b.PR != nil {
		out.PR = &prJSON{Number: b.PR.Number, Head: b.PR.Head, Base: b.PR.Base, Merge: b.PR.Merge, Target: b.PR.Target}
	}
	if err != nil {
		out.Error = err.Error()
	}
	out.Steps = make([]stepJSON, 0, len(b.Steps))
	for _, s := range b.Steps {
		sj := stepJSON{
			ID: s.ID, Kind: s.Kind, Stage: s.StagePath(), Label: s.Label, Status: string(s.Status),
			ExitCode: s.ExitCode, Node: s.Node, Error: Redact(s.Error), Start: rfc3339(s.Start),
			Duration: s.Duration.Milliseconds(),
		}
		for _, c := range s.Context {
			name := string(c.Kind)
			if c.Kind == jenkins.BlockRetry && c.Attempt > 0 {
				name += " attempt " + strconv.Itoa(c.Attempt)
			}
			sj.Context = append(sj.Context, name)
		}
		out.Steps = append(out.Steps, sj)
	}
	if len(b.Tests) > 0 {
		tc := &testsCountJSON{Total: len(b.Tests)}
		for _, t := range b.Tests {
			switch t.Status {
			case jenkins.TestFailed:
				tc.Failed++
			case jenkins.TestSkipped:
				tc.Skipped++
			}
		}
		out.Tests = tc
	}
	return out
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

type stepsJSON struct {
	w     io.Writer
	count int
}

func (s *stepsJSON) Add(dir string, b *jenkins.Build, err error) error {
	data, jerr := json.Marshal(buildJSON(dir, b, err))
	if jerr != nil {
		return jerr
	}
	if s.count > 0 {
		if _, err := io.WriteString(s.w, ",\n"); err != nil {
			return err
		}
	} else if _, err := io.WriteString(s.w, "\n"); err != nil {
		return err
	}
	s.count++
	_, werr := s.w.Write(data)
	return werr
}

func (s *stepsJSON) End() error {
	_, err := io.WriteString(s.w, "\n]}\n")
	return err
}

type stepsText struct {
	w     io.Writer
	count int
}

func (s *stepsText) Add(dir string, b *jenkins.Build, err error) error {
	if s.count > 0 {
		fmt.Fprintln(s.w)
	}
	s.count++
	if b == nil {
		_, werr := fmt.Fprintf(s.w, "%s\n  error: %v\n", dir, err)
		return werr
	}
	bj := buildJSON(dir, b, err)
	num := "?"
	if b.Number != nil {
		num = strconv.Itoa(*b.Number)
	}
	result := "RUNNING"
	if bj.Result != nil {
		result = *bj.Result
	}
	fmt.Fprintf(s.w, "%s #%s  %s", orDash(b.Job), num, result)
	if b.Revision != "" {
		fmt.Fprintf(s.w, "  %s", shortRev(b.Revision))
	}
	fmt.Fprintf(s.w, "  %s\n", b.Dir)
	if err != nil {
		fmt.Fprintf(s.w, "  error: %v\n", err)
	}
	for _, p := range b.Problems {
		fmt.Fprintf(s.w, "  problem: %s\n", p)
	}
	if len(bj.Steps) == 0 {
		_, werr := fmt.Fprintln(s.w, "  (no shell steps)")
		return werr
	}
	t := tablewriter.NewTable(s.w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapTruncate),
		tablewriter.WithRowMaxWidth(60),
	)
	t.Header([]string{"ID", "Stage", "Label", "Status", "Exit", "Node", "Error"})
	for _, st := range bj.Steps {
		exit := ""
		if st.ExitCode != nil {
			exit = strconv.Itoa(*st.ExitCode)
		}
		node := "?"
		if st.Node != nil {
			node = *st.Node
			if node == "" {
				node = "(built-in)"
			}
		}
		if err := t.Append([]string{st.ID, st.Stage, st.Label, st.Status, exit, node, st.Error}); err != nil {
			return err
		}
	}
	return t.Render()
}

func (s *stepsText) End() error { return nil }
