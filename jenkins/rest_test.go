package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeJenkins serves recorded API answers by escaped path (query ignored unless a route says
// otherwise), counting requests and keeping their Authorization headers.
type fakeJenkins struct {
	routes map[string]json.RawMessage
	// special answers a path before the routes; false to fall through.
	special func(w http.ResponseWriter, r *http.Request) bool
	// user and token, when set, are required (401 otherwise).
	user, token string

	mu    sync.Mutex
	hits  map[string]int
	auths map[string]string
}

func newFakeJenkins(t testing.TB, file string) *fakeJenkins {
	t.Helper()
	f := &fakeJenkins{routes: map[string]json.RawMessage{}, hits: map[string]int{}, auths: map[string]string{}}
	if file != "" {
		data, err := os.ReadFile(filepath.Join("testdata", "rest", file))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &f.routes))
	}
	return f
}

func (f *fakeJenkins) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	f.mu.Lock()
	f.hits[p]++
	f.auths[p] = r.Header.Get("Authorization")
	f.mu.Unlock()
	if f.user != "" {
		if u, pw, ok := r.BasicAuth(); !ok || u != f.user || pw != f.token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	if f.special != nil && f.special(w, r) {
		return
	}
	body, ok := f.routes[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func (f *fakeJenkins) hitCount(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[p]
}

// quickRetries makes the client's backoff negligible for a test.
func quickRetries(t *testing.T) {
	old := restBackoff
	restBackoff = time.Millisecond
	t.Cleanup(func() { restBackoff = old })
}

func walkAll(t *testing.T, source string, opts WalkOptions) []WalkResult {
	t.Helper()
	var out []WalkResult
	err := Walk(context.Background(), source, opts, func(r WalkResult) error {
		out = append(out, r)
		return nil
	})
	require.NoError(t, err)
	return out
}

func ptr[T any](v T) *T { return &v }

func ms(t string) time.Time {
	v, err := time.Parse("2006-01-02T15:04:05.000Z", t)
	if err != nil {
		panic(err)
	}
	return v
}

func TestWalkRESTMultibranch(t *testing.T) {
	quickRetries(t)
	f := newFakeJenkins(t, "multibranch.json")
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.EscapedPath(), "/job/tvm/job/feature%252Ffoo/1/") {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()

	results := walkAll(t, srv.URL+"/", WalkOptions{Workers: 3})
	require.Len(t, results, 5)

	// Order: job name, then number, as FindBuilds orders a home.
	var jobs []string
	for _, r := range results {
		jobs = append(jobs, fmt.Sprintf("%s#%d", r.Ref.Job, *r.Ref.Number))
	}
	assert.Equal(t, []string{"legacy#1", "tvm/PR-10#3", "tvm/feature%2Ffoo#1", "tvm/main#1", "tvm/main#2"}, jobs)

	// A freestyle build is not a Pipeline run, found without asking for it.
	assert.ErrorIs(t, results[0].Err, ErrNotPipeline)
	assert.Equal(t, 0, f.hitCount("/job/legacy/1/api/json"))

	// One build's endpoint failing is that build's error, naming its URL; retried first.
	bad := results[2]
	require.Error(t, bad.Err)
	assert.Contains(t, bad.Err.Error(), srv.URL+"/job/tvm/job/feature%252Ffoo/1/api/json")
	assert.Contains(t, bad.Err.Error(), "HTTP 500")
	assert.ErrorIs(t, bad.Err, ErrHTTP)
	assert.Equal(t, restAttempts, f.hitCount("/job/tvm/job/feature%252Ffoo/1/api/json"))
	assert.Equal(t, srv.URL+"/job/tvm/job/feature%252Ffoo/1/", bad.Ref.Dir)

	pr := results[1]
	require.NoError(t, pr.Err)
	url3 := srv.URL + "/job/tvm/job/PR-10/3/"
	want := &Build{
		Dir: url3, URL: url3, Job: "tvm/PR-10", Number: ptr(3),
		Result: ResultFailure, Completed: true,
		Start:    ms("2023-11-14T22:13:20.500Z"),
		Duration: 60 * time.Second,
		Revision: "a1a1a1a1head",
		Branch:   "PR-10",
		PR:       &PullRequest{Number: 10, Head: "a1a1a1a1head", Base: "b2b2b2b2base", MergeStrategy: true},
		Remote:   "https://github.com/apache/tvm.git",
		Causes:   []Cause{{Kind: "BranchIndexingCause", Description: "branch indexing"}},
		Parameters: []Parameter{
			{Name: "IMAGE", Value: "ci-gpu:v1"}, {Name: "FULL", Value: "true"}, {Name: "TOKEN", Sensitive: true},
		},
		Layout: LayoutREST,
		Steps: []Step{
			{ID: "4", Kind: "sh", Script: "git rev-parse HEAD", Status: StatusSuccess,
				Start: ms("2023-11-14T22:13:20.900Z"), Duration: 80 * time.Millisecond},
			{ID: "8", Kind: "sh", Stage: []string{"Build"}, Label: "Run cmake build", Script: "cmake --build build -j8", Status: StatusSuccess,
				Node:  ptr("gpu-builder-1"),
				Start: ms("2023-11-14T22:13:21.100Z"), Duration: 8 * time.Second},
			{ID: "21", Kind: "sh", Stage: []string{"Test", "GPU"}, Label: "unit tests", Script: "pytest tests/python", Status: StatusFailure,
				ExitCode: ptr(2), Error: "script returned exit code 2", ErrorClass: "hudson.AbortException",
				Node:  ptr("gpu-agent-3"),
				Start: ms("2023-11-14T22:13:30.300Z"), Duration: 5 * time.Second},
			{ID: "22", Kind: "sh", Stage: []string{"Test", "CPU"}, Script: "sleep 600", Status: StatusAborted,
				Error:      "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException",
				ErrorClass: "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException",
				Node:       ptr(""),
				Start:      ms("2023-11-14T22:13:31.000Z"), Duration: 2 * time.Second},
			{ID: "25", Kind: "bat", Stage: []string{"Test", "CPU"}, Script: "dir", Status: StatusSuccess, Node: ptr(""),
				Start: ms("2023-11-14T22:13:30.400Z"), Duration: 100 * time.Millisecond},
			{ID: "45", Kind: "sh", Stage: []string{"Declarative: Post Actions"}, Label: "Clean workspace", Script: "rm -rf build",
				Status: StatusSuccess, Start: ms("2023-11-14T22:14:19.000Z"), Duration: 300 * time.Millisecond},
		},
		Tests: []TestCase{
			{Suite: "pytest", ClassName: "tests.test_ops", Name: "test_conv", Status: TestFailed, Duration: 1500 * time.Millisecond,
				ErrorDetails: "assert 0 == 1", ErrorStackTrace: "Traceback", FailedSince: 3, NodeID: "21", Stage: []string{"Test", "GPU"}},
			{Suite: "pytest", ClassName: "tests.test_ops", Name: "test_add", Status: TestPassed, Duration: 250 * time.Millisecond,
				NodeID: "21", Stage: []string{"Test", "GPU"}},
		},
	}
	got := *pr.Build
	got.remote = nil
	assert.Equal(t, want, &got)
	// The skipped Deploy stage has no steps to ask for.
	assert.Equal(t, 0, f.hitCount("/blue/rest/organizations/jenkins/pipelines/tvm/branches/PR-10/runs/3/nodes/40/steps/"))

	main1 := results[3].Build
	require.NotNil(t, main1)
	assert.Equal(t, "c3c3c3c3main", main1.Revision)
	assert.Nil(t, main1.PR)
	assert.Equal(t, "main", main1.Branch)
	assert.Equal(t, []Cause{{Kind: "UserIdCause", Description: "user bob"}}, main1.Causes)
	assert.Equal(t, ResultSuccess, main1.Result)

	running := results[4].Build
	require.NotNil(t, running)
	assert.Equal(t, Result(""), running.Result)
	assert.False(t, running.Completed)
	assert.Equal(t, "d4d4d4d4main", running.Revision)
	require.Len(t, running.Causes, 1)
	assert.Equal(t, "replay of #1", running.Causes[0].Description)
	assert.Equal(t, ptr(1), running.Causes[0].OriginalNumber)
	require.Len(t, running.Steps, 2)
	assert.Equal(t, StatusSuccess, running.Steps[0].Status)
	assert.Equal(t, Step{ID: "8", Kind: "sh", Stage: []string{"Build"}, Label: "long test", Script: "pytest -n 8", Status: StatusUnknown,
		Node: ptr("cpu-2"), Start: ms("2023-11-14T22:30:04.200Z")}, running.Steps[1])
	assert.Empty(t, running.Problems)

	// Nothing is asked twice (but the failing build, retried): the job tree, Blue Ocean's
	// presence and each branch are fetched once for the whole walk.
	for p, n := range f.hits {
		if !strings.Contains(p, "feature%252Ffoo") {
			assert.Equal(t, 1, n, p)
		}
	}
	assert.Equal(t, 1, f.hitCount("/blue/rest/organizations/jenkins/pipelines/tvm/branches/main/"))

	// Without credentials configured, no Authorization header is ever sent.
	for p, a := range f.auths {
		assert.Empty(t, a, p)
	}
}

func TestWalkRESTSourceBelowRoot(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	srv := httptest.NewServer(f)
	defer srv.Close()

	// A branch job: its builds only, named as from the root.
	f.routes["/job/tvm/job/main/api/json"] = json.RawMessage(`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","name":"main","allBuilds":[{"number":1}]}`)
	res := walkAll(t, srv.URL+"/job/tvm/job/main/", WalkOptions{})
	require.Len(t, res, 1)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "tvm/main", res[0].Build.Job)
	assert.Equal(t, "main", res[0].Build.Branch)

	// Include narrows the walk before anything is read.
	var seen []string
	res = walkAll(t, srv.URL+"/", WalkOptions{Include: func(r BuildRef) bool {
		seen = append(seen, r.Job)
		return r.Job == "tvm/main"
	}})
	require.Len(t, res, 2)
	assert.ElementsMatch(t, []string{"legacy", "tvm/PR-10", "tvm/feature%2Ffoo", "tvm/main", "tvm/main"}, seen)
	assert.Equal(t, 0, f.hitCount("/job/tvm/job/PR-10/3/api/json"))

	// One build URL: read without listing anything.
	res = walkAll(t, srv.URL+"/job/tvm/job/PR-10/3/", WalkOptions{})
	require.Len(t, res, 1)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "a1a1a1a1head", res[0].Build.Revision)
	assert.Len(t, res[0].Build.Steps, 6)
	assert.Equal(t, 0, f.hitCount("/job/tvm/job/PR-10/api/json"))
}

