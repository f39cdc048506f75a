package jenkins

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// BuildRef is one build directory found below a source.
type BuildRef struct {
	// Dir is the source argument joined with the build's place below it (what the user can open).
	Dir string
	// Job is the job's full name (CONTRACT.md `job`): folder, job and branch names joined with
	// "/", branch names from name-utf8.txt with "/" written %2F.
	Job string
	// Number is the build number from the directory name; nil when the name is not a number.
	Number *int
}

// FindBuilds lists every build directory below root. root may be a JENKINS_HOME, a folder, a
// job, a multibranch project, a branch job, a job's builds directory, one build directory, or a
// directory holding any of these (e.g. several homes), which is searched for them.
//
// Only directories with all-digit names under a job's builds directory are builds: permalinks
// (lastStableBuild, lastSuccessful, …) are symlinks or, in zips and copies, full copies of a
// build, and are skipped. Symlinked entries (jobs, builds) are never followed; a jobs/, builds/
// or branches/ container that is itself a symlink (moved to another disk) is. The <buildsDir>
// of the JENKINS_HOME that root is or lies in (its config.xml) is honoured: a job below a home
// that relocates it lists the builds kept there, which are then not below root. build.xml is
// not read: discovery is format-agnostic, ReadBuild tells a Pipeline build from others.
//
// The order is deterministic: job name, then number ascending (then directory). Problems
// (unreadable directories, dangling or unfollowed symlinks, a bad config.xml) are returned as
// errors naming the path; the walk goes on.
func FindBuilds(root string) ([]BuildRef, []error) {
	f := &finder{}
	st, err := os.Stat(root)
	switch {
	case err != nil:
		return nil, []error{fmt.Errorf("source: %w", err)}
	case !st.IsDir():
		return nil, []error{fmt.Errorf("source %s: not a directory", root)}
	}
	f.visit(root, 0)
	sort.SliceStable(f.refs, func(i, j int) bool {
		a, b := f.refs[i], f.refs[j]
		if a.Job != b.Job {
			return a.Job < b.Job
		}
		switch {
		case a.Number != nil && b.Number != nil && *a.Number != *b.Number:
			return *a.Number < *b.Number
		case a.Number != nil && b.Number == nil:
			return true
		case a.Number == nil && b.Number != nil:
			return false
		}
		return a.Dir < b.Dir
	})
	return f.refs, f.errs
}

// maxItemDepth bounds folder nesting: deeper means a loop through a symlinked container.
const maxItemDepth = 64

// maxSearchDepth bounds the search for Jenkins directories below a root that is none itself.
const maxSearchDepth = 10

type finder struct {
	refs []BuildRef
	errs []error
	seen map[string]string // real path of each container walked → the path it was walked by
}

// firstVisit records a jobs/, branches/ or builds/ container by its real path and reports
// whether it is new. A container reached twice (through a symlinked container: a loop, or two
// jobs sharing a builds directory) is reported, not walked again.
func (f *finder) firstVisit(dir string) bool {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return true // missing: the listing reports what matters
	}
	if f.seen == nil {
		f.seen = map[string]string{}
	}
	if first, ok := f.seen[real]; ok {
		f.fail(fmt.Errorf("%s: same directory as %s (symlinked); not walked twice", dir, first))
		return false
	}
	f.seen[real] = dir
	return true
}

func (f *finder) fail(err error) { f.errs = append(f.errs, err) }

