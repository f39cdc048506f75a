package jenkins

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestURLSourceListsWithoutReading: listing a controller asks only for the job tree (one request
// per folder or multibranch project), never for a build; Read then fetches exactly one build.
func TestURLSourceListsWithoutReading(t *testing.T) {
	quickRetries(t)
	f := newFakeJenkins(t, "multibranch.json")
	srv := httptest.NewServer(f)
	defer srv.Close()

	src, err := OpenSource(srv.URL+"/", WalkOptions{SkipNonPipeline: true})
	require.NoError(t, err)
	defer src.Close()
	refs, errs := src.Builds(context.Background())
	require.Empty(t, errs)
	var names []string
	for _, r := range refs {
		names = append(names, r.Job+"#"+itoa(*r.Number))
		assert.True(t, strings.HasPrefix(r.Dir, srv.URL+"/job/tvm/job/"), r.Dir)
	}
	// The freestyle job "legacy" is known from the listing's _class: left out unasked.
	assert.Equal(t, []string{"tvm/PR-10#3", "tvm/feature%2Ffoo#1", "tvm/main#1", "tvm/main#2"}, names)
	assert.Equal(t, map[string]int{"/api/json": 1, "/job/tvm/api/json": 1}, f.snapshot())

	b, err := src.Read(context.Background(), refs[0])
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/job/tvm/job/PR-10/3/", b.URL)
	assert.Equal(t, "tvm/PR-10", b.Job)
	assert.Equal(t, "a1a1a1a1head", b.Revision)
	assert.Len(t, b.Steps, 6)
	for p := range f.snapshot() {
		if p == "/api/json" || p == "/job/tvm/api/json" || p == "/blue/rest/organizations/jenkins/" ||
			p == "/blue/rest/organizations/jenkins/pipelines/tvm/branches/PR-10/" {
			continue // the listing; Blue Ocean's presence and the branch, asked once per source
		}
		assert.True(t, strings.Contains(p, "/PR-10/3/") || strings.Contains(p, "/PR-10/runs/3/"), "request for another build: %s", p)
	}

	// The read build keeps its connection: its step log comes from the controller.
	var failed *Step
	for i := range b.Steps {
		if b.Steps[i].Status == StatusFailure {
			failed = &b.Steps[i]
		}
	}
	require.NotNil(t, failed)
	logPath := "/blue/rest/organizations/jenkins/pipelines/tvm/branches/PR-10/runs/3/steps/" + failed.ID + "/log/"
	f.routes[logPath] = []byte("+ pytest\nE   assert 0 == 1\n")
	logs := NewStepLogs(1)
	defer logs.Close()
	text, err := logs.StepLog(b, failed, 1024)
	require.NoError(t, err)
	assert.Equal(t, "+ pytest\nE   assert 0 == 1\n", string(text))
	assert.Equal(t, 1, f.hitCount(logPath))

	// Without SkipNonPipeline the freestyle build is listed, and reading it is ErrNotPipeline
	// without a request.
	all, err := OpenSource(srv.URL+"/", WalkOptions{})
	require.NoError(t, err)
	refs, _ = all.Builds(context.Background())
	require.Len(t, refs, 5)
	assert.Equal(t, "legacy", refs[0].Job)
	_, err = all.Read(context.Background(), refs[0])
	assert.ErrorIs(t, err, ErrNotPipeline)
	assert.Equal(t, 0, f.hitCount("/job/legacy/1/api/json"))
}

func TestOpenSourceBadURL(t *testing.T) {
	_, err := OpenSource("https://ci.example.org/job/tvm/lastBuild/", WalkOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lastBuild")
	_, err = OpenSource("https://bob:secret@ci.example.org/", WalkOptions{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

func TestControllerURL(t *testing.T) {
	for src, want := range map[string]string{
		"https://ci.example.org":                           "https://ci.example.org/",
		"https://ci.example.org/job/tvm/job/main/":         "https://ci.example.org/",
		"http://host:8080/jenkins/job/a/view/all/job/b/3/": "http://host:8080/jenkins/",
		"HTTPS://ci.example.org/ctx/":                      "https://ci.example.org/ctx/",
	} {
		got, err := ControllerURL(src)
		require.NoError(t, err, src)
		assert.Equal(t, want, got, src)
	}
	_, err := ControllerURL("https://ci.example.org/job/tvm/lastBuild/")
	assert.Error(t, err)
}

// TestDirSource: a home is listed by FindBuilds; SkipNonPipeline drops a freestyle build from
// its build.xml's root element, keeps a build whose build.xml cannot be read (its reader says
// why), and Read names the build as the listing did.
func TestDirSource(t *testing.T) {
	home := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(home, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("jobs/pipe/builds/1/build.xml", "<?xml version='1.1' encoding='UTF-8'?>\n<flow-build plugin=\"workflow-job\"><result>SUCCESS</result></flow-build>")
	write("jobs/free/builds/1/build.xml", "<?xml version='1.1' encoding='UTF-8'?>\n<build><result>SUCCESS</result></build>")
	write("jobs/broken/builds/7/log", "") // a build directory without build.xml

	src, err := OpenSource(home, WalkOptions{SkipNonPipeline: true})
	require.NoError(t, err)
	refs, errs := src.Builds(context.Background())
	require.Empty(t, errs)
	var jobs []string
	for _, r := range refs {
		jobs = append(jobs, r.Job)
	}
	assert.Equal(t, []string{"broken", "pipe"}, jobs)

	_, err = src.Read(context.Background(), refs[0])
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(home, "jobs/broken/builds/7/build.xml"))
	b, err := src.Read(context.Background(), refs[1])
	require.NoError(t, err)
	assert.Equal(t, "pipe", b.Job)
	assert.Equal(t, 1, *b.Number)
	assert.Equal(t, ResultSuccess, b.Result)
	assert.Empty(t, b.URL)

	all, err := OpenSource(home, WalkOptions{})
	require.NoError(t, err)
	refs, _ = all.Builds(context.Background())
	assert.Len(t, refs, 3)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = all.Read(ctx, refs[0])
	assert.ErrorIs(t, err, context.Canceled)
}

func itoa(n int) string { return strconv.Itoa(n) }

// snapshot copies the request counts by path.
func (f *fakeJenkins) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, len(f.hits))
	for p, n := range f.hits {
		m[p] = n
	}
	return m
}