func TestWalkRESTStepLogTail(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	var gotQuery string
	logText := "\x1b[8mha:////4AAAAB+LCAAAAAAAAP9b\x1b[0m+ make test\nFAILED tests/test_ops.py::test_conv\nerror: exit 2\n"
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.EscapedPath() == "/blue/rest/organizations/jenkins/pipelines/tvm/branches/PR-10/runs/3/steps/21/log/" {
			gotQuery = r.URL.RawQuery
			w.Header().Set("X-Text-Size", fmt.Sprint(len(logText)))
			fmt.Fprint(w, logText)
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	res := walkAll(t, srv.URL+"/job/tvm/job/PR-10/3/", WalkOptions{})
	require.Len(t, res, 1)
	b := res[0].Build
	require.NotNil(t, b)
	var step *Step
	for i := range b.Steps {
		if b.Steps[i].ID == "21" {
			step = &b.Steps[i]
		}
	}
	require.NotNil(t, step)
	logs := NewStepLogs(2)
	defer logs.Close()
	tail, err := logs.StepLog(b, step, 14)
	require.NoError(t, err)
	assert.Equal(t, "error: exit 2\n", string(tail))
	assert.Equal(t, "thresholdInKB=2", gotQuery, "only the tail is asked for")
	all, err := logs.StepLog(b, step, 0)
	require.NoError(t, err)
	assert.Equal(t, "+ make test\nFAILED tests/test_ops.py::test_conv\nerror: exit 2\n", string(all))
	assert.Equal(t, "start=0", gotQuery)
}

// TestRESTStepLogTailGrows: when console notes take most of the tail Blue Ocean sent and the
// log has more, a larger tail is asked for.
func TestRESTStepLogTailGrows(t *testing.T) {
	note := "\x1b[8mha:" + strings.Repeat("A", 3000) + "\x1b[0m"
	full := strings.Repeat("early line\n", 500) + note + "last line\n"
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		kb, err := strconv.Atoi(r.URL.Query().Get("thresholdInKB"))
		require.NoError(t, err)
		off := max(0, len(full)-kb*1024)
		w.Header().Set("X-Text-Size", strconv.Itoa(len(full)))
		w.Header().Set("X-Text-Delivered", strconv.Itoa(len(full)-off))
		fmt.Fprint(w, full[off:])
	}))
	defer srv.Close()
	src, err := parseRESTSource(srv.URL + "/")
	require.NoError(t, err)
	c, err := newRESTClient(src.root, WalkOptions{})
	require.NoError(t, err)
	rb := &remoteBuild{c: c, url: srv.URL + "/job/j/1/", boRun: srv.URL + "/blue/rest/organizations/jenkins/pipelines/j/runs/1/", viaAPI: "blue"}
	text, err := rb.stepLog(context.Background(), &Step{ID: "7"}, 2100)
	require.NoError(t, err)
	assert.Len(t, text, 2100)
	assert.True(t, strings.HasSuffix(string(text), "early line\nlast line\n"))
	assert.Equal(t, []string{"thresholdInKB=4", "thresholdInKB=16"}, queries)
}

