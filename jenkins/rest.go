package jenkins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Reading a live controller over its REST APIs (JENKINS_FORMATS.md §12). The classic remote
// access API (api/json with tree=) gives the job tree, the builds and what build.xml holds;
// Blue Ocean's REST API gives the steps with their stage and parallel-branch names, labels and
// results; the Pipeline REST API (pipeline-stage-view's wfapi) gives a failed step's exception
// and, when Blue Ocean is not installed, the steps of each stage; pipeline-graph-view's stage
// tree, where installed, gives the agent of each stage.
//
// What a build read this way holds, against the disk reader:
//   - Job, Number, Result, Completed, Duration, Causes, Parameters, Tests: as on disk (a replay's
//     original number is parsed from "Replayed #N"; RemoteCause gives its address only).
//   - Start: Blue Ocean's or wfapi's run start (build.xml's startTime); else the scheduled time.
//   - Revision, PR: Blue Ocean's commitId is the SCMRevisionAction (for a PR "head" or, merged,
//     "head+base"); without Blue Ocean a PR's head is BuildData's marked commit, and PR.Target,
//     source owner/repo/branch are not exported at all. A plain job's is its only BuildData, or
//     the one that built the branch; a shared library's checkout cannot otherwise be told apart.
//   - Steps: ID, Kind (a labelled step is taken for sh: no API exports the step type), Stage,
//     Label (cut at 100 characters, as Jenkins stores it), Script (sh/bat), Status, Start,
//     Duration; ExitCode and Error from wfapi; an interruption's cause (user, timeout, agent
//     lost) is not exported: Error is the exception class only. Node from pipeline-graph-view
//     (the stage's agent), else unknown. ReturnStatus, Workspace and Context are not exported.

