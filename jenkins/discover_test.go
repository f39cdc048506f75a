package jenkins

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discLayout creates a directory tree. Each entry is "path/" (a directory), "path -> target"
// (a symlink), "path = content" (a file) or "path#" (a build directory with a build.xml).
func discLayout(t *testing.T, root string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		switch {
		case strings.Contains(e, " -> "):
			path, target, _ := strings.Cut(e, " -> ")
			p := filepath.Join(root, path)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.Symlink(target, p))
		case strings.Contains(e, " = "):
			path, content, _ := strings.Cut(e, " = ")
			p := filepath.Join(root, path)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		case strings.HasSuffix(e, "#"):
			p := filepath.Join(root, strings.TrimSuffix(e, "#"))
			require.NoError(t, os.MkdirAll(p, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(p, "build.xml"), []byte("<flow-build/>"), 0o644))
		default:
			require.NoError(t, os.MkdirAll(filepath.Join(root, e), 0o755))
		}
	}
}

// discRefs writes BuildRefs written compactly for tables: "job #n @dir" with dir relative to the
// source ("." for the source itself); n is "-" for no number.
func discRefs(refs []BuildRef, source string) []string {
	var out []string
	for _, r := range refs {
		n := "-"
		if r.Number != nil {
			n = strconv.Itoa(*r.Number)
		}
		rel, err := filepath.Rel(source, r.Dir)
		if err != nil || !strings.HasPrefix(r.Dir, source) {
			rel = "!" + r.Dir // not below the source: shows up as a failure
		}
		out = append(out, r.Job+" #"+n+" @"+filepath.ToSlash(rel))
	}
	return out
}

// discHome is a JENKINS_HOME exercising most layouts at once.
var discHome = []string{
	"config.xml = <?xml version='1.1' encoding='UTF-8'?><hudson><buildsDir>${ITEM_ROOTDIR}/builds</buildsDir></hudson>",
	// A folder with a job; permalinks as symlinks, as a dangling -1 link, as a file and as a full copy.
	"jobs/folder/config.xml = <com.cloudbees.hudson.plugins.folder.Folder/>",
	"jobs/folder/jobs/app/config.xml = <flow-definition/>",
	"jobs/folder/jobs/app/builds/1#",
	"jobs/folder/jobs/app/builds/2#",
	"jobs/folder/jobs/app/builds/10#",
	"jobs/folder/jobs/app/builds/lastStableBuild -> 10",
	"jobs/folder/jobs/app/builds/lastFailedBuild -> -1",
	"jobs/folder/jobs/app/builds/lastSuccessfulBuild#",
	"jobs/folder/jobs/app/builds/permalinks = lastSuccessfulBuild 10\n",
	"jobs/folder/jobs/app/builds/legacyIds = ",
	"jobs/folder/jobs/app/builds/123 = a file, not a build",
	"jobs/folder/jobs/app/lastStable -> builds/lastStableBuild",
	// A multibranch project: a mangled branch directory and a plain one.
	"jobs/mbp/config.xml = <org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject/>",
	"jobs/mbp/branches/feature-foo.nj9av9/name-utf8.txt = feature/foo",
	"jobs/mbp/branches/feature-foo.nj9av9/builds/3#",
	"jobs/mbp/branches/main/builds/1#",
	"jobs/mbp/branches/main/builds/2#",
	// An organization folder: org → repository (mangled too) → pull-request branch.
	"jobs/org/jobs/my-repo.q1w2e3/name-utf8.txt = my.repo\n",
	"jobs/org/jobs/my-repo.q1w2e3/branches/PR-12/name-utf8.txt = PR-12",
	"jobs/org/jobs/my-repo.q1w2e3/branches/PR-12/builds/4#",
	// Very old Jenkins: a date-named build directory behind a numeric symlink.
	"jobs/old/builds/2014-10-16_13-07-52#",
	"jobs/old/builds/5 -> 2014-10-16_13-07-52",
	// Not followed: a job linked in from elsewhere, and a dangling numeric build link.
	"elsewhere/builds/1#",
	"jobs/linked -> ../elsewhere",
	"jobs/broken/builds/8 -> /nonexistent/8",
	// Not jobs: a file in jobs/, a workspace.
	"jobs/README = x",
	"workspace/app/builds/1#",
}

