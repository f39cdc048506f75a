package analyzer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cidiff/cidiff/analyzer/logdiff"
	"github.com/cidiff/cidiff/jenkins"
)

// DefaultLogTail is how much of the end of a step's log the classification reads.
const DefaultLogTail = 64 << 10

// DefaultAlpha is the significance level of the systematic-failure test.
const DefaultAlpha = 0.05

// Options controls a comparison. The zero value compares everything with no knowledge base,
// no logs and no history: every failure is then unknown, with a reason that says so.
type Options struct {
	// JobMap entries "PROD=STAGING" rename production jobs to their staging names; globs are
	// allowed, and a '*' on both sides carries the matched part over ("tvm/*=tvm-stg/*").
	JobMap []string
	// Jobs keeps only the jobs matching one of these globs (path.Match syntax), by their own
	// name or their name after JobMap.
	Jobs []string
	// Since and Until keep only builds that started in [Since, Until); zero means unbounded.
	Since, Until time.Time
	Waivers      []Waiver
	// Classifier explains failure text (the knowledge base); may be nil.
	Classifier Classifier
	// Logs reads step logs; may be nil. If it also implements BuildLogReader, a stage that
	// never ran on one side is explained from the build's console log.
	Logs LogReader
	// History gives a step's earlier runs per instance; may be nil.
	History History
	// ProdName and StagingName are the instance names used with History (default "prod" and
	// "staging").
	ProdName, StagingName string
	// LogTailBytes is how much of a log's end is read (default DefaultLogTail).
	LogTailBytes int64
	// HistoryLimit is how many recent runs of a step History is asked for (default 20).
	HistoryLimit int
	// Alpha is the significance level of the systematic test (default DefaultAlpha).
	Alpha float64
	// InputErrors are the builds the caller could not read; they are reported as they are.
	InputErrors []InputError
}

// CompareBuilds pairs the production and staging builds, diffs every pair's shell steps,
// finds the root of each difference, classifies the roots and applies the waivers.
//
//   - Pairing (pair.go): key = job (production names mapped by JobMap) + revision; the newest
//     completed build of a key on each side pairs, older ones are kept as evidence; running
//     builds and builds without a revision stay unpaired, with the reason.
//   - Diff (diff.go): retry attempts fold into their last attempt; steps are matched stage by
//     stage on (label, or "sh:"+script hash) in order. Every status difference, including a
//     step that ran on one side only (MISSING), is a difference; a step that failed on both
//     sides is not, and is listed in BothFailed. When every step agrees but the build results
//     differ, the pair gets one build-level difference (Step "(build result)").
//   - Root cause (rootcause.go): a step that never ran after a failure on its side, a whole
//     stage that never ran, and a recovery step that ran on one side only follow from one root
//     and take its class and cause (ConsequenceOf names it).
//   - Classification (classify, environment.go, flaky.go): knowledge-base executor/controller
//     evidence in the failing step's log; else a difference in what the two builds tested;
//     else flakiness on one instance (rebuilds, retries, history); else the knowledge base's
//     other cause; else unknown, with a reason that says what was looked at.
//   - Waivers (waiver.go) and the verdict: GO unless a blocking difference is left unwaived.
//   - Systematic (systematic.go): steps failing significantly more often on staging.
//
// The error is for unusable options only (a bad job map, glob or waiver); problems with the
// builds themselves are reported in the comparison. The output is deterministic: pairs are
// sorted by key, differences are in execution order.
func CompareBuilds(prod, staging []*jenkins.Build, opts Options) (*Comparison, error) {
	pl, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	pairings, unpaired, filtered := pl.pair(prod, staging)
	return pl.run(pairings, unpaired, filtered, func(i int) (loadedPair, error) {
		return loadedPair{p: pairings[i], ok: true}, nil
	})
}

// plan is a comparison's options with their defaults set and their patterns compiled: what
// CompareBuilds (builds in memory) and Compare (builds read one pair at a time) share.
type plan struct {
	opts    Options
	maps    []jobMapping
	jobs    []*regexp.Regexp
	waivers []*compiledWaiver
}