// IsURLSource reports whether a source names a controller by URL rather than a directory.
func IsURLSource(source string) bool {
	s := strings.ToLower(source)
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// restDefaultWorkers is how many builds of a URL source are read at once when
// WalkOptions.Workers is 0.
const restDefaultWorkers = 8

// CheckURLSource says why a URL cannot be a source (credentials in it, a path that is no
// controller, folder, job or build), or nil; for callers that reject bad input up front.
func CheckURLSource(source string) error {
	_, err := parseRESTSource(source)
	return err
}

// restSource is a parsed URL source: a controller root, a folder or job below it, or a build.
type restSource struct {
	root   *url.URL // the controller's root URL, path ending in "/"
	names  []string // item names from the job/<name> segments, outermost first
	number *int     // the build number of a build URL
}

// parseRESTSource splits a Jenkins URL into the controller root and the item path below it:
// http://host[/ctx]/[view/V/]job/A/[view/V/]job/B/[N/]. Views only filter what is listed, so
// they are skipped.
func parseRESTSource(s string) (*restSource, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("source %s: not a URL: %w", s, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("source %s://%s…: credentials in the URL are not accepted; set JENKINS_USER and JENKINS_TOKEN or use a netrc file", u.Scheme, u.Host)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("source %s: no host", s)
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	i := 0
	for i < len(segs) && segs[i] != "job" && segs[i] != "view" {
		i++
	}
	src := &restSource{}
	rootPath := "/"
	if i > 0 {
		rootPath = "/" + strings.Join(segs[:i], "/") + "/"
	}
	src.root = &url.URL{Scheme: strings.ToLower(u.Scheme), Host: u.Host}
	if src.root.Path, err = url.PathUnescape(rootPath); err != nil {
		return nil, fmt.Errorf("source %s: %w", s, err)
	}
	src.root.RawPath = rootPath
	for i < len(segs) {
		switch {
		case (segs[i] == "job" || segs[i] == "view") && i+1 < len(segs):
			name, err := url.PathUnescape(segs[i+1])
			if err != nil || name == "" {
				return nil, fmt.Errorf("source %s: bad item name %q", s, segs[i+1])
			}
			if segs[i] == "job" {
				if src.number != nil {
					return nil, fmt.Errorf("source %s: not a Jenkins root, folder, job or build URL", s)
				}
				src.names = append(src.names, name)
			}
			i += 2
		case i == len(segs)-1 && allDigits(segs[i]) && len(src.names) > 0:
			src.number = buildNumber(segs[i])
			if src.number == nil {
				return nil, fmt.Errorf("source %s: bad build number %q", s, segs[i])
			}
			i++
		default:
			return nil, fmt.Errorf("source %s: not a Jenkins root, folder, job or build URL (unexpected %q); give e.g. https://ci.example.com/job/tvm/job/main/", s, segs[i])
		}
	}
	return src, nil
}

// itemURL is the classic URL of the item named by names (the root for none).
func (s *restSource) itemURL(names []string) string {
	var b strings.Builder
	b.WriteString(s.root.String())
	for _, n := range names {
		b.WriteString("job/")
		b.WriteString(url.PathEscape(n))
		b.WriteByte('/')
	}
	return b.String()
}

func (s *restSource) buildURL(names []string, number int) string {
	return s.itemURL(names) + strconv.Itoa(number) + "/"
}

// restWalker holds what one walk of a controller learns: item classes, API availability.
type restWalker struct {
	src *restSource
	c   *restClient

	mu      sync.Mutex
	probeMu sync.Mutex        // held while probing for Blue Ocean, apart from mu
	classes map[string]string // item full name → _class
	jobs    map[string]*restJobInfo
	blue    *bool // Blue Ocean REST API installed; nil until probed
	blueErr error
	branch  map[string]*boBranch // multibranch branch job full name → Blue Ocean branch
}

// restJobInfo is what a walk knows about the job of a build it found.
type restJobInfo struct {
	names    []string
	pipeline bool // a Pipeline job (WorkflowJob), or not known not to be
}

// remoteBuild is how a build read over REST finds its step logs again.
type remoteBuild struct {
	c      *restClient
	url    string // the build's classic URL
	boRun  string // its Blue Ocean run URL, when Blue Ocean gave its steps
	viaAPI string // "blue" or "wfapi": which API listed the steps
}

// findBuilds lists the builds below the source: one request per folder or multibranch project
// (its children come with their build numbers), up to workers at once. Builds are ordered as
// FindBuilds orders them.
func (w *restWalker) findBuilds(ctx context.Context, workers int) ([]BuildRef, []error) {
	var (
		mu   sync.Mutex
		refs []BuildRef
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, workers)
	)
	addJob := func(names []string, class string, builds []restBuildNo) {
		job := strings.Join(names, "/")
		info := &restJobInfo{names: names, pipeline: class == "" || strings.HasSuffix(class, ".WorkflowJob")}
		mu.Lock()
		defer mu.Unlock()
		w.jobs[job] = info
		for _, b := range builds {
			n := b.Number
			refs = append(refs, BuildRef{Dir: w.src.buildURL(names, n), Job: job, Number: &n})
		}
	}
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}

	// The source's ancestors (whose classes say how Blue Ocean names the job) are asked once
	// here rather than by every reader at once.
	for i := 1; i < len(w.src.names); i++ {
		w.class(ctx, w.src.names[:i]) // an error is reported by the readers that need it
	}
	if w.src.number != nil {
		job := strings.Join(w.src.names, "/")
		w.jobs[job] = &restJobInfo{names: w.src.names, pipeline: true}
		n := *w.src.number
		return []BuildRef{{Dir: w.src.buildURL(w.src.names, n), Job: job, Number: &n}}, nil
	}

	var visit func(names []string)
	visit = func(names []string) {
		defer wg.Done()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			fail(ctx.Err())
			return
		}
		u := w.src.itemURL(names) + "api/json?tree=" + url.QueryEscape(itemTree)
		var item restItem
		err := w.c.getJSON(ctx, u, &item)
		<-sem
		if err != nil {
			fail(fmt.Errorf("listing %s: %w", w.src.itemURL(names), err))
			return
		}
		w.setClass(names, item.Class)
		if item.AllBuilds != nil && len(names) > 0 {
			addJob(names, item.Class, item.AllBuilds)
		}
		for _, child := range item.Jobs {
			if child.Name == "" {
				continue
			}
			cn := append(names[:len(names):len(names)], child.Name)
			w.setClass(cn, child.Class)
			if child.AllBuilds != nil {
				addJob(cn, child.Class, child.AllBuilds)
			}
			if child.Jobs != nil {
				if len(cn) > maxItemDepth {
					fail(fmt.Errorf("listing %s: folders nested more than %d deep; not walked further", w.src.itemURL(cn), maxItemDepth))
					continue
				}
				wg.Add(1)
				go visit(cn)
			}
		}
	}
	wg.Add(1)
	go visit(w.src.names)
	wg.Wait()

	sort.SliceStable(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.Job != b.Job {
			return a.Job < b.Job
		}
		return *a.Number < *b.Number
	})
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return refs, errs
}