func TestFindBuildsLayouts(t *testing.T) {
	home := t.TempDir()
	discLayout(t, home, discHome...)

	tests := []struct {
		name   string
		source string // below home
		want   []string
		errs   []string // substrings, one per expected error, in order
	}{
		{
			name: "whole home",
			want: []string{
				"folder/app #1 @jobs/folder/jobs/app/builds/1",
				"folder/app #2 @jobs/folder/jobs/app/builds/2",
				"folder/app #10 @jobs/folder/jobs/app/builds/10",
				"mbp/feature%2Ffoo #3 @jobs/mbp/branches/feature-foo.nj9av9/builds/3",
				"mbp/main #1 @jobs/mbp/branches/main/builds/1",
				"mbp/main #2 @jobs/mbp/branches/main/builds/2",
				"old #5 @jobs/old/builds/5",
				"org/my.repo/PR-12 #4 @jobs/org/jobs/my-repo.q1w2e3/branches/PR-12/builds/4",
			},
			errs: []string{"jobs/broken/builds/8: dangling symlink", "jobs/linked: symlink to ../elsewhere not followed"},
		},
		{
			name:   "folder",
			source: "jobs/folder",
			want: []string{
				"folder/app #1 @jobs/app/builds/1",
				"folder/app #2 @jobs/app/builds/2",
				"folder/app #10 @jobs/app/builds/10",
			},
		},
		{
			name:   "multibranch project",
			source: "jobs/mbp",
			want: []string{
				"mbp/feature%2Ffoo #3 @branches/feature-foo.nj9av9/builds/3",
				"mbp/main #1 @branches/main/builds/1",
				"mbp/main #2 @branches/main/builds/2",
			},
		},
		{
			name:   "branch job",
			source: "jobs/mbp/branches/feature-foo.nj9av9",
			want:   []string{"mbp/feature%2Ffoo #3 @builds/3"},
		},
		{
			name:   "organization folder",
			source: "jobs/org",
			want:   []string{"org/my.repo/PR-12 #4 @jobs/my-repo.q1w2e3/branches/PR-12/builds/4"},
		},
		{
			name:   "one build directory",
			source: "jobs/folder/jobs/app/builds/2",
			want:   []string{"folder/app #2 @."},
		},
		{
			name:   "a permalink copy passed directly is a build, without a number",
			source: "jobs/folder/jobs/app/builds/lastSuccessfulBuild",
			want:   []string{"folder/app #- @."},
		},
		{
			name:   "a job's builds directory",
			source: "jobs/mbp/branches/main/builds",
			want:   []string{"mbp/main #1 @1", "mbp/main #2 @2"},
		},
		{
			name:   "a home's jobs directory",
			source: "jobs/mbp/branches",
			want: []string{
				"mbp/feature%2Ffoo #3 @feature-foo.nj9av9/builds/3",
				"mbp/main #1 @main/builds/1",
				"mbp/main #2 @main/builds/2",
			},
		},
		{
			name:   "a job outside any jobs tree is named after itself",
			source: "elsewhere",
			want:   []string{"elsewhere #1 @builds/1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			source := filepath.Join(home, tc.source)
			refs, errs := FindBuilds(source)
			assert.Equal(t, tc.want, discRefs(refs, source))
			require.Len(t, errs, len(tc.errs), "errors: %v", errs)
			for i, want := range tc.errs {
				assert.Contains(t, errs[i].Error(), filepath.FromSlash(want))
			}
		})
	}
}