// Validate reports what Compare would refuse in o: a bad job map, job glob or waiver. Callers
// that take these from users check each one alone, to name where it came from.
func (o Options) Validate() error {
	_, err := newPlan(o)
	return err
}

// newPlan checks and compiles opts; the error is for a bad job map, glob or waiver.
func newPlan(opts Options) (*plan, error) {
	if opts.ProdName == "" {
		opts.ProdName = string(SideProd)
	}
	if opts.StagingName == "" {
		opts.StagingName = string(SideStaging)
	}
	if opts.LogTailBytes <= 0 {
		opts.LogTailBytes = DefaultLogTail
	}
	if opts.HistoryLimit <= 0 {
		opts.HistoryLimit = defaultHistoryLimit
	}
	if opts.Alpha <= 0 {
		opts.Alpha = DefaultAlpha
	}
	maps, err := parseJobMap(opts.JobMap)
	if err != nil {
		return nil, err
	}
	var jobs []*regexp.Regexp
	for _, g := range opts.Jobs {
		re, _, err := compileGlob(g, false, false)
		if err != nil {
			return nil, fmt.Errorf("job filter: %w", err)
		}
		jobs = append(jobs, re)
	}
	waivers, err := compileWaivers(opts.Waivers)
	if err != nil {
		return nil, err
	}
	return &plan{opts: opts, maps: maps, jobs: jobs, waivers: waivers}, nil
}

// pair pairs builds that need not carry their steps (pairBuilds reads build-level fields only).
func (pl *plan) pair(prod, staging []*jenkins.Build) ([]pairing, Unpaired, int) {
	return pairBuilds(prod, staging, pl.maps, pl.jobs, pl.opts.Since, pl.opts.Until)
}

// loadedPair is one pairing as run compares it: its builds with their steps.
type loadedPair struct {
	p pairing
	// ok is false when no pair is left: one side had no build that could be read in full.
	ok bool
	// errs are the builds of the pairing that could not be read in full.
	errs []InputError
	// unpaired are the builds left without a counterpart because of errs.
	unpaired Unpaired
}

// run compares the pairings one at a time, in order: load(i) gives pairing i with its builds
// read in full, and nothing of a pair is kept once it is compared but its Pair and its step
// counts for the systematic test, so memory is bounded by the pairs load holds, not by the
// homes. An error from load (the end of the reading's context) stops the comparison.
func (pl *plan) run(pairings []pairing, unpaired Unpaired, filtered int, load func(i int) (loadedPair, error)) (*Comparison, error) {
	opts := pl.opts
	c := &comparer{
		opts:  opts,
		steps: map[*jenkins.Build][]*logicalStep{},
		envs:  map[*jenkins.Build]*Environment{},
		logs:  map[*jenkins.Step]cachedLog{},
	}
	cmp := &Comparison{
		SchemaVersion: SchemaVersion,
		ProdName:      opts.ProdName,
		StagingName:   opts.StagingName,
		Pairs:         []Pair{},
		Unpaired:      unpaired,
		Systematic:    []SystematicFinding{},
		Errors:        []InputError{},
		Warnings:      []string{},
	}
	var sys stepCounts
	for i := range pairings {
		lp, err := load(i)
		if err != nil {
			return nil, err
		}
		cmp.Errors = append(cmp.Errors, lp.errs...)
		if len(lp.unpaired.Prod)+len(lp.unpaired.Staging) > 0 {
			cmp.Unpaired.Prod = append(cmp.Unpaired.Prod, lp.unpaired.Prod...)
			cmp.Unpaired.Staging = append(cmp.Unpaired.Staging, lp.unpaired.Staging...)
			sortUnpaired(cmp.Unpaired.Prod)
			sortUnpaired(cmp.Unpaired.Staging)
		}
		if lp.ok {
			cmp.Pairs = append(cmp.Pairs, c.comparePair(lp.p))
			sys.add(lp.p.job, c.logical(lp.p.prod), c.logical(lp.p.staging))
		}
		// A build belongs to one pairing only: what was cached for this one is never used
		// again, and dropping it lets the pair's builds go.
		c.forget()
		if pairCompared != nil {
			pairCompared(i)
		}
	}
	cmp.Systematic = sys.findings(opts.Alpha)
	applyWaivers(cmp, pl.waivers)
	for _, w := range pl.waivers {
		if w.used == 0 {
			c.warn(fmt.Sprintf("waiver %s (%s) matched no difference", w.name(), w.w.Reason))
		}
	}
	cmp.Errors = append(cmp.Errors, opts.InputErrors...)
	sort.SliceStable(cmp.Errors, func(i, j int) bool {
		if cmp.Errors[i].Side != cmp.Errors[j].Side {
			return cmp.Errors[i].Side < cmp.Errors[j].Side
		}
		return cmp.Errors[i].Dir < cmp.Errors[j].Dir
	})
	if len(cmp.Pairs) == 0 {
		c.warn("no pairs: no production and staging build ran the same job at the same revision")
	}
	cmp.Warnings = append(cmp.Warnings, c.warnings...)
	summarize(cmp, filtered)
	return cmp, nil
}

