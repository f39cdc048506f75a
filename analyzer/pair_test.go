package analyzer

import (
	"testing"
	"time"

	"github.com/cidiff/cidiff/jenkins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPairing(t *testing.T) {
	ok := st("Build", "Run cmake build", S)
	running := bld("staging", "tvm/PR-10", 9, "aaaaaaaa1", "", ok)
	noRev := bld("prod", "tvm/PR-12", 1, "", jenkins.ResultSuccess, ok)

	prod := []*jenkins.Build{
		bld("prod", "tvm/PR-10", 3, "aaaaaaaa1", jenkins.ResultSuccess, ok),
		bld("prod", "tvm/PR-10", 4, "bbbbbbbb2", jenkins.ResultSuccess, ok), // no staging build at this revision
		bld("prod", "tvm/main", 7, "ccccccccc3", jenkins.ResultSuccess, ok), // job not on staging
		noRev,
		nil, // an unreadable build never stops the rest
	}
	staging := []*jenkins.Build{
		bld("staging", "tvm/PR-10", 1, "aaaaaaaa1", jenkins.ResultFailure, ok),
		bld("staging", "tvm/PR-10", 2, "aaaaaaaa1", jenkins.ResultSuccess, ok), // rebuild: the newest pairs
		running,
		bld("staging", "tvm/PR-11", 1, "ddddddddd4", jenkins.ResultSuccess, ok),
	}
	c, err := CompareBuilds(prod, staging, Options{})
	require.NoError(t, err)
	p := onlyPair(c)
	assert.Equal(t, "tvm/PR-10@aaaaaaaa1", p.Key)
	assert.Equal(t, 3, *p.Prod.Number)
	assert.Equal(t, 2, *p.Staging.Number, "the newest completed build pairs")
	require.Len(t, p.Older.Staging, 1)
	assert.Equal(t, 1, *p.Older.Staging[0].Number, "older rebuilds are kept as evidence")
	assert.Empty(t, p.Older.Prod)

	reasons := func(u []UnpairedBuild) map[string]string {
		m := map[string]string{}
		for _, b := range u {
			m[b.Dir] = b.Reason
		}
		return m
	}
	assert.Equal(t, map[string]string{
		"prod/jobs/tvm/PR-10/builds/4": "no staging build of tvm/PR-10 at bbbbbbb",
		"prod/jobs/tvm/main/builds/7":  "job not on staging",
		"prod/jobs/tvm/PR-12/builds/1": "no revision recorded: cannot tell what it built",
	}, reasons(c.Unpaired.Prod))
	assert.Equal(t, map[string]string{
		"staging/jobs/tvm/PR-10/builds/9": "running: a build without a result never pairs",
		"staging/jobs/tvm/PR-11/builds/1": "job not on prod",
	}, reasons(c.Unpaired.Staging))
	assert.Nil(t, c.Unpaired.Staging[0].Result, "a running build's result is null")
	assert.Equal(t, 3, c.Summary.UnpairedProd)
	assert.Equal(t, 2, c.Summary.UnpairedStaging)
}

func TestJobMap(t *testing.T) {
	ok := st("Build", "x", S)
	tests := []struct {
		name    string
		jobMap  []string
		prodJob string
		want    string // pair key job, "" for no pair
		wantErr string
	}{
		{"identity without a map", nil, "tvm/PR-1", "tvm/PR-1", ""},
		{"literal", []string{"tvm-prod/PR-1=tvm/PR-1"}, "tvm-prod/PR-1", "tvm/PR-1", ""},
		{"glob carries the matched part", []string{"tvm-prod/*=tvm/*"}, "tvm-prod/PR-1", "tvm/PR-1", ""},
		{"star does not cross a slash", []string{"*=tvm/*"}, "tvm-prod/PR-1", "", ""},
		{"two stars", []string{"*-prod/*=*/*"}, "tvm-prod/PR-1", "tvm/PR-1", ""},
		{"first match wins", []string{"tvm-prod/*=tvm/*", "tvm-prod/PR-1=other"}, "tvm-prod/PR-1", "tvm/PR-1", ""},
		{"glob to a literal", []string{"legacy-*=tvm/PR-1"}, "legacy-x", "tvm/PR-1", ""},
		{"missing =", []string{"tvm"}, "tvm", "", `job map "tvm": want PROD=STAGING`},
		{"star count mismatch", []string{"a/*=b/*/*"}, "a/x", "", "staging side has 2 '*', production side 1"},
		{"bad pattern", []string{"a[=b"}, "a", "", "unterminated '['"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prod := []*jenkins.Build{bld("prod", tc.prodJob, 1, "r1", jenkins.ResultSuccess, ok)}
			staging := []*jenkins.Build{bld("staging", "tvm/PR-1", 1, "r1", jenkins.ResultSuccess, ok)}
			c, err := CompareBuilds(prod, staging, Options{JobMap: tc.jobMap})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.want == "" {
				assert.Empty(t, c.Pairs)
				return
			}
			require.Len(t, c.Pairs, 1)
			assert.Equal(t, tc.want+"@r1", c.Pairs[0].Key)
			assert.Equal(t, tc.prodJob, c.Pairs[0].Prod.Job, "the build keeps its own name")
		})
	}
}

