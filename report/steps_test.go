package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/jenkins"
)

func TestStepsJSONStreamsBuildsAndRedacts(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewStepsWriter(&buf, "json")
	require.NoError(t, err)
	n, code, node := 3, 128, "gpu-agent-3"
	require.NoError(t, w.Add("jobs/tvm/branches/PR-10/builds/3", &jenkins.Build{
		Dir: "jobs/tvm/branches/PR-10/builds/3", Job: "tvm/PR-10", Number: &n, Result: jenkins.ResultFailure, Completed: true,
		Steps: []jenkins.Step{{ID: "27", Kind: "sh", Stage: []string{"Build", "BUILD: GPU"}, Label: "Fetch",
			Status: jenkins.StatusFailure, ExitCode: &code, Node: &node,
			Error: "hudson.AbortException: fatal: unable to access 'https://bot:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/apache/tvm/'"}},
	}, nil))
	require.NoError(t, w.Add("jobs/tvm/branches/PR-10/builds/4", nil, errors.New("jobs/tvm/branches/PR-10/builds/4/build.xml: unexpected EOF")))
	require.NoError(t, w.End())

	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Builds        []struct {
			Job, Error string
			Result     *string
			Revision   *string
			Steps      []struct {
				ID, Stage, Label, Status, Error string
				ExitCode                        *int    `json:"exit_code"`
				Node                            *string `json:"node"`
			}
		}
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc), buf.String())
	require.Len(t, doc.Builds, 2)
	s := doc.Builds[0].Steps[0]
	assert.Equal(t, "Build/BUILD: GPU", s.Stage)
	assert.Equal(t, 128, *s.ExitCode)
	assert.NotContains(t, s.Error, "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "a credential in an error never reaches the output")
	assert.Nil(t, doc.Builds[0].Revision, "revision is null when none was recorded")
	assert.Equal(t, "jobs/tvm/branches/PR-10/builds/4/build.xml: unexpected EOF", doc.Builds[1].Error)
	assert.Nil(t, doc.Builds[1].Steps, "an unreadable build has no steps")
}

// TestStepsJSONBuildWithoutShellSteps: a build that was read but ran no shell step has
// "steps": [] (CONTRACT.md: only a build that cannot be read comes without steps).
func TestStepsJSONBuildWithoutShellSteps(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewStepsWriter(&buf, "json")
	require.NoError(t, err)
	n := 1
	require.NoError(t, w.Add("jobs/x/builds/1", &jenkins.Build{Dir: "jobs/x/builds/1", Job: "x", Number: &n,
		Result: jenkins.ResultSuccess, Completed: true}, nil))
	require.NoError(t, w.Add("jobs/x/builds/2", nil, errors.New("jobs/x/builds/2/build.xml: unexpected EOF")))
	require.NoError(t, w.End())
	var doc struct {
		Builds []map[string]json.RawMessage `json:"builds"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc), buf.String())
	require.Len(t, doc.Builds, 2)
	assert.Equal(t, "[]", string(doc.Builds[0]["steps"]), buf.String())
	_, hasSteps := doc.Builds[1]["steps"]
	assert.False(t, hasSteps, "an unreadable build has no steps")
	assert.Contains(t, string(doc.Builds[1]["error"]), "unexpected EOF")
}
