package analyzer

import (
	"testing"
	"time"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	gpu = "Build/BUILD: GPU"
	cpu = "Build/BUILD: CPU"
)

func TestRootCause(t *testing.T) {
	tests := []struct {
		name          string
		prod, staging []jenkins.Step
		stagingResult jenkins.Result
		stagingLog    map[string]string // step label -> log
		buildLog      string
		want          []string
	}{
		{
			name: "failing step, followers in its branch and the later stage; a parallel sibling is its own root",
			prod: []jenkins.Step{
				st(gpu, "Create GPU cmake config", S), st(cpu, "Run cmake build", S), st(gpu, "Run cmake build", S),
				st(cpu, "Build and run C++ tests", S), st(gpu, "Build and run C++ tests", S), st(gpu, "Stash libraries and show md5", S),
				st("Test/unittest: GPU", "Unstash libraries and show md5", S), st("Test/unittest: GPU", "Run Python GPU unit tests", S),
			},
			staging: []jenkins.Step{
				st(gpu, "Create GPU cmake config", S), st(cpu, "Run cmake build", S), st(gpu, "Run cmake build", F),
			},
			stagingLog: map[string]string{gpu + "|Run cmake build": "[10/200] Building CXX object\nfatal error: error writing to /tmp/ccX: No space left on device\n"},
			want: []string{
				"Build/BUILD: GPU|Run cmake build SUCCESS->FAILURE executor/disk_full",
				"Build/BUILD: CPU|Build and run C++ tests SUCCESS->MISSING unknown/",
				"Build/BUILD: GPU|Build and run C++ tests SUCCESS->MISSING executor/disk_full <-Run cmake build",
				"Build/BUILD: GPU|Stash libraries and show md5 SUCCESS->MISSING executor/disk_full <-Run cmake build",
				"Test/unittest: GPU|Unstash libraries and show md5 SUCCESS->MISSING executor/disk_full <-Run cmake build",
				"Test/unittest: GPU|Run Python GPU unit tests SUCCESS->MISSING executor/disk_full <-Run cmake build",
			},
		},
		{
			name: "a stage missing with no failure to blame is its own root, explained by the build log",
			prod: []jenkins.Step{
				st("Test", "Run tests", S), st("Deploy", "Unpack docs", S), st("Deploy", "Upload docs", S),
			},
			staging:       []jenkins.Step{st("Test", "Run tests", S)},
			stagingResult: jenkins.ResultAborted,
			buildLog:      "[Pipeline] node\nStill waiting to schedule task\nThere are no nodes with the label ‘doc’\nAborted by admin\n",
			want: []string{
				"Deploy|Unpack docs SUCCESS->MISSING controller/no_node_for_label",
				"Deploy|Upload docs SUCCESS->MISSING controller/no_node_for_label <-Unpack docs",
			},
		},
		{
			name: "recovery steps after a failure in the same branch do not shift later steps",
			prod: []jenkins.Step{
				st(gpu, "Run cmake build", S), st(gpu, "Build and run C++ tests", S), st(gpu, "Stash libraries and show md5", S),
				st(gpu, "", S, script("task_config_build_gpu_other.sh")), st(gpu, "Run cmake build", S), st(gpu, "Build and run C++ tests", S),
			},
			staging: []jenkins.Step{
				st(gpu, "Run cmake build", F), st(gpu, "Clear old cmake workspace", S), st(gpu, "Run cmake build", S),
				st(gpu, "Build and run C++ tests", S), st(gpu, "Stash libraries and show md5", S),
				st(gpu, "", S, script("task_config_build_gpu_other.sh")), st(gpu, "Run cmake build", S), st(gpu, "Build and run C++ tests", S),
			},
			stagingResult: jenkins.ResultSuccess,
			want: []string{
				"Build/BUILD: GPU|Run cmake build SUCCESS->FAILURE unknown/",
				"Build/BUILD: GPU|Clear old cmake workspace MISSING->SUCCESS unknown/ <-Run cmake build",
				"Build/BUILD: GPU|Run cmake build MISSING->SUCCESS unknown/ <-Run cmake build",
			},
		},
		{
			name:    "not executed after a failure; post actions that ran on the failing side only",
			prod:    []jenkins.Step{st("Test", "a", S), st("Test", "b", S), st("Test", "c", S)},
			staging: []jenkins.Step{st("Test", "a", F), st("Test", "b", NE), st("Test", "c", NE), st("Declarative: Post Actions", "Collect logs", S)},
			want: []string{
				"Test|a SUCCESS->FAILURE unknown/",
				"Test|b SUCCESS->NOT_EXECUTED unknown/ <-a",
				"Test|c SUCCESS->NOT_EXECUTED unknown/ <-a",
				"Declarative: Post Actions|Collect logs MISSING->SUCCESS unknown/ <-a",
			},
		},
		{
			name:          "no step ran on one side: one root for everything",
			prod:          []jenkins.Step{st("Prepare", "Docker image names", S), st("Build", "Run cmake build", S), st("Test", "Run tests", S)},
			staging:       nil,
			stagingResult: jenkins.ResultFailure,
			buildLog:      "ERROR: Could not find credentials entry with ID 'tvm-bot-jenkins-reader'\n",
			want: []string{
				"Prepare|Docker image names SUCCESS->MISSING controller/credentials_not_found",
				"Build|Run cmake build SUCCESS->MISSING controller/credentials_not_found <-Docker image names",
				"Test|Run tests SUCCESS->MISSING controller/credentials_not_found <-Docker image names",
			},
		},
		{
			name:    "a failure on prod explains what never ran on prod",
			prod:    []jenkins.Step{st("Build", "Run cmake build", F), st("Build", "Stash", NE)},
			staging: []jenkins.Step{st("Build", "Run cmake build", S), st("Build", "Stash", S), st("Test", "Run tests", S)},
			want: []string{
				"Build|Run cmake build FAILURE->SUCCESS unknown/",
				"Build|Stash NOT_EXECUTED->SUCCESS unknown/ <-Run cmake build",
				"Test|Run tests MISSING->SUCCESS unknown/ <-Run cmake build",
			},
		},
		{
			name: "a failure the pipeline recovered from explains nothing after it",
			prod: []jenkins.Step{
				st(cpu, "Run cmake build", S), st(cpu, "Build and run C++ tests", S),
				st("Test", "Run tests", S), st("Deploy", "Unstash", S), st("Deploy", "", S, script("cp docs.tgz x")),
			},
			staging: []jenkins.Step{
				st(cpu, "Run cmake build", F), st(cpu, "Clear old cmake workspace", S), st(cpu, "Run cmake build", S),
				st(cpu, "Build and run C++ tests", S), st("Test", "Run tests", S),
			},
			stagingResult: jenkins.ResultAborted,
			buildLog:      "[Pipeline] node\nStill waiting to schedule task\nThere are no nodes with the label ‘doc’\nAborted by admin\n",
			want: []string{
				"Build/BUILD: CPU|Run cmake build SUCCESS->FAILURE unknown/",
				"Build/BUILD: CPU|Clear old cmake workspace MISSING->SUCCESS unknown/ <-Run cmake build",
				"Build/BUILD: CPU|Run cmake build MISSING->SUCCESS unknown/ <-Run cmake build",
				"Deploy|Unstash SUCCESS->MISSING controller/no_node_for_label",
				"Deploy| SUCCESS->MISSING controller/no_node_for_label <-Unstash",
			},
		},
		{
			name: "a step that never ran where the build failed outside any shell step",
			prod: []jenkins.Step{
				st("Sanity Check", "Check for docs only changes", S), st("Sanity Check", "Check if CI should be skipped", S),
				st("Sanity Check", "Run lint", S), st(gpu, "Run cmake build", S), st(cpu, "Run cmake build", S),
			},
			staging:  []jenkins.Step{st("Sanity Check", "Check for docs only changes", S)},
			buildLog: "ERROR: Could not find credentials entry with ID 'tvm-bot-jenkins-reader'\nFinished: FAILURE\n",
			want: []string{
				"Sanity Check|Check if CI should be skipped SUCCESS->MISSING controller/credentials_not_found",
				"Sanity Check|Run lint SUCCESS->MISSING controller/credentials_not_found <-Check if CI should be skipped",
				"Build/BUILD: GPU|Run cmake build SUCCESS->MISSING controller/credentials_not_found <-Check if CI should be skipped",
				"Build/BUILD: CPU|Run cmake build SUCCESS->MISSING controller/credentials_not_found <-Check if CI should be skipped",
			},
		},
		{
			name:          "a missing step in a build that went on is its own root",
			prod:          []jenkins.Step{st("Prepare", "a", S), st("Prepare", "Check PR title", S), st("Prepare", "b", S), st("Build", "c", S)},
			staging:       []jenkins.Step{st("Prepare", "a", S), st("Prepare", "b", S)},
			stagingResult: jenkins.ResultFailure,
			want: []string{
				"Prepare|Check PR title SUCCESS->MISSING unknown/",
				"Build|c SUCCESS->MISSING unknown/",
			},
		},
		{
			name:    "a step missing inside a stage that ran is its own root",
			prod:    []jenkins.Step{st("Prepare", "a", S), st("Prepare", "Check PR title", S), st("Prepare", "b", S)},
			staging: []jenkins.Step{st("Prepare", "a", S), st("Prepare", "b", S)},
			want:    []string{"Prepare|Check PR title SUCCESS->MISSING unknown/"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.stagingResult
			if res == "" {
				res = jenkins.ResultFailure
			}
			prod := bld("prod", "tvm/PR-10", 3, "abc1234", jenkins.ResultSuccess, tc.prod...)
			staging := bld("staging", "tvm/PR-10", 1, "abc1234", res, tc.staging...)
			logs := newLogs()
			for label, text := range tc.stagingLog {
				logs.set(staging, label, text)
			}
			if tc.buildLog != "" {
				logs.builds[staging.Dir] = tc.buildLog
			}
			c, err := CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, Options{Classifier: testKB, Logs: logs})
			require.NoError(t, err)
			p := onlyPair(c)
			assert.Equal(t, tc.want, briefs(p))
			roots := 0
			for i, d := range p.Differences {
				assert.Equal(t, i, d.Order)
				if d.Root() {
					roots++
				} else {
					assert.Zero(t, d.Consequences)
				}
			}
			assert.Equal(t, roots, c.Summary.Findings)
		})
	}
}