func TestFindBuildsRelocatedBuildsDir(t *testing.T) {
	for _, tc := range []struct {
		buildsDir string
		want      []string
	}{
		{"${JENKINS_HOME}/builds/${ITEM_FULL_NAME}", []string{"f/j #4 @builds/f/j/4", "f/j #5 @builds/f/j/5", "mbp/feature%2Ffoo #1 @builds/mbp/feature%2Ffoo/1"}},
		{"${JENKINS_HOME}/builds/${ITEM_FULLNAME}", []string{"f/j #4 @builds/f/j/4", "f/j #5 @builds/f/j/5", "mbp/feature%2Ffoo #1 @builds/mbp/feature%2Ffoo/1"}},
		{"$JENKINS_HOME/builds/$ITEM_FULL_NAME", []string{"f/j #4 @builds/f/j/4", "f/j #5 @builds/f/j/5", "mbp/feature%2Ffoo #1 @builds/mbp/feature%2Ffoo/1"}},
		{"${ITEM_ROOTDIR}/runs", []string{"f/j #6 @jobs/f/jobs/j/runs/6"}},
		{"${ITEM_ROOTDIR}/builds", []string{"f/j #9 @jobs/f/jobs/j/builds/9"}},
	} {
		t.Run(tc.buildsDir, func(t *testing.T) {
			home := t.TempDir()
			discLayout(t, home,
				"config.xml = <?xml version='1.1' encoding='UTF-8'?><hudson><version>2.440</version><buildsDir>"+tc.buildsDir+"</buildsDir></hudson>",
				"jobs/f/jobs/j/config.xml = <flow-definition/>",
				"jobs/f/jobs/j/builds/9#", // stale: only read with the default buildsDir
				"jobs/f/jobs/j/runs/6#",
				"jobs/mbp/branches/feature-foo.nj9av9/name-utf8.txt = feature/foo",
				"builds/f/j/4#",
				"builds/f/j/5#",
				"builds/f/j/lastStableBuild -> 5",
				"builds/mbp/feature%2Ffoo/1#",
			)
			refs, errs := FindBuilds(home)
			assert.Empty(t, errs)
			assert.Equal(t, tc.want, discRefs(refs, home))
		})
	}
}

func TestFindBuildsSearchesBelowUnknownDirectory(t *testing.T) {
	root := t.TempDir()
	discLayout(t, root,
		"prod/jobs/p/builds/1#",
		"staging/jobs/p/builds/1#",
		"staging/jobs/p/builds/2#",
		"loose/7#",
		".git/jobs/x/builds/1#",
	)
	refs, errs := FindBuilds(root)
	assert.Empty(t, errs)
	assert.Equal(t, []string{
		" #7 @loose/7",
		"p #1 @prod/jobs/p/builds/1",
		"p #1 @staging/jobs/p/builds/1",
		"p #2 @staging/jobs/p/builds/2",
	}, discRefs(refs, root))
}

func TestFindBuildsRelativeSource(t *testing.T) {
	root := t.TempDir()
	discLayout(t, root, "home/jobs/p/builds/3#")
	t.Chdir(root)
	refs, errs := FindBuilds("home/jobs/p")
	assert.Empty(t, errs)
	require.Len(t, refs, 1)
	assert.Equal(t, filepath.FromSlash("home/jobs/p/builds/3"), refs[0].Dir)
	assert.Equal(t, "p", refs[0].Job)
	refs, _ = FindBuilds(".")
	require.Len(t, refs, 1)
	assert.Equal(t, filepath.FromSlash("home/jobs/p/builds/3"), refs[0].Dir)
	t.Chdir(filepath.Join(root, "home/jobs/p/builds/3"))
	refs, _ = FindBuilds(".")
	require.Len(t, refs, 1)
	assert.Equal(t, ".", refs[0].Dir)
	assert.Equal(t, "p", refs[0].Job)
	assert.Equal(t, 3, *refs[0].Number)
}

