package analyzer

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/cidiff/cidiff/jenkins"
)

// logicalStep is one shell step as compared: retry attempts folded into their last attempt.
type logicalStep struct {
	step  *jenkins.Step
	stage string
	// path is the stage path as components (Step.Stage).
	path []string
	// key is the identity within the stage: trimmed label, or "sh:" + script hash.
	key string
	// ordinal is the 0-based rank among the build's steps of the same stage and key.
	ordinal int
	// occurrence is the 1-based rank among the build's steps of the same stage and trimmed
	// label ("" for every unlabelled step): what a report shows ("the 2nd Run cmake build").
	occurrence int
	// index is the position in the build's logical step order.
	index int
	// attempts counts the retry attempts folded into this step (1 without retry).
	attempts int
	// failedAttempts are the statuses of earlier attempts that did not succeed.
	failedAttempts []jenkins.Status
	// retries is the step's enclosing retry blocks, innermost first.
	retries []jenkins.Block
}

// identity is a step's place in a build, independent of the job: stage, key, ordinal.
type identity struct {
	stage, key string
	ordinal    int
}

func (l *logicalStep) id() identity { return identity{l.stage, l.key, l.ordinal} }

// flipped reports whether the step failed in an earlier retry attempt and then succeeded: it
// both passed and failed for one revision within one build.
func (l *logicalStep) flipped() bool {
	return len(l.failedAttempts) > 0 && l.step.Status == jenkins.StatusSuccess
}

// stepKey is a step's identity within its stage: its label with surrounding spaces trimmed
// (TVM's "Run VTA tests in FSIM " has a trailing one), or for an unlabelled step "sh:" and
// the first 8 hex digits of the SHA-256 of its normalised script.
func stepKey(s *jenkins.Step) string {
	if l := strings.TrimSpace(s.Label); l != "" {
		return l
	}
	sum := sha256.Sum256([]byte(normalizeScript(s.Script)))
	return "sh:" + hex.EncodeToString(sum[:4])
}

// normalizeScript removes ${...} expansions (they hold build-specific values such as
// ${BUILD_NUMBER} or a workspace path) and collapses runs of white space, so that the same
// script written by two controllers hashes the same.
func normalizeScript(script string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(script); i++ {
		c := script[i]
		if depth == 0 && c == '$' && i+1 < len(script) && script[i+1] == '{' {
			depth = 1
			i++
			continue
		}
		if depth > 0 {
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			}
			continue
		}
		b.WriteByte(c)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// logicalSteps folds the retry attempts of a build's steps and numbers what remains.
func logicalSteps(b *jenkins.Build) []*logicalStep {
	steps := make([]*logicalStep, 0, len(b.Steps))
	maxDepth := 0
	for i := range b.Steps {
		s := &b.Steps[i]
		ls := &logicalStep{step: s, stage: s.StagePath(), path: s.Stage, key: stepKey(s), attempts: 1}
		for _, blk := range s.Context {
			if blk.Kind == jenkins.BlockRetry {
				ls.retries = append(ls.retries, blk)
			}
		}
		maxDepth = max(maxDepth, len(ls.retries))
		steps = append(steps, ls)
	}
	for level := 0; level < maxDepth; level++ {
		steps = foldRetryLevel(steps, level)
	}
	counts := map[[2]string]int{}
	labels := map[[2]string]int{}
	for i, ls := range steps {
		k := [2]string{ls.stage, ls.key}
		ls.ordinal = counts[k]
		counts[k]++
		l := [2]string{ls.stage, strings.TrimSpace(ls.step.Label)}
		labels[l]++
		ls.occurrence = labels[l]
		ls.index = i
	}
	return steps
}

// foldRetryLevel folds the attempts of the retry blocks at one nesting level (0: innermost).
// Within one retry block, the n-th step of a stage and key in attempt k+1 replaces the n-th
// one of attempt k; the replaced attempt is kept as evidence when it did not succeed. Steps
// keep the position of their first attempt. Inner levels are folded first, so that an outer
// retry sees one logical step per inner block.
func foldRetryLevel(steps []*logicalStep, level int) []*logicalStep {
	type attemptKey struct {
		block      string
		attempt    int
		stage, key string
	}
	type groupKey struct {
		block      string
		stage, key string
		ordinal    int
	}
	counts := map[attemptKey]int{}
	groups := map[groupKey]*logicalStep{}
	out := steps[:0:0]
	for _, ls := range steps {
		if len(ls.retries) <= level {
			out = append(out, ls)
			continue
		}
		blk := ls.retries[level]
		ak := attemptKey{blk.ID, blk.Attempt, ls.stage, ls.key}
		gk := groupKey{blk.ID, ls.stage, ls.key, counts[ak]}
		counts[ak]++
		prev, ok := groups[gk]
		if ok && blk.Attempt > prev.retries[level].Attempt {
			if prev.step.Status != jenkins.StatusSuccess {
				prev.failedAttempts = append(prev.failedAttempts, prev.step.Status)
			}
			prev.failedAttempts = append(prev.failedAttempts, ls.failedAttempts...)
			prev.attempts += ls.attempts
			prev.step = ls.step
			prev.retries = ls.retries
			continue
		}
		groups[gk] = ls
		out = append(out, ls)
	}
	return out
}

// aligned is one step of a pair: present on both sides, or on one only (the other nil).
type aligned struct {
	prod, staging *logicalStep
	// scriptChanged is set when two unlabelled steps were paired by position although their
	// scripts differ (e.g. a docker image name interpolated into the script).
	scriptChanged bool
}

func (a *aligned) any() *logicalStep {
	if a.staging != nil {
		return a.staging
	}
	return a.prod
}

func (a *aligned) side(s Side) *logicalStep {
	if s == SideProd {
		return a.prod
	}
	return a.staging
}

func (a *aligned) status(s Side) jenkins.Status {
	if ls := a.side(s); ls != nil {
		return ls.step.Status
	}
	return jenkins.StatusMissing
}

// align matches the steps of two builds, stage by stage. Within a stage the two sequences of
// step identities are aligned by a longest common subsequence that prefers the earliest match,
// which is the ordinal rule when both sides ran the same steps, and which keeps a recovery
// step that ran on one side only (TVM's "Clear old cmake workspace" followed by a second "Run
// cmake build") from shifting every later step of the same label out of line. Unlabelled steps
// left unmatched between the same two anchors are then paired by position. The result is in
// execution order: staging's order, with production-only steps placed right after the step
// that preceded them on production (in their own stage when there is one).
func align(prod, staging []*logicalStep) []*aligned {
	byStage := func(steps []*logicalStep) map[string][]*logicalStep {
		m := map[string][]*logicalStep{}
		for _, s := range steps {
			m[s.stage] = append(m[s.stage], s)
		}
		return m
	}
	ps, ss := byStage(prod), byStage(staging)
	stages := map[string]bool{}
	for k := range ps {
		stages[k] = true
	}
	for k := range ss {
		stages[k] = true
	}
	var out []*aligned
	for st := range stages {
		out = append(out, alignStage(ps[st], ss[st])...)
	}

	// Order: staging index; production-only steps after their production predecessor's partner.
	prodEntry := map[*logicalStep]*aligned{}
	for _, a := range out {
		if a.prod != nil {
			prodEntry[a.prod] = a
		}
	}
	type pos struct{ base, tier, sub int }
	where := map[*aligned]pos{}
	for _, a := range out {
		if a.staging != nil {
			where[a] = pos{a.staging.index, 0, 0}
			continue
		}
		// After the partners of both the nearest earlier production step and the nearest
		// earlier one of the same stage: production's order holds within the stage and, as far
		// as staging's order allows, across stages.
		base, global := -1, -1
		for i := a.prod.index - 1; i >= 0; i-- {
			e := prodEntry[prod[i]]
			if e == nil || e.staging == nil {
				continue
			}
			if global < 0 {
				global = e.staging.index
			}
			if prod[i].stage == a.prod.stage {
				base = e.staging.index
				break
			}
		}
		base = max(base, global)
		where[a] = pos{base, 1, a.prod.index}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := where[out[i]], where[out[j]]
		if a.base != b.base {
			return a.base < b.base
		}
		if a.tier != b.tier {
			return a.tier < b.tier
		}
		return a.sub < b.sub
	})
	return out
}

