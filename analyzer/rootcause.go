package analyzer

import (
	"fmt"
	"strings"
	"time"

	"github.com/cidiff/cidiff/jenkins"
)

// rootKind says why a root difference is a root.
type rootKind int

const (
	// rootFailure: a step failed, was aborted or never ended on at least one side.
	rootFailure rootKind = iota
	// rootMissingScope: a whole stage (or the whole build) did not run on one side, and no
	// earlier failure on that side explains it.
	rootMissingScope
	// rootOneSided: a step ran on one side only (or was not executed on one side) while the
	// rest of its stage ran on both, and no failure explains it.
	rootOneSided
	// rootMissingStep: a step did not run on a side whose build failed, and no failed step
	// explains it: the build failed outside any shell step (withCredentials, unstash, a
	// sandbox rejection) right there.
	rootMissingStep
	// rootBuildResult: every shell step agreed but the build results differ.
	rootBuildResult
)

// consequenceKind says how a consequence follows from its root.
type consequenceKind int

const (
	consNeverRan consequenceKind = iota + 1
	consRecovery
	consInMissingScope
)

// item is a difference under analysis.
type item struct {
	d *Difference
	a *aligned
	// root is nil for a root; otherwise the root item this one follows from.
	root *item
	cons consequenceKind
	// consSide is the side on which the consequence shows (where the step did not run, or
	// ran only).
	consSide Side
	kind     rootKind
	// side is, for a root, the side that deviates: the failing side (staging when both
	// failed differently), the side missing the stage or step.
	side Side
	// scope is the stage path a root explains on its side: the failing step's stage, or the
	// stage prefix that is missing entirely.
	scope []string
	// before is, per side, the index of the last step that side ran at or before this
	// difference in execution order (-1 when none).
	before map[Side]int
}

// event is a root on one side that later absences on that side may follow from.
type event struct {
	it    *item
	scope []string
	// failure is set when a step failed there (rather than did not run).
	failure bool
	// stop caches stopped(): 0 unknown, 1 yes, 2 no.
	stop int
	// after is the side's step index the root happened after: the failed step's own index,
	// or for a step or stage that never ran, the last step the side ran before it (-1 when
	// none).
	after int
}

// sideView indexes one side's steps for the scope rules.
type sideView struct {
	steps []*logicalStep
	// byStage is the side's steps per stage path, in order.
	byStage map[string][]*logicalStep
	// entry maps a side's step to its aligned entry.
	entry map[*logicalStep]*aligned
	// spans and timeSpans memoise span and times per stage prefix (joined with NUL).
	spans     map[string][3]int
	timeSpans map[string][2]time.Time
}

func newSideView(steps []*logicalStep, entries []*aligned, side Side) *sideView {
	v := &sideView{steps: steps, byStage: map[string][]*logicalStep{}, entry: map[*logicalStep]*aligned{}, spans: map[string][3]int{}, timeSpans: map[string][2]time.Time{}}
	for _, s := range steps {
		v.byStage[s.stage] = append(v.byStage[s.stage], s)
	}
	for _, a := range entries {
		if ls := a.side(side); ls != nil {
			v.entry[ls] = a
		}
	}
	return v
}

// span returns the first and last index of the side's steps within the stage prefix.
func (v *sideView) span(prefix []string) (first, last int, ok bool) {
	key := strings.Join(prefix, "\x00")
	if sp, hit := v.spans[key]; hit {
		return sp[0], sp[1], sp[2] == 1
	}
	defer func() {
		v.spans[key] = [3]int{first, last, map[bool]int{true: 1}[ok]}
	}()
	first, last = -1, -1
	for _, s := range v.steps {
		if hasPrefix(s.path, prefix) {
			if first < 0 {
				first = s.index
			}
			last = s.index
		}
	}
	return first, last, first >= 0
}

// has reports whether the side ran any step within the stage prefix.
func (v *sideView) has(prefix []string) bool {
	_, _, ok := v.span(prefix)
	return ok
}