func (w *restWalker) setClass(names []string, class string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.classes[strings.Join(names, "/")] = class
}

// class returns an item's _class, asking the controller when the walk has not met the item.
func (w *restWalker) class(ctx context.Context, names []string) (string, error) {
	key := strings.Join(names, "/")
	w.mu.Lock()
	c, ok := w.classes[key]
	w.mu.Unlock()
	if ok {
		return c, nil
	}
	var item restItem
	if err := w.c.getJSON(ctx, w.src.itemURL(names)+"api/json?tree=_class", &item); err != nil {
		return "", err
	}
	w.setClass(names, item.Class)
	return item.Class, nil
}

func isMultiBranch(class string) bool {
	return strings.Contains(class, "MultiBranchProject")
}

// read reads one build: its api/json, then its steps (Blue Ocean, else wfapi), then its tests.
func (w *restWalker) read(ctx context.Context, ref BuildRef) WalkResult {
	b, run, names, branch, err := w.readRun(ctx, ref)
	if err != nil {
		return WalkResult{Ref: ref, Err: err}
	}
	rb := &remoteBuild{c: w.c, url: ref.Dir}
	b.remote = rb
	done, err := w.readBlueOcean(ctx, b, names, rb)
	if err != nil {
		return WalkResult{Ref: ref, Err: err}
	}
	if !done {
		if err := w.readWFAPI(ctx, b, rb); err != nil {
			return WalkResult{Ref: ref, Err: err}
		}
		if err := w.buildDataPR(ctx, b, branch); err != nil {
			return WalkResult{Ref: ref, Err: err}
		}
	}
	sortStepsByID(b.Steps)

	for _, a := range run.Actions {
		if javaSimpleName(a.Class) == "TestResultAction" {
			tu := ref.Dir + "testReport/api/json?tree=" + url.QueryEscape(testReportTree)
			body, _, err := w.c.get(ctx, tu, restMaxJSONSize)
			if err == nil {
				b.Tests, err = decodeTestReport(body)
				if err != nil {
					err = restErrorf(tu, err)
				}
			}
			if err != nil && !isNotFound(err) {
				b.Problems = append(b.Problems, err.Error())
			}
			break
		}
	}
	return WalkResult{Ref: ref, Build: b}
}

// readHeader reads what read reads but the steps and tests: the build's api/json, and the
// requests that name its start and revision as read does (Blue Ocean's run; else wfapi's
// describe and, for a pull request, BuildData). Problems are left empty.
func (w *restWalker) readHeader(ctx context.Context, ref BuildRef) (*Build, error) {
	b, _, names, branch, err := w.readRun(ctx, ref)
	if err != nil {
		return nil, err
	}
	_, found, err := w.blueOceanRun(ctx, b, names)
	if err != nil {
		return nil, err
	}
	if !found {
		if _, err := w.wfapiRun(ctx, b); err != nil {
			return nil, err
		}
		if err := w.buildDataPR(ctx, b, branch); err != nil {
			return nil, err
		}
	}
	b.Problems = nil
	return b, nil
}

// readRun reads a listed build's api/json into a new Build named as the listing named it, with
// the job's names and, for a branch of a multibranch project, the branch name.
func (w *restWalker) readRun(ctx context.Context, ref BuildRef) (b *Build, run *restRun, names []string, branch string, err error) {
	b = &Build{Dir: ref.Dir, URL: ref.Dir, Job: ref.Job, Number: ref.Number, Layout: LayoutREST}
	w.mu.Lock()
	info := w.jobs[ref.Job]
	w.mu.Unlock()
	if info == nil {
		return nil, nil, nil, "", fmt.Errorf("%s: job %q unknown to the walk", ref.Dir, ref.Job)
	}
	if !info.pipeline {
		return nil, nil, nil, "", fmt.Errorf("%s: %w", ref.Dir, ErrNotPipeline)
	}
	u := ref.Dir + "api/json?tree=" + url.QueryEscape(runTree)
	run = &restRun{}
	if err := w.c.getJSON(ctx, u, run); err != nil {
		return nil, nil, nil, "", err
	}
	if len(info.names) > 1 {
		pc, err := w.class(ctx, info.names[:len(info.names)-1])
		if err != nil {
			return nil, nil, nil, "", err
		}
		if isMultiBranch(pc) {
			branch = decodeItemName(info.names[len(info.names)-1])
		}
	}
	if !applyRun(run, b, branch) {
		return nil, nil, nil, "", fmt.Errorf("%s: %w (_class %s)", ref.Dir, ErrNotPipeline, run.Class)
	}
	return b, run, info.names, branch, nil
}

