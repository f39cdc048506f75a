package jenkins

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The JSON shapes of the Jenkins REST APIs cidiff reads (JENKINS_FORMATS.md §12), and their
// mapping onto Build and Step. Everything here is pure: bytes in, values out, for fuzzing.

// restItem is an item's api/json trimmed by itemTree: a folder or multibranch project lists its
// children (Jobs non-nil), a job its builds (AllBuilds non-nil).
type restItem struct {
	Class     string        `json:"_class"`
	Name      string        `json:"name"`
	Number    *int          `json:"number"` // set when the URL was a build's
	Jobs      []restItem    `json:"jobs"`
	AllBuilds []restBuildNo `json:"allBuilds"`
}

type restBuildNo struct {
	Number int `json:"number"`
}

// itemTree asks an item for its children with their builds (leaf jobs) or children's names
// (folders, to be visited next), so that one request covers a container and all its jobs.
const itemTree = "_class,name,number,allBuilds[number],jobs[name,_class,allBuilds[number],jobs[name]]"

// runTree trims a build's api/json to what Build needs.
const runTree = "_class,number,result,building,inProgress,timestamp,duration," +
	"actions[_class,causes[_class,shortDescription,userId,userName,upstreamProject,upstreamBuild,addr]," +
	"parameters[_class,name,value],lastBuiltRevision[SHA1,branch[SHA1,name]],remoteUrls,scmName]"

// restRun is a build's api/json.
type restRun struct {
	Class      string       `json:"_class"`
	Number     *int         `json:"number"`
	Result     *string      `json:"result"`
	Building   bool         `json:"building"`
	InProgress bool         `json:"inProgress"`
	Timestamp  int64        `json:"timestamp"`
	Duration   int64        `json:"duration"`
	Actions    []restAction `json:"actions"`
}

type restAction struct {
	Class             string          `json:"_class"`
	Causes            []restCause     `json:"causes"`
	Parameters        []restParameter `json:"parameters"`
	LastBuiltRevision *struct {
		SHA1   string `json:"SHA1"`
		Branch []struct {
			SHA1 string `json:"SHA1"`
			Name string `json:"name"`
		} `json:"branch"`
	} `json:"lastBuiltRevision"`
	RemoteURLs []string `json:"remoteUrls"`
	SCMName    string   `json:"scmName"`
}

type restCause struct {
	Class            string `json:"_class"`
	ShortDescription string `json:"shortDescription"`
	UserID           string `json:"userId"`
	UserName         string `json:"userName"`
	UpstreamProject  string `json:"upstreamProject"`
	UpstreamBuild    *int   `json:"upstreamBuild"`
	Addr             string `json:"addr"`
}

