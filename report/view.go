package report

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/jenkins"
)

// view is the comparison as every human-readable format shows it: redacted, with links,
// consequences grouped under their roots and pairs in reading order. The renderers only
// escape and lay out.
type view struct {
	Generated   string
	Verdict     string
	NoGo        bool
	ProdName    string
	StagingName string
	Summary     analyzer.Summary
	Classes     []classCount
	Pairs       []pairView
	Unpaired    [2][]unpairedView // prod, staging
	Systematic  []systematicView
	Errors      []analyzer.InputError
	Warnings    []string
	// Jobs are the distinct jobs of the pairs (the HTML job filter).
	Jobs []string
	// Stages are the distinct stages with a difference, in first-seen order (matrix columns).
	Stages []string
}

type classCount struct {
	Class       string
	Differences int
	Findings    int
	Blocking    bool
}

type pairView struct {
	ID           string
	Key          string
	Job          string
	Revision     string
	Prod         buildView
	Staging      buildView
	OlderProd    []buildView
	OlderStaging []buildView
	Identical    bool
	Blocking     bool
	Differences  int
	Findings     []findingView
	BothFailed   []bothFailedView
	// Cells has one entry per view.Stages.
	Cells []matrixCell
}

type buildView struct {
	Side string
	// Older marks a rebuild of the pair's revision that was not compared (evidence only).
	Older    bool
	Job      string
	Number   string
	Result   string
	Revision string
	Base     string
	URL      string
	Dir      string
	Start    string
	Nodes    []string
	Problems []string
}

// Short is the build as one reads it in a sentence: "tvm/PR-10 #3".
func (b buildView) Short() string { return b.Job + " " + b.Number }

// Where is the build's link, or its directory when no controller URL was given.
func (b buildView) Where() string {
	if b.URL != "" {
		return b.URL
	}
	return b.Dir
}

type findingView struct {
	diffView
	Consequences []diffView
}

type diffView struct {
	ID            string
	Stage         string
	Label         string
	ProdStatus    string
	StagingStatus string
	Class         string
	Cause         string
	Blocking      bool
	Waived        bool
	WaiverReason  string
	Reason        string
	Rule          string
	Evidence      []string
	// EvidenceSide is the side the evidence comes from: the one whose step did worse.
	EvidenceSide string
	// Excerpt is the failing step's log lines the other side's log lacks (analyzer/logdiff);
	// ExcerptSide the side whose log they come from.
	Excerpt       []string
	ExcerptSide   string
	Prod          *stepView
	Staging       *stepView
	ConsequenceOf string
}

// Name is "stage › label", the way a difference is named in prose.
func (d diffView) Name() string {
	switch {
	case d.Stage == "":
		return orDash(d.Label)
	case d.Label == "":
		return d.Stage
	}
	return d.Stage + " › " + d.Label
}

// ClassCause is "executor/disk_full", or just the class.
func (d diffView) ClassCause() string {
	if d.Cause == "" {
		return d.Class
	}
	return d.Class + "/" + d.Cause
}

// Outcome is the word for what the difference means for the launch.
func (d diffView) Outcome() string {
	switch {
	case d.Waived:
		return "waived"
	case d.Blocking:
		return "blocking"
	}
	return "not blocking"
}

type stepView struct {
	Side     string
	Status   string
	ExitCode string
	Error    string
	Node     string
	Image    string
	URL      string
	Attempts int
	// Evidence is the difference's evidence when it comes from this side.
	Evidence []string
	// Excerpt is this side's log excerpt, when the failing log is this side's.
	Excerpt []string
}

type bothFailedView struct {
	Stage, Label              string
	ProdStatus, StagingStatus string
	ProdError, StagingError   string
}

type unpairedView struct {
	buildView
	Reason string
}

type systematicView struct {
	Stage, Label    string
	StagingFailures int
	StagingRuns     int
	ProdFailures    int
	ProdRuns        int
	PValue          string
	Jobs            []string
	Reason          string
}

type matrixCell struct {
	// Outcome is "same", "blocking", "waived" or "open" (a difference that does not block).
	Outcome string
	Class   string
	Title   string
	Target  string // anchor of the first difference in the cell
}

