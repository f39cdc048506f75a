package analyzer

import (
	"testing"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compare1(t *testing.T, prodSteps, stagingSteps []jenkins.Step, opts Options) Pair {
	t.Helper()
	prod := bld("prod", "tvm/PR-10", 3, "abc1234", resultOf(prodSteps), prodSteps...)
	staging := bld("staging", "tvm/PR-10", 1, "abc1234", resultOf(stagingSteps), stagingSteps...)
	c, err := CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, opts)
	require.NoError(t, err)
	return onlyPair(c)
}

func TestDiffIdentity(t *testing.T) {
	gpu := "Build/BUILD: GPU"
	tests := []struct {
		name          string
		prod, staging []jenkins.Step
		want          []string
	}{
		{
			name:    "identical",
			prod:    []jenkins.Step{st(gpu, "Run cmake build", S)},
			staging: []jenkins.Step{st(gpu, "Run cmake build", S)},
			want:    []string{},
		},
		{
			name: "repeated labels pair by ordinal",
			prod: []jenkins.Step{st(gpu, "Run cmake build", S), st(gpu, "Run cmake build", S)},
			staging: []jenkins.Step{st(gpu, "Run cmake build", S),
				st(gpu, "Run cmake build", F)},
			want: []string{"Build/BUILD: GPU|Run cmake build SUCCESS->FAILURE unknown/"},
		},
		{
			name:    "same label in another stage is another step",
			prod:    []jenkins.Step{st("Test/unittest: CPU", "Run Python unit tests", S), st("Test/python3: i386", "Run Python unit tests", S)},
			staging: []jenkins.Step{st("Test/unittest: CPU", "Run Python unit tests", S), st("Test/python3: i386", "Run Python unit tests", F)},
			want:    []string{"Test/python3: i386|Run Python unit tests SUCCESS->FAILURE unknown/"},
		},
		{
			name:    "trailing space in a label",
			prod:    []jenkins.Step{st("Test", "Run VTA tests in FSIM ", S)},
			staging: []jenkins.Step{st("Test", "Run VTA tests in FSIM", S)},
			want:    []string{},
		},
		{
			name:    "unlabelled steps pair by normalised script",
			prod:    []jenkins.Step{st(gpu, "", S, script("docker/bash.sh   ci ./task_config.sh ${WORKSPACE}/a")), st(gpu, "", S, script("./other.sh"))},
			staging: []jenkins.Step{st(gpu, "", F, script("docker/bash.sh ci\n./task_config.sh ${HOME}/a")), st(gpu, "", S, script("./other.sh"))},
			want:    []string{"Build/BUILD: GPU| SUCCESS->FAILURE unknown/"},
		},
		{
			name:    "unlabelled steps with different scripts pair by position between anchors",
			prod:    []jenkins.Step{st(gpu, "A", S), st(gpu, "", S, script("docker/bash.sh tlcpack/ci-gpu:v0.81 x")), st(gpu, "B", S)},
			staging: []jenkins.Step{st(gpu, "A", S), st(gpu, "", S, script("docker/bash.sh tlcpackstaging/ci_gpu:v0.81 x")), st(gpu, "B", S)},
			want:    []string{},
		},
		{
			name:    "missing on one side",
			prod:    []jenkins.Step{st("Prepare", "Docker image names", S), st("Sanity Check", "Run lint", S)},
			staging: []jenkins.Step{st("Prepare", "Docker image names", S)},
			want:    []string{"Sanity Check|Run lint SUCCESS->MISSING unknown/"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := compare1(t, tc.prod, tc.staging, Options{})
			assert.Equal(t, tc.want, briefs(p))
			assert.Equal(t, len(tc.want) == 0, p.Identical)
		})
	}
}