// pairCompared, when set (by tests), is called after each pairing is compared and dropped.
var pairCompared func(i int)

// comparer holds the caches of one comparison.
type comparer struct {
	opts     Options
	steps    map[*jenkins.Build][]*logicalStep
	envs     map[*jenkins.Build]*Environment
	logs     map[*jenkins.Step]cachedLog
	warnings []string
	warned   map[string]bool
}

type cachedLog struct {
	data []byte
	err  error
}

func (c *comparer) warn(msg string) {
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	if !c.warned[msg] {
		c.warned[msg] = true
		c.warnings = append(c.warnings, msg)
	}
}

// forget drops the caches of the pair just compared.
func (c *comparer) forget() {
	clear(c.steps)
	clear(c.envs)
	clear(c.logs)
}

func (c *comparer) logical(b *jenkins.Build) []*logicalStep {
	if s, ok := c.steps[b]; ok {
		return s
	}
	s := logicalSteps(b)
	c.steps[b] = s
	return s
}

func (c *comparer) environment(b *jenkins.Build) *Environment {
	if e, ok := c.envs[b]; ok {
		return e
	}
	e := readEnvironment(b, c.logical(b), c.opts.Logs, c.opts.LogTailBytes)
	for _, n := range e.Notes {
		c.warn(b.Dir + ": " + n)
	}
	c.envs[b] = e
	return e
}

// stepLog reads the end of a step's log once.
func (c *comparer) stepLog(b *jenkins.Build, s *jenkins.Step) ([]byte, error) {
	if l, ok := c.logs[s]; ok {
		return l.data, l.err
	}
	var l cachedLog
	if c.opts.Logs == nil {
		l.err = fmt.Errorf("no log reader")
	} else {
		l.data, l.err = c.opts.Logs.StepLog(b, s, c.opts.LogTailBytes)
		l.data = tail(l.data, c.opts.LogTailBytes)
	}
	c.logs[s] = l
	return l.data, l.err
}

// pairCtx is one pair under comparison.
type pairCtx struct {
	p       pairing
	entries []*aligned
}

func (pc *pairCtx) build(s Side) *jenkins.Build {
	if s == SideProd {
		return pc.p.prod
	}
	return pc.p.staging
}

func (pc *pairCtx) older(s Side) []*jenkins.Build {
	if s == SideProd {
		return pc.p.olderProd
	}
	return pc.p.olderStaging
}