func TestWalkRESTAuth(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	f.user, f.token = "alice", "s3cret-token"
	srv := httptest.NewServer(f)
	defer srv.Close()

	// Anonymous: 401, and the message says what to set.
	res := walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{})
	require.Len(t, res, 1)
	require.Error(t, res[0].Err)
	assert.Contains(t, res[0].Err.Error(), "HTTP 401")
	assert.Contains(t, res[0].Err.Error(), "JENKINS_USER and JENKINS_TOKEN")
	assert.Contains(t, res[0].Err.Error(), srv.URL+"/job/tvm/job/main/1/api/json")

	// A wrong token: refused, and the token is never printed.
	res = walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{Credentials: &Credentials{User: "alice", Token: "wrong-token"}})
	require.Error(t, res[0].Err)
	assert.Contains(t, res[0].Err.Error(), `user "alice"`)
	assert.NotContains(t, res[0].Err.Error(), "wrong-token")

	creds := &Credentials{User: "alice", Token: "s3cret-token"}
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds), "s3cret")
	res = walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{Credentials: creds})
	require.NoError(t, res[0].Err)
	assert.Equal(t, "c3c3c3c3main", res[0].Build.Revision)

	// From a netrc file, for this host only.
	dir := t.TempDir()
	netrc := filepath.Join(dir, "netrc")
	host := strings.TrimPrefix(srv.URL, "http://")
	require.NoError(t, os.WriteFile(netrc, []byte("machine other.example.com login bob password nope\nmachine "+host+" login alice password s3cret-token\n"), 0o600))
	res = walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{Credentials: &Credentials{Netrc: netrc}})
	require.NoError(t, res[0].Err)

	// URLs with credentials in them are refused outright.
	res = walkAll(t, "http://alice:s3cret-token@"+host+"/", WalkOptions{})
	require.Len(t, res, 1)
	require.Error(t, res[0].Err)
	assert.NotContains(t, res[0].Err.Error(), "s3cret")
}