type restParameter struct {
	Class string          `json:"_class"`
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

const workflowRunClass = "org.jenkinsci.plugins.workflow.job.WorkflowRun"

// decodeRun parses a build's api/json.
func decodeRun(data []byte) (*restRun, error) {
	var r restRun
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// applyRun fills b from a build's api/json: result, times, causes, parameters and, from the
// project's BuildData, the revision. branch is the multibranch branch the build ran for ("" for
// another job): it is the build's Branch and picks the project's BuildData among several.
// isPipeline is false for a run of another type.
func applyRun(r *restRun, b *Build, branch string) (isPipeline bool) {
	if r.Result != nil && !r.Building {
		b.Result = Result(*r.Result)
	}
	b.Completed = !r.Building && b.Result != ""
	if r.Timestamp > 0 {
		b.Start = time.UnixMilli(r.Timestamp).UTC()
	}
	if r.Duration > 0 {
		b.Duration = time.Duration(r.Duration) * time.Millisecond
	}
	var buildData []restAction
	for _, a := range r.Actions {
		switch javaSimpleName(a.Class) {
		case "CauseAction":
			for _, c := range a.Causes {
				b.Causes = append(b.Causes, restCauseOf(c))
			}
		case "ParametersAction":
			for _, p := range a.Parameters {
				if p.Name != "" {
					b.Parameters = append(b.Parameters, restParameterOf(p))
				}
			}
		case "BuildData":
			if a.LastBuiltRevision != nil {
				buildData = append(buildData, a)
			}
		}
	}
	if bd := projectBuildDataREST(buildData, branch); bd != nil {
		b.Revision = bd.LastBuiltRevision.SHA1
		if len(bd.RemoteURLs) > 0 {
			b.Remote = bd.RemoteURLs[0]
		}
		if len(bd.LastBuiltRevision.Branch) > 0 {
			b.Branch = shortBranch(bd.LastBuiltRevision.Branch[0].Name)
		}
	}
	if branch != "" {
		b.Branch = branch
	}
	return r.Class == "" || r.Class == workflowRunClass
}

// projectBuildDataREST picks the project's checkout among a build's BuildData. REST exports
// neither the checkouts nor their workspaces, which tell the disk reader a shared library's
// BuildData from the project's; of several, the one that built the build's own branch is the
// project's, and with no such clue none is taken (as on disk).
func projectBuildDataREST(all []restAction, branch string) *restAction {
	if len(all) == 1 {
		return &all[0]
	}
	var match []int
	for i, bd := range all {
		for _, br := range bd.LastBuiltRevision.Branch {
			if branch != "" && shortBranch(br.Name) == branch {
				match = append(match, i)
				break
			}
		}
	}
	if len(match) == 1 {
		return &all[match[0]]
	}
	return nil
}

// restBuildsByBranch is BuildData's buildsByBranchName: per branch, the last build of it, with
// the commit asked for (marked: a PR's head) and the one built (revision: the merge, when
// Jenkins merged the PR with its target).
type restBuildsByBranch struct {
	Actions []struct {
		Class              string `json:"_class"`
		BuildsByBranchName map[string]struct {
			BuildNumber int `json:"buildNumber"`
			Marked      *struct {
				SHA1 string `json:"SHA1"`
			} `json:"marked"`
			Revision *struct {
				SHA1 string `json:"SHA1"`
			} `json:"revision"`
		} `json:"buildsByBranchName"`
	} `json:"actions"`
}

// prHeadFromBuildData finds the PR head the git plugin recorded for build number of branch:
// the marked commit (before any merge) and the built one. ok is false unless exactly one
// BuildData has it.
func prHeadFromBuildData(data []byte, branch string, number int) (head, built string, ok bool) {
	var r restBuildsByBranch
	if json.Unmarshal(data, &r) != nil {
		return "", "", false
	}
	found := 0
	for _, a := range r.Actions {
		if javaSimpleName(a.Class) != "BuildData" {
			continue
		}
		for name, bb := range a.BuildsByBranchName {
			if shortBranch(name) != branch || bb.BuildNumber != number || bb.Marked == nil || bb.Marked.SHA1 == "" {
				continue
			}
			found++
			head = bb.Marked.SHA1
			built = head
			if bb.Revision != nil && bb.Revision.SHA1 != "" {
				built = bb.Revision.SHA1
			}
			break
		}
	}
	return head, built, found == 1
}

var replayedNumber = regexp.MustCompile(`#(\d+)`)

// restCauseOf maps an exported cause onto Cause as the disk reader describes it.
func restCauseOf(rc restCause) Cause {
	c := Cause{Kind: javaSimpleName(rc.Class)}
	switch c.Kind {
	case "UserIdCause":
		c.Description = "user " + rc.UserID
		if rc.UserID == "" {
			c.Description = "anonymous user"
		}
	case "UserCause":
		c.Description = "user " + rc.UserName
	case "UpstreamCause":
		if rc.UpstreamBuild != nil {
			c.Description = rc.UpstreamProject + " #" + strconv.Itoa(*rc.UpstreamBuild)
		}
	case "RebuildCause":
		if rc.UpstreamBuild != nil {
			n := *rc.UpstreamBuild
			c.Description = "rebuild of #" + strconv.Itoa(n)
			c.OriginalNumber = &n
		}
	case "ReplayCause":
		// originalNumber is not exported; the short description is "Replayed #12".
		if m := replayedNumber.FindStringSubmatch(rc.ShortDescription); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				c.OriginalNumber = &n
				c.Description = "replay of #" + strconv.Itoa(n)
			}
		}
	case "BranchIndexingCause":
		c.Description = "branch indexing"
	case "BranchEventCause":
		c.Description = rc.ShortDescription
	case "SCMTriggerCause":
		c.Description = "SCM change"
	case "TimerTriggerCause":
		c.Description = "timer"
	case "RemoteCause":
		c.Description = rc.Addr
	}
	return c
}