// attribute finds the root of every difference of a pair. It walks the differences in
// execution order and applies, per difference:
//
//  1. A step that did not run on side X (MISSING or NOT_EXECUTED) follows from the most recent
//     earlier root on X whose scope covers it: the same stage, a stage inside it, the stage
//     enclosing it, or a stage that ran after it in sequence (not a parallel sibling: two
//     sibling stages are sequential when, on the side that ran both, every step of the first
//     came before every step of the second). A root explains nothing when X went on after it:
//     when X later ran a step (present on both sides) that the root's scope covers, the
//     failure was caught (TVM's make() catches a failed build and builds again).
//  2. A step that ran on X only, right after a failure on X in the same stage (only X-only
//     steps in between), is a recovery step of that failure; so is an X-only step in
//     "Declarative: Post Actions" after any failure on X.
//  3. Otherwise the difference is a root. A root where X has no step at all in some enclosing
//     stage (or in the whole build) covers that stage: later differences inside it follow
//     from it. A root where a step failed covers the step's stage. A root where one step did
//     not run on X while X's build failed covers that step's stage too: the build failed
//     there, outside any shell step.
func attribute(items []*item, prodView, stagingView *sideView, xFailed map[Side]bool) {
	events := map[Side][]event{}
	views := map[Side]*sideView{SideProd: prodView, SideStaging: stagingView}
	// itemOf holds the differences walked so far: a root must come before what follows from it.
	itemOf := map[*aligned]*item{}
	for _, it := range items {
		itemOf[it.a] = it
		path := it.a.any().path
		// Rule 1: did not run on X.
		for _, x := range []Side{SideStaging, SideProd} {
			if !absent(it.a.status(x)) {
				continue
			}
			if r := blame(events[x], path, x, views); r != nil {
				it.root, it.cons, it.consSide = r, consNeverRan, x
				if r.kind == rootMissingScope && r.side == x {
					it.cons = consInMissingScope
				}
				break
			}
		}
		// Rule 2: recovery, ran on X only.
		if it.root == nil {
			for _, x := range []Side{SideStaging, SideProd} {
				if it.a.side(x) == nil || it.a.side(other(x)) != nil {
					continue
				}
				if r := recoveryOf(it, x, views[x], itemOf, events[x]); r != nil {
					it.root, it.cons, it.consSide = r, consRecovery, x
					break
				}
			}
		}
		if it.root == it {
			it.root = nil
		}
		if it.root != nil {
			for it.root.root != nil {
				it.root = it.root.root
			}
			continue
		}
		// Rule 3: a root.
		it.kind = rootOneSided
		for _, x := range []Side{SideStaging, SideProd} {
			if bad(it.a.status(x)) {
				it.kind, it.side, it.scope = rootFailure, x, path
				break
			}
		}
		for _, x := range []Side{SideStaging, SideProd} {
			st := it.a.status(x)
			if absent(st) {
				after := it.before[x]
				if scope, ok := missingScope(views[x], path); ok {
					if it.kind != rootFailure {
						it.kind, it.side, it.scope = rootMissingScope, x, scope
					}
					events[x] = append(events[x], event{it: it, scope: scope, after: after})
				} else if e := (event{it: it, scope: path, after: after}); xFailed[x] && stopped(e, x, views) {
					if it.kind != rootFailure {
						it.kind, it.side, it.scope = rootMissingStep, x, path
					}
					events[x] = append(events[x], e)
				} else if it.kind == rootOneSided && it.side == "" {
					it.side = x
				}
			}
			if bad(st) {
				events[x] = append(events[x], event{it: it, scope: path, failure: true, after: it.a.side(x).index})
			}
		}
		if it.side == "" {
			it.side = SideStaging
		}
	}
}

// blame returns the most recent root on side x whose scope covers a step at path and after
// which x did not go on. A failed step is preferred to a step or stage that did not run: it
// is the stronger evidence.
func blame(evs []event, path []string, x Side, views map[Side]*sideView) *item {
	for _, failures := range []bool{true, false} {
		for i := len(evs) - 1; i >= 0; i-- {
			e := &evs[i]
			if e.failure != failures || !covers(e.scope, path, x, views) {
				continue
			}
			if e.stop == 0 {
				e.stop = 2
				if stopped(*e, x, views) {
					e.stop = 1
				}
			}
			if e.stop == 1 {
				return e.it
			}
		}
	}
	return nil
}

// stopped reports whether side x ran nothing after a root that the root's scope covers, apart
// from steps that ran on x only (recovery steps are differences of their own).
func stopped(e event, x Side, views map[Side]*sideView) bool {
	v := views[x]
	for _, s := range v.steps {
		if s.index <= e.after || absent(s.step.Status) {
			continue
		}
		if a := v.entry[s]; a == nil || a.prod == nil || a.staging == nil {
			continue
		}
		if covers(e.scope, s.path, x, views) {
			return false
		}
	}
	return true
}

// covers reports whether a root at stage scope explains that a later step at path did not run.
func covers(scope, path []string, x Side, views map[Side]*sideView) bool {
	if hasPrefix(path, scope) || hasPrefix(scope, path) {
		return true
	}
	c := 0
	for c < len(scope) && c < len(path) && scope[c] == path[c] {
		c++
	}
	return sequential(scope[:c+1], path[:c+1], x, views)
}