func TestRESTRedirectKeepsCredentialsOnHost(t *testing.T) {
	other := newFakeJenkins(t, "")
	other.routes["/api/json"] = json.RawMessage(`{"_class":"hudson.model.Hudson","jobs":[]}`)
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()

	f := newFakeJenkins(t, "")
	f.routes["/moved/api/json"] = json.RawMessage(`{"_class":"hudson.model.Hudson","jobs":[]}`)
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.EscapedPath() {
		case "/api/json":
			http.Redirect(w, r, "/moved/api/json", http.StatusFound)
			return true
		case "/job/away/api/json":
			http.Redirect(w, r, otherSrv.URL+"/api/json", http.StatusFound)
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	creds := &Credentials{User: "alice", Token: "s3cret-token"}

	res := walkAll(t, srv.URL+"/", WalkOptions{Credentials: creds})
	assert.Empty(t, res)
	assert.NotEmpty(t, f.auths["/moved/api/json"], "same host: credentials follow the redirect")

	res = walkAll(t, srv.URL+"/job/away/", WalkOptions{Credentials: creds})
	assert.Empty(t, res)
	require.Equal(t, 1, other.hitCount("/api/json"))
	assert.Empty(t, other.auths["/api/json"], "another host never sees the credentials")
}

func TestRESTRetriesThen5xxOr429Succeeds(t *testing.T) {
	quickRetries(t)
	f := newFakeJenkins(t, "multibranch.json")
	var n int
	var mu sync.Mutex
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.EscapedPath() != "/job/tvm/job/main/1/api/json" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		n++
		switch n {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		case 2:
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	res := walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{})
	require.NoError(t, res[0].Err)
	assert.Equal(t, 3, f.hitCount("/job/tvm/job/main/1/api/json"))

	// A controller that is not there: retried, then named.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	res = walkAll(t, deadURL+"/job/x/", WalkOptions{})
	require.Len(t, res, 1)
	require.Error(t, res[0].Err)
	assert.Contains(t, res[0].Err.Error(), "listing "+deadURL+"/job/x/: GET "+deadURL+"/job/x/api/json: ")
	assert.Contains(t, res[0].Err.Error(), "after 4 attempts")

	// 404 is an answer, not retried.
	res = walkAll(t, srv.URL+"/job/tvm/job/main/99/", WalkOptions{})
	require.Error(t, res[0].Err)
	assert.Contains(t, res[0].Err.Error(), "HTTP 404")
	assert.Equal(t, 1, f.hitCount("/job/tvm/job/main/99/api/json"))
}

// TestWalkRESTWFAPI reads a controller without Blue Ocean: steps come from the Pipeline REST
// API, whose recorded real answers (pipeline-stage-view's UI fixtures) are served as they are.
func TestWalkRESTWFAPI(t *testing.T) {
	runs, err := os.ReadFile(logsRealDir(t, "jenkinsci__pipeline-stage-view-plugin/model/runs_stage_grouped/getModelData/04_rest_api_runs_failed.json"))
	require.NoError(t, err)
	stage, err := os.ReadFile(logsRealDir(t, "jenkinsci__pipeline-stage-view-plugin/model/runs_stage_grouped/checkpoint_resumed_stage_description.json"))
	require.NoError(t, err)
	var list []json.RawMessage
	require.NoError(t, json.Unmarshal(runs, &list))
	require.NotEmpty(t, list)

	f := newFakeJenkins(t, "")
	f.routes["/job/cd/api/json"] = json.RawMessage(`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","name":"cd","allBuilds":[{"number":3}]}`)
	f.routes["/job/cd/3/api/json"] = json.RawMessage(`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":3,"result":"FAILURE","building":false,"timestamp":1414318349000,"duration":39528,
	  "actions":[{"_class":"hudson.plugins.git.util.BuildData","lastBuiltRevision":{"SHA1":"f00dfeed","branch":[{"SHA1":"f00dfeed","name":"refs/remotes/origin/master"}]},"remoteUrls":["https://example.com/cd.git"]}]}`)
	f.routes["/job/cd/3/wfapi/describe"] = list[0] // the recorded failed run #3: stages 10 Dev, 13 QA, 27 Staging
	f.routes["/job/cd/3/execution/node/10/wfapi/describe"] = stage
	f.routes["/job/cd/3/execution/node/13/wfapi/describe"] = json.RawMessage(`{"id":"13","name":"QA","status":"SUCCESS","stageFlowNodes":[]}`)
	f.routes["/job/cd/3/execution/node/27/wfapi/describe"] = json.RawMessage(`{"id":"27","name":"Staging","status":"FAILED","stageFlowNodes":[
	  {"id":"28","name":"Shell Script","status":"FAILED","parameterDescription":"./deploy.sh staging","error":{"message":"script returned exit code 1","type":"hudson.AbortException"},"startTimeMillis":1414318388800,"durationMillis":290,"parentNodes":["27"]},
	  {"id":"29","name":"Deploy to staging","status":"SUCCESS","startTimeMillis":1414318388801,"durationMillis":1,"parentNodes":["28"]},
	  {"id":"30","name":"Smoke test","status":"NOT_EXECUTED","parameterDescription":"./smoke.sh","parentNodes":["29"]}]}`)
	f.routes["/job/cd/3/execution/node/28/wfapi/log"] = json.RawMessage(`{"nodeId":"28","nodeStatus":"FAILED","length":40,"hasMore":false,"text":"<span class=\"x\">+ ./deploy.sh staging</span>\nno route &amp; no host\n"}`)
	srv := httptest.NewServer(f)
	defer srv.Close()

	res := walkAll(t, srv.URL+"/job/cd/", WalkOptions{})
	require.Len(t, res, 1)
	require.NoError(t, res[0].Err)
	b := res[0].Build
	assert.Equal(t, "f00dfeed", b.Revision)
	assert.Equal(t, "master", b.Branch)
	assert.Equal(t, "cd", b.Job)
	assert.Equal(t, time.UnixMilli(1414318349569).UTC(), b.Start, "the recorded run's startTimeMillis")
	assert.Equal(t, 1, f.hitCount("/blue/rest/organizations/jenkins/"), "Blue Ocean is probed once")

	// The recorded stage "Deploy" (node 9: input, checkpoint, sh, archive, echo) is served as
	// stage 10 here: its one shell step is found among the others.
	var ids []string
	for _, s := range b.Steps {
		ids = append(ids, s.ID+"@"+s.StagePath()+"="+string(s.Status))
	}
	assert.Equal(t, []string{"12@Dev=SUCCESS", "28@Staging=FAILURE", "30@Staging=NOT_EXECUTED"}, ids)
	assert.Equal(t, "Smoke test", b.Steps[2].Label)
	assert.Equal(t, "./smoke.sh", b.Steps[2].Script)
	last := b.Steps[1]
	assert.Equal(t, ptr(2-1), last.ExitCode)
	assert.Equal(t, "script returned exit code 1", last.Error)
	assert.Equal(t, "./deploy.sh staging", last.Script)
	assert.Nil(t, last.Node, "wfapi does not say where a step ran")

	// A recorded run whose stages carry no id (the UI tests' trimmed job history): each is a
	// problem naming the URL, not a request for node "".
	hist, err := os.ReadFile(logsRealDir(t, "jenkinsci__pipeline-stage-view-plugin/model/runs_stage_grouped/getModelData/01_rest_api_jobHistory.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(hist, &list))
	f.routes["/job/cd/3/wfapi/describe"] = list[0]
	res = walkAll(t, srv.URL+"/job/cd/3/", WalkOptions{})
	require.NoError(t, res[0].Err)
	require.Len(t, res[0].Build.Problems, 3)
	assert.Contains(t, res[0].Build.Problems[0], srv.URL+`/job/cd/3/wfapi/describe: stage "Build" has no id`)
	assert.Zero(t, f.hitCount("/job/cd/3/execution/node//wfapi/describe"))

	logs := NewStepLogs(1)
	text, err := logs.StepLog(b, &last, 0)
	require.NoError(t, err)
	assert.Equal(t, "+ ./deploy.sh staging\nno route & no host\n", string(text))
}

// TestWalkRESTNoStepAPI: neither Blue Ocean nor wfapi: the build is read, its steps are not,
// and the problem says why.
func TestWalkRESTNoStepAPI(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	for k := range f.routes {
		if strings.HasPrefix(k, "/blue/") {
			delete(f.routes, k)
		}
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	res := walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{})
	require.NoError(t, res[0].Err)
	assert.Empty(t, res[0].Build.Steps)
	require.Len(t, res[0].Build.Problems, 1)
	assert.Contains(t, res[0].Build.Problems[0], "neither the Blue Ocean REST API")
	// Without Blue Ocean the PR head is unknown; BuildData's commit is the build's own.
	assert.Equal(t, "c3c3c3c3main", res[0].Build.Revision)
}

// TestWalkRESTPRWithoutBlueOcean: the PR head comes from BuildData's marked commit (the merge
// Jenkins built is PR.Merge); without it the revision is left unknown rather than guessed.
func TestWalkRESTPRWithoutBlueOcean(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	for k := range f.routes {
		if strings.HasPrefix(k, "/blue/") {
			delete(f.routes, k)
		}
	}
	f.routes["/job/tvm/job/PR-10/3/wfapi/describe"] = json.RawMessage(`{"id":"3","name":"#3","status":"FAILED","stages":[]}`)
	marked := true
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.EscapedPath() == "/job/tvm/job/PR-10/3/api/json" && strings.Contains(r.URL.Query().Get("tree"), "buildsByBranchName") {
			if !marked {
				fmt.Fprint(w, `{"actions":[{"_class":"hudson.plugins.git.util.BuildData","buildsByBranchName":{}}]}`)
				return true
			}
			fmt.Fprint(w, `{"actions":[{"_class":"hudson.model.CauseAction"},
			  {"_class":"hudson.plugins.git.util.BuildData","buildsByBranchName":{"master":{"buildNumber":3,"marked":{"SHA1":"11b"},"revision":{"SHA1":"11b"}}}},
			  {"_class":"hudson.plugins.git.util.BuildData","buildsByBranchName":{
			    "PR-10":{"buildNumber":3,"marked":{"SHA1":"a1a1a1a1head"},"revision":{"SHA1":"e0e0e0e0merge"}},
			    "PR-9":{"buildNumber":2,"marked":{"SHA1":"999"},"revision":{"SHA1":"999"}}}}]}`)
			return true
		}
		return false
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	res := walkAll(t, srv.URL+"/job/tvm/job/PR-10/3/", WalkOptions{})
	require.NoError(t, res[0].Err)
	b := res[0].Build
	assert.Equal(t, "a1a1a1a1head", b.Revision)
	assert.Equal(t, &PullRequest{Number: 10, Head: "a1a1a1a1head", Merge: "e0e0e0e0merge", MergeStrategy: true}, b.PR)
	assert.Equal(t, "PR-10", b.Branch)
	assert.Empty(t, b.Problems)

	marked = false
	res = walkAll(t, srv.URL+"/job/tvm/job/PR-10/3/", WalkOptions{})
	require.NoError(t, res[0].Err)
	assert.Equal(t, "", res[0].Build.Revision, "the built commit may be a merge: not the PR head")
	assert.Equal(t, &PullRequest{Number: 10}, res[0].Build.PR)
}

// TestWalkRESTBlueOceanWithoutRun: Blue Ocean installed but not knowing the run: wfapi reads it.
func TestWalkRESTBlueOceanWithoutRun(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	delete(f.routes, "/blue/rest/organizations/jenkins/pipelines/tvm/branches/main/runs/1/")
	f.routes["/job/tvm/job/main/1/wfapi/describe"] = json.RawMessage(`{"id":"1","status":"SUCCESS","stages":[{"id":"5","name":"Build"}]}`)
	f.routes["/job/tvm/job/main/1/execution/node/5/wfapi/describe"] = json.RawMessage(`{"id":"5","name":"Build","stageFlowNodes":[
	  {"id":"7","name":"Shell Script","status":"SUCCESS","parameterDescription":"make","startTimeMillis":1699990001100,"durationMillis":8000}]}`)
	srv := httptest.NewServer(f)
	defer srv.Close()
	res := walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{})
	require.NoError(t, res[0].Err)
	want := []Step{{ID: "7", Kind: "sh", Stage: []string{"Build"}, Script: "make", Status: StatusSuccess,
		Start: time.UnixMilli(1699990001100).UTC(), Duration: 8 * time.Second}}
	assert.Equal(t, want, res[0].Build.Steps)

	// Blue Ocean refusing a user the classic API accepts: wfapi serves the steps.
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/blue/") {
			w.WriteHeader(http.StatusForbidden)
			return true
		}
		return false
	}
	res = walkAll(t, srv.URL+"/job/tvm/job/main/1/", WalkOptions{})
	require.NoError(t, res[0].Err)
	assert.Equal(t, want, res[0].Build.Steps)
}