// visit classifies dir (the root, or a directory met while searching below an unrecognised
// root) and walks it accordingly.
func (f *finder) visit(dir string, depth int) {
	abs := absPath(dir)
	switch {
	case isFile(filepath.Join(dir, "build.xml")):
		f.addBuild(filepath.Clean(dir), JobName(dir))
		return
	case filepath.Base(abs) == "builds" && !isDir(filepath.Join(dir, "jobs")):
		// A job's builds directory.
		f.scanBuilds(filepath.Clean(dir), itemFullName(filepath.Dir(abs)))
		return
	case (filepath.Base(abs) == "jobs" || filepath.Base(abs) == "branches") &&
		!isDir(filepath.Join(dir, "jobs")) && !isDir(filepath.Join(dir, "builds")) && !isDir(filepath.Join(dir, "branches")):
		// The children directory of a home, folder or multibranch project: named below the
		// owner, unless the owner is a home.
		owner := filepath.Dir(abs)
		prefix := ""
		if _, ownerIsItem, _ := f.readConfig(owner); filepath.Base(abs) == "branches" || ownerIsItem || inJobsTree(owner) {
			prefix = itemFullName(owner)
		}
		f.scanItems(filepath.Clean(dir), prefix, f.templateAbove(owner), 0)
		return
	}

	home, item, buildsDir := f.readConfig(dir)
	switch {
	case home:
		var tpl *buildsTemplate
		if buildsDir != "" && buildsDir != defaultBuildsDir {
			tpl = &buildsTemplate{pattern: buildsDir, home: filepath.Clean(dir)}
		}
		f.scanItems(filepath.Join(dir, "jobs"), "", tpl, 0)
	case inJobsTree(abs):
		f.scanItem(filepath.Clean(dir), itemFullName(abs), f.templateAbove(abs), 0)
	case item || isDir(filepath.Join(dir, "builds")) || isDir(filepath.Join(dir, "branches")):
		// A job, folder or multibranch project copied out of its home: named after itself.
		f.scanItem(filepath.Clean(dir), itemFullName(abs), nil, 0)
	case isDir(filepath.Join(dir, "jobs")):
		// A home without config.xml (test homes often have none).
		f.scanItems(filepath.Join(dir, "jobs"), "", nil, 0)
	default:
		if depth >= maxSearchDepth {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			f.fail(fmt.Errorf("listing %s: %w", dir, err))
			return
		}
		for _, e := range entries {
			// Only plain directories: symlinks are not followed, hidden ones (.git) not searched.
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				f.visit(filepath.Join(dir, e.Name()), depth+1)
			}
		}
	}
}

// templateAbove is the relocated <buildsDir> of the JENKINS_HOME holding the item (or being
// the home) at abs: a source below a home finds its builds where the home keeps them. Nil when
// the home keeps the default, or no home is found above.
func (f *finder) templateAbove(abs string) *buildsTemplate {
	home := abs
	for inJobsTree(home) {
		home = filepath.Dir(filepath.Dir(home)) // the item (or home) owning its jobs/ or branches/
	}
	isHome, _, buildsDir := f.readConfig(home)
	if !isHome || buildsDir == "" || buildsDir == defaultBuildsDir {
		return nil
	}
	return &buildsTemplate{pattern: buildsDir, home: home}
}

// defaultBuildsDir is Jenkins' default <buildsDir>.
const defaultBuildsDir = "${ITEM_ROOTDIR}/builds"

// readConfig reads dir/config.xml and reports whether it is a JENKINS_HOME's (<hudson>, with
// its <buildsDir>) or an item's (any other root element). A home config.xml that cannot be
// parsed is reported; other unreadable ones say nothing.
func (f *finder) readConfig(dir string) (home, item bool, buildsDir string) {
	path := filepath.Join(dir, "config.xml")
	fh, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			f.fail(fmt.Errorf("reading %s: %w", path, err))
		}
		return false, false, ""
	}
	defer fh.Close()
	// A home's config.xml is small; an item's may be large, and only its root name matters.
	data, err := io.ReadAll(io.LimitReader(fh, 4<<20))
	if err != nil {
		f.fail(fmt.Errorf("reading %s: %w", path, err))
		return false, false, ""
	}
	doc, err := parseXML(path, data)
	if err != nil {
		// A home whose config.xml is broken is still a home, with the default buildsDir.
		if strings.Contains(string(data[:min(len(data), 512)]), "<hudson") {
			f.fail(fmt.Errorf("%w (using the default buildsDir)", err))
			return true, false, ""
		}
		return false, false, ""
	}
	root := xsRoot(doc)
	switch {
	case root == nil:
		return false, false, ""
	case root.Data != "hudson":
		return false, true, ""
	}
	return true, false, xsChildText(root, "buildsDir")
}

// buildsTemplate is a home's relocated <buildsDir>, e.g. ${JENKINS_HOME}/builds/${ITEM_FULL_NAME}.
type buildsTemplate struct {
	pattern string
	home    string // the home as the user named it, so that Dir stays below the source
}

