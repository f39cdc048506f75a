package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/fixtures/fakejenkins"
)

var restLogin = map[string]string{"JENKINS_USER": "alice", "JENKINS_TOKEN": "tok-123"}

func fakeTVM(t *testing.T) *fakejenkins.Controller {
	c := fakejenkins.New(t, "tvm")
	c.User, c.Token = "alice", "tok-123"
	return c
}

func passed(n int, commit string) fakejenkins.Build {
	return fakejenkins.Build{Number: n, Result: "SUCCESS", Commit: commit, Start: time.Date(2026, 11, 20, 10, n, 0, 0, time.UTC),
		Steps: []fakejenkins.Step{
			{ID: "8", Stage: "Build", Label: "Run cmake build", Script: "cmake --build build", Result: "SUCCESS"},
			{ID: "12", Stage: "Test", Label: "unit tests", Script: "pytest tests/python", Result: "SUCCESS"},
		}}
}

// diskFull is a build whose unit tests fail because the agent's disk is full: the step's own
// log says so, and the history must explain the failure with it.
func diskFull(n int, commit string) fakejenkins.Build {
	b := passed(n, commit)
	b.Result = "FAILURE"
	b.Steps[1].Result, b.Steps[1].ExitCode = "FAILURE", 1
	b.Steps[1].Log = "+ pytest tests/python\nOSError: [Errno 28] No space left on device: '/tmp/x'\n"
	return b
}

func scanURL(t *testing.T, c *fakejenkins.Controller, db string, env map[string]string) (scanOut, cliResult) {
	t.Helper()
	r := runCLI(t, env, "scan", "--format", "json", c.URL+"/", "--instance", "prod", "--db", db)
	var out scanOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return out, r
}

// listingOnly asserts that a scan asked the controller for the job tree and nothing else.
func listingOnly(t *testing.T, c *fakejenkins.Controller) {
	t.Helper()
	assert.Equal(t, map[string]int{"/api/json": 1, "/job/tvm/api/json": 1}, c.Hits())
}

