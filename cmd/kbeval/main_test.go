package main

import (
	"bytes"
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
