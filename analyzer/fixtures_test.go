package analyzer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer"
)

// expectedFixtures is fixtures/homes/expected.json, written by the generator from what it
// planted (fixtures/gen): the comparison a person would make by hand.
type expectedFixtures struct {
	Pairs []struct {
		Job         string `json:"job"`
		Revision    string `json:"revision"`
		Prod        int    `json:"prod"`
		Staging     int    `json:"staging"`
		Differences []struct {
			Stage         string `json:"stage"`
			Label         string `json:"label"`
			Ordinal       int    `json:"ordinal"`
			ProdStatus    string `json:"prod_status"`
			StagingStatus string `json:"staging_status"`
			Class         string `json:"class"`
			Cause         string `json:"cause"`
			ConsequenceOf *struct {
				Stage, Label string
			} `json:"consequence_of"`
		} `json:"differences"`
	} `json:"pairs"`
	Unpaired [][]string `json:"unpaired"`
	Errors   [][]string `json:"errors"`
}

// TestBundledFixturesMatchWhatWasPlanted runs the whole comparison (reader, pairing, diff,
// root cause, knowledge base, environment and flakiness evidence) on the bundled prod and
// staging homes and checks every difference against what the generator planted: status on
// each side, class, cause and root.
func TestBundledFixturesMatchWhatWasPlanted(t *testing.T) {
	homes := filepath.Join("..", "fixtures", "homes")
	data, err := os.ReadFile(filepath.Join(homes, "expected.json"))
	require.NoError(t, err)
	var want expectedFixtures
	require.NoError(t, json.Unmarshal(data, &want))

	cmp, err := analyzer.Compare(context.Background(), filepath.Join(homes, "prod"), filepath.Join(homes, "staging"),
		analyzer.Options{Classifier: analyzer.BuiltinKnowledgeBase()}, analyzer.SourceOptions{})
	require.NoError(t, err)

	row := func(job string, prod int, stage, label, ps, ss, class, cause, root string) string {
		return fmt.Sprintf("%s #%d | %s | %q | %s→%s | %s/%s | root: %s", job, prod, stage, label, ps, ss, class, cause, root)
	}
	var wantRows, gotRows []string
	for _, p := range want.Pairs {
		for _, d := range p.Differences {
			root := "-"
			if d.ConsequenceOf != nil {
				root = d.ConsequenceOf.Stage + " › " + d.ConsequenceOf.Label
			}
			wantRows = append(wantRows, row(p.Job, p.Prod, d.Stage, d.Label, d.ProdStatus, d.StagingStatus, d.Class, d.Cause, root))
		}
	}
	for _, p := range cmp.Pairs {
		for _, d := range p.Differences {
			root := "-"
			if d.ConsequenceOf != nil {
				root = d.ConsequenceOf.Stage + " › " + d.ConsequenceOf.Label
			}
			gotRows = append(gotRows, row(p.Job, *p.Prod.Number, d.Stage, d.Label, string(d.ProdStatus), string(d.StagingStatus), string(d.Class), d.Cause, root))
		}
	}
	sort.Strings(wantRows)
	sort.Strings(gotRows)
	assert.Equal(t, strings.Join(wantRows, "\n"), strings.Join(gotRows, "\n"))
	assert.Len(t, gotRows, 95)

	assert.Equal(t, len(want.Pairs), cmp.Summary.PairsCompared)
	assert.Equal(t, analyzer.VerdictNoGo, cmp.Verdict)
	var unpaired []string
	for _, u := range cmp.Unpaired.Prod {
		unpaired = append(unpaired, fmt.Sprintf("prod %s #%d", u.Job, *u.Number))
	}
	for _, u := range cmp.Unpaired.Staging {
		unpaired = append(unpaired, fmt.Sprintf("staging %s #%d", u.Job, *u.Number))
	}
	var wantUnpaired []string
	for _, u := range want.Unpaired {
		wantUnpaired = append(wantUnpaired, fmt.Sprintf("%s %s #%s", u[0], u[1], u[2]))
	}
	assert.ElementsMatch(t, wantUnpaired, unpaired)
	require.Len(t, cmp.Errors, len(want.Errors), "the truncated build.xml is reported, not fatal")
	assert.Contains(t, cmp.Errors[0].Dir, want.Errors[0][1])
}