// TestScanURLIncremental is the weekly triage path against a live controller: the first scan
// records every build; later scans fetch the job tree and only the builds that are new or still
// running, never a build already recorded as completed.
func TestScanURLIncremental(t *testing.T) {
	c := fakeTVM(t)
	c.Put("main", passed(1, "c1"))
	c.Put("main", diskFull(2, "c2"))
	c.Put("PR-10", passed(1, "p1"))
	db := filepath.Join(t.TempDir(), "history.db")

	out, r := scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, scanOut{SchemaVersion: 1, Instance: "prod", BuildsSeen: 3, BuildsNew: 3, Errors: out.Errors}, out)
	assert.Empty(t, out.Errors)
	// Each build read once (the pipeline-graph-view probes, answered 404, vary with which
	// reader asks first: counted by build, not by request).
	assert.ElementsMatch(t, []string{"main#1", "main#2", "PR-10#1"}, keys(c.BuildHits()))
	hits := c.Hits()
	for _, p := range []string{"/job/tvm/job/main/1/api/json", "/job/tvm/job/main/2/api/json", "/job/tvm/job/PR-10/1/api/json",
		"/blue/rest/organizations/jenkins/pipelines/tvm/branches/main/runs/2/steps/12/log/"} {
		assert.Equal(t, 1, hits[p], p)
	}

	// The failed step was explained from its remote log, and links point at the controller.
	h := runCLI(t, nil, "history", "--db", db, "--stage", "Test", "--label", "unit tests", "--format", "json")
	require.Equal(t, exitOK, h.code, h.stderr)
	var hist struct {
		Runs []struct {
			Job, Status, Class, Cause, Link, Revision string
			Number                                    int
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(h.stdout), &hist), h.stdout)
	require.Len(t, hist.Runs, 3)
	var failed int
	for _, run := range hist.Runs {
		if run.Status != "FAILURE" {
			continue
		}
		failed++
		assert.Equal(t, "tvm/main", run.Job)
		assert.Equal(t, 2, run.Number)
		assert.Equal(t, "c2", run.Revision)
		assert.Equal(t, "executor", run.Class)
		assert.Equal(t, "disk_full", run.Cause)
		assert.Equal(t, c.URL+"/job/tvm/job/main/2/execution/node/12/log", run.Link)
	}
	assert.Equal(t, 1, failed)

	// Nothing new: every build unchanged, and not one build-level request.
	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 3, out.BuildsSeen)
	assert.Equal(t, 3, out.BuildsUnchanged)
	assert.Zero(t, out.BuildsNew+out.BuildsUpdated)
	listingOnly(t, c)

	// A new build: only it is fetched.
	c.Put("main", passed(3, "c3"))
	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 4, out.BuildsSeen)
	assert.Equal(t, 1, out.BuildsNew)
	assert.Equal(t, 3, out.BuildsUnchanged)
	assert.Equal(t, []string{"main#3"}, keys(c.BuildHits()))

	// A running build is read on every scan until it completes, then never again.
	running := passed(2, "p2")
	running.Result = ""
	running.Steps[1].Result = ""
	c.Put("PR-10", running)
	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, out.BuildsNew)
	assert.Equal(t, []string{"PR-10#2"}, keys(c.BuildHits()))

	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 5, out.BuildsUnchanged, "still running, nothing moved")
	assert.Equal(t, []string{"PR-10#2"}, keys(c.BuildHits()), "a running build is read again")

	c.Put("PR-10", diskFull(2, "p2"))
	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, out.BuildsUpdated)
	assert.Equal(t, 4, out.BuildsUnchanged)
	assert.Equal(t, []string{"PR-10#2"}, keys(c.BuildHits()))

	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 5, out.BuildsUnchanged)
	listingOnly(t, c)

	h = runCLI(t, nil, "history", "--db", db, "--stage", "Test", "--label", "unit tests", "--format", "json", "--job", "tvm/PR-10")
	require.Equal(t, exitOK, h.code, h.stderr)
	require.NoError(t, json.Unmarshal([]byte(h.stdout), &hist), h.stdout)
	require.Len(t, hist.Runs, 2)
	assert.Equal(t, "FAILURE", hist.Runs[0].Status, "the completed build's step, not its running state")
	assert.Equal(t, "disk_full", hist.Runs[0].Cause)
}

// TestScanURLBuildError: a build the controller fails to serve is that build's error (exit 3,
// named by its URL); the others are recorded, and the next scan records it.
func TestScanURLBuildError(t *testing.T) {
	c := fakeTVM(t)
	c.Put("main", passed(1, "c1"))
	c.Put("main", passed(2, "c2"))
	c.Fail("main", 2, http.StatusInternalServerError)
	db := filepath.Join(t.TempDir(), "history.db")

	out, r := scanURL(t, c, db, restLogin)
	assert.Equal(t, exitPartial, r.code, r.stderr)
	assert.Equal(t, 2, out.BuildsSeen)
	assert.Equal(t, 1, out.BuildsNew)
	require.Len(t, out.Errors, 1)
	assert.Equal(t, c.BuildURL("main", 2), out.Errors[0].Dir)
	assert.Contains(t, out.Errors[0].Error, "HTTP 500")
	assert.Contains(t, r.stderr, "read again by the next scan")

	c.Fail("main", 2, 0)
	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, out.BuildsNew)
	assert.Equal(t, 1, out.BuildsUnchanged)
	assert.Empty(t, out.Errors)
	assert.Equal(t, []string{"main#2"}, keys(c.BuildHits()))
}