// restParameterOf keeps a parameter's value as text; secrets are never kept (as on disk).
func restParameterOf(rp restParameter) Parameter {
	p := Parameter{Name: rp.Name}
	kind := javaSimpleName(rp.Class)
	if strings.Contains(kind, "Password") || strings.Contains(kind, "Credentials") || strings.Contains(kind, "Secret") {
		p.Sensitive = true
		return p
	}
	var s string
	switch {
	case len(rp.Value) == 0 || string(rp.Value) == "null":
	case json.Unmarshal(rp.Value, &s) == nil:
		p.Value = s
	default:
		// Booleans and numbers read as written; objects (run, file parameters) as compact JSON.
		var v any
		if json.Unmarshal(rp.Value, &v) == nil {
			if out, err := json.Marshal(v); err == nil {
				p.Value = string(out)
			}
		}
	}
	return p
}

// --- Blue Ocean (/blue/rest/organizations/jenkins/pipelines/…) ---

// boRun is a Blue Ocean run.
type boRun struct {
	ID               string  `json:"id"`
	Result           string  `json:"result"`
	State            string  `json:"state"`
	StartTime        string  `json:"startTime"`
	DurationInMillis *int64  `json:"durationInMillis"`
	CommitID         *string `json:"commitId"`
}

// boBranch is a Blue Ocean multibranch branch; pullRequest is set for a PR.
type boBranch struct {
	Name        string `json:"name"`
	PullRequest *struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		URL    string `json:"url"`
		Author string `json:"author"`
	} `json:"pullRequest"`
}

