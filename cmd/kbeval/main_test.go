package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/fixtures/sharedtest"
)

const sample = `{"id": "X1", "text": "No space left on device", "category": "disk_full", "rfc_class": "executor-node"}
{"id": "X2", "text": "Temporary failure resolving 'ports.ubuntu.com'", "category": "network_download", "rfc_class": "flaky-test"}

{"id": "X3", "text": "nothing to see", "category": "timeout", "rfc_class": "ambiguous"}
`

func TestEvaluate(t *testing.T) {
	recs, err := ReadCorpus("s.jsonl", []byte(sample))
	require.NoError(t, err)
	require.Len(t, recs, 3)
	res := Evaluate(analyzer.BuiltinKnowledgeBase(), recs)
	// X1 right on both; X2 right category (dns -> network_download) but executor, not flaky;
	// X3 unknown class right, no category.
	assert.InDelta(t, 2.0/3, res.ClassAccuracy(), 1e-9)
	assert.InDelta(t, 2.0/3, res.CategoryAccuracy(), 1e-9)
	assert.Equal(t, 1, res.Confusion[analyzer.ClassFlaky][analyzer.ClassExecutor])
	var out bytes.Buffer
	require.NoError(t, res.Write(&out, false))
	s := out.String()
	assert.Contains(t, s, "class accuracy:    66.7% (2/3)")
	assert.Contains(t, s, "category accuracy: 66.7% (2/3)")
	assert.Contains(t, s, "X2")
	assert.Contains(t, s, "dns-resolution-failure")
	assert.NotContains(t, s, "X1 ")
}

func TestReadCorpusErrors(t *testing.T) {
	for in, want := range map[string]string{
		"{":                                "c.jsonl:1:",
		"":                                 "no records",
		`{"id":"A","rfc_class":"network"}`: `c.jsonl:1: record A: unknown rfc_class "network"`,
	} {
		_, err := ReadCorpus("c.jsonl", []byte(in))
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
}

func TestCategoryMapping(t *testing.T) {
	assert.Equal(t, "disk_full", Category("disk_full"))
	assert.Equal(t, "gpu_driver_mismatch", Category("cuda_driver_insufficient"))
	// Every mapping names a built-in cause, so a renamed cause cannot silently drop out.
	causes := map[string]bool{}
	for _, r := range analyzer.BuiltinKnowledgeBase().Rules() {
		causes[r.Cause] = true
	}
	for c := range causeCategory {
		assert.True(t, causes[c], "causeCategory maps %q, which no built-in rule has", c)
	}
}

func TestRunOnDevCorpus(t *testing.T) {
	corpus := filepath.Join(sharedtest.Dir(t, "failure-corpus"), "dev.jsonl")
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"-corpus", corpus}, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "class accuracy:")
	assert.Contains(t, out.String(), "EXPECTED")

	// Regression floor, one record below what the knowledge base reaches (38/40 class,
	// 40/40 category when this was written).
	data, err := os.ReadFile(corpus)
	require.NoError(t, err)
	recs, err := ReadCorpus(corpus, data)
	require.NoError(t, err)
	res := Evaluate(analyzer.BuiltinKnowledgeBase(), recs)
	assert.GreaterOrEqual(t, res.ClassAccuracy(), 0.925)
	assert.GreaterOrEqual(t, res.CategoryAccuracy(), 0.975)
}

// heldOutCorpus is the independent validation set (analyzer/testdata/rules/HELDOUT.md).
const heldOutCorpus = "../../analyzer/testdata/rules/heldout.jsonl"

// TestHeldOutAccuracy holds the knowledge base to its accuracy on failure text it was not written
// from. The floors sit a record or two below what the rules reach, so a change that loses a kind
// of failure fails here even when the development split still passes.
func TestHeldOutAccuracy(t *testing.T) {
	data, err := os.ReadFile(heldOutCorpus)
	require.NoError(t, err)
	recs, err := ReadCorpus(heldOutCorpus, data)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(recs), 100)
	res := Evaluate(analyzer.BuiltinKnowledgeBase(), recs)
	var out bytes.Buffer
	require.NoError(t, res.Write(&out, false))
	assert.GreaterOrEqual(t, res.ClassAccuracy(), heldOutClassFloor, out.String())
	assert.GreaterOrEqual(t, res.CategoryAccuracy(), heldOutCategoryFloor, out.String())
}

// Floors for TestHeldOutAccuracy: the reached accuracy minus about two records.
const (
	heldOutClassFloor    = 0.985
	heldOutCategoryFloor = 0.985
)

// TestHeldOutRecords checks the held-out file itself: unique ids, known categories and classes,
// a source for every record, and no text shared with the development split it must stay
// independent of.
func TestHeldOutRecords(t *testing.T) {
	data, err := os.ReadFile(heldOutCorpus)
	require.NoError(t, err)
	var recs []struct {
		Record
		Source string `json:"source"`
	}
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r struct {
			Record
			Source string `json:"source"`
		}
		require.NoError(t, json.Unmarshal(line, &r), "line %d", i+1)
		recs = append(recs, r)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		assert.False(t, seen[r.ID], "duplicate id %s", r.ID)
		seen[r.ID] = true
		assert.Contains(t, corpusCategories, r.Category, r.ID)
		assert.Contains(t, rfcClass, r.RFCClass, r.ID)
		assert.True(t, strings.HasPrefix(r.Source, "https://github.com/"), "%s: source %q", r.ID, r.Source)
		assert.NotEmpty(t, strings.TrimSpace(r.Text), r.ID)
	}

	devPath := filepath.Join(sharedtest.Dir(t, "failure-corpus"), "dev.jsonl")
	devData, err := os.ReadFile(devPath)
	require.NoError(t, err)
	dev, err := ReadCorpus(devPath, devData)
	require.NoError(t, err)
	for _, r := range recs {
		for _, d := range dev {
			assert.NotContains(t, r.Text, strings.TrimSpace(d.Text), "%s repeats dev record %s", r.ID, d.ID)
		}
	}
}

// corpusCategories is the category vocabulary of shared/failure-corpus/README.md.
var corpusCategories = []string{
	"docker_image_not_found", "docker_pull_network", "docker_rate_limit", "docker_daemon_unreachable",
	"docker_permission_denied", "docker_bad_image_name", "docker_run_error", "docker_image_content",
	"nvidia_runtime_error", "nvidia_runtime_missing", "nvidia_smi_missing", "gpu_driver_mismatch",
	"gpu_not_visible", "gpu_oom", "oom_killed", "disk_full", "agent_offline", "agent_channel_closed",
	"agent_removed", "no_node_with_label", "waiting_for_executor", "node_info_context",
	"credentials_not_found", "s3_credentials", "script_approval", "no_such_dsl_method",
	"git_fetch_failure", "git_submodule_failure", "git_checkout_failure", "merge_conflict",
	"sccache_s3_error", "stash_failure", "junit_missing", "timeout", "flaky_timeout",
	"flaky_tolerance", "flaky_rpc", "flaky_port_in_use", "flaky_connection_refused", "segfault",
	"network_download",
}

func TestRunErrors(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run([]string{"-corpus", filepath.Join(t.TempDir(), "none.jsonl")}, &out, &errb))
	assert.True(t, strings.Contains(errb.String(), "none.jsonl"))
}

func FuzzReadCorpus(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("{\"id\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadCorpus("f.jsonl", data)
		if err == nil {
			Evaluate(analyzer.BuiltinKnowledgeBase(), recs)
		}
	})
}
