package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cidiff/cidiff/fixtures/sharedtest"
	"github.com/stretchr/testify/require"
)

// TestFingerprint checks that each way a running Jenkins build changes its directory changes the
// fingerprint, and that nothing else does.
func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	touch := func(p string) {
		stamp = stamp.Add(time.Second)
		require.NoError(t, os.Chtimes(p, stamp, stamp))
	}
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		touch(p)
		touch(filepath.Dir(p))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "workflow"), 0o755))
	write("build.xml", "<flow-build/>")
	write("workflow/2.xml", "<Tag/>")

	fp := fingerprint(dir)
	require.Equal(t, fp, fingerprint(dir), "stable when nothing changes")
	steps := []struct {
		what   string
		change func()
	}{
		{"a flow node added", func() { write("workflow/3.xml", "<Tag/>") }},
		{"build.xml rewritten", func() {
			p := filepath.Join(dir, "build.xml")
			require.NoError(t, os.WriteFile(p, []byte("<flow-build><result>SUCCESS</result></flow-build>"), 0o644))
			touch(p)
		}},
		{"junitResult.xml archived", func() { write("junitResult.xml", "<result/>") }},
		{"flow nodes moved to workflow-completed", func() {
			require.NoError(t, os.Rename(filepath.Join(dir, "workflow"), filepath.Join(dir, "workflow-completed")))
			touch(dir)
		}},
		{"flowNodeStore.xml replaced", func() { write("workflow-completed/flowNodeStore.xml", "<map/>") }},
	}
	for _, s := range steps {
		s.change()
		next := fingerprint(dir)
		require.NotEqual(t, fp, next, s.what)
		fp = next
	}
	// The log growing is not a change of what cidiff records.
	st, err := os.Stat(dir)
	require.NoError(t, err)
	p := filepath.Join(dir, "log")
	require.NoError(t, os.WriteFile(p, []byte("more output"), 0o644))
	require.NoError(t, os.Chtimes(dir, st.ModTime(), st.ModTime())) // creating it touched the directory; appending does not
	touch(p)
	require.Equal(t, fp, fingerprint(dir))

	require.Equal(t, "build.xml=-;.=-;workflow=-;workflow-completed=-;junitResult.xml=-;", fingerprint(filepath.Join(dir, "missing")))
}

// TestFingerprintRealBuilds fingerprints real build directories twice: stat only, same answer.
func TestFingerprintRealBuilds(t *testing.T) {
	root := sharedtest.Dir(t, "jenkins-real")
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "build.xml" {
			return err
		}
		dir := filepath.Dir(p)
		fp := fingerprint(dir)
		require.Equal(t, fp, fingerprint(dir))
		require.NotContains(t, fp, "build.xml=-")
		n++
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, n)
	t.Logf("%d real build directories", n)
}

// TestCandidateFingerprintURL: a build read over REST is never stat'ed (a URL is no path) and
// always has the same fingerprint, so that a stored completed build is skipped.
func TestCandidateFingerprintURL(t *testing.T) {
	for _, u := range []string{"https://ci.example.org/job/tvm/job/main/3/", "http://localhost:8080/jenkins/job/a/1/"} {
		require.Equal(t, remoteFingerprint, candidateFingerprint(u), u)
	}
	dir := t.TempDir()
	require.Equal(t, fingerprint(dir), candidateFingerprint(dir))
	require.NotEqual(t, remoteFingerprint, candidateFingerprint(dir))
}