func TestProjectBuildDataREST(t *testing.T) {
	r, err := decodeRun([]byte(`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[
	  {"_class":"hudson.plugins.git.util.BuildData","lastBuiltRevision":{"SHA1":"lib","branch":[{"name":"refs/remotes/origin/master"}]},"remoteUrls":["https://x/lib.git"]},
	  {"_class":"hudson.plugins.git.util.BuildData","lastBuiltRevision":{"SHA1":"proj","branch":[{"name":"main"}]},"remoteUrls":["https://x/proj.git"]}]}`))
	require.NoError(t, err)
	b := &Build{}
	require.True(t, applyRun(r, b, "main"))
	assert.Equal(t, "proj", b.Revision)
	assert.Equal(t, "https://x/proj.git", b.Remote)
	assert.Equal(t, "main", b.Branch)

	// Two checkouts and no branch to tell them apart: none, as the disk reader.
	b = &Build{}
	applyRun(r, b, "")
	assert.Equal(t, "", b.Revision)
}

func TestBOStagePathsRecorded(t *testing.T) {
	// Top-level parallels (no stage): Blue Ocean's synthetic "Parallel" stages are no stages.
	data, err := os.ReadFile(logsRealDir(t, "jenkinsci__blueocean-plugin/blueocean-dashboard/src/test/json/pipeline-graph-converter/missing-nodes.json"))
	require.NoError(t, err)
	nodes, err := decodeBONodes(data)
	require.NoError(t, err)
	for id, p := range boStagePaths(nodes) {
		if strings.HasSuffix(id, "-synthetic") {
			assert.Empty(t, p, id)
		} else {
			assert.Len(t, p, 1, id)
		}
	}

	data, err = os.ReadFile(logsRealDir(t, "jenkinsci__blueocean-plugin/blueocean-dashboard/src/test/json/pipeline-graph-converter/pipeline-nodes-example.json"))
	require.NoError(t, err)
	nodes, err = decodeBONodes(data)
	require.NoError(t, err)
	paths := boStagePaths(nodes)
	assert.Equal(t, map[string][]string{
		"3": {"Build"}, "9": {"Test"}, "12": {"Test", "Firefox"}, "13": {"Test", "Chrome"}, "27": {"Deploy"},
	}, paths)
}