// boNode is a stage or parallel branch of a run.
type boNode struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	Type             string `json:"type"` // STAGE, PARALLEL
	Result           string `json:"result"`
	State            string `json:"state"`
	StartTime        string `json:"startTime"`
	DurationInMillis *int64 `json:"durationInMillis"`
	Edges            []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"edges"`
	FirstParent string `json:"firstParent"`
}

// boStep is an atom step of a run.
type boStep struct {
	ID                 string `json:"id"`
	DisplayName        string `json:"displayName"`
	DisplayDescription string `json:"displayDescription"`
	Type               string `json:"type"`
	StepType           string `json:"stepType"`
	Result             string `json:"result"`
	State              string `json:"state"`
	StartTime          string `json:"startTime"`
	DurationInMillis   *int64 `json:"durationInMillis"`
}

// boTime parses Blue Ocean's dates ("2016-05-06T15:15:08.719-0700"); zero when absent.
func boTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05.000Z07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// shellDisplayNames are the step descriptors' display names, which a step shows when it has no
// label (FlowNode.getDisplayName: the LabelAction's name, else the descriptor's).
var shellDisplayNames = map[string]string{
	"Shell Script":              "sh",
	"Windows Batch Script":      "bat",
	"Windows PowerShell Script": "powershell",
	"PowerShell Core Script":    "pwsh",
}

var shellDefaultNames = map[string]string{
	"sh": "Shell Script", "bat": "Windows Batch Script", "powershell": "Windows PowerShell Script", "pwsh": "PowerShell Core Script",
}

// nonShellStepNames are the display names of common Pipeline steps other than the shell steps
// (workflow-basic-steps, workflow-scm-step, junit, git, pipeline-input-step, pipeline-build-step,
// pipeline-utility-steps, ws-cleanup, …). See shellKindByName.
var nonShellStepNames = map[string]bool{}

func init() {
	for _, n := range []string{
		// workflow-basic-steps
		"Archive artifacts", "Catch error and set build and stage result to unstable",
		"Catch error and set build result to failure", "Checks if running on a Unix-like node",
		"Copy archived artifacts into the workspace", "Determine current directory", "Enforce time limit",
		"Error signal", "General Build Step", "General Build Wrapper", "Get contextual object from internal APIs",
		"Mail", "Non-resumable steps", "Print Message", "Read file from workspace",
		"Recursively delete the current directory from the workspace", "Restore files previously stashed",
		"Retry the body up to N times", "Set environment variables", "Set stage result to unstable", "Sleep",
		"Stash some files to be used later in the build", "Use a tool from a predefined Tool Installation",
		"Use contextual object from internal APIs within a block", "Verify if file exists in workspace",
		"Wait for condition", "Write file to workspace",
		// General Build Step / SCM delegates and other common plugins
		"Archive the artifacts", "Archive JUnit-formatted test results", "Record fingerprints of files to track usage",
		"Publish HTML reports", "Check out from version control", "General SCM", "Git", "Wait for interactive input",
		"Input", "Build a job", "The milestone step forces all builds to go through in order",
		"Evaluate a Groovy source file into the Pipeline script", "Load a library on the fly",
		"Copy artifacts from another project", "Delete workspace when build is done",
		"Find files in the workspace", "Read properties from files in the workspace or text.",
		"Read yaml from files in the workspace or text.", "Write a yaml from an object or objects.",
		"Read JSON from files in the workspace.", "Write JSON to a file in the workspace.", "Create Zip file",
		"Extract Zip file", "Compute the SHA1 of a given file", "Read a maven project file.",
		"Set build status on GitHub commit", "Notifies GitHub of the status of a Pull Request",
		"Set GitHub commit status with custom context and message", "Send Slack Message", "Extended Email",
		"Perform an HTTP Request and return a response object", "Capture the execution state so that it can be restarted later",
		"Publish Checks to SCM", "Record compiler warnings and static analysis results", "Declarative: Checkout SCM",
	} {
		nonShellStepNames[n] = true
	}
}

// shellKindByName says whether an atom step is a shell step from what Blue Ocean and wfapi
// export of it: its display name and its argument summary (neither exports the step's type).
// An unlabelled shell step shows its descriptor's name ("Shell Script"). A labelled one shows
// only its label: it is recognised by elimination, as a step with arguments whose name is no
// known step's, and taken for sh. (DurableTaskStep's label is the only LabelAction Pipeline
// puts on an atom step; a plugin step missing from nonShellStepNames would be mistaken.)
func shellKindByName(displayName, description string) (kind string, labelled, ok bool) {
	if kind, ok := shellDisplayNames[displayName]; ok {
		return kind, false, true
	}
	if displayName == "" || description == "" || nonShellStepNames[displayName] {
		return "", false, false
	}
	return "sh", true, true
}

// boShellKind says whether a Blue Ocean step is a shell step: by its descriptor (stepType, where
// a Blue Ocean version exports it), else by shellKindByName.
func boShellKind(s boStep) (string, bool) {
	if s.StepType != "" && s.StepType != "unknown" {
		kind, ok := shellKinds[javaSimpleName(s.StepType)]
		return kind, ok
	}
	kind, _, ok := shellKindByName(s.DisplayName, s.DisplayDescription)
	return kind, ok
}

// boStepStatus maps Blue Ocean's result and state onto Status.
func boStepStatus(result, state string) Status {
	switch state {
	case "RUNNING", "PAUSED", "QUEUED":
		return StatusUnknown
	case "SKIPPED", "NOT_BUILT":
		return StatusNotExecuted
	}
	switch result {
	case "SUCCESS", "UNSTABLE":
		// A shell step is UNSTABLE only through a WarningAction; it did not fail.
		return StatusSuccess
	case "FAILURE":
		return StatusFailure
	case "ABORTED":
		return StatusAborted
	case "NOT_BUILT":
		return StatusNotExecuted
	}
	return StatusUnknown
}

// boParents maps each parallel branch to the stage whose edges lead to it: its enclosing stage.
func boParents(nodes []boNode) map[string]string {
	types := map[string]string{}
	for _, n := range nodes {
		types[n.ID] = n.Type
	}
	parent := map[string]string{}
	for _, n := range nodes {
		if n.Type != "STAGE" {
			continue
		}
		for _, e := range n.Edges {
			if types[e.ID] == "PARALLEL" && e.ID != n.ID {
				parent[e.ID] = n.ID
			}
		}
	}
	return parent
}

// boStagePaths gives every Blue Ocean node its stage path, outermost first, as the disk reader
// names a step's enclosing stages and branches. Blue Ocean's graph (PipelineNodeGraphVisitor):
// a parallel branch is reached by an edge from its enclosing stage; a stage nested in a branch
// (Declarative sequential stages) has the branch, or the nested stage before it, as its first
// parent and is reached by an edge from it; a top-level stage's first parent is the top-level
// stage before it. A branch and its Declarative stage of the same name appear once, and Blue
// Ocean's synthetic "Parallel" stage (a top-level parallel outside any stage; its id ends in
// -synthetic) is no stage on disk.
func boStagePaths(nodes []boNode) map[string][]string {
	byID := map[string]*boNode{}
	for i := range nodes {
		byID[nodes[i].ID] = &nodes[i]
	}
	parent := boParents(nodes)
	edge := func(from *boNode, to string) bool {
		for _, e := range from.Edges {
			if e.ID == to {
				return true
			}
		}
		return false
	}
	// branchOf: the parallel branch a nested stage belongs to ("" for a top-level stage).
	branchMemo := map[string]string{}
	var branchOf func(id string, depth int) string
	branchOf = func(id string, depth int) string {
		if b, ok := branchMemo[id]; ok {
			return b
		}
		branchMemo[id] = "" // breaks cycles in a malformed graph
		n := byID[id]
		f := byID[n.FirstParent]
		b := ""
		if n.Type == "STAGE" && f != nil && f.ID != id && depth < len(nodes) && edge(f, id) {
			switch f.Type {
			case "PARALLEL":
				b = f.ID
			case "STAGE":
				b = branchOf(f.ID, depth+1)
			}
		}
		branchMemo[id] = b
		return b
	}
	paths := map[string][]string{}
	visiting := map[string]bool{}
	var path func(id string) []string
	path = func(id string) []string {
		if p, ok := paths[id]; ok {
			return p
		}
		n := byID[id]
		if n == nil || visiting[id] {
			return nil
		}
		visiting[id] = true
		defer delete(visiting, id)
		var p []string
		if pid, ok := parent[id]; ok {
			p = append(p, path(pid)...)
		} else if b := branchOf(id, 0); b != "" {
			p = append(p, path(b)...)
		}
		if !strings.HasSuffix(n.ID, "-synthetic") && (len(p) == 0 || p[len(p)-1] != n.DisplayName) {
			p = append(p, n.DisplayName)
		}
		p = p[:len(p):len(p)]
		paths[id] = p
		return p
	}
	for _, n := range nodes {
		path(n.ID)
	}
	return paths
}

// boShellStep makes a Step from a Blue Ocean shell step.
func boShellStep(s boStep, kind string, stage []string) Step {
	st := Step{ID: s.ID, Kind: kind, Stage: stage, Status: boStepStatus(s.Result, s.State)}
	if s.DisplayName != shellDefaultNames[kind] {
		st.Label = s.DisplayName // the LabelAction, cut at DurableTaskStep's maximum length
	}
	// sh and bat summarise their arguments as the script, labelled or not.
	st.Script = s.DisplayDescription
	st.Start = boTime(s.StartTime)
	if s.DurationInMillis != nil && *s.DurationInMillis > 0 && st.Status != StatusUnknown {
		st.Duration = time.Duration(*s.DurationInMillis) * time.Millisecond
	}
	return st
}

// --- pipeline-graph-view (<build>/stages/tree, formerly pipeline-console/ or pipeline-graph/) ---

// pgvStage is a stage or parallel branch of pipeline-graph-view's tree. Its agent is the node
// of the node/agent block enclosing or directly inside it (WorkspaceAction), the only place a
// REST API names where steps ran.
type pgvStage struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Agent    *string    `json:"agent"`
	Children []pgvStage `json:"children"`
}

// pgvTree is the tree answer: {"status":"ok","data":{"stages":[…]}}, or the bare data.
type pgvTree struct {
	Data *struct {
		Stages []pgvStage `json:"stages"`
	} `json:"data"`
	Stages []pgvStage `json:"stages"`
}

// pgvAgents maps stage and branch ids (flow-node ids, as Blue Ocean's) to the agent their steps
// ran on; a stage without one of its own inherits its parent's.
func pgvAgents(data []byte) (map[string]string, error) {
	var t pgvTree
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, err
	}
	stages := t.Stages
	if t.Data != nil {
		stages = t.Data.Stages
	}
	out := map[string]string{}
	var walk func(ss []pgvStage, inherited *string, depth int)
	walk = func(ss []pgvStage, inherited *string, depth int) {
		if depth > 64 {
			return
		}
		for _, s := range ss {
			a := inherited
			if s.Agent != nil {
				a = s.Agent
			}
			if a != nil && s.ID != "" {
				out[s.ID] = *a
			}
			walk(s.Children, a, depth+1)
		}
	}
	walk(stages, nil, 0)
	return out, nil
}

// --- pipeline-stage-view REST API (wfapi) ---

// wfNode is a wfapi run, stage or flow node.
type wfNode struct {
	ID                   string   `json:"id"`
	Name                 string   `json:"name"`
	Status               string   `json:"status"`
	ExecNode             string   `json:"execNode"`
	ParameterDescription string   `json:"parameterDescription"`
	Error                *wfError `json:"error"`
	StartTimeMillis      int64    `json:"startTimeMillis"`
	DurationMillis       int64    `json:"durationMillis"`
	ParentNodes          []string `json:"parentNodes"`
	Stages               []wfNode `json:"stages"`
	StageFlowNodes       []wfNode `json:"stageFlowNodes"`
}

type wfError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

// wfLog is /execution/node/<id>/wfapi/log: the last 10 KiB of the node's log, as HTML.
type wfLog struct {
	NodeID  string `json:"nodeId"`
	Length  int64  `json:"length"`
	HasMore bool   `json:"hasMore"`
	Text    string `json:"text"`
}

// wfMaxChildNodes is StageNodeExt.MAX_CHILD_NODES: a stage lists at most this many flow nodes.
const wfMaxChildNodes = 100

// wfStepStatus maps wfapi's StatusExt onto Status.
func wfStepStatus(s string) Status {
	switch s {
	case "SUCCESS", "UNSTABLE":
		return StatusSuccess
	case "FAILED":
		return StatusFailure
	case "ABORTED":
		return StatusAborted
	case "NOT_EXECUTED":
		return StatusNotExecuted
	}
	return StatusUnknown // IN_PROGRESS, PAUSED_PENDING_INPUT
}

// wfShellStep makes a Step from a stage's flow node when it is a shell step (shellKindByName).
func wfShellStep(n wfNode, stage []string) (Step, bool) {
	kind, labelled, ok := shellKindByName(n.Name, n.ParameterDescription)
	if !ok {
		return Step{}, false
	}
	st := Step{ID: n.ID, Kind: kind, Stage: stage, Script: n.ParameterDescription, Status: wfStepStatus(n.Status)}
	if labelled {
		st.Label = n.Name
	}
	if n.StartTimeMillis > 0 {
		st.Start = time.UnixMilli(n.StartTimeMillis).UTC()
		if n.DurationMillis > 0 && st.Status != StatusUnknown {
			st.Duration = time.Duration(n.DurationMillis) * time.Millisecond
		}
	}
	// wfapi's execNode is always "" for flow nodes (ChunkVisitor passes ""): no agent.
	if n.Error != nil && st.Status != StatusNotExecuted {
		applyStepError(&st, n.Error.Type, n.Error.Message)
	}
	return st, true
}

// applyStepError sets Status, Error, ErrorClass and ExitCode from a step's exception, as the
// disk reader's verdict does (JENKINS_FORMATS.md §7). The REST APIs export the exception's class
// and message only: an interruption's causes (user, timeout, lost agent) are not exported.
func applyStepError(st *Step, class, message string) {
	if class == "" && message == "" {
		return
	}
	st.ErrorClass = class
	switch {
	case javaSimpleName(class) == "FlowInterruptedException":
		st.Status = StatusAborted
		st.Error = class
		if message != "" {
			st.Error += ": " + message
		}
	default:
		if st.Status != StatusAborted {
			st.Status = StatusFailure
		}
		st.Error, st.ExitCode = failure(class, message)
	}
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// wfLogText turns wfapi's HTML-annotated log text back into plain text.
func wfLogText(s string) string {
	return html.UnescapeString(htmlTag.ReplaceAllString(s, ""))
}

// --- JUnit (/testReport/api/json) ---

const testReportTree = "suites[name,nodeId,enclosingBlockNames,cases[className,name,status,duration,errorDetails,errorStackTrace,failedSince,skipped]]"

type restTestReport struct {
	Suites []struct {
		Name                string   `json:"name"`
		NodeID              string   `json:"nodeId"`
		EnclosingBlockNames []string `json:"enclosingBlockNames"`
		Cases               []struct {
			ClassName       string  `json:"className"`
			Name            string  `json:"name"`
			Status          string  `json:"status"`
			Duration        float64 `json:"duration"`
			ErrorDetails    *string `json:"errorDetails"`
			ErrorStackTrace *string `json:"errorStackTrace"`
			FailedSince     int     `json:"failedSince"`
			Skipped         bool    `json:"skipped"`
		} `json:"cases"`
	} `json:"suites"`
}

// decodeTestReport maps a test report onto TestCase as ReadJUnit does from junitResult.xml.
func decodeTestReport(data []byte) ([]TestCase, error) {
	var r restTestReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var out []TestCase
	for _, s := range r.Suites {
		var stage []string
		for i := len(s.EnclosingBlockNames) - 1; i >= 0; i-- {
			if n := s.EnclosingBlockNames[i]; len(stage) == 0 || stage[len(stage)-1] != n {
				stage = append(stage, n)
			}
		}
		for _, c := range s.Cases {
			tc := TestCase{
				Suite: s.Name, ClassName: c.ClassName, Name: c.Name, NodeID: s.NodeID,
				FailedSince: c.FailedSince, Stage: append([]string(nil), stage...),
			}
			if c.Duration > 0 && c.Duration < 1e9 {
				tc.Duration = time.Duration(c.Duration * float64(time.Second))
			}
			if c.ErrorDetails != nil {
				tc.ErrorDetails = *c.ErrorDetails
			}
			if c.ErrorStackTrace != nil {
				tc.ErrorStackTrace = *c.ErrorStackTrace
			}
			switch {
			case c.Skipped || c.Status == "SKIPPED":
				tc.Status = TestSkipped
			case c.Status == "FAILED" || c.Status == "REGRESSION" || c.ErrorDetails != nil || c.ErrorStackTrace != nil:
				tc.Status = TestFailed
			default:
				tc.Status = TestPassed
			}
			out = append(out, tc)
		}
	}
	return out, nil
}

// --- shared ---

// sortStepsByID puts steps in numeric flow-node id order (the disk reader's order).
func sortStepsByID(steps []Step) {
	sort.SliceStable(steps, func(i, j int) bool {
		a, errA := strconv.Atoi(steps[i].ID)
		b, errB := strconv.Atoi(steps[j].ID)
		if errA == nil && errB == nil {
			return a < b
		}
		return steps[i].ID < steps[j].ID
	})
}

// decodeItemName is NameEncoder.decode: an item name back to the branch name it encodes.
func decodeItemName(name string) string {
	if !strings.Contains(name, "%") {
		return name
	}
	r := strings.NewReplacer("%2F", "/", "%2f", "/", "%23", "#", "%3F", "?", "%3f", "?",
		"%5B", "[", "%5b", "[", "%5D", "]", "%5d", "]", "%5C", `\`, "%5c", `\`, "%25", "%")
	return r.Replace(name)
}

// prHead splits Blue Ocean's commitId (SCMRevision.toString()) of a pull request: the head, and
// for a merge build "head+base".
func prHead(commitID string) (head, base string) {
	head, base, _ = strings.Cut(strings.TrimSpace(commitID), "+")
	// Some SCMs append " (merge)"-style details; keep the hash only.
	if i := strings.IndexByte(head, ' '); i >= 0 {
		head = head[:i]
	}
	if i := strings.IndexByte(base, ' '); i >= 0 {
		base = base[:i]
	}
	return head, base
}

// restErrorf names a URL in a decoding error.
func restErrorf(u string, err error) error {
	return fmt.Errorf("GET %s: not the JSON expected: %w", shortURL(u), err)
}
