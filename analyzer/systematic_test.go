package analyzer

import (
	"fmt"
	"math"
	"testing"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFisherGreater(t *testing.T) {
	// Exact values computed with rational arithmetic (sum of C(r1,x)C(n-r1,c1-x)/C(n,c1)).
	tests := []struct {
		a, b, c, d int
		want       float64
	}{
		{3, 1, 1, 3, 17.0 / 70}, // Fisher's lady tasting tea
		{8, 2, 1, 5, 7.0 / 286}, //
		{3, 0, 0, 3, 1.0 / 20},  //
		{5, 5, 5, 5, 62065.0 / 92378},
		{10, 0, 0, 10, 1.0 / 184756},
		{3, 7, 0, 10, 2.0 / 19},
		{0, 5, 5, 0, 1},
		{40, 60, 20, 80, 0.001595908412964382},
		{0, 0, 0, 0, 1},
	}
	for _, tc := range tests {
		got := fisherGreater(tc.a, tc.b, tc.c, tc.d)
		assert.InDelta(t, tc.want, got, 1e-12*math.Max(1, tc.want), "%v", tc)
	}
	// Large counts stay finite and in range.
	p := fisherGreater(5000, 5000, 4000, 6000)
	assert.True(t, p > 0 && p < 1e-40, "p = %g", p)
	assert.Equal(t, 1.0, fisherGreater(0, 10000, 10000, 0))
	assert.True(t, math.IsNaN(fisherGreater(-1, 0, 0, 0)))
}

func TestSystematic(t *testing.T) {
	var prod, staging []*jenkins.Build
	for i := 0; i < 8; i++ {
		job := fmt.Sprintf("tvm/PR-%d", i)
		rev := fmt.Sprintf("rev%d", i)
		cmake, flaky := S, S
		if i < 6 {
			cmake = F // staging fails 6 of 8, prod never
		}
		if i < 2 {
			flaky = F // 2 failures: too few to flag
		}
		staging = append(staging, bld("staging", job, 1, rev, jenkins.ResultFailure,
			st("Build/BUILD: GPU", "Run cmake build", cmake), st("Test", "Run tests", flaky)))
		prod = append(prod, bld("prod", job, 1, rev, jenkins.ResultSuccess,
			st("Build/BUILD: GPU", "Run cmake build", S), st("Test", "Run tests", S)))
	}
	// A step that fails as often on prod is not systematic.
	for i := 8; i < 12; i++ {
		job, rev := fmt.Sprintf("tvm/PR-%d", i), fmt.Sprintf("rev%d", i)
		staging = append(staging, bld("staging", job, 1, rev, jenkins.ResultFailure, st("Lint", "Run lint", F)))
		prod = append(prod, bld("prod", job, 1, rev, jenkins.ResultFailure, st("Lint", "Run lint", F)))
	}
	c, err := CompareBuilds(prod, staging, Options{})
	require.NoError(t, err)
	require.Len(t, c.Systematic, 1)
	f := c.Systematic[0]
	assert.Equal(t, "Build/BUILD: GPU", f.Stage)
	assert.Equal(t, "Run cmake build", f.Label)
	assert.Equal(t, 6, f.StagingFailures)
	assert.Equal(t, 8, f.StagingRuns)
	assert.Equal(t, 0, f.ProdFailures)
	assert.Equal(t, 8, f.ProdRuns)
	assert.InDelta(t, fisherGreater(6, 2, 0, 8), f.PValue, 1e-15)
	assert.InDelta(t, 0.0035, f.PValue, 0.0001)
	assert.Equal(t, []string{"tvm/PR-0", "tvm/PR-1", "tvm/PR-2", "tvm/PR-3", "tvm/PR-4", "tvm/PR-5"}, f.Jobs)
	assert.Equal(t, "failed in 6 of 8 staging runs and 0 of 8 prod runs (one-sided Fisher p = 0.0035)", f.Reason)
	assert.Equal(t, 1, c.Summary.Systematic)
}