func TestBOStagePathsSyntheticAndSameName(t *testing.T) {
	nodes := []boNode{
		{ID: "4-parallel-synthetic", DisplayName: "Parallel", Type: "STAGE", Edges: []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}{{ID: "7"}, {ID: "8"}}},
		{ID: "7", DisplayName: "a", Type: "PARALLEL"},
		{ID: "8", DisplayName: "b", Type: "PARALLEL"},
		{ID: "20", DisplayName: "Test", Type: "STAGE", Edges: []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}{{ID: "22"}}},
		{ID: "22", DisplayName: "Test", Type: "PARALLEL"},
	}
	paths := boStagePaths(nodes)
	assert.Equal(t, []string{"a"}, paths["7"], "a top-level parallel has no stage on disk")
	assert.Empty(t, paths["4-parallel-synthetic"])
	assert.Equal(t, []string{"Test"}, paths["22"], "a branch named as its stage appears once")
}

func TestParseRESTSource(t *testing.T) {
	for _, tc := range []struct {
		in, root string
		names    []string
		number   *int
		err      string
	}{
		{in: "https://ci.example.com", root: "https://ci.example.com/"},
		{in: "https://ci.example.com/jenkins/", root: "https://ci.example.com/jenkins/"},
		{in: "http://h:8080/job/tvm/job/feature%252Ffoo/12/", root: "http://h:8080/", names: []string{"tvm", "feature%2Ffoo"}, number: ptr(12)},
		{in: "http://h/ci/view/all/job/a%20b/job/c/", root: "http://h/ci/", names: []string{"a b", "c"}},
		{in: "http://h/job/a/lastBuild/", err: "unexpected \"lastBuild\""},
		{in: "http://h/job/a/3/4/", err: "not a Jenkins"},
		{in: "http://u:p@h/", err: "credentials in the URL"},
		{in: "http:///job/a/", err: "no host"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			src, err := parseRESTSource(tc.in)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.NotContains(t, err.Error(), "u:p@")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.root, src.root.String())
			assert.Equal(t, tc.names, src.names)
			assert.Equal(t, tc.number, src.number)
		})
	}
	src, err := parseRESTSource("http://h:8080/job/tvm/job/feature%252Ffoo/12/")
	require.NoError(t, err)
	assert.Equal(t, "http://h:8080/job/tvm/job/feature%252Ffoo/12/", src.buildURL(src.names, 12))
}

func TestApplyStepError(t *testing.T) {
	for _, tc := range []struct {
		class, msg string
		status     Status
		exit       *int
		err        string
	}{
		{"hudson.AbortException", "script returned exit code 2", StatusFailure, ptr(2), "script returned exit code 2"},
		{"hudson.AbortException", "script returned exit code -1", StatusFailure, ptr(-1), "script returned exit code -1"},
		{"java.io.IOException", "No space left on device", StatusFailure, nil, "java.io.IOException: No space left on device"},
		{"hudson.remoting.ChannelClosedException", "", StatusFailure, nil, "hudson.remoting.ChannelClosedException"},
		{"org.jenkinsci.plugins.workflow.steps.FlowInterruptedException", "", StatusAborted, nil, "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"},
	} {
		st := Step{Status: StatusFailure}
		applyStepError(&st, tc.class, tc.msg)
		assert.Equal(t, tc.status, st.Status, tc.class)
		assert.Equal(t, tc.exit, st.ExitCode, tc.class)
		assert.Equal(t, tc.err, st.Error, tc.class)
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := CredentialsFromEnv(env(map[string]string{"JENKINS_USER": "a", "JENKINS_TOKEN": "t", "NETRC": "/x"}))
	require.NoError(t, err)
	assert.Equal(t, &Credentials{User: "a", Token: "t"}, c)
	_, err = CredentialsFromEnv(env(map[string]string{"JENKINS_TOKEN": "t"}))
	assert.ErrorContains(t, err, "JENKINS_USER")
	assert.NotContains(t, err.Error(), "t\"")
	c, err = CredentialsFromEnv(env(map[string]string{"NETRC": "/etc/n", "HOME": "/home/a"}))
	require.NoError(t, err)
	assert.Equal(t, "/etc/n", c.Netrc)
	c, err = CredentialsFromEnv(env(map[string]string{"HOME": "/home/a"}))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("/home/a", ".netrc"), c.Netrc)
	c, err = CredentialsFromEnv(env(nil))
	require.NoError(t, err)
	assert.Nil(t, c)
	// A missing netrc is no credentials, not an error.
	u, _, ok, err := (&Credentials{Netrc: filepath.Join(t.TempDir(), "none")}).basicAuth("h", "h")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, u)
}

func TestHTTPErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &HTTPError{URL: "http://h/x", Status: 404})
	assert.True(t, isNotFound(err))
	assert.True(t, errors.Is(err, ErrHTTP))
	assert.Equal(t, "GET http://h/x: HTTP 404 Not Found", errors.Unwrap(err).Error())
}

func TestShellKindByName(t *testing.T) {
	for _, tc := range []struct {
		name, desc, kind string
		labelled, ok     bool
	}{
		{"Shell Script", "make", "sh", false, true},
		{"Shell Script", "", "sh", false, true},
		{"Windows Batch Script", "dir", "bat", false, true},
		{"Windows PowerShell Script", "", "powershell", false, true},
		{"PowerShell Core Script", "", "pwsh", false, true},
		{"Run cmake build", "cmake --build .", "sh", true, true},
		{"Print Message", "hello", "", false, false},
		{"Archive JUnit-formatted test results", "*.xml", "", false, false},
		{"Some step without arguments", "", "", false, false},
		{"", "x", "", false, false},
	} {
		kind, labelled, ok := shellKindByName(tc.name, tc.desc)
		assert.Equal(t, tc.kind, kind, tc.name)
		assert.Equal(t, tc.labelled, labelled, tc.name)
		assert.Equal(t, tc.ok, ok, tc.name)
	}
}

func TestPGVAgents(t *testing.T) {
	// The enveloped answer of current versions, and the bare data some older ones sent.
	for _, body := range []string{
		`{"status":"ok","data":{"complete":true,"stages":[{"id":"6","name":"Build","agent":"b1","children":[{"id":"9","name":"inner"}]},{"id":"13","name":"Test","children":[{"id":"17","agent":""}]}]}}`,
		`{"complete":true,"stages":[{"id":"6","name":"Build","agent":"b1","children":[{"id":"9","name":"inner"}]},{"id":"13","name":"Test","children":[{"id":"17","agent":""}]}]}`,
	} {
		got, err := pgvAgents([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"6": "b1", "9": "b1", "17": ""}, got)
	}
	_, err := pgvAgents([]byte("<html>"))
	assert.Error(t, err)
}

