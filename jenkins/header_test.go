package jenkins

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerOf is what ReadBuildHeader promises of a build ReadBuild read: every field but those
// that come from the flow nodes, the logs and the test report.
func headerOf(b *Build) *Build {
	h := *b
	h.Steps, h.Tests, h.Problems = nil, nil, nil
	h.Layout, h.StorageDir = "", ""
	return &h
}

// TestReadBuildHeaderMatchesReadBuild: on every build of the bundled homes (all layouts, PR and
// branch builds, running and failed-before-flow builds) and, when present, the real corpus
// (fastCorpusDirs), the
// header is exactly ReadBuild's build.xml part, and a build ReadBuild refuses, the header
// refuses with the same error.
func TestReadBuildHeaderMatchesReadBuild(t *testing.T) {
	var dirs []string
	for _, root := range fastCorpusDirs(t) {
		refs, _ := FindBuilds(root)
		for _, r := range refs {
			dirs = append(dirs, r.Dir)
		}
	}
	if len(dirs) < 18 {
		t.Fatalf("found %d builds, want the bundled homes' 18 at least", len(dirs))
	}
	withPR, read := 0, 0
	for _, dir := range dirs {
		full, ferr := ReadBuild(dir)
		h, herr := ReadBuildHeader(dir)
		if ferr != nil {
			require.Error(t, herr, dir)
			assert.Equal(t, ferr.Error(), herr.Error(), dir)
			assert.Nil(t, h, dir)
			continue
		}
		require.NoError(t, herr, dir)
		read++
		assert.Equal(t, headerOf(full), h, dir)
		assert.Nil(t, h.Steps, dir)
		if h.PR != nil {
			withPR++
		}
	}
	t.Logf("%d builds, %d read, %d pull requests", len(dirs), read, withPR)
	assert.Greater(t, read, 15)
	assert.Positive(t, withPR, "no pull-request build among the headers")
}

// TestDirSourceReadHeader: a directory source's ReadHeader names the build as Builds listed it,
// says ErrNotPipeline for a freestyle build and a missing build.xml's path, and stops with ctx.
func TestDirSourceReadHeader(t *testing.T) {
	home := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(home, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("jobs/pipe/builds/4/build.xml", "<?xml version='1.1' encoding='UTF-8'?>\n<flow-build plugin=\"workflow-job\"><result>FAILURE</result><startTime>1700000000000</startTime><execution><iota>9</iota></execution></flow-build>")
	write("jobs/free/builds/1/build.xml", "<build><result>SUCCESS</result></build>")
	write("jobs/broken/builds/7/log", "")

	src, err := OpenSource(home, WalkOptions{})
	require.NoError(t, err)
	hr, ok := src.(HeaderReader)
	require.True(t, ok, "a directory source reads headers")
	refs, errs := src.Builds(context.Background())
	require.Empty(t, errs)
	require.Len(t, refs, 3)

	_, err = hr.ReadHeader(context.Background(), refs[0]) // broken
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(home, "jobs/broken/builds/7/build.xml"))
	_, err = hr.ReadHeader(context.Background(), refs[1]) // free
	assert.ErrorIs(t, err, ErrNotPipeline)
	h, err := hr.ReadHeader(context.Background(), refs[2])
	require.NoError(t, err)
	assert.Equal(t, "pipe", h.Job)
	assert.Equal(t, 4, *h.Number)
	assert.Equal(t, refs[2].Dir, h.Dir)
	assert.Equal(t, ResultFailure, h.Result)
	assert.True(t, h.Completed)
	assert.Equal(t, int64(1700000000000), h.Start.UnixMilli())
	// The execution allocated nodes but none is on disk: ReadBuild says so, the header does
	// not look.
	full, err := src.Read(context.Background(), refs[2])
	require.NoError(t, err)
	assert.NotEmpty(t, full.Problems)
	assert.Empty(t, h.Problems)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = hr.ReadHeader(ctx, refs[2])
	assert.ErrorIs(t, err, context.Canceled)
}

