package analyzer

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/cidiff/cidiff/fixtures/golden"
	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tvmComparison is a realistic comparison of the era-A TVM pipeline (TVM_CI.md §1.7) on two
// controllers: four pull-request/main pairs showing an executor problem with a recovery, a
// rebuild-proven flaky test, a different merge base, a missing credential on staging that
// stops the rest of the pipeline, a waived docs credential, a step failing on both sides, and
// unpaired builds.
func tvmComparison(t *testing.T) *Comparison {
	t.Helper()
	logs := newLogs()
	img := func(name string) func(*jenkins.Step) {
		return script("docker/bash.sh tlcpack/ci-" + name + " ./tests/scripts/task.sh")
	}
	node := onNode
	prepare := []jenkins.Step{
		st("Prepare", "Docker image names", S, node("octo.aws.c4-1")),
		st("Sanity Check", "Check for docs only changes", S, node("octo.aws.c4-1")),
		st("Sanity Check", "Check if CI should be skipped", S, node("octo.aws.c4-1")),
		st("Sanity Check", "Run lint", S, img("lint:v0.67"), node("octo.aws.c4-1")),
	}
	build := func(cpuStatus jenkins.Status, recovery bool) []jenkins.Step {
		var s []jenkins.Step
		s = append(s,
			st(gpu, "", S, script("docker/bash.sh tlcpack/ci-gpu:v0.81 ./tests/scripts/task_config_build_gpu.sh"), node("gpubuild-1")),
			st(cpu, "Create CPU cmake config", S, img("cpu:v0.80"), node("cpu-2")),
			st(gpu, "Run cmake build", S, img("gpu:v0.81"), node("gpubuild-1")),
			st(cpu, "Run cmake build", cpuStatus, img("cpu:v0.80"), node("cpu-2")),
		)
		if recovery {
			s = append(s,
				st(cpu, "Clear old cmake workspace", S, img("cpu:v0.80"), node("cpu-2")),
				st(cpu, "Run cmake build", S, img("cpu:v0.80"), node("cpu-2")))
		}
		s = append(s,
			st(gpu, "Build and run C++ tests", S, img("gpu:v0.81"), node("gpubuild-1")),
			st(cpu, "Build and run C++ tests", S, img("cpu:v0.80"), node("cpu-2")),
			st(gpu, "Stash libraries and show md5", S, node("gpubuild-1")),
			st(cpu, "Stash libraries and show md5", S, node("cpu-2")),
		)
		return s
	}
	test := func(unit jenkins.Status) []jenkins.Step {
		return []jenkins.Step{
			st("Test/unittest: GPU", "Unstash libraries and show md5", S, node("gpu-3")),
			st("Test/frontend: CPU", "Unstash libraries and show md5", S, node("cpu-4")),
			st("Test/unittest: GPU", "Run Python GPU unit tests", unit, img("gpu:v0.81"), node("gpu-3")),
			st("Test/frontend: CPU", "Run Python frontend tests", S, img("cpu:v0.80"), node("cpu-4")),
		}
	}
	cat := func(parts ...[]jenkins.Step) []jenkins.Step {
		var out []jenkins.Step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}

	// PR-10: staging's CPU build is OOM-killed and recovers; its GPU unit tests fail, but an
	// older staging build of the same revision passed them.
	p10 := withPR(bld("prod", "tvm/PR-10", 4, "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", jenkins.ResultSuccess, cat(prepare, build(S, false), test(S))...), "1a2b3c4d5e6f")
	s10old := withPR(bld("staging", "tvm/PR-10", 1, "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", jenkins.ResultSuccess, cat(prepare, build(S, false), test(S))...), "1a2b3c4d5e6f")
	s10 := withPR(bld("staging", "tvm/PR-10", 2, "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", jenkins.ResultFailure, cat(prepare, build(F, true), test(F))...), "1a2b3c4d5e6f")
	logs.set(s10, cpu+"|Run cmake build", "[2022-02-03T10:00:00.000Z] [120/400] Building CXX object\n[2022-02-03T10:00:01.000Z] c++: fatal error: Killed signal terminated program cc1plus\ncompilation terminated.\n")
	logs.set(s10, "Run Python GPU unit tests", "E   AssertionError:\nE   Not equal to tolerance rtol=1e-05, atol=1e-05\nE   Mismatched elements: 1 / 25 (4%)\n")

	// PR-11: staging merged a newer main; the frontend tests fail there.
	p11 := withPR(bld("prod", "tvm/PR-11", 2, "1111111aaaaaaa", jenkins.ResultSuccess, cat(prepare, build(S, false), test(S))...), "1a2b3c4d5e6f")
	s11steps := cat(prepare, build(S, false), test(S))
	s11steps[len(s11steps)-1].Status = F
	s11steps[len(s11steps)-1].Error = "script returned exit code 1"
	s11 := withPR(bld("staging", "tvm/PR-11", 1, "1111111aaaaaaa", jenkins.ResultFailure, s11steps...), "9f8e7d6c5b4a")
	logs.set(s11, "Run Python frontend tests", "FAILED tests/python/frontend/onnx/test_forward.py::test_resize - tvm.error.OpNotImplemented\n")

	// PR-12: staging has no tvm-bot-jenkins-reader credential; nothing after it runs.
	p12 := withPR(bld("prod", "tvm/PR-12", 1, "2222222bbbbbbb", jenkins.ResultSuccess, cat(prepare, build(S, false), test(S))...), "1a2b3c4d5e6f")
	s12 := withPR(bld("staging", "tvm/PR-12", 1, "2222222bbbbbbb", jenkins.ResultFailure,
		prepare[0], prepare[1], st("Sanity Check", "Check if CI should be skipped", F, node("octo.aws.c4-1"),
			errText("org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: Could not find credentials entry with ID 'tvm-bot-jenkins-reader'"))), "1a2b3c4d5e6f")

	// main: lint fails on both; the docs upload lacks its token on staging (waived).
	deploy := func(s jenkins.Status) jenkins.Step {
		return st("Deploy", "Upload docs to apache/tvm-site", s, node("doc-1"))
	}
	mainSteps := func(s jenkins.Status) []jenkins.Step {
		steps := cat(prepare, build(S, false), test(S), []jenkins.Step{deploy(s)})
		steps[3].Status, steps[3].Error = F, "script returned exit code 1"
		return steps
	}
	pm := bld("prod", "tvm/main", 40, "3333333ccccccc", jenkins.ResultFailure, mainSteps(S)...)
	sm := bld("staging", "tvm/main", 12, "3333333ccccccc", jenkins.ResultFailure, mainSteps(F)...)
	logs.set(sm, "Upload docs to apache/tvm-site", "ERROR: Could not find credentials entry with ID 'docs-push-token'\n")

	// Unpaired: a build staging never ran, one still running.
	p13 := bld("prod", "tvm/PR-13", 1, "4444444ddddddd", jenkins.ResultSuccess, prepare...)
	s14 := bld("staging", "tvm/PR-14", 1, "5555555eeeeeee", "", prepare[:1]...)

	kb := append(fakeKB{{"Killed signal terminated program", Match{Class: ClassExecutor, Cause: "oom_killed", Rule: "oom-cc1plus"}}}, testKB...)
	c, err := CompareBuilds(
		[]*jenkins.Build{p10, p11, p12, pm, p13},
		[]*jenkins.Build{s10old, s10, s11, s12, sm, s14},
		Options{
			Classifier: kb, Logs: logs, ProdName: "ci.tlcpack.ai", StagingName: "ci-staging.tlcpack.ai",
			Waivers: []Waiver{{Stage: "Deploy", Label: "Upload docs*", Class: ClassController, Reason: "docs-push-token deliberately absent on staging"}},
		})
	require.NoError(t, err)
	return c
}

