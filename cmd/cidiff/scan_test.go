package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type scanOut struct {
	SchemaVersion   int    `json:"schema_version"`
	Instance        string `json:"instance"`
	BuildsSeen      int    `json:"builds_seen"`
	BuildsNew       int    `json:"builds_new"`
	BuildsUpdated   int    `json:"builds_updated"`
	BuildsUnchanged int    `json:"builds_unchanged"`
	Errors          []struct {
		Dir   string `json:"dir"`
		Error string `json:"error"`
	} `json:"errors"`
}

func scanJSONOut(t *testing.T, args ...string) (scanOut, cliResult) {
	t.Helper()
	r := runCLI(t, nil, append([]string{"scan", "--format", "json"}, args...)...)
	var out scanOut
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return out, r
}

// TestScanRealHomeTwice records a real multibranch home, then scans again: nothing new,
// nothing changed, every build reported unchanged (CONTRACT.md, `cidiff scan`).
func TestScanRealHomeTwice(t *testing.T) {
	root := filepath.Join(sharedDir(t, "jenkins-real"), "jenkinsci__git-plugin/GitBranchSCMHeadTest/testMigrationNoBuildStorm.zip.d")
	db := filepath.Join(t.TempDir(), "history.db")

	first, r := scanJSONOut(t, root, "--instance", "real", "--db", db)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 1, first.SchemaVersion)
	assert.Equal(t, "real", first.Instance)
	assert.Equal(t, 2, first.BuildsSeen, "job/dev #1 and job/master #1; the permalink symlinks are not builds")
	assert.Equal(t, 2, first.BuildsNew)
	assert.NotNil(t, first.Errors)

	second, r := scanJSONOut(t, root, "--instance", "real", "--db", db)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, second.BuildsSeen)
	assert.Equal(t, 0, second.BuildsNew)
	assert.Equal(t, 0, second.BuildsUpdated)
	assert.Equal(t, 2, second.BuildsUnchanged)
	assert.Empty(t, second.Errors)
}

// TestScanRefusesTwoHomesInOneInstance: the real corpus is many small homes whose jobs share
// names ("p #1" four times); recording them under one instance would overwrite builds.
func TestScanRefusesTwoHomesInOneInstance(t *testing.T) {
	root := sharedDir(t, "jenkins-real")
	out, r := scanJSONOut(t, root, "--instance", "real", "--db", filepath.Join(t.TempDir(), "h.db"))
	assert.Equal(t, exitPartial, r.code)
	assert.Equal(t, 7, out.BuildsSeen, "one build per distinct job and number")
	dups := 0
	for _, e := range out.Errors {
		if strings.Contains(e.Error, "scan one controller's home per instance") {
			dups++
		}
	}
	assert.Equal(t, 8, dups, "15 Pipeline builds, 7 distinct keys; freestyle duplicates are refused too")
}

func TestScanUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no source":   {"scan", "--instance", "p", "--db", filepath.Join(dir, "h.db")},
		"no instance": {"scan", dir, "--db", filepath.Join(dir, "h.db")},
		"no db":       {"scan", dir, "--instance", "p"},
		"bad source":  {"scan", filepath.Join(dir, "nope"), "--instance", "p", "--db", filepath.Join(dir, "h.db")},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
		})
	}
}

// TestScanFixturesThenTriage is a committer's path through the history: record the bundled
// prod home, then ask which steps flip and how each docker image fared per day.
func TestScanFixturesThenTriage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	out, r := scanJSONOut(t, filepath.Join("..", "..", "fixtures", "homes", "prod"), "--instance", "prod", "--db", db)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 13, out.BuildsNew)

	r = runCLI(t, nil, "flaky", "--db", db, "--format", "json", "--job", "tvm/*")
	require.Equal(t, exitOK, r.code, r.stderr)
	var flaky struct {
		Items []struct {
			Job, Stage, Label string
			Runs, Flips       int
			RevisionsMixed    int `json:"revisions_mixed"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &flaky))
	require.NotEmpty(t, flaky.Items)
	// PR-105 was built twice for one revision on prod: failed, then passed on replay.
	assert.Equal(t, "tvm/PR-105", flaky.Items[0].Job)
	assert.Equal(t, "Run Python unit tests", flaky.Items[0].Label)
	assert.Equal(t, 1, flaky.Items[0].RevisionsMixed)

	r = runCLI(t, nil, "matrix", "--db", db, "--format", "json", "--by", "image", "--days", "7", "--until", "2022-02-03")
	require.Equal(t, exitOK, r.code, r.stderr)
	var mx struct {
		Rows []struct {
			Key   string `json:"key"`
			Cells []struct {
				Day            string
				Passed, Failed int
			} `json:"cells"`
		} `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &mx))
	images := map[string][2]int{}
	for _, row := range mx.Rows {
		for _, c := range row.Cells {
			v := images[row.Key]
			images[row.Key] = [2]int{v[0] + c.Passed, v[1] + c.Failed}
		}
	}
	assert.Equal(t, map[string][2]int{
		"tlcpack/ci-cpu:v0.80":  {74, 2},
		"tlcpack/ci-gpu:v0.81":  {60, 0},
		"tlcpack/ci-lint:v0.67": {10, 0},
	}, images)
}