// newView builds the view of c: every string from a build or log goes through Redact here.
func newView(c *analyzer.Comparison, opts Options) *view {
	r := cleanRedact
	v := &view{
		Generated:   opts.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Verdict:     string(c.Verdict),
		NoGo:        c.Verdict != analyzer.VerdictGo,
		ProdName:    orDefault(r(c.ProdName), "prod"),
		StagingName: orDefault(r(c.StagingName), "staging"),
		Summary:     c.Summary,
	}
	if v.Verdict == "" {
		v.Verdict = "NO-GO"
	}
	for _, k := range analyzer.Classes {
		v.Classes = append(v.Classes, classCount{
			Class: string(k), Differences: c.Summary.ByClass[k], Findings: c.Summary.FindingsByClass[k], Blocking: k.Blocking(),
		})
	}
	jobs := map[string]bool{}
	stageIndex := map[string]int{}
	diffN := 0
	for i := range c.Pairs {
		p := &c.Pairs[i]
		pv := pairView{
			ID:          fmt.Sprintf("pair-%d", i+1),
			Key:         r(p.Key),
			Job:         r(p.Job),
			Revision:    r(p.Revision),
			Prod:        newBuildView("prod", p.Prod, opts.ProdURL),
			Staging:     newBuildView("staging", p.Staging, opts.StagingURL),
			Identical:   p.Identical,
			Blocking:    p.Blocking,
			Differences: len(p.Differences),
		}
		if pv.Job == "" {
			pv.Job = pv.Staging.Job
		}
		for _, b := range p.Older.Prod {
			ob := newBuildView("prod", b, opts.ProdURL)
			ob.Older = true
			pv.OlderProd = append(pv.OlderProd, ob)
		}
		for _, b := range p.Older.Staging {
			ob := newBuildView("staging", b, opts.StagingURL)
			ob.Older = true
			pv.OlderStaging = append(pv.OlderStaging, ob)
		}
		jobs[pv.Job] = true
		// Roots first, in execution order; each consequence joins its root.
		// Roots are found by full reference, or by stage and label when the reference names
		// only those.
		roots := map[analyzer.StepRef]int{}
		dvs := make([]diffView, len(p.Differences))
		for j := range p.Differences {
			d := &p.Differences[j]
			diffN++
			dvs[j] = newDiffView(fmt.Sprintf("d%d", diffN), d, pv)
			if _, ok := stageIndex[dvs[j].Stage]; !ok {
				stageIndex[dvs[j].Stage] = len(v.Stages)
				v.Stages = append(v.Stages, dvs[j].Stage)
			}
			if d.ConsequenceOf == nil {
				roots[refOf(d)] = len(pv.Findings)
				short := analyzer.StepRef{Stage: d.Stage, Label: d.Label}
				if _, ok := roots[short]; !ok {
					roots[short] = len(pv.Findings)
				}
				pv.Findings = append(pv.Findings, findingView{diffView: dvs[j]})
			}
		}
		for j := range p.Differences {
			d := &p.Differences[j]
			if d.ConsequenceOf == nil {
				continue
			}
			if k, ok := roots[*d.ConsequenceOf]; ok {
				pv.Findings[k].Consequences = append(pv.Findings[k].Consequences, dvs[j])
				continue
			}
			// A root the analyzer did not list (it should): show the difference on its own
			// rather than lose it.
			pv.Findings = append(pv.Findings, findingView{diffView: dvs[j]})
		}
		for _, b := range p.BothFailed {
			pv.BothFailed = append(pv.BothFailed, bothFailedView{
				Stage: r(b.Stage), Label: r(b.Label),
				ProdStatus: string(b.ProdStatus), StagingStatus: string(b.StagingStatus),
				ProdError: r(b.ProdError), StagingError: r(b.StagingError),
			})
		}
		v.Pairs = append(v.Pairs, pv)
	}
	// Matrix cells: the worst difference of each pair in each stage.
	for i := range v.Pairs {
		pv := &v.Pairs[i]
		pv.Cells = make([]matrixCell, len(v.Stages))
		for k := range pv.Cells {
			pv.Cells[k] = matrixCell{Outcome: "same", Title: v.Stages[k] + ": no difference"}
		}
		for _, f := range pv.Findings {
			for _, d := range append([]diffView{f.diffView}, f.Consequences...) {
				cell := &pv.Cells[stageIndex[d.Stage]]
				o := d.cellOutcome()
				if outcomeRank[o] > outcomeRank[cell.Outcome] {
					cell.Outcome, cell.Class, cell.Target = o, d.Class, d.ID
					cell.Title = fmt.Sprintf("%s: %s %s → %s, %s (%s)", orDash(d.Stage), orDash(d.Label), d.ProdStatus, d.StagingStatus, d.ClassCause(), d.Outcome())
				}
			}
		}
	}
	// Reading order: blocking pairs, then pairs with differences, then identical ones.
	sort.SliceStable(v.Pairs, func(a, b int) bool { return pairRank(v.Pairs[a]) < pairRank(v.Pairs[b]) })
	for j := range jobs {
		v.Jobs = append(v.Jobs, j)
	}
	sort.Strings(v.Jobs)
	for side, list := range [2][]analyzer.UnpairedBuild{c.Unpaired.Prod, c.Unpaired.Staging} {
		name, base := "prod", opts.ProdURL
		if side == 1 {
			name, base = "staging", opts.StagingURL
		}
		for _, u := range list {
			b := newBuildView(name, analyzer.BuildRef{Job: u.Job, Number: u.Number, Result: u.Result, Revision: u.Revision, Dir: u.Dir, Start: u.Start}, base)
			v.Unpaired[side] = append(v.Unpaired[side], unpairedView{buildView: b, Reason: r(u.Reason)})
		}
	}
	for _, s := range c.Systematic {
		jobs := make([]string, len(s.Jobs))
		for i, j := range s.Jobs {
			jobs[i] = r(j)
		}
		v.Systematic = append(v.Systematic, systematicView{
			Stage: r(s.Stage), Label: r(s.Label),
			StagingFailures: s.StagingFailures, StagingRuns: s.StagingRuns,
			ProdFailures: s.ProdFailures, ProdRuns: s.ProdRuns,
			PValue: strconv.FormatFloat(s.PValue, 'g', 3, 64), Jobs: jobs, Reason: r(s.Reason),
		})
	}
	for _, e := range c.Errors {
		v.Errors = append(v.Errors, analyzer.InputError{Side: e.Side, Dir: r(e.Dir), Error: r(e.Error)})
	}
	for _, w := range c.Warnings {
		v.Warnings = append(v.Warnings, r(w))
	}
	return v
}

