package jenkins

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/antchfx/xmlquery"
)

// ErrNotPipeline is returned (wrapped with the path) for a build.xml whose root is not
// <flow-build>: a freestyle, matrix or Maven build. Walkers skip such builds quietly.
var ErrNotPipeline = errors.New("not a Pipeline build")

// buildXML is what build.xml says about a run, beyond the Build fields it fills directly.
type buildXML struct {
	// hasExecution is false when the run failed before a flow existed (compile error).
	hasExecution bool
	// done is the execution's <done>: the flow finished, whatever the build record says.
	done bool
	// storageDir is <execution><storageDir>, or "" for the default.
	storageDir string
	// iota is the highest flow-node id the execution allocated (0 if not recorded).
	iota int
}

// parseBuildXML reads build.xml bytes into b. name is the file's path, for errors.
func parseBuildXML(name string, data []byte, b *Build) (buildXML, error) {
	return parseBuildXMLWith(nil, name, data, b, nil)
}

// parseBuildXMLWith is parseBuildXML with the document built by fp's fast lexer
// (buildxml_fast.go), or by parseXML when fp is nil or declines.
func parseBuildXMLWith(fp *fastParser, name string, data []byte, b *Build, opts *readOpts) (buildXML, error) {
	var bx buildXML
	doc, err := parseDOM(fp, name, data, opts)
	if err != nil {
		return bx, err
	}
	root := xsRoot(doc)
	if root == nil {
		return bx, fmt.Errorf("%s: no root element", name)
	}
	if root.Data != "flow-build" {
		return bx, fmt.Errorf("%s: root element <%s>: %w", name, root.Data, ErrNotPipeline)
	}

	b.Result = Result(xsChildText(root, "result"))
	switch b.Result {
	case "", ResultSuccess, ResultUnstable, ResultFailure, ResultNotBuilt, ResultAborted:
	default:
		return bx, fmt.Errorf("%s: unknown result %q", name, b.Result)
	}
	// workflow-job before 2.12 wrote no <completed>; its builds had a result once finished.
	if c := xsChild(root, "completed"); c != nil {
		b.Completed = xsText(c) == "true"
	} else {
		b.Completed = b.Result != ""
	}
	start := epochMillis(xsChildText(root, "startTime"))
	if start.IsZero() {
		start = epochMillis(xsChildText(root, "timestamp"))
	}
	b.Start = start
	if ms, err := strconv.ParseInt(xsChildText(root, "duration"), 10, 64); err == nil && ms > 0 {
		b.Duration = time.Duration(ms) * time.Millisecond
	}

	if exec := xsChild(root, "execution"); exec != nil {
		bx.hasExecution = true
		bx.done = xsChildText(exec, "done") == "true"
		bx.storageDir = xsChildText(exec, "storageDir")
		bx.iota, _ = strconv.Atoi(xsChildText(exec, "iota"))
	}

	actions := xsChild(root, "actions")
	readRevision(actions, xsChild(root, "checkouts"), b)
	b.Causes = readCauses(actions)
	b.Parameters = readParameters(actions)
	return bx, nil
}

// epochMillis parses Jenkins' epoch-millisecond timestamps; zero time when absent or invalid.
func epochMillis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// actionsNamed lists the actions whose simple class name is simple.
func actionsNamed(actions *xmlquery.Node, simple string) []*xmlquery.Node {
	var out []*xmlquery.Node
	for _, a := range xsElements(actions) {
		if javaSimpleName(javaName(a)) == simple {
			if r := xsResolve(a); r != nil {
				out = append(out, r)
			}
		}
	}
	return out
}

