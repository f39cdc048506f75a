package analyzer

import (
	"testing"
	"time"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// classCase is one pair whose only root difference is "Test/unittest: GPU|Run tests".
type classCase struct {
	name string
	// setup builds the pair (and older rebuilds) and fills logs and history.
	setup func(logs *fakeLogs, h fakeHistory) (prod, staging []*jenkins.Build)
	noKB  bool
	// want
	class    Class
	cause    string
	reason   string
	evidence []string
	blocking bool
}

const unit = "Test/unittest: GPU"

func pairOf(prodSteps, stagingSteps []jenkins.Step) (*jenkins.Build, *jenkins.Build) {
	prod := bld("prod", "tvm/PR-10", 3, "abc1234def", resultOf(prodSteps), prodSteps...)
	staging := bld("staging", "tvm/PR-10", 2, "abc1234def", resultOf(stagingSteps), stagingSteps...)
	return prod, staging
}

func stagingFails(opts ...func(*jenkins.Step)) (*jenkins.Build, *jenkins.Build) {
	return pairOf(
		[]jenkins.Step{st("Prepare", "Docker image names", S), st(unit, "Run tests", S, script("docker/bash.sh tlcpack/ci-gpu:v0.81 ./tests/scripts/task_python_unittest_gpuonly.sh"))},
		[]jenkins.Step{st("Prepare", "Docker image names", S), st(unit, "Run tests", F, append([]func(*jenkins.Step){script("docker/bash.sh tlcpack/ci-gpu:v0.81 ./tests/scripts/task_python_unittest_gpuonly.sh")}, opts...)...)},
	)
}

func one(b ...*jenkins.Build) []*jenkins.Build { return b }

func TestClassification(t *testing.T) {
	tests := []classCase{
		{
			name: "executor: knowledge base on the failing step's log",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				logs.set(s, "Run tests", "collecting ...\nE   OSError: [Errno 28] No space left on device\n")
				return one(p), one(s)
			},
			class: ClassExecutor, cause: "disk_full", blocking: true,
			reason:   "staging step failed with: E   OSError: [Errno 28] No space left on device",
			evidence: []string{"E   OSError: [Errno 28] No space left on device"},
		},
		{
			name: "controller: matched in the step's error text when there is no log",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails(errText("org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: Could not find credentials entry with ID 'docs-push-token'"))
				return one(p), one(s)
			},
			class: ClassController, cause: "credentials_not_found", blocking: true,
			reason:   "staging step failed with: org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: Could not find credentials entry with ID 'docs-push-token'",
			evidence: []string{"org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: Could not find credentials entry with ID 'docs-push-token'"},
		},
		{
			name: "executor evidence wins over a different merge base",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				withPR(p, "1a2b3c4d5e")
				withPR(s, "9f8e7d6c5b")
				logs.set(s, "Run tests", "docker: Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n")
				return one(p), one(s)
			},
			class: ClassExecutor, cause: "docker_permission_denied", blocking: true,
			reason:   "staging step failed with: docker: Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
			evidence: []string{"docker: Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock"},
		},
		{
			name: "environment: different merge base",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				withPR(p, "1a2b3c4d5e")
				withPR(s, "9f8e7d6c5b")
				logs.set(s, "Run tests", "FAILED tests/python/unittest/test_x.py::test_y - AssertionError\n")
				return one(p), one(s)
			},
			class: ClassEnvironment, cause: "merge_target_differs",
			reason:   "staging merged base 9f8e7d6, prod 1a2b3c4",
			evidence: []string{"staging PR base 9f8e7d6c5b", "prod PR base 1a2b3c4d5e"},
		},
		{
			name: "environment: upstream revision printed by the pipeline",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := pairOf(
					[]jenkins.Step{st(unit, "Determine upstream revision", S), st(unit, "Run tests", S)},
					[]jenkins.Step{st(unit, "Determine upstream revision", S), st(unit, "Run tests", F)})
				logs.set(p, "Determine upstream revision", "+ git log -1 FETCH_HEAD --format=%H\n1111111111111111111111111111111111111111\n")
				logs.set(s, "Determine upstream revision", "[2022-06-13T22:39:22.006Z] + git log -1 FETCH_HEAD --format=%H\n[2022-06-13T22:39:22.010Z] 2222222222222222222222222222222222222222\n")
				return one(p), one(s)
			},
			class: ClassEnvironment, cause: "merge_target_differs",
			reason:   "staging merged upstream 2222222, prod 1111111",
			evidence: []string{"staging upstream revision 2222222222222222222222222222222222222222", "prod upstream revision 1111111111111111111111111111111111111111"},
		},
		{
			name: "environment: the step ran in a different image",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := pairOf(
					[]jenkins.Step{st(unit, "Run tests", S, script("docker/bash.sh --env CI tlcpack/ci-gpu:v0.81 ./x.sh"))},
					[]jenkins.Step{st(unit, "Run tests", F, script("docker/bash.sh --env CI tlcpack/ci-gpu:v0.82 ./x.sh"))})
				return one(p), one(s)
			},
			class: ClassEnvironment, cause: "docker_image_differs",
			reason:   "staging ran image tlcpack/ci-gpu:v0.82, prod tlcpack/ci-gpu:v0.81",
			evidence: []string{"staging image tlcpack/ci-gpu:v0.82", "prod image tlcpack/ci-gpu:v0.81"},
		},
		{
			name: "environment: image from the log on one side and the pipeline's image table",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := pairOf(
					[]jenkins.Step{st("Prepare", "Docker image names", S), st(unit, "Run tests", S, script("./run"))},
					[]jenkins.Step{st("Prepare", "Docker image names", S), st(unit, "Run tests", F, script("./run"))})
				logs.set(p, "Docker image names", "+ echo ' ci_gpu = tlcpack/ci-gpu:v0.81'\n ci_gpu = tlcpack/ci-gpu:v0.81\n ci_cpu = tlcpack/ci-cpu:v0.80\n")
				logs.set(s, "Docker image names", " ci_gpu = tlcpackstaging/ci_gpu:v0.81\n ci_cpu = tlcpack/ci-cpu:v0.80\n")
				logs.set(s, "Run tests", "DOCKER CONTAINER NAME: tlcpackstaging/ci_gpu:v0.81\nE  ImportError\n")
				return one(p), one(s)
			},
			class: ClassEnvironment, cause: "docker_image_differs",
			reason:   "staging chose ci_gpu = tlcpackstaging/ci_gpu:v0.81, prod tlcpack/ci-gpu:v0.81",
			evidence: []string{"staging ci_gpu = tlcpackstaging/ci_gpu:v0.81", "prod ci_gpu = tlcpack/ci-gpu:v0.81"},
		},
		{
			name: "environment: parameters",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				p.Parameters = []jenkins.Parameter{{Name: "ci_gpu_param", Value: ""}, {Name: "token", Sensitive: true}}
				s.Parameters = []jenkins.Parameter{{Name: "ci_gpu_param", Value: "tlcpack/ci-gpu:v0.90"}, {Name: "token", Sensitive: true}}
				return one(p), one(s)
			},
			class: ClassEnvironment, cause: "parameters_differ",
			reason:   `parameter ci_gpu_param: staging "tlcpack/ci-gpu:v0.90", prod ""`,
			evidence: []string{`parameter ci_gpu_param: staging "tlcpack/ci-gpu:v0.90", prod ""`},
		},
		{
			name: "flaky: an older staging build of the same revision passed",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				older := bld("staging", "tvm/PR-10", 1, "abc1234def", jenkins.ResultSuccess, append([]jenkins.Step(nil), s.Steps...)...)
				older.Steps[1].Status, older.Steps[1].ExitCode, older.Steps[1].Error = S, nil, ""
				logs.set(s, "Run tests", "E   AssertionError:\nE   Not equal to tolerance rtol=0.01, atol=0\n")
				return one(p), one(s, older)
			},
			class: ClassFlaky, cause: "tolerance_assert",
			reason:   "passed in staging #1 and failed in staging #2, same revision",
			evidence: []string{"staging #2: FAILURE", "staging #1: SUCCESS", "E   Not equal to tolerance rtol=0.01, atol=0"},
		},
		{
			name: "flaky: prod needed a retry to pass",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := pairOf(
					[]jenkins.Step{st(unit, "Run tests", F, retry("40", 1)), st(unit, "Run tests", S, retry("40", 2))},
					[]jenkins.Step{st(unit, "Run tests", F, retry("40", 1)), st(unit, "Run tests", F, retry("40", 2))})
				return one(p), one(s)
			},
			class: ClassFlaky, cause: "flaky_step",
			reason:   "failed in 1 of 2 retry attempts on prod before passing, in the same build",
			evidence: []string{"prod #3: attempts [FAILURE] then SUCCESS"},
		},
		{
			name: "flaky: the staging history flips on one revision",
			setup: func(logs *fakeLogs, h fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				h["staging|"+unit+"|Run tests"] = []StepRun{
					{Job: "tvm/main", Number: 7, Revision: "r7", Status: F, Started: t0.Add(3 * time.Hour)},
					{Job: "tvm/main", Number: 6, Revision: "r7", Status: S, Started: t0.Add(2 * time.Hour)},
				}
				return one(p), one(s)
			},
			class: ClassFlaky, cause: "flaky_step",
			reason:   "staging history: passed in tvm/main #6 and failed in tvm/main #7 at revision r7",
			evidence: []string{"staging history: 2 runs, 1 flips"},
		},
		{
			name: "one change in history is not flakiness",
			setup: func(logs *fakeLogs, h fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				h["staging|"+unit+"|Run tests"] = []StepRun{
					{Revision: "r1", Status: S, Started: t0}, {Revision: "r2", Status: S, Started: t0.Add(time.Hour)},
					{Revision: "r3", Status: F, Started: t0.Add(2 * time.Hour)},
				}
				return one(p), one(s)
			},
			class: ClassUnknown, blocking: true,
			reason:   "staging step failed; no log on staging to match, only an exit code; same image tlcpack/ci-gpu:v0.81; no rebuilds, staging history: 3 runs, 1 flips, no prod history",
			evidence: []string{"error: script returned exit code 1"},
		},
		{
			name: "flaky text alone keeps its cause but stays unknown",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				logs.set(s, "Run tests", "E   Not equal to tolerance rtol=1e-05, atol=1e-05\n")
				return one(p), one(s)
			},
			class: ClassUnknown, cause: "tolerance_assert", blocking: true,
			reason:   "staging step failed with: E   Not equal to tolerance rtol=1e-05, atol=1e-05 (a known flaky pattern, but nothing shows this step flipping); same image tlcpack/ci-gpu:v0.81; no rebuilds, no staging history, no prod history",
			evidence: []string{"E   Not equal to tolerance rtol=1e-05, atol=1e-05"},
		},
		{
			name: "environment text from the knowledge base",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				logs.set(s, "Run tests", "CONFLICT (content): Merge conflict in src/x.cc\nAutomatic merge failed; fix conflicts and then commit the result.\n")
				return one(p), one(s)
			},
			class: ClassEnvironment, cause: "merge_conflict",
			reason:   "staging step failed with: Automatic merge failed; fix conflicts and then commit the result.",
			evidence: []string{"Automatic merge failed; fix conflicts and then commit the result."},
		},
		{
			name: "timeout on staging only is unknown with cause timeout",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails(exitCode(143), errText("script returned exit code 143"))
				s.Steps[1].Status = A
				logs.set(s, "Run tests", "Cancelling nested steps due to timeout\nSending interrupt signal to process\n")
				return one(p), one(s)
			},
			class: ClassUnknown, cause: "timeout", blocking: true,
			reason:   "staging step was aborted with: Sending interrupt signal to process; same image tlcpack/ci-gpu:v0.81; no rebuilds, no staging history, no prod history",
			evidence: []string{"Sending interrupt signal to process"},
		},
		{
			name: "timeout without a knowledge base: exit code 143",
			noKB: true,
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails(exitCode(143), errText("script returned exit code 143"))
				return one(p), one(s)
			},
			class: ClassUnknown, cause: "timeout", blocking: true,
			reason:   "staging step failed; no knowledge base to match the step's log against; same image tlcpack/ci-gpu:v0.81; no rebuilds, no history",
			evidence: []string{"error: script returned exit code 143"},
		},
		{
			name: "unknown says what was looked at",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := stagingFails()
				withPR(p, "1a2b3c4d5e")
				withPR(s, "1a2b3c4d5e")
				logs.set(s, "Run tests", "collected 40 items\n\nFAILED test_a.py::test_b\n")
				return one(p), one(s)
			},
			class: ClassUnknown, blocking: true,
			reason:   "staging step failed; no rule matched the 3 log lines; same base 1a2b3c4, same image tlcpack/ci-gpu:v0.81; no rebuilds, no staging history, no prod history",
			evidence: []string{"collected 40 items", "FAILED test_a.py::test_b", "error: script returned exit code 1"},
		},
		{
			name: "a prod-only failure is classified from prod's log",
			setup: func(logs *fakeLogs, _ fakeHistory) ([]*jenkins.Build, []*jenkins.Build) {
				p, s := pairOf([]jenkins.Step{st(unit, "Run tests", F)}, []jenkins.Step{st(unit, "Run tests", S)})
				logs.set(p, "Run tests", "No space left on device\n")
				return one(p), one(s)
			},
			class: ClassExecutor, cause: "disk_full", blocking: true,
			reason:   "prod step failed with: No space left on device",
			evidence: []string{"No space left on device"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := newLogs()
			h := fakeHistory{}
			prod, staging := tc.setup(logs, h)
			opts := Options{Classifier: testKB, Logs: logs, History: h}
			if tc.noKB {
				opts.Classifier, opts.History = nil, nil
			}
			c, err := CompareBuilds(prod, staging, opts)
			require.NoError(t, err)
			p := onlyPair(c)
			var roots []Difference
			for _, d := range p.Differences {
				if d.Root() {
					roots = append(roots, d)
				}
			}
			require.Len(t, roots, 1, briefs(p))
			d := roots[0]
			assert.Equal(t, tc.class, d.Class)
			assert.Equal(t, tc.cause, d.Cause)
			assert.Equal(t, tc.reason, d.Reason)
			assert.Equal(t, tc.evidence, d.Evidence)
			assert.Equal(t, tc.blocking, d.Blocking)
			want := VerdictGo
			if tc.blocking {
				want = VerdictNoGo
			}
			assert.Equal(t, want, c.Verdict)
		})
	}
}