var outcomeRank = map[string]int{"same": 0, "waived": 1, "open": 2, "blocking": 3}

func (d diffView) cellOutcome() string {
	switch {
	case d.Waived:
		return "waived"
	case d.Blocking:
		return "blocking"
	}
	return "open"
}

func pairRank(p pairView) int {
	switch {
	case p.Blocking:
		return 0
	case !p.Identical && p.Differences > 0:
		return 1
	}
	return 2
}

func refOf(d *analyzer.Difference) analyzer.StepRef {
	return analyzer.StepRef{Stage: d.Stage, Label: d.Label, Step: d.Step, Occurrence: d.Occurrence}
}

func newDiffView(id string, d *analyzer.Difference, p pairView) diffView {
	r := cleanRedact
	dv := diffView{
		ID:            id,
		Stage:         r(d.Stage),
		Label:         r(d.Label),
		ProdStatus:    string(d.ProdStatus),
		StagingStatus: string(d.StagingStatus),
		Class:         string(d.Class),
		Cause:         r(d.Cause),
		Blocking:      d.Blocking,
		Waived:        d.Waived,
		WaiverReason:  r(d.WaiverReason),
		Reason:        r(d.Reason),
		Rule:          r(d.Rule),
		EvidenceSide:  evidenceSide(d.ProdStatus, d.StagingStatus),
	}
	for _, e := range d.Evidence {
		// An evidence entry may hold several lines; split so every format shows lines.
		for _, l := range strings.Split(strings.TrimRight(e, "\n"), "\n") {
			dv.Evidence = append(dv.Evidence, r(l))
		}
	}
	if d.ConsequenceOf != nil {
		dv.ConsequenceOf = r(diffView{Stage: d.ConsequenceOf.Stage, Label: d.ConsequenceOf.Label}.Name())
	}
	dv.Prod = newStepView("prod", d.Prod, d.ProdStatus, p.Prod.URL)
	dv.Staging = newStepView("staging", d.Staging, d.StagingStatus, p.Staging.URL)
	if dv.EvidenceSide == "prod" {
		dv.Prod.Evidence = dv.Evidence
	} else {
		dv.Staging.Evidence = dv.Evidence
	}
	if d.Excerpt != nil {
		for _, l := range d.Excerpt.Strings() {
			dv.Excerpt = append(dv.Excerpt, r(l))
		}
		dv.ExcerptSide = string(d.ExcerptSide)
		if dv.ExcerptSide == "prod" {
			dv.Prod.Excerpt = dv.Excerpt
		} else {
			dv.Staging.Excerpt = dv.Excerpt
		}
	}
	return dv
}

// evidenceSide names the side whose step did worse (staging on a tie): the analyzer takes the
// evidence from the failing side's log.
func evidenceSide(prod, staging jenkins.Status) string {
	if statusRank(prod) > statusRank(staging) {
		return "prod"
	}
	return "staging"
}

func statusRank(s jenkins.Status) int {
	switch s {
	case jenkins.StatusSuccess:
		return 0
	case jenkins.StatusNotExecuted:
		return 1
	case jenkins.StatusMissing:
		return 2
	case jenkins.StatusUnknown:
		return 3
	case jenkins.StatusAborted:
		return 4
	case jenkins.StatusFailure:
		return 5
	}
	return 3
}