// Parallel branches whose flow-node ids do not interleave (one branch's steps were all created
// before the other's) are still parallel when their times overlap: a failure in one branch
// does not explain what never ran in the other, and the other branch going on does not mean
// the failure was caught.
func TestParallelBranchesByTime(t *testing.T) {
	at := func(sec, dur int) func(*jenkins.Step) {
		return func(s *jenkins.Step) {
			s.Start = t0.Add(time.Duration(sec) * time.Second)
			s.Duration = time.Duration(dur) * time.Second
		}
	}
	g, c := "Test/unittest: GPU", "Test/unittest: CPU"
	prod := []jenkins.Step{
		st(g, "Set up CI environment", S, at(0, 5)), st(g, "Run Python GPU unit tests", S, at(5, 10)),
		st(c, "Set up CI environment", S, at(1, 5)), st(c, "Run Python unit tests", S, at(6, 10)), st(c, "Run VTA tests", S, at(16, 5)),
		st("Deploy", "Unstash", S, at(30, 2)),
	}
	staging := []jenkins.Step{
		st(g, "Set up CI environment", F, at(0, 5)),
		st(c, "Set up CI environment", S, at(1, 5)), st(c, "Run Python unit tests", S, at(6, 10)),
	}
	p := compare1(t, prod, staging, Options{})
	assert.Equal(t, []string{
		"Test/unittest: GPU|Set up CI environment SUCCESS->FAILURE unknown/",
		"Test/unittest: GPU|Run Python GPU unit tests SUCCESS->MISSING unknown/ <-Set up CI environment",
		"Test/unittest: CPU|Run VTA tests SUCCESS->MISSING unknown/",
		"Deploy|Unstash SUCCESS->MISSING unknown/ <-Set up CI environment",
	}, briefs(p))

	// Without times, ids decide: the CPU branch's steps all came after the GPU branch's, so it
	// reads as a later stage and the GPU failure as caught.
	for i := range prod {
		prod[i].Start, prod[i].Duration = time.Time{}, 0
	}
	for i := range staging {
		staging[i].Start, staging[i].Duration = time.Time{}, 0
	}
	p = compare1(t, prod, staging, Options{})
	assert.Equal(t, "Test/unittest: GPU|Run Python GPU unit tests SUCCESS->MISSING unknown/", briefs(p)[1])
}