func TestPairingFilters(t *testing.T) {
	ok := st("Build", "x", S)
	mk := func(side, job string, num int) *jenkins.Build {
		return bld(side, job, num, "r", jenkins.ResultSuccess, ok) // starts at t0 + num hours
	}
	prod := []*jenkins.Build{mk("prod", "tvm/PR-1", 1), mk("prod", "tvm/PR-2", 5), mk("prod", "other/main", 2)}
	staging := []*jenkins.Build{mk("staging", "tvm/PR-1", 1), mk("staging", "tvm/PR-2", 5), mk("staging", "other/main", 2)}
	c, err := CompareBuilds(prod, staging, Options{Jobs: []string{"tvm/*"}, Since: t0.Add(4 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, c.Pairs, 1)
	assert.Equal(t, "tvm/PR-2@r", c.Pairs[0].Key)
	assert.Equal(t, 4, c.Summary.Filtered)

	c, err = CompareBuilds(prod, staging, Options{Until: t0.Add(2 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, c.Pairs, 1, "until is exclusive")
	assert.Equal(t, "tvm/PR-1@r", c.Pairs[0].Key)

	_, err = CompareBuilds(prod, staging, Options{Jobs: []string{"tvm/["}})
	assert.ErrorContains(t, err, "job filter")
}

func TestCompileGlob(t *testing.T) {
	tests := []struct {
		pattern    string
		crossSlash bool
		in         string
		want       bool
	}{
		{"tvm/*", false, "tvm/PR-1", true},
		{"tvm/*", false, "tvm/a/b", false},
		{"tvm/*", true, "tvm/a/b", true},
		{"Build*", true, "Build/BUILD: GPU", true},
		{"BUILD: ?PU", false, "BUILD: GPU", true},
		{"[A-C]x", false, "Bx", true},
		{"[^A-C]x", false, "Dx", true},
		{"[^A-C]x", false, "Bx", false},
		{`a\*b`, false, "a*b", true},
		{`a\*b`, false, "axb", false},
		{"Run VTA tests in FSIM ", false, "Run VTA tests in FSIM ", true},
		{"a.b", false, "axb", false},
	}
	for _, tc := range tests {
		re, _, err := compileGlob(tc.pattern, tc.crossSlash, false)
		require.NoError(t, err, tc.pattern)
		assert.Equal(t, tc.want, re.MatchString(tc.in), "%q ~ %q", tc.pattern, tc.in)
	}
	for _, bad := range []string{"[", "a\\", "[a-"} {
		_, _, err := compileGlob(bad, false, false)
		assert.Error(t, err, bad)
	}
}

func TestNewestBuildTieBreaks(t *testing.T) {
	ok := st("Build", "x", S)
	a := bld("staging", "j", 4, "r", jenkins.ResultSuccess, ok)
	b := bld("staging", "j", 9, "r", jenkins.ResultSuccess, ok)
	c := bld("staging", "j", 9, "r", jenkins.ResultSuccess, ok)
	c.Dir = "staging/other/builds/9"
	noNum := bld("staging", "j", 1, "r", jenkins.ResultSuccess, ok)
	noNum.Number = nil
	for _, x := range []*jenkins.Build{a, b, c, noNum} {
		x.Start = t0 // same start: the number decides, then the directory
	}
	prod := []*jenkins.Build{bld("prod", "j", 1, "r", jenkins.ResultSuccess, ok)}
	cmp, err := CompareBuilds(prod, []*jenkins.Build{noNum, a, c, b}, Options{})
	require.NoError(t, err)
	p := onlyPair(cmp)
	assert.Equal(t, b.Dir, p.Staging.Dir, "same start and number: the first directory in order")
	var older []string
	for _, o := range p.Older.Staging {
		older = append(older, o.Dir)
	}
	assert.Equal(t, []string{c.Dir, a.Dir, noNum.Dir}, older)

	// Unpaired builds are listed by job, number, directory.
	u := []*jenkins.Build{
		bld("staging", "z", 2, "r2", jenkins.ResultSuccess, ok),
		bld("staging", "a", 10, "r3", jenkins.ResultSuccess, ok),
		bld("staging", "a", 9, "r4", jenkins.ResultSuccess, ok),
		noNum,
	}
	cmp, err = CompareBuilds(nil, u, Options{})
	require.NoError(t, err)
	var got []string
	for _, x := range cmp.Unpaired.Staging {
		got = append(got, x.Dir)
	}
	assert.Equal(t, []string{u[2].Dir, u[1].Dir, noNum.Dir, u[0].Dir}, got)
}