// readRevision fills Revision, Branch, PR and Remote (JENKINS_FORMATS.md §3.1, §11).
// A multibranch build's SCMRevisionAction names what the build was for; the project's BuildData
// names what it checked out. For pull requests the PR head (pullHash) is the revision.
func readRevision(actions, checkouts *xmlquery.Node, b *Build) {
	bd := projectBuildData(actions, checkouts)
	if bd != nil {
		if urls := xsElements(xsChild(bd, "remoteUrls")); len(urls) > 0 {
			b.Remote = xsText(urls[0])
		}
	}

	for _, sra := range actionsNamed(actions, "SCMRevisionAction") {
		rev := xsChild(sra, "revision")
		if rev == nil {
			continue
		}
		head := xsChild(rev, "head")
		cls := javaSimpleName(xsAttr(rev, "class"))
		if strings.Contains(cls, "Request") && strings.HasSuffix(cls, "SCMRevision") {
			pr := &PullRequest{
				Head:          xsChildText(rev, "pullHash"),
				Base:          xsChildText(rev, "baseHash"),
				Merge:         xsChildText(rev, "mergeHash"),
				Target:        xsChildText(xsChild(head, "target"), "name"),
				MergeStrategy: xsChildText(head, "merge") == "true",
				SourceOwner:   xsChildText(head, "sourceOwner"),
				SourceRepo:    xsChildText(head, "sourceRepo"),
				SourceBranch:  xsChildText(head, "sourceBranch"),
			}
			pr.Number, _ = strconv.Atoi(xsChildText(head, "number"))
			if pr.Head == "" {
				// Bitbucket and GitLab analogues: the PR head is the revision's own hash.
				pr.Head = xsChildText(rev, "hash")
			}
			if pr.Base == "" {
				pr.Base = xsChildText(xsChild(rev, "target"), "hash")
			}
			if pr.Number == 0 {
				pr.Number = prNumber(xsChildText(head, "name"))
			}
			b.PR = pr
			b.Revision = pr.Head
		} else {
			b.Revision = xsChildText(rev, "hash")
		}
		b.Branch = xsChildText(head, "name")
		if b.Revision != "" {
			return
		}
	}

	if bd == nil {
		return
	}
	last := xsChild(bd, "lastBuild")
	rev := xsChild(last, "revision")
	if rev == nil {
		rev = xsChild(last, "marked")
	}
	b.Revision = xsChildText(rev, "sha1")
	if b.Branch == "" {
		if br := xsElements(xsChild(rev, "branches")); len(br) > 0 {
			b.Branch = shortBranch(xsChildText(br[0], "name"))
		}
	}
}

var prName = regexp.MustCompile(`^(?:PR|MR)-(\d+)(?:-(?:merge|head))?$`)

// prNumber reads the number from a multibranch PR head name ("PR-12", "PR-12-merge").
func prNumber(name string) int {
	if m := prName.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// shortBranch removes the remote-tracking prefixes git writes into BuildData branch names.
func shortBranch(name string) string {
	switch {
	case strings.HasPrefix(name, "refs/remotes/"):
		rest := name[len("refs/remotes/"):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i+1:]
		}
		return rest
	case strings.HasPrefix(name, "refs/heads/"):
		return name[len("refs/heads/"):]
	case strings.HasPrefix(name, "origin/"):
		return name[len("origin/"):]
	}
	return name
}

// projectBuildData picks the BuildData of the project's own repository. A build that loads a
// shared library has one BuildData per repository; the library's checkout is the one whose
// workspace ends in "@libs/<name>" (JENKINS_FORMATS.md §3.1, pitfall 11).
func projectBuildData(actions, checkouts *xmlquery.Node) *xmlquery.Node {
	all := actionsNamed(actions, "BuildData")
	if len(all) == 0 {
		return nil
	}
	project := map[string]bool{}
	library := map[string]bool{}
	for _, co := range xsElements(checkouts) {
		urls := map[string]bool{}
		for _, urc := range xsElements(xsPath(co, "scm", "userRemoteConfigs")) {
			if u := xsChildText(urc, "url"); u != "" {
				urls[u] = true
			}
		}
		dst := project
		if strings.Contains(xsChildText(co, "workspace"), "@libs") {
			dst = library
		}
		for u := range urls {
			dst[u] = true
		}
	}
	remotes := func(bd *xmlquery.Node) []string {
		var out []string
		for _, s := range xsElements(xsChild(bd, "remoteUrls")) {
			out = append(out, xsText(s))
		}
		return out
	}
	for _, bd := range all {
		for _, u := range remotes(bd) {
			if project[u] && !library[u] {
				return bd
			}
		}
	}
	isLibrary := func(bd *xmlquery.Node) bool {
		for _, u := range remotes(bd) {
			if library[u] {
				return true
			}
		}
		return false
	}
	// No checkout names the project's URL (formats differ, or checkouts were not recorded):
	// any BuildData that is not the library's. With several and no way to tell, none.
	var others []*xmlquery.Node
	for _, bd := range all {
		if !isLibrary(bd) {
			others = append(others, bd)
		}
	}
	if len(others) == 1 || (len(others) > 0 && len(library) > 0) {
		return others[0]
	}
	return nil
}