func TestStepKeyAndNormalizeScript(t *testing.T) {
	assert.Equal(t, "docker/bash.sh ci ./x.sh /a", normalizeScript("docker/bash.sh \t ci\n./x.sh ${WORKSPACE}/a  "))
	assert.Equal(t, "echo", normalizeScript("echo ${a${b}c}"))
	assert.Equal(t, "echo $HOME", normalizeScript("echo $HOME"))
	assert.Equal(t, "Run cmake build", stepKey(&jenkins.Step{Label: " Run cmake build "}))
	k := stepKey(&jenkins.Step{Script: "echo hi"})
	assert.Regexp(t, `^sh:[0-9a-f]{8}$`, k)
	assert.Equal(t, k, stepKey(&jenkins.Step{Script: "  echo   hi ${X}"}))
	assert.NotEqual(t, k, stepKey(&jenkins.Step{Script: "echo ho"}))
}

func TestRetryFolding(t *testing.T) {
	sub := "Update git submodules"
	t.Run("a failed attempt then a success is one successful step", func(t *testing.T) {
		prod := []jenkins.Step{st("Build", sub, S, retry("5", 1))}
		staging := []jenkins.Step{
			st("Build", sub, F, retry("5", 1)),
			st("Build", sub, A, retry("5", 2)),
			st("Build", sub, S, retry("5", 3)),
			st("Build", "Run cmake build", S),
		}
		prod = append(prod, st("Build", "Run cmake build", S))
		p := compare1(t, prod, staging, Options{})
		assert.Empty(t, p.Differences, "the last attempt is compared")
		assert.Equal(t, 2, p.Staging.Steps)
	})
	t.Run("the last attempt failing is a failure, with its attempts kept", func(t *testing.T) {
		prod := []jenkins.Step{st("Build", sub, S, retry("5", 1))}
		staging := []jenkins.Step{st("Build", sub, F, retry("7", 1)), st("Build", sub, F, retry("7", 2))}
		p := compare1(t, prod, staging, Options{})
		require.Len(t, p.Differences, 1)
		d := p.Differences[0]
		assert.Equal(t, jenkins.StatusFailure, d.StagingStatus)
		assert.Equal(t, 2, d.Staging.Attempts)
		assert.Equal(t, []jenkins.Status{F}, d.Staging.FailedAttempts)
		assert.Equal(t, "11", d.Staging.ID, "the last attempt's node")
	})
	t.Run("several steps per attempt and nested retries", func(t *testing.T) {
		steps := []jenkins.Step{
			// outer retry "1", inner retry "2" then "3" (a new inner block per outer attempt)
			st("T", "a", F, retry("2", 1), retry("1", 1)),
			st("T", "a", S, retry("2", 2), retry("1", 1)),
			st("T", "b", F, retry("1", 1)),
			st("T", "a", S, retry("3", 1), retry("1", 2)),
			st("T", "b", S, retry("1", 2)),
		}
		b := bld("staging", "j", 1, "r", jenkins.ResultSuccess, steps...)
		ls := logicalSteps(b)
		require.Len(t, ls, 2)
		assert.Equal(t, "a", ls[0].key)
		assert.Equal(t, S, ls[0].step.Status)
		assert.Equal(t, 3, ls[0].attempts)
		assert.Equal(t, []jenkins.Status{F}, ls[0].failedAttempts)
		assert.True(t, ls[0].flipped())
		assert.Equal(t, "b", ls[1].key)
		assert.Equal(t, []jenkins.Status{F}, ls[1].failedAttempts)
	})
	t.Run("repeated steps within one attempt stay separate", func(t *testing.T) {
		steps := []jenkins.Step{st("T", "a", S, retry("1", 1)), st("T", "a", S, retry("1", 1))}
		assert.Len(t, logicalSteps(bld("s", "j", 1, "r", jenkins.ResultSuccess, steps...)), 2)
	})
}

func TestBothFailed(t *testing.T) {
	p := compare1(t,
		[]jenkins.Step{st("Test", "Run Python unit tests", F), st("Test", "Upload", S)},
		[]jenkins.Step{st("Test", "Run Python unit tests", F, errText("script returned exit code 2")), st("Test", "Upload", S)},
		Options{})
	assert.Empty(t, p.Differences)
	assert.True(t, p.Identical)
	require.Len(t, p.BothFailed, 1)
	assert.Equal(t, "Run Python unit tests", p.BothFailed[0].Label)
	assert.Equal(t, "script returned exit code 1", p.BothFailed[0].ProdError)
	assert.Equal(t, "script returned exit code 2", p.BothFailed[0].StagingError)
}