func (c *comparer) comparePair(p pairing) Pair {
	prodSteps, stagingSteps := c.logical(p.prod), c.logical(p.staging)
	entries := align(prodSteps, stagingSteps)
	pc := &pairCtx{p: p, entries: entries}
	out := Pair{
		Key: p.key, Job: p.job, Revision: p.revision,
		Prod: buildRef(p.prod, prodSteps), Staging: buildRef(p.staging, stagingSteps),
		Older:       OlderBuilds{Prod: []BuildRef{}, Staging: []BuildRef{}},
		Differences: []Difference{},
		BothFailed:  []BothFailedStep{},
	}
	for _, b := range p.olderProd {
		out.Older.Prod = append(out.Older.Prod, buildRef(b, c.logical(b)))
	}
	for _, b := range p.olderStaging {
		out.Older.Staging = append(out.Older.Staging, buildRef(b, c.logical(b)))
	}

	var items []*item
	last := map[Side]int{SideProd: -1, SideStaging: -1}
	for _, a := range entries {
		for _, x := range []Side{SideProd, SideStaging} {
			if ls := a.side(x); ls != nil {
				last[x] = ls.index
			}
		}
		ps, ss := a.status(SideProd), a.status(SideStaging)
		ls := a.any()
		ref := StepRef{Stage: ls.stage, Label: ls.step.Label, Step: ls.key, Occurrence: ls.occurrence}
		// Two steps that both did not run (one missing, one recorded as not executed) agree.
		if ps == ss || (absent(ps) && absent(ss)) {
			if failedStatus(ps) {
				out.BothFailed = append(out.BothFailed, BothFailedStep{
					StepRef: ref, ProdStatus: ps, StagingStatus: ss,
					ProdError: a.prod.step.Error, StagingError: a.staging.step.Error,
				})
			}
			continue
		}
		d := &Difference{
			Stage: ref.Stage, Label: ref.Label, Step: ref.Step, Occurrence: ref.Occurrence,
			ProdStatus: ps, StagingStatus: ss, Evidence: []string{},
			Prod: stepDetail(a.prod), Staging: stepDetail(a.staging),
		}
		items = append(items, &item{d: d, a: a, before: map[Side]int{SideProd: last[SideProd], SideStaging: last[SideStaging]}})
	}
	xFailed := map[Side]bool{
		SideProd:    failedResult(resultPtr(p.prod.Result)),
		SideStaging: failedResult(resultPtr(p.staging.Result)),
	}
	attribute(items, newSideView(prodSteps, entries, SideProd), newSideView(stagingSteps, entries, SideStaging), xFailed)
	if len(items) == 0 && p.prod.Result != p.staging.Result {
		// Every shell step agreed, yet the builds ended differently: the difference lies
		// outside the shell steps (an agent never found for a label, a post-build failure,
		// test results). It is reported as one build-level difference.
		x := SideStaging
		if severity(p.prod.Result) > severity(p.staging.Result) {
			x = SideProd
		}
		items = append(items, &item{
			a: &aligned{}, kind: rootBuildResult, side: x,
			d: &Difference{
				Step: buildStep, ProdStatus: jenkins.Status(p.prod.Result), StagingStatus: jenkins.Status(p.staging.Result),
				Evidence: []string{},
			},
		})
	}
	for _, it := range items {
		if it.root == nil {
			c.classify(pc, it)
		}
	}
	for _, it := range items {
		if it.root == nil {
			continue
		}
		r := it.root
		it.d.ConsequenceOf = &StepRef{Stage: r.d.Stage, Label: r.d.Label, Step: r.d.Step, Occurrence: r.d.Occurrence}
		it.d.Class, it.d.Cause, it.d.Rule = r.d.Class, r.d.Cause, r.d.Rule
		it.d.Reason = consequenceReason(it)
		r.d.Consequences++
	}
	for i, it := range items {
		it.d.Order = i
		if it.a.scriptChanged {
			it.d.Evidence = append(it.d.Evidence, "unlabelled step paired by position: its script differs between the two sides")
		}
		out.Differences = append(out.Differences, *it.d)
	}
	out.Identical = len(out.Differences) == 0
	return out
}