func TestFindBuildsErrors(t *testing.T) {
	_, errs := FindBuilds(filepath.Join(t.TempDir(), "nope"))
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "nope")

	root := t.TempDir()
	discLayout(t, root, "file = x", "config.xml = <hudson><buildsDir>", "jobs/p/builds/1#")
	_, errs = FindBuilds(filepath.Join(root, "file"))
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "not a directory")

	// A broken home config.xml is reported; the default buildsDir is used.
	refs, errs := FindBuilds(root)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), filepath.Join(root, "config.xml"))
	assert.Equal(t, []string{"p #1 @jobs/p/builds/1"}, discRefs(refs, root))

	if os.Geteuid() != 0 {
		locked := t.TempDir()
		discLayout(t, locked, "jobs/a/builds/1#", "jobs/b/builds/2#")
		require.NoError(t, os.Chmod(filepath.Join(locked, "jobs/a/builds"), 0))
		t.Cleanup(func() { os.Chmod(filepath.Join(locked, "jobs/a/builds"), 0o755) })
		refs, errs := FindBuilds(locked)
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0].Error(), filepath.Join(locked, "jobs/a/builds"))
		assert.Equal(t, []string{"b #2 @jobs/b/builds/2"}, discRefs(refs, locked), "one unreadable job does not stop the walk")
	}
}

func TestJobName(t *testing.T) {
	root := t.TempDir()
	discLayout(t, root,
		"jobs/mbp/branches/feature-foo.nj9av9/name-utf8.txt = feature/foo\n",
		"jobs/mbp/branches/weird/name-utf8.txt = a#b?c[1]%\\",
	)
	tests := []struct{ dir, want string }{
		{"jobs/a/builds/1", "a"},
		{"jobs/a/jobs/b/jobs/c/builds/12", "a/b/c"},
		{"jobs/mbp/branches/feature-foo.nj9av9/builds/3", "mbp/feature%2Ffoo"},
		{"jobs/mbp/branches/weird/builds/3", "mbp/a%23b%3Fc%5B1%5D%25%5C"},
		{"jobs/mbp/branches/PR-7/builds/3", "mbp/PR-7"},
		{"jobs/org/jobs/repo/branches/master/lastStable", "org/repo/master"},
		{"somewhere/myjob/builds/4", "myjob"},
		{"somewhere/4", ""},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			assert.Equal(t, tc.want, JobName(filepath.Join(root, tc.dir)))
		})
	}
	assert.Equal(t, "", JobName("/1"))
	assert.Equal(t, "", JobName("/builds/1"))
}

func TestFindBuildsRealMultibranch(t *testing.T) {
	home := logsRealDir(t, realGITMBHome)
	refs, errs := FindBuilds(home)
	assert.Empty(t, errs)
	// Branches second and v4 have no builds; lastStable / lastFailedBuild permalinks are skipped.
	assert.Equal(t, []string{
		"job/dev #1 @jobs/job/branches/dev/builds/1",
		"job/master #1 @jobs/job/branches/master/builds/1",
	}, discRefs(refs, home))

	org := logsRealDir(t, "jenkinsci__workflow-multibranch-plugin/RepairBranchPropertyTest/removedPropertyAtStartup.zip.d")
	refs, errs = FindBuilds(org)
	assert.Empty(t, errs)
	// Not the four full copies (lastStable, lastSuccessful, builds/lastStableBuild, builds/lastSuccessfulBuild).
	assert.Equal(t, []string{"org/repo/master #1 @jobs/org/jobs/repo/branches/master/builds/1"}, discRefs(refs, org))

	assert.Equal(t, "job/master", JobName(filepath.Join(home, "jobs/job/branches/master/builds/1")))
}

// TestFindBuildsRealCorpus checks the whole shared corpus against an independent walk: every
// directory with a numeric name under a builds/ directory is a build, nothing else is.
func TestFindBuildsRealCorpus(t *testing.T) {
	root := logsRealDir(t, ".")
	want := map[string]bool{}
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && allDigits(d.Name()) && filepath.Base(filepath.Dir(path)) == "builds" {
			want[path] = true
		}
		return nil
	}))
	refs, errs := FindBuilds(root)
	assert.Empty(t, errs)
	got := map[string]bool{}
	for _, r := range refs {
		got[r.Dir] = true
	}
	assert.Equal(t, want, got)
	assert.Len(t, refs, 22)
	jobs := map[string]int{}
	for _, r := range refs {
		jobs[r.Job]++
	}
	assert.Equal(t, map[string]int{
		"job/dev": 1, "job/master": 1, "org/repo/master": 1, "p": 5, "ptest1": 1, "test0": 4,
		"trackerPropertyUpgrade": 2, "wonky": 7,
	}, jobs)
}