func TestEnvironmentReadsOnlyMetadataSteps(t *testing.T) {
	logs := newLogs()
	p, s := pairOf(
		[]jenkins.Step{st("Prepare", "Docker image names", S), st("Lint", "Run lint", S), st(unit, "Run tests", S, script("docker/bash.sh tlcpack/ci-gpu:v0.81 x"))},
		[]jenkins.Step{st("Prepare", "Docker image names", S), st("Lint", "Run lint", S), st(unit, "Run tests", F, script("docker/bash.sh tlcpack/ci-gpu:v0.81 x"))})
	_, err := CompareBuilds(one(p), one(s), Options{Classifier: testKB, Logs: logs})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		s.Dir + "#12",                // the failing step
		p.Dir + "#10", s.Dir + "#10", // Docker image names
	}, logs.reads)
}

func TestVerdictAndSummary(t *testing.T) {
	p1, s1 := pairOf([]jenkins.Step{st("T", "a", S)}, []jenkins.Step{st("T", "a", S)})
	p2 := bld("prod", "tvm/PR-11", 1, "r11", jenkins.ResultFailure, st("T", "a", F))
	s2 := bld("staging", "tvm/PR-11", 1, "r11", jenkins.ResultFailure, st("T", "a", F))
	c, err := CompareBuilds(one(p1, p2), one(s1, s2), Options{})
	require.NoError(t, err)
	assert.Equal(t, VerdictGo, c.Verdict)
	assert.Equal(t, 2, c.Summary.PairsCompared)
	assert.Equal(t, 2, c.Summary.PairsIdentical)
	assert.Equal(t, 1, c.Summary.BothFailed)
	assert.Equal(t, 1, c.Summary.PairsBothFailed)
	assert.Equal(t, 0, c.Summary.Blocking)
	assert.Equal(t, map[Class]int{ClassExecutor: 0, ClassController: 0, ClassFlaky: 0, ClassEnvironment: 0, ClassUnknown: 0}, c.Summary.ByClass)
	assert.Equal(t, []string{}, c.Warnings)

	c, err = CompareBuilds(nil, nil, Options{InputErrors: []InputError{{Side: SideStaging, Dir: "b", Error: "x"}, {Side: SideProd, Dir: "a", Error: "y"}}})
	require.NoError(t, err)
	assert.Equal(t, VerdictGo, c.Verdict)
	assert.Equal(t, []InputError{{Side: SideProd, Dir: "a", Error: "y"}, {Side: SideStaging, Dir: "b", Error: "x"}}, c.Errors)
	assert.Equal(t, 2, c.Summary.InputErrors)
	assert.Contains(t, c.Warnings[0], "no pairs")
	assert.NotNil(t, c.Pairs)
}