// expand substitutes the variables Jenkins offers (Jenkins.expandVariablesForDirectory).
func (b *buildsTemplate) expand(itemDir, fullName string) string {
	safeName := strings.ReplaceAll(fullName, ":", "$") // JENKINS-12251
	// Util.replaceMacro accepts ${VAR} and $VAR.
	r := strings.NewReplacer(
		"${JENKINS_HOME}", b.home,
		"${ITEM_ROOTDIR}", itemDir,
		"${ITEM_FULL_NAME}", safeName,
		"${ITEM_FULLNAME}", fullName,
		"$JENKINS_HOME", b.home,
		"$ITEM_ROOTDIR", itemDir,
		"$ITEM_FULL_NAME", safeName,
		"$ITEM_FULLNAME", fullName,
	)
	p := filepath.FromSlash(r.Replace(b.pattern))
	if !filepath.IsAbs(p) {
		p = filepath.Join(b.home, p)
	}
	return filepath.Clean(p)
}

// scanItems walks the children of a jobs/ or branches/ directory.
func (f *finder) scanItems(dir, prefix string, tpl *buildsTemplate, depth int) {
	if depth > maxItemDepth {
		f.fail(fmt.Errorf("%s: items nested more than %d deep; not walked further (a symlink loop?)", dir, maxItemDepth))
		return
	}
	if !isDir(dir) || !f.firstVisit(dir) {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.fail(fmt.Errorf("listing %s: %w", dir, err))
		return
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			f.symlinkProblem(path, "job")
			continue
		}
		if !e.IsDir() {
			continue
		}
		name := displayName(path)
		if prefix != "" {
			name = prefix + "/" + name
		}
		f.scanItem(path, name, tpl, depth+1)
	}
}

// scanItem walks one item: its builds, then its children (folder jobs/, multibranch branches/).
func (f *finder) scanItem(dir, fullName string, tpl *buildsTemplate, depth int) {
	builds := filepath.Join(dir, "builds")
	if tpl != nil {
		builds = tpl.expand(dir, fullName)
	}
	f.scanBuilds(builds, fullName)
	f.scanItems(filepath.Join(dir, "jobs"), fullName, tpl, depth)
	f.scanItems(filepath.Join(dir, "branches"), fullName, tpl, depth)
}

