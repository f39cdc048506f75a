package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cidiff/cidiff/fixtures/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", "golden", name), got)
}

// TestGoldenStepsLayouts lists the same build written in every storage layout Jenkins has used
// (bulk in workflow-completed, bulk in workflow, one file per node, the 2017 format) and a
// build that failed before its first step. Every layout must give the same steps.
func TestGoldenStepsLayouts(t *testing.T) {
	r := runCLI(t, nil, "steps", "--format", "json", filepath.Join("..", "..", "fixtures", "homes", "layouts"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assertGolden(t, "steps-layouts.json", []byte(r.stdout))

	// Compare what a user relies on (stage, label, outcome, agent); times and the interleaving
	// of parallel branches (and so node ids) differ between the generated builds.
	var doc struct {
		Builds []struct {
			Job   string
			Steps []struct {
				Stage, Label, Status, Error string
				ExitCode                    *int    `json:"exit_code"`
				Node                        *string `json:"node"`
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	steps := map[string][]string{}
	for _, b := range doc.Builds {
		var rows []string
		for _, s := range b.Steps {
			exit, node := "-", "?"
			if s.ExitCode != nil {
				exit = fmt.Sprint(*s.ExitCode)
			}
			if s.Node != nil {
				node = *s.Node
			}
			rows = append(rows, strings.Join([]string{s.Stage, s.Label, s.Status, exit, node, s.Error}, " | "))
		}
		steps[b.Job] = rows
	}
	require.Len(t, steps, 5)
	assert.Empty(t, steps["compile-failure"], "a build that failed before its first step has no steps")
	require.Len(t, steps["bulk-completed"], 8)
	for _, layout := range []string{"bulk-perf-optimized", "per-node", "old-2017"} {
		assert.ElementsMatch(t, steps["bulk-completed"], steps[layout], "%s gives other steps than bulk-completed", layout)
	}
}
