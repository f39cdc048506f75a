package analyzer

import (
	"fmt"
	"testing"

	"github.com/cidiff/cidiff/jenkins"
)

// buildFromBytes makes a build whose steps are drawn from a small vocabulary, so that random
// bytes give pairs that share stages and labels (parallel branches, repeats, retries).
func buildFromBytes(side string, data []byte) *jenkins.Build {
	stages := []string{"Prepare", "Build/BUILD: GPU", "Build/BUILD: CPU", "Test/unittest: GPU", "Test", "", "Declarative: Post Actions"}
	labels := []string{"Run cmake build", "Build and run C++ tests", "", "Clear old cmake workspace", "Run tests", "Run cmake build "}
	statuses := []jenkins.Status{S, S, S, F, A, NE, jenkins.StatusUnknown}
	var steps []jenkins.Step
	for i := 0; i+1 < len(data); i += 2 {
		a, b := data[i], data[i+1]
		s := st(stages[int(a)%len(stages)], labels[int(a/8)%len(labels)], statuses[int(b)%len(statuses)])
		if s.Label == "" {
			s.Script = fmt.Sprintf("./script%d.sh", b%3)
		}
		if b&0x80 != 0 {
			s = withRetry(s, fmt.Sprint(b%2), int(b/16)%3+1)
		}
		steps = append(steps, s)
	}
	results := []jenkins.Result{jenkins.ResultFailure, jenkins.ResultSuccess, jenkins.ResultAborted}
	return bld(side, "tvm/PR-1", 1, "r", results[len(data)%len(results)], steps...)
}

func withRetry(s jenkins.Step, block string, attempt int) jenkins.Step {
	retry(block, attempt)(&s)
	return s
}

// checkInvariants asserts what every comparison must satisfy whatever its input.
func checkInvariants(t *testing.T, c *Comparison) {
	t.Helper()
	blocking, diffs := 0, 0
	for _, p := range c.Pairs {
		roots := map[StepRef]Difference{}
		for i, d := range p.Differences {
			diffs++
			if d.Order != i {
				t.Fatalf("order %d at %d", d.Order, i)
			}
			if d.ProdStatus == d.StagingStatus {
				t.Fatalf("difference with equal statuses: %s", brief(d))
			}
			if !d.Class.Valid() {
				t.Fatalf("invalid class %q", d.Class)
			}
			if d.Reason == "" {
				t.Fatalf("no reason: %s", brief(d))
			}
			if d.Blocking != (d.Class.Blocking() && !d.Waived) {
				t.Fatalf("blocking %v for %s (waived %v)", d.Blocking, brief(d), d.Waived)
			}
			if d.Blocking {
				blocking++
			}
			if d.Root() {
				roots[StepRef{Stage: d.Stage, Label: d.Label, Step: d.Step, Occurrence: d.Occurrence}] = d
				continue
			}
			r, ok := roots[*d.ConsequenceOf]
			if !ok {
				t.Fatalf("%s: consequence of %+v, which is no earlier root", brief(d), *d.ConsequenceOf)
			}
			if r.Class != d.Class || r.Cause != d.Cause {
				t.Fatalf("%s does not carry its root's class %s/%s", brief(d), r.Class, r.Cause)
			}
		}
	}
	if blocking != c.Summary.Blocking || diffs != c.Summary.Differences {
		t.Fatalf("summary %+v, counted blocking %d differences %d", c.Summary, blocking, diffs)
	}
	if (blocking > 0) != (c.Verdict == VerdictNoGo) {
		t.Fatalf("verdict %s with %d blocking", c.Verdict, blocking)
	}
}

func FuzzCompareBuilds(f *testing.F) {
	f.Add([]byte{1, 0, 2, 0, 9, 0, 17, 3}, []byte{1, 0, 2, 3, 9, 5})
	f.Add([]byte{}, []byte{1, 0, 2, 0})
	f.Add([]byte{8, 0x81, 8, 0x93, 8, 0xa0}, []byte{8, 0x80, 8, 3, 4, 0})
	f.Fuzz(func(t *testing.T, prodBytes, stagingBytes []byte) {
		if len(prodBytes) > 400 || len(stagingBytes) > 400 {
			return
		}
		prod, staging := buildFromBytes("prod", prodBytes), buildFromBytes("staging", stagingBytes)
		logs := newLogs()
		logs.builds[staging.Dir] = "There are no nodes with the label ‘doc’\n"
		c, err := CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, Options{
			Classifier: testKB, Logs: logs, Waivers: []Waiver{{Stage: "Test*", Reason: "r"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, c)
	})
}

// BenchmarkCompareBuilds compares 50 pairs of an era-B sized pipeline (≈260 shell steps per
// build, 20 parallel branches), a third of them with a staging failure early in a branch.
func BenchmarkCompareBuilds(b *testing.B) {
	var prod, staging []*jenkins.Build
	for n := 0; n < 50; n++ {
		var ps, ss []jenkins.Step
		for step := 0; step < 13; step++ {
			for branch := 0; branch < 20; branch++ {
				stage := fmt.Sprintf("Test/shard %d of 20", branch)
				label := fmt.Sprintf("step %d", step%7)
				ps = append(ps, st(stage, label, S))
				status := S
				if n%3 == 0 && branch == n%20 && step >= 4 {
					if step > 4 {
						continue // never ran after the failure
					}
					status = F
				}
				ss = append(ss, st(stage, label, status))
			}
		}
		job, rev := fmt.Sprintf("tvm/PR-%d", n), fmt.Sprintf("rev%d", n)
		prod = append(prod, bld("prod", job, 1, rev, jenkins.ResultSuccess, ps...))
		staging = append(staging, bld("staging", job, 1, rev, jenkins.ResultFailure, ss...))
	}
	logs := newLogs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := CompareBuilds(prod, staging, Options{Classifier: testKB, Logs: logs}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareDisjoint is the worst case for root-cause attribution: two 400-step builds
// that share no step, every one a difference.
func BenchmarkCompareDisjoint(b *testing.B) {
	var ps, ss []jenkins.Step
	for i := 0; i < 400; i++ {
		ps = append(ps, st(fmt.Sprintf("P%d/b%d", i%10, i%7), fmt.Sprint("p", i), F))
		ss = append(ss, st(fmt.Sprintf("S%d/b%d", i%10, i%7), fmt.Sprint("s", i), A))
	}
	prod := bld("prod", "j", 1, "r", jenkins.ResultFailure, ps...)
	staging := bld("staging", "j", 1, "r", jenkins.ResultFailure, ss...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareManyFailures is a pathological pair for root-cause attribution: 40
// parallel branches of 10 steps, every second step failing on staging (caught), with the
// next one missing there.
func BenchmarkCompareManyFailures(b *testing.B) {
	var ps, ss []jenkins.Step
	for step := 0; step < 10; step++ {
		for branch := 0; branch < 40; branch++ {
			stage := fmt.Sprintf("Test/shard %d", branch)
			label := fmt.Sprint("step ", step)
			ps = append(ps, st(stage, label, S))
			switch step % 3 {
			case 0:
				ss = append(ss, st(stage, label, F))
			case 1:
				// missing on staging
			default:
				ss = append(ss, st(stage, label, S))
			}
		}
	}
	prod := bld("prod", "j", 1, "r", jenkins.ResultSuccess, ps...)
	staging := bld("staging", "j", 1, "r", jenkins.ResultFailure, ss...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