// buildDataPR names a pull request's head from BuildData's marked commit, for a build whose
// steps did not come from Blue Ocean (which gives the head with its run).
func (w *restWalker) buildDataPR(ctx context.Context, b *Build, branch string) error {
	n := prNumber(branch)
	if n <= 0 || b.Number == nil {
		return nil
	}
	b.PR = &PullRequest{Number: n}
	b.Revision = ""
	bu := b.Dir + "api/json?tree=" + url.QueryEscape("actions[_class,buildsByBranchName]")
	body, _, err := w.c.get(ctx, bu, restMaxJSONSize)
	if err != nil {
		return err
	}
	if head, built, ok := prHeadFromBuildData(body, branch, *b.Number); ok {
		b.PR.Head, b.Revision = head, head
		if built != head {
			b.PR.Merge, b.PR.MergeStrategy = built, true
		}
	}
	return nil
}

// blueOcean reports whether the controller serves the Blue Ocean REST API, probing it once.
func (w *restWalker) blueOcean(ctx context.Context) (bool, error) {
	w.probeMu.Lock()
	defer w.probeMu.Unlock()
	if w.blue != nil {
		return *w.blue, nil
	}
	if w.blueErr != nil {
		return false, w.blueErr
	}
	_, _, err := w.c.get(ctx, w.src.root.String()+"blue/rest/organizations/jenkins/", 1<<20)
	switch {
	case err == nil:
		t := true
		w.blue = &t
	case isNotFound(err), isDenied(err):
		// Absent, or refused while the classic API (already read for this build) was not:
		// Blue Ocean's own access rules; wfapi serves the steps instead.
		f := false
		w.blue = &f
	default:
		// Not cached when the context ended: another build may still ask.
		if ctx.Err() == nil {
			w.blueErr = err
		}
		return false, err
	}
	return *w.blue, nil
}

// boPipelineURL is the Blue Ocean URL of the job named by names: folders nest as
// pipelines/<name>/, a multibranch project's branches as branches/<name>/.
func (w *restWalker) boPipelineURL(ctx context.Context, names []string) (string, error) {
	var b strings.Builder
	b.WriteString(w.src.root.String())
	b.WriteString("blue/rest/organizations/jenkins/")
	for i, n := range names {
		seg := "pipelines/"
		if i > 0 {
			pc, err := w.class(ctx, names[:i])
			if err != nil {
				return "", err
			}
			if isMultiBranch(pc) {
				seg = "branches/"
			}
		}
		b.WriteString(seg)
		b.WriteString(url.PathEscape(n))
		b.WriteByte('/')
	}
	return b.String(), nil
}

// boLimit lifts Blue Ocean's default page size (100) for nodes and steps.
const boLimit = "?start=0&limit=100000"

// blueOceanRun reads b's run from Blue Ocean: its start and its revision (boRevision). found is false
// when Blue Ocean is not installed or does not know the run (the caller falls back to wfapi).
func (w *restWalker) blueOceanRun(ctx context.Context, b *Build, names []string) (runURL string, found bool, err error) {
	ok, err := w.blueOcean(ctx)
	if err != nil || !ok || b.Number == nil {
		return "", false, err
	}
	pipeURL, err := w.boPipelineURL(ctx, names)
	if err != nil {
		return "", false, err
	}
	runURL = pipeURL + "runs/" + strconv.Itoa(*b.Number) + "/"

	var run boRun
	if err := w.c.getJSON(ctx, runURL, &run); err != nil {
		if isNotFound(err) {
			// Blue Ocean does not know this run (another organization, a job type it does not
			// model): wfapi may.
			return "", false, nil
		}
		return "", false, err
	}
	if t := boTime(run.StartTime); !t.IsZero() {
		b.Start = t // the run's start, as build.xml's startTime (timestamp is when it was scheduled)
	}
	if err := w.boRevision(ctx, b, names, pipeURL, run); err != nil {
		return "", false, err
	}
	return runURL, true, nil
}

