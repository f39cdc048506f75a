package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stepsDoc struct {
	SchemaVersion int `json:"schema_version"`
	Builds        []struct {
		Dir      string  `json:"dir"`
		Job      string  `json:"job"`
		Number   *int    `json:"number"`
		Result   *string `json:"result"`
		Revision *string `json:"revision"`
		Error    string  `json:"error"`
		Steps    []struct {
			ID       string  `json:"id"`
			Stage    string  `json:"stage"`
			Label    string  `json:"label"`
			Status   string  `json:"status"`
			ExitCode *int    `json:"exit_code"`
			Node     *string `json:"node"`
			Error    string  `json:"error"`
		} `json:"steps"`
	} `json:"builds"`
}

func TestStepsUsageErrors(t *testing.T) {
	r := runCLI(t, nil, "steps")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no SOURCE")

	r = runCLI(t, nil, "steps", "does/not/exist")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "does/not/exist")

	r = runCLI(t, nil, "steps", "--format", "yaml", ".")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `--format "yaml"`)
}

// TestStepsRealBuilds runs `cidiff steps` over every real build directory in
// ../shared/jenkins-real and checks what a user relies on: every Pipeline build is listed,
// with the outcome of its shell steps.
func TestStepsRealBuilds(t *testing.T) {
	root := sharedDir(t, "jenkins-real")
	r := runCLI(t, nil, "steps", "--format", "json", root)
	require.Contains(t, []int{exitOK, exitPartial}, r.code, "stderr: %s", r.stderr)

	var doc stepsDoc
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	assert.Equal(t, 1, doc.SchemaVersion)

	byDir := map[string]int{}
	for i, b := range doc.Builds {
		byDir[strings.TrimPrefix(b.Dir, root+"/")] = i
		assert.NotContains(t, b.Dir, "lastStable", "permalink copies are not builds")
		assert.NotContains(t, b.Dir, "lastSuccessful", "permalink copies are not builds")
	}
	// SOURCES.md lists 19 flow-build directories; 4 are permalink copies (lastStable*, lastSuccessful*) of one build.
	assert.Len(t, doc.Builds, 15, "pipeline builds found")

	cfg := doc.Builds[byDir["jenkinsci__workflow-support-plugin/visualization/table/FlowGraphTableTest/corruptedFlowGraph.zip.d/jobs/test0/builds/1"]]
	assert.Equal(t, "test0", cfg.Job)
	require.Len(t, cfg.Steps, 68)
	status := map[string]string{}
	for _, s := range cfg.Steps {
		status[s.ID] = s.Status
	}
	for _, id := range []string{"298", "331", "346"} {
		assert.Equal(t, "ABORTED", status[id], "node %s was interrupted by a user", id)
	}
	assert.Equal(t, "FAILURE", status["432"], "node 432 failed with an IOException")

	ser := doc.Builds[byDir["jenkinsci__workflow-cps-plugin/SerialFormTest/persistence/jobs/p/builds/1"]]
	assert.Nil(t, ser.Result, "a running build has no result")
	require.Len(t, ser.Steps, 1)
	assert.Equal(t, "UNKNOWN", ser.Steps[0].Status, "a running sh step has no recorded end")
	require.NotNil(t, ser.Steps[0].Node)
	assert.Equal(t, "remote", *ser.Steps[0].Node)
}
