package analyzer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseImageNames(t *testing.T) {
	log := "[2022-01-31T10:00:00.000Z] + echo 'Docker images being used in this build:'\n" +
		"[2022-01-31T10:00:00.001Z] Docker images being used in this build:\n" +
		"+ echo ' ci_lint = tlcpack/ci-lint:v0.67'\n" +
		" ci_lint = tlcpack/ci-lint:v0.67\r\n" +
		" ci_gpu  = tlcpack/ci-gpu:v0.81\n" +
		"\x1b[8mha:////4AAAAB+LCAAAAAAAAP9b\x1b[0mci_arm: tlcpack/ci-arm:v0.06\n" +
		"ci_cpu =\n"
	assert.Equal(t, map[string]string{
		"ci_lint": "tlcpack/ci-lint:v0.67",
		"ci_gpu":  "tlcpack/ci-gpu:v0.81",
		"ci_arm":  "tlcpack/ci-arm:v0.06",
	}, parseImageNames([]byte(log)))
}

func TestParseUpstreamRevision(t *testing.T) {
	assert.Equal(t, "0123456789abcdef0123456789abcdef01234567",
		parseUpstreamRevision([]byte("+ git log -1 FETCH_HEAD --format=%H\n[2022-06-13T22:39:22.006Z] 0123456789abcdef0123456789abcdef01234567\n")))
	assert.Equal(t, "", parseUpstreamRevision([]byte("fatal: bad revision 'FETCH_HEAD'\n")))
}

func TestStepImage(t *testing.T) {
	tests := []struct {
		name, script, log, want string
	}{
		{"script", "docker/bash.sh tlcpack/ci-gpu:v0.81 ./tests/scripts/task_build.sh build -j2", "", "tlcpack/ci-gpu:v0.81"},
		{"script with flags", "docker/bash.sh --env CI --env TVM_SHARD_INDEX tlcpack/ci-cpu:20221128-070141-ae4fd7df7 ./x.sh", "", "tlcpack/ci-cpu:20221128-070141-ae4fd7df7"},
		{"ecr", "./docker/bash.sh 477529581014.dkr.ecr.us-west-2.amazonaws.com/ci-gpu:v1 x", "", "477529581014.dkr.ecr.us-west-2.amazonaws.com/ci-gpu:v1"},
		{"container name line", "./x.sh", "WORKSPACE: /w\nDOCKER CONTAINER NAME: tlcpack/ci-i386:v0.74\n", "tlcpack/ci-i386:v0.74"},
		{"docker pull", "./x.sh", "[2022-06-13T22:39:22.006Z] + docker pull tlcpack/ci-gpu:20220606-055910-bf4b8f5c7\n", "tlcpack/ci-gpu:20220606-055910-bf4b8f5c7"},
		{"nothing", "./tests/scripts/task_lint.sh", "all good\n", ""},
		{"bash.sh without an image", "docker/bash.sh ./x.sh", "", ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, stepImage(tc.script, []byte(tc.log)), tc.name)
	}
}

func TestCompareEnvironmentSame(t *testing.T) {
	e := func() *Environment {
		return &Environment{Base: "1a2b3c4d", Target: "main", Images: map[string]string{"ci_gpu": "g:1"}, Params: map[string]string{"p": "1"}, Sensitive: map[string]bool{}}
	}
	f := compareEnvironment(e(), e(), "g:1", "g:1", true)
	assert.Empty(t, f.cause)
	assert.Equal(t, []string{"same base 1a2b3c4", "same image g:1", "same parameters"}, f.checked)

	s, p := e(), e()
	p.Base = "1a2b3c4d5e6f"                        // an abbreviation of the same commit
	s.Sensitive["tok"], p.Params["tok"] = true, "" // a secret on one side is not compared
	assert.Empty(t, compareEnvironment(s, p, "", "", true).cause)

	s, p = e(), e()
	s.Target = "v0.9"
	f = compareEnvironment(s, p, "", "", true)
	assert.Equal(t, "merge_target_differs", f.cause)
	assert.Equal(t, "staging merged into v0.9, prod into main", f.reason)

	s, p = e(), e()
	s.Images["ci_gpu"] = "g:2"
	assert.Empty(t, compareEnvironment(s, p, "", "", true).cause, "the step's image is unknown")
	f = compareEnvironment(s, p, "", "", false)
	assert.Equal(t, "docker_image_differs", f.cause, "the whole build")
	assert.Equal(t, "staging chose ci_gpu = g:2, prod g:1", f.reason)
}

func FuzzLogParsers(f *testing.F) {
	f.Add([]byte(" ci_gpu = tlcpack/ci-gpu:v0.81\n"), "docker/bash.sh tlcpack/ci-gpu:v0.81 x")
	f.Add([]byte("\x1b[8mha:\x1b[0mDOCKER CONTAINER NAME: a/b:c\n+ docker pull -q x/y:z\n"), "")
	f.Add([]byte("[2022-06-13T22:39:22.006Z] 0123456789abcdef0123456789abcdef01234567\r\n"), "docker/bash.sh")
	f.Fuzz(func(t *testing.T, log []byte, script string) {
		for k, v := range parseImageNames(log) {
			if k == "" || v == "" {
				t.Fatalf("empty image entry %q=%q", k, v)
			}
		}
		if r := parseUpstreamRevision(log); r != "" && len(r) != 40 {
			t.Fatalf("bad revision %q", r)
		}
		_ = stepImage(script, log)
		_ = tailLines(log, 5)
		_ = countLines(string(log))
	})
}

// TestCompareEnvironmentHidesSecretParameters: a plain string parameter named like a secret
// (a token passed as a string parameter, not a password parameter) still differs, but its
// values never reach the reason or the evidence, which every report prints.
func TestCompareEnvironmentHidesSecretParameters(t *testing.T) {
	e := func(tok, pass string) *Environment {
		return &Environment{Params: map[string]string{"GITHUB_TOKEN": tok, "deployPassword": pass, "TARGET": "cuda"}, Sensitive: map[string]bool{}}
	}
	f := compareEnvironment(e("ghs_stagingvalue1", "hunter2"), e("ghs_prodvalue2", "hunter3"), "", "", true)
	assert.Equal(t, "parameters_differ", f.cause)
	all := f.reason + "\n" + strings.Join(f.evidence, "\n")
	for _, secret := range []string{"ghs_stagingvalue1", "ghs_prodvalue2", "hunter2", "hunter3"} {
		assert.NotContains(t, all, secret)
	}
	assert.Contains(t, all, "parameter GITHUB_TOKEN")
	assert.Contains(t, all, "parameter deployPassword")

	// Only one side set it: said without the value.
	s, p := e("ghs_stagingvalue1", "x"), e("", "x")
	delete(p.Params, "GITHUB_TOKEN")
	f = compareEnvironment(s, p, "", "", true)
	assert.Equal(t, "parameters_differ", f.cause)
	assert.NotContains(t, f.reason+strings.Join(f.evidence, "\n"), "ghs_stagingvalue1")

	// Other parameters keep their values: they say what was tested.
	s, p = e("t", "x"), e("t", "x")
	s.Params["TARGET"] = "rocm"
	f = compareEnvironment(s, p, "", "", true)
	assert.Equal(t, `parameter TARGET: staging "rocm", prod "cuda"`, f.reason)
}