// scanBuilds lists the numeric build directories of one job.
func (f *finder) scanBuilds(dir, job string) {
	if !isDir(dir) || !f.firstVisit(dir) {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.fail(fmt.Errorf("listing %s: %w", dir, err))
		return
	}
	for _, e := range entries {
		if !allDigits(e.Name()) {
			continue // permalinks (symlinks or copies), legacyIds, permalinks file, timestamp dirs
		}
		path := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			// Jenkins before 1.597 named build directories by date and linked the numbers to
			// them: such a link to a sibling is the build. Anything else is not followed.
			target, err := os.Readlink(path)
			if st, serr := os.Stat(path); err == nil && !strings.ContainsAny(target, `/\`) && serr == nil && st.IsDir() {
				f.addBuild(path, job)
				continue
			}
			f.symlinkProblem(path, "build")
			continue
		}
		if e.IsDir() {
			f.addBuild(path, job)
		}
	}
}

// symlinkProblem reports a symlink the walk does not follow.
func (f *finder) symlinkProblem(path, what string) {
	target, err := os.Readlink(path)
	if err != nil {
		f.fail(fmt.Errorf("%s: %w", path, err))
		return
	}
	if _, err := os.Stat(path); err != nil {
		f.fail(fmt.Errorf("%s: dangling symlink to %s", path, target))
		return
	}
	f.fail(fmt.Errorf("%s: symlink to %s not followed; pass the %s directory itself as a source", path, target, what))
}

func (f *finder) addBuild(dir, job string) {
	f.refs = append(f.refs, BuildRef{Dir: dir, Job: job, Number: buildNumber(filepath.Base(absPath(dir)))})
}

// buildNumber is the number a build directory's name gives, or nil.
func buildNumber(name string) *int {
	if !allDigits(name) {
		return nil
	}
	n, err := strconv.Atoi(name)
	if err != nil {
		return nil
	}
	return &n
}

// JobName derives a build directory's job full name from its path: the names of the items
// between jobs/ (and branches/) directories above it, branch names read from name-utf8.txt.
// A build outside any jobs/ tree is named after the folder holding its builds/, or "" if
// there is none. A build in a relocated <buildsDir> cannot be told from its path; FindBuilds
// names those from the walk.
func JobName(buildDir string) string {
	abs := absPath(buildDir)
	parent := filepath.Dir(abs)
	switch {
	case filepath.Base(parent) == "builds":
		item := filepath.Dir(parent)
		if item == parent {
			return ""
		}
		return itemFullName(item)
	case inJobsTree(parent):
		// A build copied to the item itself (a permalink materialised by a zip: lastStable).
		return itemFullName(parent)
	}
	return ""
}

// itemFullName names the item at dir from its path: the display names of the items between
// jobs/ and branches/ directories, outermost first; an item outside any jobs/ tree is named
// after itself ("" for a filesystem root).
func itemFullName(dir string) string {
	var names []string
	d := dir
	for {
		p := filepath.Dir(d)
		if p == d {
			break
		}
		if b := filepath.Base(p); b != "jobs" && b != "branches" {
			break
		}
		names = append(names, displayName(d))
		d = filepath.Dir(p)
	}
	if len(names) == 0 {
		if filepath.Dir(dir) == dir {
			return ""
		}
		return displayName(dir)
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return strings.Join(names, "/")
}

// inJobsTree reports whether dir is an item: its parent is a jobs/ or branches/ directory.
func inJobsTree(dir string) bool {
	p := filepath.Dir(dir)
	if p == dir {
		return false
	}
	b := filepath.Base(p)
	return b == "jobs" || b == "branches"
}

// displayName is an item's name in its parent: name-utf8.txt (multibranch branches and
// organization-folder repositories, whose directory names are mangled and irreversible),
// encoded as Jenkins' NameEncoder does; otherwise the directory name, which Jenkins already
// chose safe.
func displayName(dir string) string {
	if fh, err := os.Open(filepath.Join(dir, "name-utf8.txt")); err == nil {
		data, err := io.ReadAll(io.LimitReader(fh, 4096))
		fh.Close()
		if name := strings.TrimRight(string(data), "\r\n"); err == nil && name != "" {
			return encodeItemName(name)
		}
	}
	return filepath.Base(dir)
}

// encodeItemName is branch-api's NameEncoder: the characters that cannot appear in an item name
// or URL segment as-is are %-escaped ("feature/foo" → "feature%2Ffoo").
var encodeItemName = strings.NewReplacer(
	"%", "%25", "/", "%2F", "#", "%23", "?", "%3F", "[", "%5B", "]", "%5D", `\`, "%5C",
).Replace

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// isDir reports whether p is a directory, following a symlink: a jobs/, builds/ or branches/
// container an administrator moved to another disk is walked like any other.
func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// allDigits reports whether s is a non-empty run of ASCII digits (a build directory's name).
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsPipelineBuild tells, from the first bytes of its build.xml, whether dir holds a Pipeline
// run (<flow-build>) rather than a freestyle, matrix or Maven build. It reads at most 4 KiB and
// parses nothing: cheap enough to ask of every build of a home on every incremental scan.
func IsPipelineBuild(dir string) (bool, error) {
	f, err := os.Open(filepath.Join(dir, "build.xml"))
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, err
	}
	return rootIsFlowBuild(buf[:n]), nil
}

// rootIsFlowBuild tells from the first bytes of a build.xml whether its root element is
// <flow-build>. The prolog, processing instructions, comments and a DOCTYPE before the root are
// skipped whole (a '<' inside a comment is no root); when the root is not among the bytes, or
// one of those is cut, the answer is true: the reader says what the file is.
func rootIsFlowBuild(head []byte) bool {
	for {
		i := bytes.IndexByte(head, '<')
		if i < 0 {
			return true
		}
		head = head[i:]
		var end int
		switch {
		case bytes.HasPrefix(head, []byte("<!--")):
			end = bytes.Index(head[4:], []byte("-->"))
			if end >= 0 {
				end += 4 + 3
			}
		case bytes.HasPrefix(head, []byte("<?")):
			end = bytes.Index(head, []byte("?>"))
			if end >= 0 {
				end += 2
			}
		case bytes.HasPrefix(head, []byte("<!")):
			// <!DOCTYPE …>, whose internal subset [ … ] may hold '>'s of its own.
			end = bytes.IndexByte(head, '>')
			if open := bytes.IndexByte(head, '['); open >= 0 && (end < 0 || open < end) {
				end = -1
				if close := bytes.IndexByte(head[open:], ']'); close >= 0 {
					if gt := bytes.IndexByte(head[open+close:], '>'); gt >= 0 {
						end = open + close + gt
					}
				}
			}
			if end >= 0 {
				end++
			}
		default:
			return bytes.HasPrefix(head, []byte("<flow-build"))
		}
		if end < 0 {
			return true
		}
		head = head[end:]
	}
}
