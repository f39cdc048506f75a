package analyzer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWaivers(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    []Waiver
		wantErr string
	}{
		{
			name: "contract example",
			yaml: `waivers:
  - job: "tvm/*"            # optional glob on the job name
    stage: "Deploy*"        # optional glob on the stage path
    label: "Upload docs"    # optional glob on the step label
    class: controller       # optional: only differences of this class
    reason: "docs-push-token deliberately absent on staging"   # required
  - class: flaky
    reason: known flaky
`,
			want: []Waiver{
				{Job: "tvm/*", Stage: "Deploy*", Label: "Upload docs", Class: ClassController, Reason: "docs-push-token deliberately absent on staging", Source: "w.yaml:2"},
				{Class: ClassFlaky, Reason: "known flaky", Source: "w.yaml:7"},
			},
		},
		{name: "empty file", yaml: "", want: []Waiver{}},
		{name: "no waivers", yaml: "waivers: []\n", want: []Waiver{}},
		{name: "missing reason", yaml: "waivers:\n  - stage: Deploy\n  - label: x\n    reason: ' '\n", wantErr: "w.yaml:2: waiver 1: reason is required"},
		{name: "missing reason in the second", yaml: "waivers:\n  - stage: Deploy\n    reason: ok\n  - label: x\n", wantErr: "w.yaml:4: waiver 2: reason is required"},
		{name: "no matcher", yaml: "waivers:\n  - reason: because\n", wantErr: "w.yaml:2: waiver 1: no matcher"},
		{name: "unknown class", yaml: "waivers:\n  - class: infra\n    reason: r\n", wantErr: `waiver 1: unknown class "infra"`},
		{name: "bad glob", yaml: "waivers:\n  - stage: 'Build['\n    reason: r\n", wantErr: "waiver 1: stage: bad pattern"},
		{name: "unknown field", yaml: "waivers:\n  - lable: x\n    reason: r\n", wantErr: "w.yaml: yaml: unmarshal errors:\n  line 2: field lable not found"},
		{name: "not yaml", yaml: "waivers: [\n", wantErr: "w.yaml: yaml:"},
		{name: "wrong shape", yaml: "waivers: yes\n", wantErr: "w.yaml: yaml: unmarshal errors"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWaivers("w.yaml", []byte(tc.yaml))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLoadWaivers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "waivers.yaml")
	require.NoError(t, os.WriteFile(path, []byte("waivers:\n  - label: 'Upload docs'\n    reason: token absent\n"), 0o644))
	ws, err := LoadWaivers(path)
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, path+":2", ws[0].Source)

	_, err = LoadWaivers(filepath.Join(dir, "missing.yaml"))
	assert.ErrorContains(t, err, "missing.yaml")
}

func TestWaiversApply(t *testing.T) {
	prodSteps := []jenkins.Step{st("Test", "Run tests", S), st("Deploy/Docs", "Upload docs", S), st("Deploy/Docs", "Tag images", S), st("Deploy/Docs", "Notify", S)}
	stagingSteps := []jenkins.Step{st("Test", "Run tests", S), st("Deploy/Docs", "Upload docs", F)}
	run := func(t *testing.T, ws ...Waiver) *Comparison {
		t.Helper()
		prod, staging := pairOf(prodSteps, stagingSteps)
		logs := newLogs()
		logs.set(staging, "Upload docs", "ERROR: Could not find credentials entry with ID 'docs-push-token'\n")
		c, err := CompareBuilds(one(prod), one(staging), Options{Classifier: testKB, Logs: logs, Waivers: ws})
		require.NoError(t, err)
		return c
	}

	c := run(t)
	assert.Equal(t, VerdictNoGo, c.Verdict)
	assert.Equal(t, 3, c.Summary.Blocking)

	tests := []struct {
		name   string
		w      Waiver
		waived int
	}{
		{"root waiver covers its consequences", Waiver{Job: "tvm/*", Stage: "Deploy*", Label: "Upload docs", Class: ClassController, Reason: "token absent"}, 3},
		{"star in stage crosses slashes", Waiver{Stage: "Deploy*", Reason: "r"}, 3},
		{"class filter that does not match", Waiver{Stage: "Deploy*", Class: ClassExecutor, Reason: "r"}, 0},
		{"job glob does not cross a slash", Waiver{Job: "tvm", Reason: "r"}, 0},
		// A consequence follows its root: a waiver that matches only a step that never ran because
		// of an unwaived failure waives nothing (and is reported as matching nothing).
		{"consequence only", Waiver{Label: "Notify", Reason: "r"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, tc.w)
			waived := 0
			for _, d := range onlyPair(c).Differences {
				if d.Waived {
					waived++
					assert.Equal(t, tc.w.Reason, d.WaiverReason)
					assert.False(t, d.Blocking, "waived differences never block")
				} else {
					assert.True(t, d.Blocking)
				}
			}
			assert.Equal(t, tc.waived, waived)
			assert.Equal(t, tc.waived, c.Summary.Waived)
			if tc.waived == 3 {
				assert.Equal(t, VerdictGo, c.Verdict)
				assert.Empty(t, c.Warnings)
			} else {
				assert.Equal(t, VerdictNoGo, c.Verdict)
			}
			if tc.waived == 0 {
				require.Len(t, c.Warnings, 1)
				assert.Contains(t, c.Warnings[0], "matched no difference")
			}
		})
	}

	prod, staging := pairOf(prodSteps, stagingSteps)
	_, err := CompareBuilds(one(prod), one(staging), Options{Waivers: []Waiver{{Stage: "x"}}})
	assert.ErrorContains(t, err, "waiver 1: reason is required")
}

func TestWaiverMatchesUnlabelledByIdentity(t *testing.T) {
	prod, staging := pairOf([]jenkins.Step{st("T", "", S, script("./a.sh"))}, []jenkins.Step{st("T", "", F, script("./a.sh"))})
	key := stepKey(&prod.Steps[0])
	c, err := CompareBuilds(one(prod), one(staging), Options{Waivers: []Waiver{{Label: key, Reason: "r"}}})
	require.NoError(t, err)
	assert.True(t, onlyPair(c).Differences[0].Waived)
	assert.Equal(t, VerdictGo, c.Verdict)
}

func FuzzParseWaivers(f *testing.F) {
	f.Add([]byte("waivers:\n  - job: 'tvm/*'\n    reason: r\n"))
	f.Add([]byte("waivers:\n  - stage: '[\n"))
	f.Add([]byte("waivers: {a: b}\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ParseWaivers("f.yaml", data)
		if err != nil {
			return
		}
		for _, w := range ws {
			require.NoError(t, w.Validate())
		}
		_, err = compileWaivers(ws)
		require.NoError(t, err)
	})
}
