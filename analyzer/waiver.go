package analyzer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Waiver accepts known differences (CONTRACT.md, Waivers file). Every matcher that is set must
// match. Job uses path.Match globs ('*' stops at '/', as in job names "tvm/*"); Stage and Label
// use the same syntax except that '*' and '?' also match '/', so "Build*" covers every branch
// below Build and "Merge to origin/*" a label with a slash. Label also matches an unlabelled
// step's identity ("sh:1a2b3c4d").
type Waiver struct {
	Job    string `yaml:"job" json:"job,omitempty"`
	Stage  string `yaml:"stage" json:"stage,omitempty"`
	Label  string `yaml:"label" json:"label,omitempty"`
	Class  Class  `yaml:"class" json:"class,omitempty"`
	Reason string `yaml:"reason" json:"reason"`
	// Source is where the waiver was written ("waivers.yaml:4"), for messages.
	Source string `yaml:"-" json:"source,omitempty"`
}

// waiverFile is the YAML document.
type waiverFile struct {
	Waivers []Waiver `yaml:"waivers"`
}

// LoadWaivers reads a waivers file. A waiver without a reason or without any matcher, with an
// unknown class or a bad glob, or an unknown field, is an error naming the file, the line and
// the waiver's 1-based index.
func LoadWaivers(path string) ([]Waiver, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("waivers: %w", err)
	}
	return ParseWaivers(path, data)
}

// ParseWaivers parses a waivers document; name is used in messages.
func ParseWaivers(name string, data []byte) ([]Waiver, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f waiverFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return []Waiver{}, nil
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	// Line numbers come from a second, untyped pass over the same document.
	var root yaml.Node
	lines := map[int]int{}
	if yaml.Unmarshal(data, &root) == nil && len(root.Content) > 0 {
		doc := root.Content[0]
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if doc.Content[i].Value == "waivers" {
				for j, n := range doc.Content[i+1].Content {
					lines[j] = n.Line
				}
			}
		}
	}
	out := make([]Waiver, 0, len(f.Waivers))
	for i, w := range f.Waivers {
		w.Source = fmt.Sprintf("%s:%d", name, lines[i])
		if lines[i] == 0 {
			w.Source = name
		}
		if err := w.Validate(); err != nil {
			return nil, fmt.Errorf("%s: waiver %d: %w", w.Source, i+1, err)
		}
		out = append(out, w)
	}
	return out, nil
}

// Validate checks that a waiver has a reason, at least one matcher, a known class and valid
// globs.
func (w Waiver) Validate() error {
	if strings.TrimSpace(w.Reason) == "" {
		return errors.New("reason is required")
	}
	if w.Job == "" && w.Stage == "" && w.Label == "" && w.Class == "" {
		return errors.New("no matcher: give at least one of job, stage, label, class")
	}
	if w.Class != "" && !w.Class.Valid() {
		names := make([]string, len(Classes))
		for i, c := range Classes {
			names[i] = string(c)
		}
		return fmt.Errorf("unknown class %q (want one of %s)", w.Class, strings.Join(names, ", "))
	}
	_, err := w.compile()
	return err
}

// compiledWaiver is a waiver ready to match, with its use count.
type compiledWaiver struct {
	w                 Waiver
	index             int
	job, stage, label *regexp.Regexp
	used              int
}

func (cw *compiledWaiver) name() string {
	if cw.w.Source != "" {
		return fmt.Sprintf("%d (%s)", cw.index+1, cw.w.Source)
	}
	return fmt.Sprint(cw.index + 1)
}

func (w Waiver) compile() (*compiledWaiver, error) {
	cw := &compiledWaiver{w: w}
	var err error
	for _, g := range []struct {
		pattern string
		cross   bool
		dst     **regexp.Regexp
		field   string
	}{{w.Job, false, &cw.job, "job"}, {w.Stage, true, &cw.stage, "stage"}, {w.Label, true, &cw.label, "label"}} {
		if g.pattern == "" {
			continue
		}
		if *g.dst, _, err = compileGlob(g.pattern, g.cross, false); err != nil {
			return nil, fmt.Errorf("%s: %w", g.field, err)
		}
	}
	return cw, nil
}

func compileWaivers(ws []Waiver) ([]*compiledWaiver, error) {
	out := make([]*compiledWaiver, 0, len(ws))
	for i, w := range ws {
		if err := w.Validate(); err != nil {
			where := ""
			if w.Source != "" {
				where = w.Source + ": "
			}
			return nil, fmt.Errorf("%swaiver %d: %w", where, i+1, err)
		}
		cw, _ := w.compile()
		cw.index = i
		out = append(out, cw)
	}
	return out, nil
}

// matches reports whether the waiver covers a difference of a pair.
func (cw *compiledWaiver) matches(p *Pair, d *Difference) bool {
	if cw.job != nil && !cw.job.MatchString(p.Job) && !cw.job.MatchString(p.Prod.Job) && !cw.job.MatchString(p.Staging.Job) {
		return false
	}
	if cw.stage != nil && !cw.stage.MatchString(d.Stage) {
		return false
	}
	if cw.label != nil && !cw.label.MatchString(d.Label) && !cw.label.MatchString(strings.TrimSpace(d.Label)) && !cw.label.MatchString(d.Step) {
		return false
	}
	return cw.w.Class == "" || cw.w.Class == d.Class
}

// applyWaivers marks waived differences and sets every difference's blocking flag: a
// difference blocks when its class does and no waiver covers it. Waivers are matched against
// root differences (findings) only, and a consequence shares its root's fate: waiving the root
// of a failure waives the steps that never ran after it, and a waiver for, say, "Deploy*"
// never hides Deploy steps that went missing because of an unrelated, unwaived failure.
func applyWaivers(cmp *Comparison, waivers []*compiledWaiver) {
	for i := range cmp.Pairs {
		p := &cmp.Pairs[i]
		rootWaiver := map[StepRef]string{}
		for j := range p.Differences {
			d := &p.Differences[j]
			d.Waived, d.WaiverReason = false, ""
			if d.Root() {
				for _, w := range waivers {
					if w.matches(p, d) {
						w.used++
						d.Waived, d.WaiverReason = true, w.w.Reason
						rootWaiver[StepRef{Stage: d.Stage, Label: d.Label, Step: d.Step, Occurrence: d.Occurrence}] = d.WaiverReason
						break
					}
				}
			} else if reason, ok := rootWaiver[*d.ConsequenceOf]; ok {
				d.Waived, d.WaiverReason = true, reason
			}
			d.Blocking = d.Class.Blocking() && !d.Waived
		}
	}
}