// classify decides a root difference's class, cause and reason from evidence, in order:
// a knowledge-base match of class executor or controller; a difference in what the two builds
// tested; flakiness on one instance; any other knowledge-base match; else unknown, with a
// reason that says what was looked at.
func (c *comparer) classify(pc *pairCtx, it *item) {
	d := it.d
	x := it.side
	xb := pc.build(x)
	var (
		m       Match
		matched bool
		lines   int
		looked  string // what text was searched, for the unknown reason
		failLog []byte
	)
	classify := func(text string) {
		if c.opts.Classifier == nil || strings.TrimSpace(text) == "" {
			return
		}
		m = c.opts.Classifier.Classify(text)
		matched = m.Rule != "" || (m.Class != "" && m.Class != ClassUnknown) || m.Cause != ""
	}

	switch it.kind {
	case rootFailure:
		ls := it.a.side(x)
		data, err := c.stepLog(xb, ls.step)
		if err != nil {
			data = nil
			d.Evidence = append(d.Evidence, fmt.Sprintf("%s step log not available: %v", x, err))
		}
		failLog = data
		c.attachExcerpt(pc, d, it, x, data)
		lines = countLines(string(data))
		classify(failureText(data, ls.step.Error))
		hasErr := ls.step.Error != "" && !exitMessage.MatchString(ls.step.Error)
		switch {
		case c.opts.Classifier == nil:
			looked = "no knowledge base to match the step's log against"
		case lines == 0 && ls.step.Error != "" && !hasErr:
			looked = fmt.Sprintf("no log on %s to match, only an exit code", x)
		case lines == 0 && !hasErr:
			looked = fmt.Sprintf("no log and no error text on %s to match", x)
		case lines == 0:
			looked = fmt.Sprintf("no log on %s, and no rule matched its error", x)
		case hasErr:
			looked = fmt.Sprintf("no rule matched the %s or the error", plural(lines, "log line"))
		default:
			looked = fmt.Sprintf("no rule matched the %s", plural(lines, "log line"))
		}
	case rootMissingScope, rootMissingStep, rootBuildResult:
		if br, ok := c.opts.Logs.(BuildLogReader); ok && c.opts.Logs != nil {
			data, err := br.BuildLog(xb, c.opts.LogTailBytes)
			data = tail(data, c.opts.LogTailBytes)
			if err != nil {
				d.Evidence = append(d.Evidence, fmt.Sprintf("%s build log not available: %v", x, err))
				looked = "no build log"
			} else {
				lines = countLines(string(data))
				classify(cleanLog(data))
				looked = fmt.Sprintf("no rule matched the %s of the %s build log", plural(lines, "line"), x)
				if c.opts.Classifier == nil {
					looked = "no knowledge base to match the build log against"
				}
			}
		} else {
			looked = "no build log to read"
		}
		for _, p := range xb.Problems {
			d.Evidence = append(d.Evidence, fmt.Sprintf("%s build: %s", x, p))
		}
	}

	what := c.whatHappened(pc, it, xb)
	withLine := func() string {
		if it.kind == rootFailure && it.a.status(x) == jenkins.StatusUnknown {
			return what + "; its log shows: " + strings.TrimSpace(m.Line)
		}
		if it.kind == rootFailure {
			return what + " with: " + strings.TrimSpace(m.Line)
		}
		return what + ": " + strings.TrimSpace(m.Line)
	}

	// 1. Misconfiguration shown by the knowledge base.
	if matched && (m.Class == ClassExecutor || m.Class == ClassController) {
		d.Class, d.Cause, d.Rule = m.Class, m.Cause, m.Rule
		d.Reason = withLine()
		d.Evidence = append(d.Evidence, matchEvidence(m)...)
		d.Blocking = true
		return
	}

	// 2. The builds did not test the same thing.
	images := map[Side]string{}
	for _, s := range []Side{SideStaging, SideProd} {
		ls := it.a.side(s)
		if ls == nil {
			continue
		}
		if img := ScriptImage(ls.step.Script); img != "" {
			images[s] = img
			continue
		}
		var log []byte
		if s == x && it.kind == rootFailure {
			log = failLog
		} else if data, err := c.stepLog(pc.build(s), ls.step); err == nil {
			log = data
		}
		images[s] = stepImage("", log)
	}
	ef := compareEnvironment(c.environment(pc.p.staging), c.environment(pc.p.prod), images[SideStaging], images[SideProd], it.kind != rootBuildResult)
	if ef.cause != "" {
		d.Class, d.Cause = ClassEnvironment, ef.cause
		d.Reason = ef.reason
		d.Evidence = append(d.Evidence, ef.evidence...)
		if matched {
			d.Evidence = append(d.Evidence, matchEvidence(m)...)
			d.Rule = m.Rule
		}
		return
	}

	// 3. Flaky: the step both passed and failed for one revision on one instance.
	var ff flakyFinding
	if it.kind == rootFailure {
		ff = c.flakiness(pc, it)
		if ff.flaky {
			d.Class, d.Cause = ClassFlaky, "flaky_step"
			if matched && m.Class == ClassFlaky && m.Cause != "" {
				d.Cause, d.Rule = m.Cause, m.Rule
			}
			d.Reason = ff.reason
			d.Evidence = append(d.Evidence, ff.evidence...)
			if matched {
				d.Evidence = append(d.Evidence, matchEvidence(m)...)
			}
			return
		}
	}

	// What was looked at, for an unknown reason.
	var looked2 []string
	for _, checked := range [][]string{ef.checked, ff.checked} {
		if len(checked) > 0 {
			looked2 = append(looked2, strings.Join(checked, ", "))
		}
	}
	withChecks := func(head string) string {
		return strings.Join(append([]string{head}, looked2...), "; ")
	}

	// 4. Any other knowledge-base match keeps its cause. Flaky text alone is not flakiness:
	// a known-flaky pattern on one side only, with no flip on record, may as well be a
	// staging problem (a slower node, blocked egress), so it stays unknown and blocking.
	if matched {
		d.Cause, d.Rule = m.Cause, m.Rule
		if m.Generic && m.Class == ClassUnknown {
			// "build_failure" on an unknown difference only restates that the step failed.
			d.Cause = ""
		}
		d.Evidence = append(d.Evidence, matchEvidence(m)...)
		switch m.Class {
		case ClassEnvironment:
			d.Class = ClassEnvironment
			d.Reason = withLine()
		case ClassFlaky:
			d.Class = ClassUnknown
			d.Reason = withChecks(withLine() + " (a known flaky pattern, but nothing shows this step flipping)")
		default:
			d.Class = ClassUnknown
			d.Reason = withChecks(withLine())
		}
		d.Blocking = d.Class.Blocking()
		return
	}

	// 5. Unknown.
	d.Class, d.Blocking = ClassUnknown, true
	if it.kind == rootFailure {
		ls := it.a.side(x)
		if isTimeout(ls.step) {
			d.Cause = "timeout"
		}
		d.Evidence = append(d.Evidence, tailLines(failLog, 5)...)
		if ls.step.Error != "" {
			d.Evidence = append(d.Evidence, "error: "+ls.step.Error)
		}
	}
	if looked != "" {
		what += "; " + looked
	}
	d.Reason = withChecks(what)
}