func TestGoldenComparison(t *testing.T) {
	c := tvmComparison(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(c))
	golden.Assert(t, filepath.Join("testdata", "compare", "tvm.json"), buf.Bytes())

	// The facts a reader depends on, independent of the golden file.
	assert.Equal(t, VerdictNoGo, c.Verdict)
	byKey := map[string]Pair{}
	for _, p := range c.Pairs {
		byKey[p.Job] = p
	}
	require.Len(t, byKey, 4)
	roots := func(p Pair) []string {
		var out []string
		for _, d := range p.Differences {
			if d.Root() {
				out = append(out, brief(d))
			}
		}
		return out
	}
	assert.Equal(t, []string{
		"Build/BUILD: CPU|Run cmake build SUCCESS->FAILURE executor/oom_killed",
		"Test/unittest: GPU|Run Python GPU unit tests SUCCESS->FAILURE flaky/tolerance_assert",
	}, roots(byKey["tvm/PR-10"]))
	assert.Equal(t, []string{"Test/frontend: CPU|Run Python frontend tests SUCCESS->FAILURE environment/merge_target_differs"}, roots(byKey["tvm/PR-11"]))
	assert.Equal(t, []string{"Sanity Check|Check if CI should be skipped SUCCESS->FAILURE controller/credentials_not_found"}, roots(byKey["tvm/PR-12"]))
	assert.Len(t, byKey["tvm/PR-12"].Differences, 14, "the root and the 13 steps that never ran after it")
	m := byKey["tvm/main"]
	require.Len(t, m.Differences, 1)
	assert.True(t, m.Differences[0].Waived)
	require.Len(t, m.BothFailed, 1)
	assert.Equal(t, "Run lint", m.BothFailed[0].Label)
	assert.Len(t, c.Unpaired.Prod, 1)
	assert.Len(t, c.Unpaired.Staging, 1)
	assert.Equal(t, 17, c.Summary.Blocking, "PR-10 OOM and its 2 recovery steps, PR-12 14")
}