// alignStage aligns the steps of one stage path.
func alignStage(p, s []*logicalStep) []*aligned {
	n, m := len(p), len(s)
	// lcs[i][j] is the length of the LCS of p[i:] and s[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if p[i].key == s[j].key {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []*aligned
	var gapP, gapS []*logicalStep
	flush := func() {
		out = append(out, pairUnlabelled(gapP, gapS)...)
		gapP, gapS = nil, nil
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case p[i].key == s[j].key && lcs[i][j] == lcs[i+1][j+1]+1:
			flush()
			out = append(out, &aligned{prod: p[i], staging: s[j]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			gapP = append(gapP, p[i])
			i++
		default:
			gapS = append(gapS, s[j])
			j++
		}
	}
	gapP = append(gapP, p[i:]...)
	gapS = append(gapS, s[j:]...)
	flush()
	return out
}

// pairUnlabelled pairs, in order, the unlabelled steps of one gap between two matched steps;
// everything else in the gap stays one-sided.
func pairUnlabelled(p, s []*logicalStep) []*aligned {
	var out []*aligned
	var up, us []*logicalStep
	for _, x := range p {
		if strings.HasPrefix(x.key, "sh:") {
			up = append(up, x)
		} else {
			out = append(out, &aligned{prod: x})
		}
	}
	for _, x := range s {
		if strings.HasPrefix(x.key, "sh:") {
			us = append(us, x)
		} else {
			out = append(out, &aligned{staging: x})
		}
	}
	for k := 0; k < max(len(up), len(us)); k++ {
		a := &aligned{}
		if k < len(up) {
			a.prod = up[k]
		}
		if k < len(us) {
			a.staging = us[k]
		}
		a.scriptChanged = a.prod != nil && a.staging != nil
		out = append(out, a)
	}
	return out
}

// bad reports whether a status is an abnormal end: the step failed, was interrupted or never
// recorded an end.
func bad(s jenkins.Status) bool {
	return s == jenkins.StatusFailure || s == jenkins.StatusAborted || s == jenkins.StatusUnknown
}

// absent reports whether a step did not run: missing from the build or recorded as not
// executed.
func absent(s jenkins.Status) bool {
	return s == jenkins.StatusMissing || s == jenkins.StatusNotExecuted
}

// failedStatus is a failure for counting (both-failed, systematic): FAILURE or ABORTED.
func failedStatus(s jenkins.Status) bool {
	return s == jenkins.StatusFailure || s == jenkins.StatusAborted
}