// TestScanURLCredentials: the login comes from JENKINS_USER/JENKINS_TOKEN; without it the
// controller refuses the listing and the scan says what to set; half a login is a usage error.
func TestScanURLCredentials(t *testing.T) {
	c := fakeTVM(t)
	c.Put("main", passed(1, "c1"))
	db := filepath.Join(t.TempDir(), "history.db")

	out, r := scanURL(t, c, db, nil)
	assert.Equal(t, exitPartial, r.code)
	require.Len(t, out.Errors, 1)
	assert.Contains(t, out.Errors[0].Error, "HTTP 401")
	assert.Contains(t, out.Errors[0].Error, "JENKINS_USER and JENKINS_TOKEN")
	assert.Zero(t, out.BuildsSeen)

	r = runCLI(t, map[string]string{"JENKINS_USER": "alice"}, "scan", c.URL+"/", "--instance", "prod", "--db", db)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "JENKINS_TOKEN")

	r = runCLI(t, nil, "scan", strings.Replace(c.URL, "http://", "http://alice:tok-123@", 1)+"/", "--instance", "prod", "--db", db)
	assert.Equal(t, exitUsage, r.code)
	assert.NotContains(t, r.stderr, "tok-123")

	r = runCLI(t, restLogin, "scan", c.URL+"/job/tvm/lastBuild/", "--instance", "prod", "--db", db)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "lastBuild")

	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, out.BuildsNew)
}

// TestScanURLBelowRootLinks: scanning one branch job records it under its full name, with links
// made from the controller's root unless --url says otherwise.
func TestScanURLBelowRootLinks(t *testing.T) {
	c := fakeTVM(t)
	c.Put("main", diskFull(1, "c1"))
	c.Put("PR-10", passed(1, "p1"))
	db := filepath.Join(t.TempDir(), "history.db")
	// The multibranch project: its branches, named from the root.
	r := runCLI(t, restLogin, "scan", "--format", "json", c.URL+"/job/tvm/", "--instance", "prod", "--db", db)
	require.Equal(t, exitOK, r.code, r.stderr)
	var out scanOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, 2, out.BuildsNew)

	r = runCLI(t, restLogin, "scan", "--format", "json", c.URL+"/job/tvm/", "--instance", "prod", "--db", db, "--url", "https://ci.example.org/")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Equal(t, 2, out.BuildsUpdated, "another --url rewrites the links")

	h := runCLI(t, nil, "history", "--db", db, "--stage", "Test", "--label", "unit tests", "--format", "json", "--job", "tvm/main")
	require.Equal(t, exitOK, h.code, h.stderr)
	var hist struct {
		Runs []struct{ Link string } `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(h.stdout), &hist))
	require.Len(t, hist.Runs, 1)
	assert.Equal(t, "https://ci.example.org/job/tvm/job/main/1/execution/node/12/log", hist.Runs[0].Link)
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestScanURLInterrupted: Ctrl-C while builds are being fetched ends the scan with exit 3 and a
// database holding only whole builds; the next scan fetches only the rest.
func TestScanURLInterrupted(t *testing.T) {
	c := fakeTVM(t)
	for n := 1; n <= 10; n++ {
		c.Put("main", passed(n, fmt.Sprint("c", n)))
	}
	db := filepath.Join(t.TempDir(), "history.db")
	var once sync.Once
	c.OnBuildRequest(func(r *http.Request, _ string, number int) {
		if number != 6 {
			return
		}
		once.Do(func() {
			// SIGINT reaches the scan's signal context (this process has no other handler while it
			// runs); the request is held until the scan drops it, so that the scan cannot finish,
			// and stop listening, before the signal has been seen.
			require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
	})
	out, r := scanURL(t, c, db, restLogin)
	require.Equal(t, exitPartial, r.code, r.stderr)
	assert.Contains(t, r.stderr, "interrupted")
	assert.Contains(t, r.stderr, "run the scan again")
	assert.Less(t, out.BuildsNew, 10, "build 6 was cut")
	assert.Empty(t, out.Errors, "a fetch cut by Ctrl-C is no build's error")
	recorded := out.BuildsNew

	c.OnBuildRequest(nil)
	c.Reset()
	out, r = scanURL(t, c, db, restLogin)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 10-recorded, out.BuildsNew)
	assert.Equal(t, recorded, out.BuildsUnchanged)
	assert.Len(t, c.BuildHits(), 10-recorded, "the builds recorded before the interrupt are not fetched again")

	h := runCLI(t, nil, "history", "--db", db, "--stage", "Build", "--label", "Run cmake build", "--format", "json")
	require.Equal(t, exitOK, h.code, h.stderr)
	var hist struct {
		Runs []json.RawMessage `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(h.stdout), &hist))
	assert.Len(t, hist.Runs, 10, "every build whole, each step once")
}