// sequential reports whether sibling stage a ran before sibling stage b, rather than beside it
// in a parallel block. On the side that ran both (the other side preferred), they are
// sequential when every step of a both started (flow-node ids) and ended (recorded times)
// before the first step of b; parallel branches overlap in time even when their ids do not
// interleave. When no side ran both, top-level stages are taken as sequential (as in every
// Declarative pipeline) and nested ones as parallel branches (TVM's shape).
func sequential(a, b []string, x Side, views map[Side]*sideView) bool {
	for _, v := range []*sideView{views[other(x)], views[x]} {
		_, lastA, okA := v.span(a)
		firstB, _, okB := v.span(b)
		if !okA || !okB {
			continue
		}
		if lastA >= firstB {
			return false
		}
		_, endA, timedA := v.times(a)
		startB, _, timedB := v.times(b)
		if timedA && timedB {
			// A second of slack for rounding between a step's end and the next one's start.
			return !endA.After(startB.Add(time.Second))
		}
		return true
	}
	return len(a) == 1
}

// times returns when the side's first step within the stage prefix started and its last
// step ended, when the steps recorded times.
func (v *sideView) times(prefix []string) (start, end time.Time, ok bool) {
	key := strings.Join(prefix, "\x00")
	if t, hit := v.timeSpans[key]; hit {
		return t[0], t[1], !t[0].IsZero()
	}
	defer func() { v.timeSpans[key] = [2]time.Time{start, end} }()
	for _, s := range v.steps {
		if !hasPrefix(s.path, prefix) || s.step.Start.IsZero() {
			continue
		}
		if start.IsZero() || s.step.Start.Before(start) {
			start = s.step.Start
		}
		if e := s.step.Start.Add(s.step.Duration); e.After(end) {
			end = e
		}
	}
	return start, end, !start.IsZero()
}

// recoveryOf returns the failure a step that ran on side x only recovers from, or nil.
func recoveryOf(it *item, x Side, v *sideView, itemOf map[*aligned]*item, evs []event) *item {
	ls := it.a.side(x)
	seq := v.byStage[ls.stage]
	pos := -1
	for i, s := range seq {
		if s == ls {
			pos = i
			break
		}
	}
	for i := pos - 1; i >= 0; i-- {
		e := v.entry[seq[i]]
		prev := itemOf[e]
		if prev != nil && bad(e.status(x)) {
			return prev
		}
		if e.prod != nil && e.staging != nil {
			break
		}
	}
	if len(ls.path) > 0 && strings.HasPrefix(ls.path[0], "Declarative: Post Actions") {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].it.kind == rootFailure {
				return evs[i].it
			}
		}
	}
	return nil
}

// missingScope returns the shortest stage prefix of path in which side v ran no step at all;
// the empty path when the side ran no step anywhere.
func missingScope(v *sideView, path []string) ([]string, bool) {
	if len(v.steps) == 0 {
		return []string{}, true
	}
	for n := 1; n <= len(path); n++ {
		if !v.has(path[:n]) {
			return path[:n], true
		}
	}
	return nil, false
}

// consequenceReason explains in one line how a difference follows from its root.
func consequenceReason(it *item) string {
	r := it.root
	name := stepName(r)
	x := it.consSide
	switch it.cons {
	case consRecovery:
		return fmt.Sprintf("ran on %s only, to recover after %s %s there", x, name, failedVerb(r.a.status(x)))
	case consInMissingScope:
		if len(r.scope) == 0 {
			return fmt.Sprintf("never ran on %s: no shell step ran on %s at all (see %s)", x, x, name)
		}
		return fmt.Sprintf("never ran on %s: stage %s did not run there (see %s)", x, strings.Join(r.scope, "/"), name)
	default:
		verb := "never ran"
		if it.a.status(x) == jenkins.StatusNotExecuted {
			verb = "was not executed"
		}
		return fmt.Sprintf("%s on %s after %s %s there", verb, x, name, failedVerb(r.a.status(x)))
	}
}

func failedVerb(s jenkins.Status) string {
	switch s {
	case jenkins.StatusAborted:
		return "was aborted"
	case jenkins.StatusUnknown:
		return "never ended"
	case jenkins.StatusMissing, jenkins.StatusNotExecuted:
		return "did not run"
	default:
		return "failed"
	}
}

// stepName names a root step for a reason: ‘label’ (stage), or the script hash.
func stepName(r *item) string {
	label := r.d.Label
	if strings.TrimSpace(label) == "" {
		label = "unlabelled step " + r.d.Step
	} else {
		label = "‘" + label + "’"
	}
	if r.d.Stage == "" {
		return label
	}
	return label + " (" + r.d.Stage + ")"
}

func other(s Side) Side {
	if s == SideProd {
		return SideStaging
	}
	return SideProd
}

func hasPrefix(path, prefix []string) bool {
	if len(prefix) > len(path) {
		return false
	}
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}