func newStepView(side string, s *analyzer.StepDetail, status jenkins.Status, buildURL string) *stepView {
	sv := &stepView{Side: side, Status: string(status)}
	if s == nil {
		return sv
	}
	if s.Status != "" {
		sv.Status = string(s.Status)
	}
	if s.ExitCode != nil {
		sv.ExitCode = strconv.Itoa(*s.ExitCode)
	}
	sv.Error = cleanRedact(s.Error)
	if s.Node != nil {
		sv.Node = cleanRedact(*s.Node)
		if sv.Node == "" {
			sv.Node = "built-in"
		}
	}
	sv.Attempts = s.Attempts
	sv.Image = cleanRedact(s.Image)
	if buildURL != "" && s.ID != "" {
		sv.URL = stepLogURL(buildURL, s.ID)
	}
	return sv
}

func newBuildView(side string, b analyzer.BuildRef, base string) buildView {
	r := cleanRedact
	bv := buildView{
		Side:     side,
		Job:      r(b.Job),
		Number:   "#?",
		Revision: r(b.Revision),
		Base:     r(b.Base),
		Dir:      r(b.Dir),
		Start:    b.Start,
		Problems: redactAll(b.Problems),
		Nodes:    redactAll(b.Nodes),
		Result:   "running",
	}
	if b.Number != nil {
		bv.Number = "#" + strconv.Itoa(*b.Number)
	}
	if b.Result != nil {
		bv.Result = string(*b.Result)
	}
	bv.URL = BuildURL(base, b.Job, b.Number)
	return bv
}

// cleanRedact is what every string from a build goes through: escapes out, secrets masked.
func cleanRedact(s string) string { return Redact(clean(s)) }

func redactAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = cleanRedact(s)
	}
	return out
}

// JobURL returns the page of a job on the controller at base: every name of the full name
// becomes a "job/<name>" path segment, URL-escaped the way Jenkins does (a "/" inside a name
// is already "%2F" in the full name, so it becomes "%252F"). It returns "" without an http(s)
// base, and drops any user:password from it.
func JobURL(base, job string) string {
	base = strings.TrimRight(base, "/")
	if base == "" || job == "" {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	// A password in the base would be printed with every link of the report.
	if u.User != nil {
		u.User = nil
		base = strings.TrimRight(u.String(), "/")
	}
	var b strings.Builder
	b.WriteString(base)
	for _, name := range strings.Split(job, "/") {
		b.WriteString("/job/")
		b.WriteString(url.PathEscape(name))
	}
	b.WriteString("/")
	return b.String()
}

// BuildURL returns the page of build number n of job on the controller at base, or "".
func BuildURL(base, job string, n *int) string {
	j := JobURL(base, job)
	if j == "" || n == nil {
		return ""
	}
	return j + strconv.Itoa(*n) + "/"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orDash(s string) string { return orDefault(s, "—") }

// shortRev cuts a commit id to 12 characters for tables.
func shortRev(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return orDash(s)
}

// headline is the verdict sentence every format starts with.
func (v *view) headline() string {
	s := v.Summary
	var parts []string
	// A finding is a root difference with its consequences: what a person has to look at.
	bf := v.blockingFindings()
	parts = append(parts, fmt.Sprintf("%d blocking %s", bf, plural(bf, "finding", "findings")))
	parts = append(parts, fmt.Sprintf("%d %s compared (%d identical)", s.PairsCompared, plural(s.PairsCompared, "pair", "pairs"), s.PairsIdentical))
	parts = append(parts, fmt.Sprintf("%d %s in %d %s", s.Differences, plural(s.Differences, "difference", "differences"), s.Findings, plural(s.Findings, "finding", "findings")))
	if s.Waived > 0 {
		parts = append(parts, fmt.Sprintf("%d waived", s.Waived))
	}
	parts = append(parts, fmt.Sprintf("unpaired: %d %s, %d %s", s.UnpairedProd, v.ProdName, s.UnpairedStaging, v.StagingName))
	if n := len(v.Errors); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable %s", n, plural(n, "input", "inputs")))
	}
	return v.Verdict + ": " + strings.Join(parts, " · ")
}

// blockingFindings counts the root differences that block.
func (v *view) blockingFindings() int {
	n := 0
	for _, p := range v.Pairs {
		for _, f := range p.Findings {
			if f.Blocking {
				n++
			}
		}
	}
	return n
}

// byClass is "executor 2, unknown 1" over the classes with differences, or "none".
func (v *view) byClass() string {
	var parts []string
	for _, c := range v.Classes {
		if c.Differences > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Class, c.Differences))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