// readBlueOcean reads the steps of b from Blue Ocean. done is false when Blue Ocean is not
// installed (the caller falls back to wfapi).
func (w *restWalker) readBlueOcean(ctx context.Context, b *Build, names []string, rb *remoteBuild) (done bool, err error) {
	runURL, found, err := w.blueOceanRun(ctx, b, names)
	if err != nil || !found {
		return false, err
	}

	var nodes []boNode
	if err := w.c.getJSON(ctx, runURL+"nodes/"+boLimit, &nodes); err != nil {
		return false, err
	}
	var all []boStep
	if err := w.c.getJSON(ctx, runURL+"steps/"+boLimit, &all); err != nil {
		return false, err
	}
	paths := boStagePaths(nodes)
	parents := boParents(nodes)
	stageOf := map[string][]string{}
	nodeOf := map[string]string{} // step id → its innermost Blue Ocean node
	for _, n := range nodes {
		if n.State == "" || n.State == "NOT_BUILT" || n.State == "SKIPPED" || n.State == "QUEUED" {
			continue // a future or skipped node: no steps of its own
		}
		var steps []boStep
		if err := w.c.getJSON(ctx, runURL+"nodes/"+url.PathEscape(n.ID)+"/steps/"+boLimit, &steps); err != nil {
			return false, err
		}
		for _, s := range steps {
			// A step listed under several nodes belongs to the innermost (longest path).
			if p := paths[n.ID]; len(p) >= len(stageOf[s.ID]) {
				stageOf[s.ID] = p
				nodeOf[s.ID] = n.ID
			}
		}
	}
	agents, err := w.pgvAgents(ctx, b.URL)
	if err != nil {
		return false, err
	}
	seen := map[string]bool{}
	for _, s := range all {
		kind, ok := boShellKind(s)
		if !ok || seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		st := boShellStep(s, kind, stageOf[s.ID])
		// The agent of the step's branch or stage, else of the stage enclosing the branch.
		for id, hops := nodeOf[s.ID], 0; id != "" && hops < 64; id, hops = parents[id], hops+1 {
			if a, ok := agents[id]; ok {
				st.Node = &a
				break
			}
		}
		if st.Status == StatusFailure || st.Status == StatusAborted {
			if err := w.stepError(ctx, b, &st); err != nil {
				return false, err
			}
		}
		b.Steps = append(b.Steps, st)
	}
	if err := w.syntheticStages(ctx, b); err != nil {
		return false, err
	}
	rb.boRun, rb.viaAPI = runURL, "blue"
	return true, nil
}

// syntheticStages names the stage of shell steps that Blue Ocean places in none: it hides
// Declarative's own stages ("Declarative: Post Actions", "Declarative: Checkout SCM"), which
// the disk reader, and wfapi, show as stages. Asked only when such steps exist.
func (w *restWalker) syntheticStages(ctx context.Context, b *Build) error {
	stageless := map[string]*Step{}
	for i := range b.Steps {
		if len(b.Steps[i].Stage) == 0 {
			stageless[b.Steps[i].ID] = &b.Steps[i]
		}
	}
	if len(stageless) == 0 || w.c.absent("wfapi") {
		return nil
	}
	var run wfNode
	err := w.c.getJSON(ctx, b.URL+"wfapi/describe", &run)
	switch {
	case isNotFound(err):
		w.c.markAbsent("wfapi")
		return nil
	case err != nil:
		return err
	}
	for _, stage := range run.Stages {
		if !strings.HasPrefix(stage.Name, "Declarative: ") {
			continue
		}
		var sn wfNode
		if err := w.c.getJSON(ctx, b.URL+"execution/node/"+url.PathEscape(stage.ID)+"/wfapi/describe", &sn); err != nil {
			return err
		}
		for _, n := range sn.StageFlowNodes {
			if st, ok := stageless[n.ID]; ok {
				st.Stage = []string{stage.Name}
			}
		}
	}
	return nil
}

// pgvPaths are where pipeline-graph-view has served its stage tree, newest first.
var pgvPaths = []string{"stages/tree", "pipeline-console/tree", "pipeline-graph/tree"}