// whatHappened says in a few words what a root difference is.
func (c *comparer) whatHappened(pc *pairCtx, it *item, xb *jenkins.Build) string {
	x := it.side
	switch it.kind {
	case rootFailure:
		switch it.a.status(x) {
		case jenkins.StatusAborted:
			return fmt.Sprintf("%s step was aborted", x)
		case jenkins.StatusUnknown:
			return fmt.Sprintf("%s step never recorded an end", x)
		}
		return fmt.Sprintf("%s step failed", x)
	case rootMissingScope:
		res := "still running"
		if xb.Result != "" {
			res = string(xb.Result)
		}
		if len(it.scope) == 0 {
			return fmt.Sprintf("no shell step ran on %s (build %s)", x, res)
		}
		return fmt.Sprintf("stage %s never ran on %s (build %s)", strings.Join(it.scope, "/"), x, res)
	case rootBuildResult:
		return fmt.Sprintf("%s build %s, %s %s, though every shell step agreed", x, xb.Result, other(x), pc.build(other(x)).Result)
	case rootMissingStep:
		verb := "never ran"
		if it.a.status(x) == jenkins.StatusNotExecuted {
			verb = "was not executed"
		}
		return fmt.Sprintf("%s %s on %s (build %s)", stepName(it), verb, x, xb.Result)
	default:
		if it.a.status(x) == jenkins.StatusNotExecuted {
			return fmt.Sprintf("not executed on %s, and no earlier failure there explains it", x)
		}
		return fmt.Sprintf("ran on %s only; %s ran the rest of stage %q without it", other(x), x, it.d.Stage)
	}
}