// TVM era A's Deploy asks for node('doc') even for pull requests, with no shell step before
// the main-only check: a staging controller without a 'doc' agent leaves every PR build
// waiting, then aborted, while every shell step agrees. The build results differ.
func TestBuildResultDifference(t *testing.T) {
	steps := []jenkins.Step{st("Build", "Run cmake build", S), st("Test", "Run tests", S)}
	prod := bld("prod", "tvm/PR-10", 3, "abc1234", jenkins.ResultSuccess, steps...)
	staging := bld("staging", "tvm/PR-10", 1, "abc1234", jenkins.ResultAborted, append([]jenkins.Step(nil), steps...)...)
	logs := newLogs()
	logs.builds[staging.Dir] = "[Pipeline] node\nWaiting for next available executor on ‘doc’\nAborted by admin\n"
	c, err := CompareBuilds(one(prod), one(staging), Options{Classifier: testKB, Logs: logs})
	require.NoError(t, err)
	p := onlyPair(c)
	require.Len(t, p.Differences, 1)
	d := p.Differences[0]
	assert.Equal(t, "", d.Stage)
	assert.Equal(t, "(build result)", d.Step)
	assert.Equal(t, jenkins.Status("SUCCESS"), d.ProdStatus)
	assert.Equal(t, jenkins.Status("ABORTED"), d.StagingStatus)
	assert.Equal(t, ClassController, d.Class)
	assert.Equal(t, "waiting_for_executor", d.Cause)
	assert.Equal(t, "staging build ABORTED, prod SUCCESS, though every shell step agreed: Waiting for next available executor on ‘doc’", d.Reason)
	assert.False(t, p.Identical)
	assert.Equal(t, VerdictNoGo, c.Verdict)

	// Without a build log there is nothing to explain it: unknown, and it says so.
	c, err = CompareBuilds(one(prod), one(staging), Options{Classifier: testKB})
	require.NoError(t, err)
	d = onlyPair(c).Differences[0]
	assert.Equal(t, ClassUnknown, d.Class)
	assert.Equal(t, "staging build ABORTED, prod SUCCESS, though every shell step agreed; no build log to read", d.Reason)

	// Equal results: nothing to report.
	staging.Result = jenkins.ResultSuccess
	c, err = CompareBuilds(one(prod), one(staging), Options{})
	require.NoError(t, err)
	assert.True(t, onlyPair(c).Identical)
}

