package analyzer

import (
	"fmt"
	"sort"

	"github.com/cidiff/cidiff/jenkins"
)

// Flakiness thresholds for a step's history on one instance. A step is flaky when, among its
// last HistoryLimit runs, one revision both passed and failed, or the outcome changed from one
// run to the next at least minFlips times (pass, fail, pass). A single change is not enough:
// a commit that breaks a test and the commit that fixes it make one change each.
const (
	defaultHistoryLimit = 20
	minFlips            = 2
)

// flakyFinding is what the flakiness checks found for one difference.
type flakyFinding struct {
	flaky    bool
	reason   string
	evidence []string
	// checked says what was looked at, for an unknown reason.
	checked []string
}

// sideRun is one execution of a step on one side, for the rebuild check.
type sideRun struct {
	build  *jenkins.Build
	status jenkins.Status
}

// rebuildFlip looks for a step that both passed and failed for the same revision on one
// instance: in the pair's build and its older rebuilds (runs, newest first), or within one
// build across retry attempts.
func rebuildFlip(side Side, runs []sideRun, retried *logicalStep) flakyFinding {
	var f flakyFinding
	if retried != nil && retried.flipped() {
		f.flaky = true
		f.reason = fmt.Sprintf("failed in %d of %d retry attempts on %s before passing, in the same build", len(retried.failedAttempts), retried.attempts, side)
		f.evidence = append(f.evidence, fmt.Sprintf("%s %s: attempts %v then SUCCESS", side, buildName(runs[0].build), retried.failedAttempts))
		return f
	}
	var passed, failed *sideRun
	for i := range runs {
		r := &runs[i]
		switch {
		case r.status == jenkins.StatusSuccess && passed == nil:
			passed = r
		case failedStatus(r.status) && failed == nil:
			failed = r
		}
	}
	if passed != nil && failed != nil {
		f.flaky = true
		f.reason = fmt.Sprintf("passed in %s %s and failed in %s %s, same revision", side, buildName(passed.build), side, buildName(failed.build))
		for _, r := range runs {
			f.evidence = append(f.evidence, fmt.Sprintf("%s %s: %s", side, buildName(r.build), r.status))
		}
		return f
	}
	if len(runs) > 1 {
		f.checked = append(f.checked, fmt.Sprintf("%d %s builds of this revision agree", len(runs), side))
	}
	return f
}

// historyFlip analyses a step's recorded runs on one instance (any order).
func historyFlip(instance string, runs []StepRun) flakyFinding {
	var f flakyFinding
	rs := make([]StepRun, 0, len(runs))
	for _, r := range runs {
		if r.Status == jenkins.StatusSuccess || failedStatus(r.Status) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		f.checked = append(f.checked, "no "+instance+" history")
		return f
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].Started.Equal(rs[j].Started) {
			return rs[i].Started.Before(rs[j].Started)
		}
		return rs[i].Number < rs[j].Number
	})
	flips := 0
	type outcome struct{ pass, fail *StepRun }
	byRev := map[string]*outcome{}
	var revs []string
	for i := range rs {
		r := &rs[i]
		if i > 0 && (rs[i-1].Status == jenkins.StatusSuccess) != (r.Status == jenkins.StatusSuccess) {
			flips++
		}
		if r.Revision == "" {
			continue
		}
		o := byRev[r.Revision]
		if o == nil {
			o = &outcome{}
			byRev[r.Revision] = o
			revs = append(revs, r.Revision)
		}
		if r.Status == jenkins.StatusSuccess {
			o.pass = r
		} else {
			o.fail = r
		}
	}
	for _, rev := range revs {
		o := byRev[rev]
		if o.pass != nil && o.fail != nil {
			f.flaky = true
			f.reason = fmt.Sprintf("%s history: passed in %s #%d and failed in %s #%d at revision %s", instance, o.pass.Job, o.pass.Number, o.fail.Job, o.fail.Number, short(rev))
			f.evidence = append(f.evidence, fmt.Sprintf("%s history: %d runs, %d flips", instance, len(rs), flips))
			return f
		}
	}
	if flips >= minFlips {
		f.flaky = true
		f.reason = fmt.Sprintf("%s history flips: %d changes between passing and failing in the last %d runs", instance, flips, len(rs))
		f.evidence = append(f.evidence, fmt.Sprintf("%s history: %d runs, %d flips", instance, len(rs), flips))
		return f
	}
	f.checked = append(f.checked, fmt.Sprintf("%s history: %d runs, %d flips", instance, len(rs), flips))
	return f
}

// buildName is "#12", or the directory when the build has no number.
func buildName(b *jenkins.Build) string {
	if b == nil {
		return "?"
	}
	if b.Number != nil {
		return fmt.Sprintf("#%d", *b.Number)
	}
	return b.Dir
}