// pgvAgents asks pipeline-graph-view for the agents of a build's stages; nil when the plugin is
// not installed (found once per walk).
func (w *restWalker) pgvAgents(ctx context.Context, buildURL string) (map[string]string, error) {
	for _, p := range pgvPaths {
		if w.c.absent("pgv:" + p) {
			continue
		}
		u := buildURL + p
		body, _, err := w.c.get(ctx, u, restMaxJSONSize)
		switch {
		case isNotFound(err):
			w.c.markAbsent("pgv:" + p)
			continue
		case err != nil:
			return nil, err
		}
		agents, err := pgvAgents(body)
		if err != nil {
			return nil, restErrorf(u, err)
		}
		return agents, nil
	}
	return nil, nil
}

// boRevision sets Revision, Branch and PR from Blue Ocean: the run's commitId is its
// SCMRevisionAction's revision (for a GitHub PR "head" or, merging, "head+base"), which the
// classic API does not export; a multibranch branch says whether it is a pull request.
func (w *restWalker) boRevision(ctx context.Context, b *Build, names []string, pipeURL string, run boRun) error {
	if run.CommitID == nil || *run.CommitID == "" || len(names) < 2 {
		return nil
	}
	pc, err := w.class(ctx, names[:len(names)-1])
	if err != nil {
		return err
	}
	if !isMultiBranch(pc) {
		return nil
	}
	job := strings.Join(names, "/")
	w.mu.Lock()
	br, ok := w.branch[job]
	w.mu.Unlock()
	if !ok {
		br = &boBranch{}
		if err := w.c.getJSON(ctx, pipeURL, br); err != nil && !isNotFound(err) {
			return err
		}
		w.mu.Lock()
		w.branch[job] = br
		w.mu.Unlock()
	}
	if br.PullRequest == nil {
		b.Revision = *run.CommitID
		return nil
	}
	head, base := prHead(*run.CommitID)
	pr := &PullRequest{Head: head, Base: base, MergeStrategy: base != ""}
	if n, err := strconv.Atoi(br.PullRequest.ID); err == nil {
		pr.Number = n
	} else {
		pr.Number = prNumber(b.Branch)
	}
	b.PR = pr
	b.Revision = head
	return nil
}

// stepError fills a failed step's error from wfapi, the only API exporting the exception
// (class and message; Blue Ocean gives the result only). Without wfapi the error stays empty.
func (w *restWalker) stepError(ctx context.Context, b *Build, st *Step) error {
	if w.c.absent("wfapi") {
		return nil
	}
	u := b.URL + "execution/node/" + url.PathEscape(st.ID) + "/wfapi/describe"
	var n wfNode
	err := w.c.getJSON(ctx, u, &n)
	switch {
	case isNotFound(err):
		w.c.markAbsent("wfapi")
		return nil
	case err != nil:
		return err
	}
	if n.Error != nil {
		applyStepError(st, n.Error.Type, n.Error.Message)
	}
	return nil
}

// wfapiRun reads b's run from wfapi: its start, and its stages. It is nil, with a problem
// recorded, when the controller does not serve wfapi.
func (w *restWalker) wfapiRun(ctx context.Context, b *Build) (*wfNode, error) {
	if w.c.absent("wfapi") {
		b.Problems = append(b.Problems, noStepAPI(b.URL))
		return nil, nil
	}
	u := b.URL + "wfapi/describe"
	var run wfNode
	err := w.c.getJSON(ctx, u, &run)
	switch {
	case isNotFound(err):
		w.c.markAbsent("wfapi")
		b.Problems = append(b.Problems, noStepAPI(b.URL))
		return nil, nil
	case err != nil:
		return nil, err
	}
	if run.StartTimeMillis > 0 {
		b.Start = time.UnixMilli(run.StartTimeMillis).UTC() // the run's start, as build.xml's startTime
	}
	return &run, nil
}

// readWFAPI reads the steps of b from the Pipeline REST API: the stages of the run, then each
// stage's flow nodes.
func (w *restWalker) readWFAPI(ctx context.Context, b *Build, rb *remoteBuild) error {
	run, err := w.wfapiRun(ctx, b)
	if err != nil || run == nil {
		return err
	}
	u := b.URL + "wfapi/describe"
	for _, stage := range run.Stages {
		if stage.ID == "" {
			b.Problems = append(b.Problems, fmt.Sprintf("%s: stage %q has no id; its steps were not read", u, stage.Name))
			continue
		}
		su := b.URL + "execution/node/" + url.PathEscape(stage.ID) + "/wfapi/describe"
		var sn wfNode
		if err := w.c.getJSON(ctx, su, &sn); err != nil {
			return err
		}
		if len(sn.StageFlowNodes) >= wfMaxChildNodes {
			b.Problems = append(b.Problems, fmt.Sprintf("%s: stage %q lists %d flow nodes, the most wfapi gives; later steps are missing (install Blue Ocean for all)", su, stage.Name, len(sn.StageFlowNodes)))
		}
		for _, n := range sn.StageFlowNodes {
			if st, ok := wfShellStep(n, []string{stage.Name}); ok {
				b.Steps = append(b.Steps, st)
			}
		}
	}
	rb.viaAPI = "wfapi"
	return nil
}