func TestBOPipelineURL(t *testing.T) {
	src, err := parseRESTSource("https://ci.example.com/jenkins/")
	require.NoError(t, err)
	w := &restWalker{src: src, classes: map[string]string{
		"org":      "jenkins.branch.OrganizationFolder",
		"org/repo": "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject",
		"folder":   "com.cloudbees.hudson.plugins.folder.Folder",
	}}
	u, err := w.boPipelineURL(context.Background(), []string{"org", "repo", "feature%2Ffoo"})
	require.NoError(t, err)
	assert.Equal(t, "https://ci.example.com/jenkins/blue/rest/organizations/jenkins/pipelines/org/pipelines/repo/branches/feature%252Ffoo/", u)
	u, err = w.boPipelineURL(context.Background(), []string{"folder", "my job"})
	require.NoError(t, err)
	assert.Equal(t, "https://ci.example.com/jenkins/blue/rest/organizations/jenkins/pipelines/folder/pipelines/my%20job/", u)
}

// BenchmarkWalkREST reads the multibranch fixture over loopback: the cost of the client, the
// decoders and the request fan-out per build.
func BenchmarkWalkREST(b *testing.B) {
	f := newFakeJenkins(b, "multibranch.json")
	f.routes["/job/tvm/job/PR-10/api/json"] = json.RawMessage(`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","name":"PR-10","allBuilds":[{"number":3}]}`)
	srv := httptest.NewServer(f)
	defer srv.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		err := Walk(context.Background(), srv.URL+"/job/tvm/job/PR-10/", WalkOptions{Workers: 4}, func(r WalkResult) error {
			if r.Err != nil {
				return r.Err
			}
			n += len(r.Build.Steps)
			return nil
		})
		if err != nil || n == 0 {
			b.Fatalf("walk: %v, %d steps", err, n)
		}
	}
}

// TestBOStagePathsNested follows Blue Ocean's graph for Declarative sequential stages inside
// parallel branches (PipelineNodeGraphVisitor): stage('Test') { parallel { stage('GPU') {
// stages { build; test } } stage('CPU') { … } } } then stage('Deploy').
func TestBOStagePathsNested(t *testing.T) {
	nodes, err := decodeBONodes([]byte(`[
	  {"id":"5","displayName":"Test","type":"STAGE","edges":[{"id":"8"},{"id":"9"}]},
	  {"id":"8","displayName":"GPU","type":"PARALLEL","firstParent":"5","edges":[{"id":"12"}]},
	  {"id":"12","displayName":"build","type":"STAGE","firstParent":"8","edges":[{"id":"20"}]},
	  {"id":"20","displayName":"test","type":"STAGE","firstParent":"12","edges":[{"id":"40"}]},
	  {"id":"9","displayName":"CPU","type":"PARALLEL","firstParent":"5","edges":[{"id":"40"}]},
	  {"id":"40","displayName":"Deploy","type":"STAGE","firstParent":"5","edges":[{"id":"41"}]},
	  {"id":"41","displayName":"Cleanup","type":"STAGE","firstParent":"40","edges":[]},
	  {"id":"50","displayName":"loop","type":"STAGE","firstParent":"51","edges":[{"id":"51"}]},
	  {"id":"51","displayName":"loop2","type":"STAGE","firstParent":"50","edges":[{"id":"50"}]}
	]`))
	require.NoError(t, err)
	paths := boStagePaths(nodes)
	assert.Equal(t, []string{"Test", "GPU", "build"}, paths["12"])
	assert.Equal(t, []string{"Test", "GPU", "test"}, paths["20"])
	assert.Equal(t, []string{"Test", "CPU"}, paths["9"])
	assert.Equal(t, []string{"Deploy"}, paths["40"], "the stage after a parallel is top-level")
	assert.Equal(t, []string{"Cleanup"}, paths["41"])
	assert.Equal(t, []string{"loop"}, paths["50"], "a cyclic graph does not loop")
}

// TestRESTBuildLogTail reads the end of a build's console: the size first, then the tail only.
func TestRESTBuildLogTail(t *testing.T) {
	full := "Started by user bob\n" + strings.Repeat("x", 5000) + "\n\x1b[8mha:AAAA\x1b[0m[Pipeline] End of Pipeline\nERROR: script returned exit code 2\nFinished: FAILURE\n"
	var starts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/job/j/1/logText/progressiveText", r.URL.Path)
		starts = append(starts, r.URL.Query().Get("start"))
		start, err := strconv.ParseInt(r.URL.Query().Get("start"), 10, 64)
		require.NoError(t, err)
		w.Header().Set("X-Text-Size", strconv.Itoa(len(full)))
		if start < int64(len(full)) {
			fmt.Fprint(w, full[start:])
		}
	}))
	defer srv.Close()
	src, err := parseRESTSource(srv.URL + "/")
	require.NoError(t, err)
	c, err := newRESTClient(src.root, WalkOptions{})
	require.NoError(t, err)
	rb := &remoteBuild{c: c, url: srv.URL + "/job/j/1/"}

	// 95 bytes: the last three lines, the first with its console note.
	tail, err := rb.buildLog(context.Background(), 95)
	require.NoError(t, err)
	assert.Equal(t, "[Pipeline] End of Pipeline\nERROR: script returned exit code 2\nFinished: FAILURE\n", string(tail))
	assert.Equal(t, []string{"4611686018427387904", fmt.Sprint(len(full) - 96)}, starts)

	tail, err = rb.buildLog(context.Background(), 70)
	require.NoError(t, err)
	assert.Equal(t, "ERROR: script returned exit code 2\nFinished: FAILURE\n", string(tail), "a cut line is dropped")

	all, err := rb.buildLog(context.Background(), 0)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(all), "Started by user bob\n"))
	assert.NotContains(t, string(all), "ha:AAAA")
}