// readCauses reads every CauseAction: modern <causeBag> entries and pre-2018 <causes> lists.
func readCauses(actions *xmlquery.Node) []Cause {
	var out []Cause
	for _, ca := range actionsNamed(actions, "CauseAction") {
		var elems []*xmlquery.Node
		if bag := xsChild(ca, "causeBag"); bag != nil {
			for _, e := range xsElements(bag) {
				// <entry><CAUSE/><int>count</int></entry>
				if es := xsElements(e); len(es) > 0 {
					elems = append(elems, es[0])
				}
			}
		}
		elems = append(elems, xsElements(xsChild(ca, "causes"))...)
		for _, e := range elems {
			out = append(out, readCause(e))
		}
	}
	return out
}

func readCause(e *xmlquery.Node) Cause {
	cls := javaName(e)
	if c := xsAttr(e, "class"); c != "" {
		cls = c
	}
	e = xsResolve(e)
	// A copy: the fast reader's element names and attributes are substrings of the whole
	// file's text, which a Build must not keep alive (text content is copied by InnerText).
	c := Cause{Kind: strings.Clone(javaSimpleName(cls))}
	switch c.Kind {
	case "UserIdCause":
		c.Description = "user " + xsChildText(e, "userId")
		if xsChildText(e, "userId") == "" {
			c.Description = "anonymous user"
		}
	case "UserCause":
		c.Description = "user " + xsChildText(e, "authenticationName")
	case "UpstreamCause", "RebuildCause":
		c.Description = xsChildText(e, "upstreamProject") + " #" + xsChildText(e, "upstreamBuild")
		if c.Kind == "RebuildCause" {
			c.Description = "rebuild of #" + xsChildText(e, "upstreamBuild")
			if n, err := strconv.Atoi(xsChildText(e, "upstreamBuild")); err == nil {
				c.OriginalNumber = &n
			}
		}
	case "ReplayCause":
		if n, err := strconv.Atoi(xsChildText(e, "originalNumber")); err == nil {
			c.OriginalNumber = &n
			c.Description = "replay of #" + strconv.Itoa(n)
		}
	case "BranchIndexingCause":
		c.Description = "branch indexing"
	case "BranchEventCause":
		c.Description = xsChildText(e, "description")
	case "SCMTriggerCause":
		c.Description = "SCM change"
	case "TimerTriggerCause":
		c.Description = "timer"
	case "RemoteCause":
		c.Description = xsChildText(e, "addr")
	}
	return c
}

// readParameters reads ParametersAction. Password and credentials parameters are marked
// Sensitive and their value is never kept (it may be a secret even when stored encrypted).
func readParameters(actions *xmlquery.Node) []Parameter {
	var out []Parameter
	for _, pa := range actionsNamed(actions, "ParametersAction") {
		for _, pv := range xsElements(xsChild(pa, "parameters")) {
			cls := javaName(pv)
			if c := xsAttr(pv, "class"); c != "" {
				cls = c
			}
			pv = xsResolve(pv)
			p := Parameter{Name: xsChildText(pv, "name")}
			kind := javaSimpleName(cls)
			if strings.Contains(kind, "Password") || strings.Contains(kind, "Credentials") ||
				strings.Contains(kind, "Secret") {
				p.Sensitive = true
			} else if v := xsChild(pv, "value"); v != nil {
				p.Value = xsRawText(v)
			}
			if p.Name != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
