package analyzer

import (
	"fmt"
	"math"
	"sort"
)

// minSystematicFailures is the fewest staging failures a systematic finding needs: below it,
// even a significant p-value rests on too few events to act on.
const minSystematicFailures = 3

// stepCounts gathers, one pair at a time, what the systematic test needs: per step identity,
// its runs and failures on each side. A step is identified by stage, identity and ordinal,
// independent of the job, so that the same "Run cmake build" of every PR job counts together.
// Each pair adds one run per side where the step ran (FAILURE or ABORTED count as failures).
// It holds no build: its size grows with the distinct steps, not with the builds.
type stepCounts struct {
	counts map[identity]*stepCount
}

type stepCount struct {
	label               string
	sf, sr, pf, pr      int
	jobs                map[string]bool
	stage, key          string
	ordinal, occurrence int
}

func (s *stepCounts) get(ls *logicalStep) *stepCount {
	if s.counts == nil {
		s.counts = map[identity]*stepCount{}
	}
	id := ls.id()
	k := s.counts[id]
	if k == nil {
		k = &stepCount{label: ls.step.Label, jobs: map[string]bool{}, stage: ls.stage, key: ls.key, ordinal: ls.ordinal, occurrence: ls.occurrence}
		s.counts[id] = k
	}
	return k
}

// add counts one pair of job's builds, given their logical steps.
func (s *stepCounts) add(job string, prod, staging []*logicalStep) {
	for _, ls := range staging {
		k := s.get(ls)
		k.sr++
		if failedStatus(ls.step.Status) {
			k.sf++
			k.jobs[job] = true
		}
	}
	for _, ls := range prod {
		k := s.get(ls)
		k.pr++
		if failedStatus(ls.step.Status) {
			k.pf++
		}
	}
}

// findings are the steps that fail significantly more often on staging than on production,
// across the pairs added: the one-sided Fisher's exact test on the 2x2 table (side ×
// failed/passed) at significance alpha.
func (s *stepCounts) findings(alpha float64) []SystematicFinding {
	counts := s.counts
	out := []SystematicFinding{}
	for _, k := range counts {
		if k.sf < minSystematicFailures {
			continue
		}
		pv := fisherGreater(k.sf, k.sr-k.sf, k.pf, k.pr-k.pf)
		if pv >= alpha {
			continue
		}
		jobs := make([]string, 0, len(k.jobs))
		for j := range k.jobs {
			jobs = append(jobs, j)
		}
		sort.Strings(jobs)
		out = append(out, SystematicFinding{
			Stage: k.stage, Label: k.label, Step: k.key, Occurrence: k.occurrence,
			StagingFailures: k.sf, StagingRuns: k.sr, ProdFailures: k.pf, ProdRuns: k.pr,
			PValue: pv, Jobs: jobs,
			Reason: fmt.Sprintf("failed in %d of %d staging runs and %d of %d prod runs (one-sided Fisher p = %.3g)", k.sf, k.sr, k.pf, k.pr, pv),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.PValue != b.PValue {
			return a.PValue < b.PValue
		}
		if a.Stage != b.Stage {
			return a.Stage < b.Stage
		}
		if a.Step != b.Step {
			return a.Step < b.Step
		}
		return a.Occurrence < b.Occurrence
	})
	return out
}

// fisherGreater is the one-sided p-value of Fisher's exact test for the 2x2 table
//
//	a b
//	c d
//
// against the alternative that the first row's first-column proportion is greater: the
// probability, with all margins fixed, of a table whose top-left cell is a or more. Each
// table's hypergeometric probability is computed from log-factorials, so large counts
// neither overflow nor lose precision.
func fisherGreater(a, b, c, d int) float64 {
	if a < 0 || b < 0 || c < 0 || d < 0 {
		return math.NaN()
	}
	row1, col1, n := a+b, a+c, a+b+c+d
	if n == 0 {
		return 1
	}
	if a <= max(0, col1-(n-row1)) {
		// Every table with these margins has a or more: no rounding error on the sure event.
		return 1
	}
	logDenom := logChoose(n, col1)
	p := 0.0
	for x := a; x <= min(row1, col1); x++ {
		p += math.Exp(logChoose(row1, x) + logChoose(n-row1, col1-x) - logDenom)
	}
	return math.Min(1, p)
}

// logChoose is log(n choose k) from log-factorials.
func logChoose(n, k int) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	return logFactorial(n) - logFactorial(k) - logFactorial(n-k)
}

func logFactorial(n int) float64 {
	v, _ := math.Lgamma(float64(n) + 1)
	return v
}