// TestWalkRESTEndlessFolders: a server answering every folder with another folder (a proxy
// gone wrong) costs a bounded number of requests and an error, not an endless walk.
func TestWalkRESTEndlessFolders(t *testing.T) {
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		fmt.Fprint(w, `{"_class":"com.cloudbees.hudson.plugins.folder.Folder","jobs":[{"name":"f","_class":"com.cloudbees.hudson.plugins.folder.Folder","jobs":[]}]}`)
	}))
	defer srv.Close()
	res := walkAll(t, srv.URL+"/", WalkOptions{})
	require.Len(t, res, 1)
	assert.Contains(t, res[0].Err.Error(), "nested more than 64 deep")
	assert.LessOrEqual(t, n, maxItemDepth+1)
}

func TestRESTStatusMaps(t *testing.T) {
	for _, tc := range []struct {
		result, state string
		want          Status
	}{
		{"SUCCESS", "FINISHED", StatusSuccess},
		{"UNSTABLE", "FINISHED", StatusSuccess},
		{"FAILURE", "FINISHED", StatusFailure},
		{"ABORTED", "FINISHED", StatusAborted},
		{"NOT_BUILT", "FINISHED", StatusNotExecuted},
		{"UNKNOWN", "SKIPPED", StatusNotExecuted},
		{"UNKNOWN", "NOT_BUILT", StatusNotExecuted},
		{"UNKNOWN", "RUNNING", StatusUnknown},
		{"SUCCESS", "PAUSED", StatusUnknown},
		{"", "QUEUED", StatusUnknown},
		{"UNKNOWN", "FINISHED", StatusUnknown},
		{"", "", StatusUnknown},
	} {
		assert.Equal(t, tc.want, boStepStatus(tc.result, tc.state), "%s/%s", tc.result, tc.state)
	}
	for in, want := range map[string]Status{
		"SUCCESS": StatusSuccess, "UNSTABLE": StatusSuccess, "FAILED": StatusFailure, "ABORTED": StatusAborted,
		"NOT_EXECUTED": StatusNotExecuted, "IN_PROGRESS": StatusUnknown, "PAUSED_PENDING_INPUT": StatusUnknown, "": StatusUnknown,
	} {
		assert.Equal(t, want, wfStepStatus(in), in)
	}
}

// TestWFAPIRecordedRuns decodes every recorded wfapi run list of pipeline-stage-view's UI tests
// (failed, unstable, in-progress, paused, checkpointed runs) as the run descriptions they are.
func TestWFAPIRecordedRuns(t *testing.T) {
	dir := logsRealDir(t, "jenkinsci__pipeline-stage-view-plugin/model/runs_stage_grouped/getModelData")
	files, err := filepath.Glob(filepath.Join(dir, "*_rest_api_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	runs, stages, noID := 0, 0, 0
	statuses := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var list []json.RawMessage
		require.NoError(t, json.Unmarshal(data, &list), f)
		for _, raw := range list {
			run, err := decodeWFNode(raw)
			require.NoError(t, err, f)
			runs++
			assert.Positive(t, run.StartTimeMillis, f)
			statuses[run.Status] = true
			for _, s := range run.Stages {
				stages++
				if s.ID == "" {
					noID++ // the UI tests' hand-trimmed job histories drop the ids
				}
				assert.NotEmpty(t, s.Name, f)
				// Every stage status maps to a step status the contract knows.
				assert.Contains(t, []Status{StatusSuccess, StatusFailure, StatusAborted, StatusNotExecuted, StatusUnknown}, wfStepStatus(s.Status))
			}
		}
	}
	t.Logf("%d files, %d runs, %d stages (%d without id), run statuses %v", len(files), runs, stages, noID, statuses)
	assert.Less(t, noID, stages)
	assert.True(t, statuses["FAILED"] && statuses["IN_PROGRESS"], "the corpus has failed and running runs")
}

// TestBORecordedNodes decodes every recorded Blue Ocean /nodes/ answer of the dashboard's tests
// and gives each node a path.
func TestBORecordedNodes(t *testing.T) {
	dir := logsRealDir(t, "jenkinsci__blueocean-plugin/blueocean-dashboard/src/test/json/pipeline-graph-converter")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		nodes, err := decodeBONodes(data)
		require.NoError(t, err, f)
		paths := boStagePaths(nodes)
		for _, n := range nodes {
			total++
			p, ok := paths[n.ID]
			require.True(t, ok, "%s: node %s", f, n.ID)
			if !strings.HasSuffix(n.ID, "-synthetic") {
				assert.Equal(t, n.DisplayName, p[len(p)-1], "%s: node %s ends its own path", f, n.ID)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "ends-with-parallel.json"))
	require.NoError(t, err)
	nodes, err := decodeBONodes(data)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"3": {"Build"}, "9": {"Test"}, "12": {"Test", "Firefox"}, "13": {"Test", "Chrome"}},
		boStagePaths(nodes))
	t.Logf("%d files, %d nodes", len(files), total)
}

// When the callback stops a walk, the reads already under way are cancelled too: Walk must not
// wait for a slow controller to answer requests nobody will read.
func TestWalkStopCancelsReadsInFlight(t *testing.T) {
	f := newFakeJenkins(t, "multibranch.json")
	buildPath := regexp.MustCompile(`^/job/tvm/job/[^/]+/\d+/`)
	started := make(chan struct{}, 16)
	var cancelled, handlers atomic.Int32
	var wg sync.WaitGroup
	f.special = func(w http.ResponseWriter, r *http.Request) bool {
		if !buildPath.MatchString(r.URL.EscapedPath()) {
			return false
		}
		wg.Add(1)
		defer wg.Done()
		handlers.Add(1)
		started <- struct{}{}
		select {
		case <-r.Context().Done():
			cancelled.Add(1)
		case <-time.After(5 * time.Second):
			http.Error(w, "too late", http.StatusNotFound)
		}
		return true
	}
	srv := httptest.NewServer(f)
	defer srv.Close()

	stop := errors.New("enough")
	err := Walk(context.Background(), srv.URL+"/", WalkOptions{Workers: 2}, func(WalkResult) error {
		select {
		case <-started: // a build's read is under way
		case <-time.After(10 * time.Second):
		}
		return stop
	})
	require.ErrorIs(t, err, stop)
	wg.Wait()
	require.Positive(t, handlers.Load())
	assert.Equal(t, handlers.Load(), cancelled.Load(), "every request under way when the walk stopped is cancelled")
}
