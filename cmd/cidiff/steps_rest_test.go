package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeController serves one failed Pipeline build over the classic API, Blue Ocean and wfapi,
// to alice with her token only.
func fakeController(t *testing.T) *httptest.Server {
	routes := map[string]string{
		"/job/tvm/api/json":                                                    `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowJob","name":"tvm","allBuilds":[{"number":4}]}`,
		"/job/tvm/4/api/json":                                                  `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":4,"result":"FAILURE","building":false,"timestamp":1700000000000,"duration":1000,"actions":[{"_class":"hudson.plugins.git.util.BuildData","lastBuiltRevision":{"SHA1":"0a1b2c","branch":[{"name":"refs/remotes/origin/main"}]}}]}`,
		"/blue/rest/organizations/jenkins/":                                    `{"name":"jenkins"}`,
		"/blue/rest/organizations/jenkins/pipelines/tvm/runs/4/":               `{"id":"4","result":"FAILURE","state":"FINISHED","startTime":"2023-11-14T22:13:20.500+0000"}`,
		"/blue/rest/organizations/jenkins/pipelines/tvm/runs/4/nodes/":         `[{"id":"6","displayName":"Build","type":"STAGE","result":"FAILURE","state":"FINISHED","edges":[]}]`,
		"/blue/rest/organizations/jenkins/pipelines/tvm/runs/4/steps/":         `[{"id":"8","displayName":"Run cmake build","displayDescription":"cmake --build build","type":"STEP","result":"FAILURE","state":"FINISHED","startTime":"2023-11-14T22:13:21.000+0000","durationInMillis":900}]`,
		"/blue/rest/organizations/jenkins/pipelines/tvm/runs/4/nodes/6/steps/": `[{"id":"8"}]`,
		"/job/tvm/4/execution/node/8/wfapi/describe":                           `{"id":"8","status":"FAILED","error":{"message":"script returned exit code 2","type":"hudson.AbortException"}}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "tok-123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, ok := routes[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStepsURLSource(t *testing.T) {
	srv := fakeController(t)
	env := map[string]string{"JENKINS_USER": "alice", "JENKINS_TOKEN": "tok-123"}
	r := runCLI(t, env, "steps", "--format", "json", srv.URL+"/job/tvm/")
	require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
	var doc stepsDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	require.Len(t, doc.Builds, 1)
	b := doc.Builds[0]
	assert.Equal(t, srv.URL+"/job/tvm/4/", b.Dir)
	assert.Equal(t, "tvm", b.Job)
	assert.Equal(t, "0a1b2c", *b.Revision)
	require.Len(t, b.Steps, 1)
	s := b.Steps[0]
	assert.Equal(t, "Build", s.Stage)
	assert.Equal(t, "Run cmake build", s.Label)
	assert.Equal(t, "FAILURE", s.Status)
	assert.Equal(t, 2, *s.ExitCode)
	assert.Equal(t, "script returned exit code 2", s.Error)
	assert.Nil(t, s.Node, "no pipeline-graph-view: agent unknown")

	// No credentials: the controller refuses; the message says what to set and the run is partial.
	r = runCLI(t, nil, "steps", "--format", "json", srv.URL+"/job/tvm/")
	assert.Equal(t, exitPartial, r.code)
	assert.Contains(t, r.stderr, "JENKINS_USER and JENKINS_TOKEN")

	// Half a login is a usage error, not a silent anonymous walk.
	r = runCLI(t, map[string]string{"JENKINS_USER": "alice"}, "steps", srv.URL+"/job/tvm/")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "JENKINS_TOKEN")
	assert.NotContains(t, r.stderr, "tok-123")

	// A URL that names no controller, job or build is unusable input.
	r = runCLI(t, env, "steps", srv.URL+"/job/tvm/lastBuild/")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "lastBuild")
}
