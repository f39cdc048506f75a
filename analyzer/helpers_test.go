package analyzer

import (
	"fmt"
	"strings"
	"time"

	"github.com/cidiff/cidiff/jenkins"
)

// Hand-built builds for tests. Step statuses are abbreviated.
const (
	S  = jenkins.StatusSuccess
	F  = jenkins.StatusFailure
	A  = jenkins.StatusAborted
	NE = jenkins.StatusNotExecuted
)

var t0 = time.Date(2022, 2, 1, 10, 0, 0, 0, time.UTC)

// st is a step in stage path "A/B" (split at '/') with a label.
func st(stage, label string, status jenkins.Status, opts ...func(*jenkins.Step)) jenkins.Step {
	s := jenkins.Step{Kind: "sh", Label: label, Status: status, Script: "./run " + label}
	if stage != "" {
		s.Stage = strings.Split(stage, "/")
	}
	if status == jenkins.StatusFailure {
		code := 1
		s.ExitCode = &code
		s.Error = "script returned exit code 1"
	}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func script(sc string) func(*jenkins.Step) { return func(s *jenkins.Step) { s.Script = sc } }

func errText(e string) func(*jenkins.Step) { return func(s *jenkins.Step) { s.Error = e } }

func exitCode(n int) func(*jenkins.Step) {
	return func(s *jenkins.Step) { s.ExitCode = &n }
}

func onNode(n string) func(*jenkins.Step) { return func(s *jenkins.Step) { s.Node = &n } }

func retry(block string, attempt int) func(*jenkins.Step) {
	return func(s *jenkins.Step) {
		s.Context = append(s.Context, jenkins.Block{Kind: jenkins.BlockRetry, ID: block, Attempt: attempt})
	}
}

// bld is a completed build; steps get ids 10, 11, ... in order.
func bld(side, job string, num int, rev string, result jenkins.Result, steps ...jenkins.Step) *jenkins.Build {
	n := num
	b := &jenkins.Build{
		Dir:       fmt.Sprintf("%s/jobs/%s/builds/%d", side, job, num),
		Job:       job,
		Number:    &n,
		Result:    result,
		Completed: result != "",
		Start:     t0.Add(time.Duration(num) * time.Hour),
		Duration:  30 * time.Minute,
		Revision:  rev,
		Steps:     steps,
	}
	for i := range b.Steps {
		b.Steps[i].ID = fmt.Sprint(10 + i)
	}
	return b
}

// resultOf is the result a build of these steps would have: FAILURE when one failed (after
// its retries).
func resultOf(steps []jenkins.Step) jenkins.Result {
	for _, s := range logicalSteps(&jenkins.Build{Steps: steps}) {
		if failedStatus(s.step.Status) {
			return jenkins.ResultFailure
		}
	}
	return jenkins.ResultSuccess
}

func withPR(b *jenkins.Build, base string) *jenkins.Build {
	b.PR = &jenkins.PullRequest{Number: 10, Head: b.Revision, Base: base, Target: "main"}
	return b
}

// fakeKB matches substrings, in order, like a tiny knowledge base.
type fakeKB []struct {
	substr string
	match  Match
}

func (kb fakeKB) Classify(text string) Match {
	for _, r := range kb {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, r.substr) {
				m := r.match
				m.Line = strings.TrimSpace(line)
				return m
			}
		}
	}
	return Match{Class: ClassUnknown}
}

var testKB = fakeKB{
	{"No space left on device", Match{Class: ClassExecutor, Cause: "disk_full", Rule: "disk-full"}},
	{"permission denied while trying to connect to the Docker daemon", Match{Class: ClassExecutor, Cause: "docker_permission_denied", Rule: "docker-perm"}},
	{"Could not find credentials entry", Match{Class: ClassController, Cause: "credentials_not_found", Rule: "creds"}},
	{"There are no nodes with the label", Match{Class: ClassController, Cause: "no_node_for_label", Rule: "no-node"}},
	{"Not equal to tolerance", Match{Class: ClassFlaky, Cause: "tolerance_assert", Rule: "tolerance"}},
	{"Automatic merge failed", Match{Class: ClassEnvironment, Cause: "merge_conflict", Rule: "merge-conflict"}},
	{"Segmentation fault", Match{Class: ClassUnknown, Cause: "segfault", Rule: "segfault"}},
	{"Sending interrupt signal to process", Match{Class: ClassUnknown, Cause: "timeout", Rule: "timeout"}},
	{"Waiting for next available executor", Match{Class: ClassController, Cause: "waiting_for_executor", Rule: "waiting"}},
}

// fakeLogs serves step logs by build dir and step id, and build logs by build dir.
type fakeLogs struct {
	steps  map[string]string
	builds map[string]string
	reads  []string
}

func newLogs() *fakeLogs { return &fakeLogs{steps: map[string]string{}, builds: map[string]string{}} }

// set gives the log of the first step of b whose "stage|label" or label is key.
func (l *fakeLogs) set(b *jenkins.Build, key, text string) {
	for _, s := range b.Steps {
		if s.Label == key || s.StagePath()+"|"+s.Label == key {
			l.steps[b.Dir+"#"+s.ID] = text
			return
		}
	}
	panic("no step " + key)
}

func (l *fakeLogs) StepLog(b *jenkins.Build, s *jenkins.Step, maxBytes int64) ([]byte, error) {
	l.reads = append(l.reads, b.Dir+"#"+s.ID)
	t, ok := l.steps[b.Dir+"#"+s.ID]
	if !ok {
		return nil, nil
	}
	if maxBytes > 0 && int64(len(t)) > maxBytes {
		t = t[int64(len(t))-maxBytes:]
	}
	return []byte(t), nil
}

func (l *fakeLogs) BuildLog(b *jenkins.Build, maxBytes int64) ([]byte, error) {
	t, ok := l.builds[b.Dir]
	if !ok {
		return nil, fmt.Errorf("%s/log: no such file", b.Dir)
	}
	return []byte(t), nil
}

// fakeHistory serves step runs per instance and label.
type fakeHistory map[string][]StepRun

func (h fakeHistory) StepRuns(instance, job, stage, label string, limit int) ([]StepRun, error) {
	return h[instance+"|"+stage+"|"+label], nil
}

// diffs returns the differences of the only pair.
func onlyPair(c *Comparison) Pair {
	if len(c.Pairs) != 1 {
		panic(fmt.Sprintf("want 1 pair, got %d", len(c.Pairs)))
	}
	return c.Pairs[0]
}

// brief renders a difference as "stage|label prod->staging class/cause [<-root]".
func brief(d Difference) string {
	s := fmt.Sprintf("%s|%s %s->%s %s/%s", d.Stage, d.Label, d.ProdStatus, d.StagingStatus, d.Class, d.Cause)
	if d.ConsequenceOf != nil {
		s += " <-" + d.ConsequenceOf.Label
	}
	return s
}

func briefs(p Pair) []string {
	out := []string{}
	for _, d := range p.Differences {
		out = append(out, brief(d))
	}
	return out
}