// flakiness runs the rebuild, retry and history checks on both sides.
func (c *comparer) flakiness(pc *pairCtx, it *item) flakyFinding {
	var out flakyFinding
	ref := it.a.any()
	rebuilds := 0
	for _, s := range []Side{it.side, other(it.side)} {
		ls := it.a.side(s)
		id := ref.id()
		if ls != nil {
			id = ls.id()
		}
		var runs []sideRun
		if ls != nil {
			runs = append(runs, sideRun{pc.build(s), ls.step.Status})
		}
		for _, ob := range pc.older(s) {
			rebuilds++
			for _, ols := range c.logical(ob) {
				if ols.id() == id {
					runs = append(runs, sideRun{ob, ols.step.Status})
					break
				}
			}
		}
		if len(runs) == 0 {
			continue
		}
		f := rebuildFlip(s, runs, ls)
		if f.flaky {
			return f
		}
		out.checked = append(out.checked, f.checked...)
	}
	if rebuilds == 0 {
		out.checked = append(out.checked, "no rebuilds")
	}
	label := strings.TrimSpace(ref.step.Label)
	if c.opts.History == nil || label == "" {
		if c.opts.History == nil {
			out.checked = append(out.checked, "no history")
		}
		return out
	}
	for _, s := range []Side{it.side, other(it.side)} {
		name := c.opts.StagingName
		if s == SideProd {
			name = c.opts.ProdName
		}
		runs, err := c.opts.History.StepRuns(name, pc.build(s).Job, ref.stage, label, c.opts.HistoryLimit)
		if err != nil {
			out.checked = append(out.checked, fmt.Sprintf("%s history unavailable (%v)", name, err))
			continue
		}
		f := historyFlip(name, runs)
		if f.flaky {
			return f
		}
		out.checked = append(out.checked, f.checked...)
	}
	return out
}

// exitMessage is the AbortException message of a shell step's non-zero exit.
var exitMessage = regexp.MustCompile(`^script returned exit code -?\d+$`)

// isTimeout reports whether a step's end looks like a timeout: Jenkins' timeout step, or the
// SIGTERM exit status 143 it leaves behind.
func isTimeout(s *jenkins.Step) bool {
	if s.ExitCode != nil && *s.ExitCode == 143 {
		return true
	}
	e := strings.ToLower(s.Error)
	return strings.Contains(e, "timeout") || strings.Contains(e, "timed out")
}

func matchEvidence(m Match) []string {
	if l := strings.TrimSpace(m.Line); l != "" {
		return []string{l}
	}
	return nil
}

// tail keeps the last n bytes, in case a LogReader returned more than it was asked for.
func tail(data []byte, n int64) []byte {
	if n > 0 && int64(len(data)) > n {
		return data[int64(len(data))-n:]
	}
	return data
}

// failureText is a failed step's log and error as the knowledge base reads them: the log
// cleaned (cleanLog), and the error joined, except Jenkins' bare "script returned exit code N":
// it only says the step failed (ExitCode has it), and would match a generic rule that hides
// "no rule matched" (exit code 143 is still read as a timeout, see isTimeout).
func failureText(log []byte, stepError string) string {
	text := cleanLog(log)
	if stepError != "" && !exitMessage.MatchString(stepError) {
		text += "\n" + stepError
	}
	return text
}

// ExplainFailure says why a step failed from the end of its own log and its error, reading
// them as a comparison does (failureText). ok is false when no rule, or only a generic one
// ("script returned exit code 1", a make error), matched: that explains nothing. The history
// stores the matched line as the failure's message, so failures group by what went wrong.
func ExplainFailure(c Classifier, log []byte, stepError string) (m Match, ok bool) {
	m = c.Classify(failureText(log, stepError))
	return m, m.Rule != "" && !m.Generic
}

// cleanLog is a log as the knowledge base reads it: without console notes, colour codes and
// timestamps, so that a matched line reads as the step printed it.
func cleanLog(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	return strings.Join(logLines(data), "\n") + "\n"
}

// plural is "1 line", "2 lines".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// countLines counts the lines of a log (a final newline does not start another line).
func countLines(text string) int {
	if strings.TrimSpace(text) == "" {
		return 0
	}
	return len(logLines([]byte(text)))
}