// TestURLSourceReadHeader: a URL source's header is what Read gives without steps, tests and
// problems, on a controller with Blue Ocean, without it (wfapi, and a pull request's head from
// BuildData) and with neither step API, and it costs fewer requests than Read.
func TestURLSourceReadHeader(t *testing.T) {
	quickRetries(t)
	noBlue := func(f *fakeJenkins) {
		for k := range f.routes {
			if strings.HasPrefix(k, "/blue/") {
				delete(f.routes, k)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		setup func(f *fakeJenkins)
		jobs  []string // the builds the fake serves in full
	}{
		{"blue ocean", func(*fakeJenkins) {}, []string{"tvm/PR-10#3", "tvm/main#1", "tvm/main#2"}},
		{"wfapi", func(f *fakeJenkins) {
			noBlue(f)
			f.routes["/job/tvm/job/PR-10/3/wfapi/describe"] = json.RawMessage(`{"id":"3","name":"#3","status":"FAILED","startTimeMillis":1699990000500,"stages":[{"id":"5","name":"Build"}]}`)
			f.routes["/job/tvm/job/PR-10/3/execution/node/5/wfapi/describe"] = json.RawMessage(`{"id":"5","name":"Build","stageFlowNodes":[
			  {"id":"7","name":"Shell Script","status":"SUCCESS","parameterDescription":"make","startTimeMillis":1699990001100,"durationMillis":8000}]}`)
			f.special = func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.EscapedPath() == "/job/tvm/job/PR-10/3/api/json" && strings.Contains(r.URL.Query().Get("tree"), "buildsByBranchName") {
					fmt.Fprint(w, `{"actions":[{"_class":"hudson.plugins.git.util.BuildData","buildsByBranchName":{
					  "PR-10":{"buildNumber":3,"marked":{"SHA1":"a1a1a1a1head"},"revision":{"SHA1":"e0e0e0e0merge"}}}}]}`)
					return true
				}
				return false
			}
		}, []string{"tvm/PR-10#3"}},
		{"no step API", noBlue, []string{"tvm/main#1", "tvm/main#2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJenkins(t, "multibranch.json")
			tc.setup(f)
			srv := httptest.NewServer(f)
			defer srv.Close()
			open := func() (Source, map[string]BuildRef) {
				src, err := OpenSource(srv.URL+"/", WalkOptions{SkipNonPipeline: true})
				require.NoError(t, err)
				refs, errs := src.Builds(context.Background())
				require.Empty(t, errs)
				byName := map[string]BuildRef{}
				for _, r := range refs {
					byName[r.Job+"#"+itoa(*r.Number)] = r
				}
				return src, byName
			}
			requests := func() int {
				n := 0
				for _, c := range f.snapshot() {
					n += c
				}
				return n
			}
			for _, name := range tc.jobs {
				src, refs := open()
				before := requests()
				full, err := src.Read(context.Background(), refs[name])
				require.NoError(t, err, name)
				fullCost := requests() - before
				src.Close()

				src, refs = open()
				before = requests()
				h, err := src.(HeaderReader).ReadHeader(context.Background(), refs[name])
				require.NoError(t, err, name)
				headerCost := requests() - before
				src.Close()

				want := *full
				want.Steps, want.Tests, want.Problems, want.remote = nil, nil, nil, nil
				assert.Equal(t, &want, h, name)
				assert.LessOrEqual(t, headerCost, fullCost, name)
				if len(full.Steps) > 0 {
					assert.Less(t, headerCost, fullCost, name)
				}
				t.Logf("%s: header %d requests, read %d", name, headerCost, fullCost)
			}
		})
	}
}

// FuzzReadBuildHeader: whatever build.xml holds, the header never panics, and it agrees with
// ReadBuild: the same error, or ReadBuild's build.xml fields.
func FuzzReadBuildHeader(f *testing.F) {
	f.Add([]byte(fxBuildXML("SUCCESS", libraryAndProject, "workflow-completed")))
	f.Add([]byte(strings.Replace(fxBuildXML("SUCCESS", libraryAndProject, ""), "<checkouts class=\"hudson.util.PersistedList\"/>", libraryAndProjectCheckouts, 1)))
	f.Add([]byte(`<flow-build><actions><jenkins.scm.api.SCMRevisionAction><revision class="x.PullRequestSCMRevision" reference="../../.."/></jenkins.scm.api.SCMRevisionAction></actions></flow-build>`))
	f.Add([]byte("<build/>"))
	f.Add([]byte("<?xml\xb8version\"1.1?>"))
	dir := filepath.Join(f.TempDir(), "12")
	require.NoError(f, os.MkdirAll(dir, 0o755))
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "build.xml"), data, 0o644))
		h, herr := ReadBuildHeader(dir)
		full, ferr := ReadBuild(dir)
		if (herr == nil) != (ferr == nil) {
			t.Fatalf("header error %v, ReadBuild error %v", herr, ferr)
		}
		if herr != nil {
			if herr.Error() != ferr.Error() {
				t.Fatalf("header error %q, ReadBuild error %q", herr, ferr)
			}
			return
		}
		assert.Equal(t, headerOf(full), h)
	})
}

// The build number comes from the directory name exactly as discovery reads it: all digits, or
// null. strconv.Atoi also accepts "+7" and "-0", which are not build numbers.
func TestBuildNumberOnlyFromDigits(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want *int
	}{
		{"7", readerIntPtr(7)},
		{"007", readerIntPtr(7)},
		{"+7", nil},
		{"-0", nil},
		{"lastStable", nil},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dir)
			require.NoError(t, os.Mkdir(dir, 0o755))
			fxWrite(t, filepath.Join(dir, "build.xml"), fxBuildXML("SUCCESS", "", ""))
			b, err := ReadBuild(dir)
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.Number, "ReadBuild")
			h, err := ReadBuildHeader(dir)
			require.NoError(t, err)
			assert.Equal(t, tc.want, h.Number, "ReadBuildHeader")
			assert.Equal(t, tc.want, buildNumber(tc.dir), "FindBuilds")
		})
	}
}