func FuzzJobNameFromNameFile(f *testing.F) {
	f.Add([]byte("feature/foo\n"))
	f.Add([]byte("\xff\x00%2F"))
	f.Fuzz(func(t *testing.T, name []byte) {
		root := t.TempDir()
		branch := filepath.Join(root, "jobs", "mbp", "branches", "b")
		require.NoError(t, os.MkdirAll(filepath.Join(branch, "builds", "1"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(branch, "name-utf8.txt"), name, 0o644))
		job := JobName(filepath.Join(branch, "builds", "1"))
		require.True(t, strings.HasPrefix(job, "mbp/"), job)
		// The branch is one path element of the full name, whatever its bytes.
		require.NotContains(t, strings.TrimPrefix(job, "mbp/"), "/")
		refs, errs := FindBuilds(root)
		require.Empty(t, errs)
		require.Len(t, refs, 1)
		require.Equal(t, job, refs[0].Job)
	})
}

// FuzzFindBuildsHomeConfig feeds arbitrary root config.xml bytes to a home scan: whatever they
// say, the walk finishes and names the job p (or, when config.xml is some item's rather than a
// home's, p inside an item named after the directory).
func FuzzFindBuildsHomeConfig(f *testing.F) {
	f.Add([]byte("<?xml version='1.1'?><hudson><buildsDir>${ITEM_ROOTDIR}/builds</buildsDir></hudson>"))
	f.Add([]byte("<hudson><buildsDir>${JENKINS_HOME}/../../${ITEM_FULL_NAME}</buildsDir></hudson>"))
	f.Add([]byte("<hudson><buildsDir"))
	f.Fuzz(func(t *testing.T, config []byte) {
		home := t.TempDir()
		discLayout(t, home, "jobs/p/builds/1#")
		require.NoError(t, os.WriteFile(filepath.Join(home, "config.xml"), config, 0o644))
		refs, _ := FindBuilds(home)
		for _, r := range refs {
			require.NotNil(t, r.Number)
			require.Contains(t, []string{"p", filepath.Base(home) + "/p"}, r.Job)
		}
	})
}

func TestFindBuildsFolderOutsideHome(t *testing.T) {
	root := t.TempDir()
	discLayout(t, root,
		"myfolder/config.xml = <com.cloudbees.hudson.plugins.folder.Folder/>",
		"myfolder/jobs/p/builds/1#",
		"home/config.xml = not xml at all",
		"home/jobs/q/builds/2#",
	)
	refs, errs := FindBuilds(filepath.Join(root, "myfolder"))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"myfolder/p #1 @jobs/p/builds/1"}, discRefs(refs, filepath.Join(root, "myfolder")))
	refs, errs = FindBuilds(filepath.Join(root, "myfolder", "jobs"))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"myfolder/p #1 @p/builds/1"}, discRefs(refs, filepath.Join(root, "myfolder", "jobs")))
	refs, errs = FindBuilds(filepath.Join(root, "home", "jobs"))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"q #2 @q/builds/2"}, discRefs(refs, filepath.Join(root, "home", "jobs")))
	// A config.xml that names nothing does not make a home an item.
	refs, errs = FindBuilds(filepath.Join(root, "home"))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"q #2 @jobs/q/builds/2"}, discRefs(refs, filepath.Join(root, "home")))
}