// tailLines returns the last n non-empty lines of a log, cleaned of console notes.
func tailLines(data []byte, n int) []string {
	var out []string
	lines := logLines(data)
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			out = append(out, l)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func buildRef(b *jenkins.Build, steps []*logicalStep) BuildRef {
	r := BuildRef{
		Job: b.Job, Number: b.Number, Result: resultPtr(b.Result), Revision: b.Revision, Dir: b.Dir,
		Start: rfc3339(b.Start), DurationSeconds: b.Duration.Seconds(), Nodes: []string{}, Steps: len(steps),
		Problems: b.Problems,
	}
	if b.PR != nil {
		r.Base = b.PR.Base
	}
	seen := map[string]bool{}
	for _, s := range steps {
		if s.step.Node != nil && !seen[*s.step.Node] {
			seen[*s.step.Node] = true
			r.Nodes = append(r.Nodes, *s.step.Node)
		}
	}
	sort.Strings(r.Nodes)
	return r
}

func stepDetail(ls *logicalStep) *StepDetail {
	if ls == nil {
		return nil
	}
	s := ls.step
	d := &StepDetail{
		ID: s.ID, Status: s.Status, ExitCode: s.ExitCode, Error: s.Error, Node: s.Node,
		DurationSeconds: s.Duration.Seconds(), Start: rfc3339(s.Start), FailedAttempts: ls.failedAttempts,
		Image: ScriptImage(s.Script),
	}
	if ls.attempts > 1 {
		d.Attempts = ls.attempts
	}
	return d
}

// summarize counts the comparison and sets its verdict.
func summarize(cmp *Comparison, filtered int) {
	s := Summary{ByClass: map[Class]int{}, FindingsByClass: map[Class]int{}, Filtered: filtered}
	for _, k := range Classes {
		s.ByClass[k], s.FindingsByClass[k] = 0, 0
	}
	for i := range cmp.Pairs {
		p := &cmp.Pairs[i]
		s.PairsCompared++
		if p.Identical {
			s.PairsIdentical++
		}
		if failedResult(p.Prod.Result) && failedResult(p.Staging.Result) {
			s.PairsBothFailed++
		}
		s.BothFailed += len(p.BothFailed)
		for j := range p.Differences {
			d := &p.Differences[j]
			s.Differences++
			s.ByClass[d.Class]++
			if d.Root() {
				s.Findings++
				s.FindingsByClass[d.Class]++
			}
			if d.Waived {
				s.Waived++
			}
			if d.Blocking {
				s.Blocking++
				p.Blocking = true
			}
		}
	}
	s.UnpairedProd, s.UnpairedStaging = len(cmp.Unpaired.Prod), len(cmp.Unpaired.Staging)
	s.Systematic = len(cmp.Systematic)
	s.InputErrors = len(cmp.Errors)
	cmp.Summary = s
	cmp.Verdict = VerdictGo
	if s.Blocking > 0 {
		cmp.Verdict = VerdictNoGo
	}
}

// buildStep is the Step of the build-level difference of a pair whose shell steps all agree
// but whose results differ; its prod_status and staging_status are the build results.
const buildStep = "(build result)"

// severity orders build results as Jenkins does (hudson.model.Result ordinals).
func severity(r jenkins.Result) int {
	switch r {
	case jenkins.ResultSuccess:
		return 0
	case jenkins.ResultUnstable:
		return 1
	case jenkins.ResultFailure:
		return 2
	case jenkins.ResultNotBuilt:
		return 3
	default:
		return 4
	}
}

func failedResult(r *jenkins.Result) bool {
	return r != nil && (*r == jenkins.ResultFailure || *r == jenkins.ResultAborted)
}

// attachExcerpt sets the difference's evidence excerpt: the failing side's step log against the
// same step's log on the other side, when that side ran it.
func (c *comparer) attachExcerpt(pc *pairCtx, d *Difference, it *item, failing Side, failLog []byte) {
	var passLog []byte
	if ls := it.a.side(other(failing)); ls != nil {
		if data, err := c.stepLog(pc.build(other(failing)), ls.step); err == nil {
			passLog = data
		}
	}
	ex := logdiff.Diff(failLog, passLog, logdiff.Options{})
	if ex.Mode == logdiff.ModeEmpty {
		return
	}
	d.Excerpt, d.ExcerptSide = &ex, failing
}