func noStepAPI(buildURL string) string {
	return buildURL + ": no steps read: the controller serves neither the Blue Ocean REST API (/blue/rest) nor the Pipeline REST API (wfapi)"
}

// stepLog returns the last maxBytes (all if maxBytes <= 0) of a remote step's log, console
// notes stripped. Blue Ocean sends the tail itself (thresholdInKB); wfapi sends at most the
// last 10 KiB, as HTML.
func (rb *remoteBuild) stepLog(ctx context.Context, s *Step, maxBytes int64) ([]byte, error) {
	var text []byte
	switch rb.viaAPI {
	case "blue":
		base := rb.boRun + "steps/" + url.PathEscape(s.ID) + "/log/"
		if maxBytes <= 0 {
			body, _, err := rb.c.get(ctx, base+"?start=0", restMaxJSONSize)
			if err != nil {
				return nil, err
			}
			text = StripConsoleNotes(body)
			break
		}
		// Blue Ocean sends the last thresholdInKB KiB of the raw log. Ask for a little more
		// than needed, and more again while stripping console notes left too little of a log
		// that has more (X-Text-Delivered < X-Text-Size).
		kb := maxBytes/1024 + 2
		for attempt := 0; ; attempt++ {
			body, hdr, err := rb.c.get(ctx, base+"?thresholdInKB="+strconv.FormatInt(kb, 10), restMaxJSONSize)
			if err != nil {
				return nil, err
			}
			text = StripConsoleNotes(body)
			size, err1 := strconv.ParseInt(hdr.Get("X-Text-Size"), 10, 64)
			delivered, err2 := strconv.ParseInt(hdr.Get("X-Text-Delivered"), 10, 64)
			if int64(len(text)) >= maxBytes || err1 != nil || err2 != nil || delivered >= size || attempt >= 3 {
				break
			}
			kb *= 4
		}
	case "wfapi":
		u := rb.url + "execution/node/" + url.PathEscape(s.ID) + "/wfapi/log"
		var l wfLog
		if err := rb.c.getJSON(ctx, u, &l); err != nil {
			return nil, err
		}
		text = []byte(wfLogText(l.Text))
	default:
		return nil, errors.New(rb.url + ": no step logs: " + noStepAPI(rb.url))
	}
	if maxBytes > 0 && int64(len(text)) > maxBytes {
		text = text[int64(len(text))-maxBytes:]
	}
	return text, nil
}

// buildLog returns the last maxBytes (all if maxBytes <= 0) of a remote build's whole console
// log, console notes stripped and, when cut, starting at the next full line: the place a failure
// outside any step is told. It reads only the tail: the classic progressiveText endpoint says
// the log's size (X-Text-Size) when asked to start past its end, then sends from an offset.
// (For StepLogs.BuildLog on main: a build with URL set is read here.)
func (rb *remoteBuild) buildLog(ctx context.Context, maxBytes int64) ([]byte, error) {
	base := rb.url + "logText/progressiveText"
	start := int64(0)
	if maxBytes > 0 {
		_, hdr, err := rb.c.get(ctx, base+"?start="+strconv.FormatInt(1<<62, 10), 1<<20)
		if err != nil {
			return nil, err
		}
		size, err := strconv.ParseInt(hdr.Get("X-Text-Size"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("GET %s: no X-Text-Size header giving the log's size", base)
		}
		// One byte early: the line the tail starts in is dropped unless the tail starts one.
		start = max(0, size-maxBytes-1)
	}
	body, _, err := rb.c.get(ctx, base+"?start="+strconv.FormatInt(start, 10), restMaxJSONSize)
	if err != nil {
		return nil, err
	}
	if start > 0 {
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			body = body[i+1:]
		}
	}
	return StripConsoleNotes(body), nil
}