// BenchmarkFindBuilds walks a home of 10 multibranch projects × 10 branches × 30 builds.
func BenchmarkFindBuilds(b *testing.B) {
	home := b.TempDir()
	for p := 0; p < 10; p++ {
		for br := 0; br < 10; br++ {
			dir := filepath.Join(home, "jobs", "p"+strconv.Itoa(p), "branches", "b"+strconv.Itoa(br))
			require.NoError(b, os.MkdirAll(dir, 0o755))
			require.NoError(b, os.WriteFile(filepath.Join(dir, "name-utf8.txt"), []byte("feature/"+strconv.Itoa(br)), 0o644))
			for n := 1; n <= 30; n++ {
				require.NoError(b, os.MkdirAll(filepath.Join(dir, "builds", strconv.Itoa(n)), 0o755))
			}
			require.NoError(b, os.Symlink("30", filepath.Join(dir, "builds", "lastSuccessfulBuild")))
		}
	}
	for b.Loop() {
		refs, errs := FindBuilds(home)
		if len(refs) != 3000 || len(errs) != 0 {
			b.Fatal(len(refs), errs)
		}
	}
}

func TestFindBuildsSymlinkedContainers(t *testing.T) {
	root := t.TempDir()
	discLayout(t, root,
		"disk/jobs/p/builds/1#",
		"disk2/builds/2#",
		"home/config.xml = <hudson/>",
		"home/jobs -> ../disk/jobs",
		"home2/jobs/q/builds -> ../../../disk2/builds",
		"loop/jobs/a/builds/1#",
		"loop/jobs/a/jobs -> ..",
	)
	refs, errs := FindBuilds(filepath.Join(root, "home"))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"p #1 @jobs/p/builds/1"}, discRefs(refs, filepath.Join(root, "home")))
	refs, errs = FindBuilds(filepath.Join(root, "home2"))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"q #2 @jobs/q/builds/2"}, discRefs(refs, filepath.Join(root, "home2")))
	// A loop: jobs/a/jobs is jobs again. Build a/1 is found once, the loop reported.
	refs, errs = FindBuilds(filepath.Join(root, "loop"))
	assert.Equal(t, []string{"a #1 @jobs/a/builds/1"}, discRefs(refs, filepath.Join(root, "loop")))
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), filepath.Join(root, "loop/jobs/a/jobs")+": same directory as "+filepath.Join(root, "loop/jobs"))
}

// A source below a home that relocates <buildsDir> (a folder, a job, a multibranch project, a
// jobs/ or branches/ directory) finds its builds where the home keeps them.
func TestFindBuildsRelocatedBuildsDirBelowHome(t *testing.T) {
	home := t.TempDir()
	discLayout(t, home,
		"config.xml = <?xml version='1.1' encoding='UTF-8'?><hudson><buildsDir>${JENKINS_HOME}/builds/${ITEM_FULL_NAME}</buildsDir></hudson>",
		"jobs/f/config.xml = <com.cloudbees.hudson.plugins.folder.Folder/>",
		"jobs/f/jobs/j/config.xml = <flow-definition/>",
		"jobs/f/jobs/j/builds/9#", // stale: only read with the default buildsDir
		"jobs/mbp/branches/feature-foo.nj9av9/name-utf8.txt = feature/foo",
		"builds/f/j/4#",
		"builds/mbp/feature%2Ffoo/1#",
	)
	fj := "f/j #4 @builds/f/j/4"
	mbp := "mbp/feature%2Ffoo #1 @builds/mbp/feature%2Ffoo/1"
	for _, tc := range []struct {
		source string
		want   []string
	}{
		{".", []string{fj, mbp}},
		{"jobs", []string{fj, mbp}},
		{"jobs/f", []string{fj}},
		{"jobs/f/jobs", []string{fj}},
		{"jobs/f/jobs/j", []string{fj}},
		{"jobs/mbp", []string{mbp}},
		{"jobs/mbp/branches", []string{mbp}},
		{"jobs/mbp/branches/feature-foo.nj9av9", []string{mbp}},
	} {
		t.Run(tc.source, func(t *testing.T) {
			refs, errs := FindBuilds(filepath.Join(home, tc.source))
			assert.Empty(t, errs)
			assert.Equal(t, tc.want, discRefs(refs, home))
		})
	}
}