func TestRootCauseReasons(t *testing.T) {
	prod := bld("prod", "tvm/PR-10", 3, "abc1234", jenkins.ResultSuccess,
		st("Test", "Run tests", S), st("Deploy", "Unpack docs", S), st("Deploy", "Upload docs", S))
	staging := bld("staging", "tvm/PR-10", 1, "abc1234", jenkins.ResultAborted, st("Test", "Run tests", S))
	logs := newLogs()
	logs.builds[staging.Dir] = "Still waiting to schedule task\nThere are no nodes with the label ‘doc’\n"
	c, err := CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, Options{Classifier: testKB, Logs: logs})
	require.NoError(t, err)
	p := onlyPair(c)
	require.Len(t, p.Differences, 2)
	root, cons := p.Differences[0], p.Differences[1]
	assert.Equal(t, "stage Deploy never ran on staging (build ABORTED): There are no nodes with the label ‘doc’", root.Reason)
	assert.Equal(t, []string{"There are no nodes with the label ‘doc’"}, root.Evidence)
	assert.Equal(t, "no-node", root.Rule)
	assert.Equal(t, 1, root.Consequences)
	assert.True(t, root.Blocking)
	assert.Equal(t, &StepRef{Stage: "Deploy", Label: "Unpack docs", Step: "Unpack docs", Occurrence: 1}, cons.ConsequenceOf)
	assert.Equal(t, "never ran on staging: stage Deploy did not run there (see ‘Unpack docs’ (Deploy))", cons.Reason)
	assert.True(t, cons.Blocking, "a consequence blocks like its root")
	assert.Equal(t, 2, c.Summary.Differences)
	assert.Equal(t, 1, c.Summary.Findings)
	assert.Equal(t, 1, c.Summary.FindingsByClass[ClassController])
	assert.Equal(t, 2, c.Summary.ByClass[ClassController])
	assert.Equal(t, VerdictNoGo, c.Verdict)
}
