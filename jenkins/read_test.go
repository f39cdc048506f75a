package jenkins

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cidiff/cidiff/fixtures/sharedtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Helpers that write small synthetic build directories in the on-disk formats of
// JENKINS_FORMATS.md §3 and §5, for the reader's table tests, fuzz seeds and benchmark.

const (
	fxSh         = "org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep"
	fxBat        = "org.jenkinsci.plugins.workflow.steps.durable_task.BatchScriptStep"
	fxPowershell = "org.jenkinsci.plugins.workflow.steps.durable_task.PowershellScriptStep"
	fxPwsh       = "org.jenkinsci.plugins.workflow.steps.durable_task.PowerShellCoreScriptStep"
	fxStage      = "org.jenkinsci.plugins.workflow.support.steps.StageStep"
	fxNode       = "org.jenkinsci.plugins.workflow.support.steps.ExecutorStep"
	fxParallel   = "org.jenkinsci.plugins.workflow.cps.steps.ParallelStep"
	fxRetry      = "org.jenkinsci.plugins.workflow.steps.RetryStep"
	fxTimeout    = "org.jenkinsci.plugins.workflow.steps.TimeoutStep"
	fxCatch      = "org.jenkinsci.plugins.workflow.steps.CatchErrorStep"
	fxEcho       = "org.jenkinsci.plugins.workflow.steps.EchoStep"
	fxEnv        = "org.jenkinsci.plugins.workflow.steps.EnvStep"
)

// fxN is one synthetic flow node.
type fxN struct {
	id      int
	class   string // alias form: "cps.n.StepAtomNode", or a graph class FQCN
	desc    string
	parents []int
	startID int
	actions []string // action elements in alias form
}

func fxFlowStart() fxN {
	return fxN{id: 2, class: "org.jenkinsci.plugins.workflow.graph.FlowStartNode"}
}
func fxFlowEnd(id int, parents ...int) fxN {
	return fxN{id: id, class: "org.jenkinsci.plugins.workflow.graph.FlowEndNode", parents: parents, startID: 2}
}
func fxAtom(id int, desc string, parent int, actions ...string) fxN {
	return fxN{id: id, class: "cps.n.StepAtomNode", desc: desc, parents: []int{parent}, actions: actions}
}
func fxStart(id int, desc string, parent int, actions ...string) fxN {
	return fxN{id: id, class: "cps.n.StepStartNode", desc: desc, parents: []int{parent}, actions: actions}
}
func fxBody(id int, desc string, parent int, actions ...string) fxN {
	return fxN{id: id, class: "cps.n.StepStartNode", desc: desc, parents: []int{parent},
		actions: append([]string{"<wf.a.BodyInvocationAction/>"}, actions...)}
}
func fxEnd(id, start int, parents []int, actions ...string) fxN {
	return fxN{id: id, class: "cps.n.StepEndNode", parents: parents, startID: start, actions: actions}
}

func fxTiming(ms int64) string {
	return fmt.Sprintf("<wf.a.TimingAction><startTime>%d</startTime></wf.a.TimingAction>", ms)
}
func fxLabel(name string) string {
	return "<wf.a.LabelAction><displayName>" + name + "</displayName></wf.a.LabelAction>"
}
func fxBranch(name string) string {
	return "<org.jenkinsci.plugins.workflow.cps.steps.ParallelStepExecution_-ParallelLabelAction><branchName>" +
		name + "</branchName></org.jenkinsci.plugins.workflow.cps.steps.ParallelStepExecution_-ParallelLabelAction>"
}
func fxWS(node, path string) string {
	return "<s.a.WorkspaceActionImpl><node>" + node + "</node><path>" + path +
		"</path><labels class=\"sorted-set\"/></s.a.WorkspaceActionImpl>"
}

// fxArgs writes an ArgumentsActionImpl; kv alternates name and value, a value "true"/"false"
// is a <boolean>.
func fxArgs(kv ...string) string {
	var b strings.Builder
	b.WriteString("<cps.a.ArgumentsActionImpl><arguments>")
	for i := 0; i+1 < len(kv); i += 2 {
		typ := "string"
		if kv[i+1] == "true" || kv[i+1] == "false" {
			typ = "boolean"
		}
		fmt.Fprintf(&b, "<entry><string>%s</string><%s>%s</%s></entry>", kv[i], typ, kv[i+1], typ)
	}
	b.WriteString("</arguments><sensitiveVariables/><isUnmodifiedBySanitization>true</isUnmodifiedBySanitization></cps.a.ArgumentsActionImpl>")
	return b.String()
}

// fxError writes an ErrorAction with an exception of class cls, a detailMessage if msg != "",
// and extra children (causes, result) verbatim.
func fxError(cls, msg string, extra ...string) string {
	m := ""
	if msg != "" {
		m = "<detailMessage>" + msg + "</detailMessage>"
	}
	return "<wf.a.ErrorAction><error class=\"" + cls + "\">" + m +
		"<stackTrace><trace>x.Y(Y.java:1)</trace></stackTrace><suppressedExceptions class=\"empty-list\"/>" +
		strings.Join(extra, "") + "</error></wf.a.ErrorAction>"
}

func fxAbortExit(code int) string {
	return fxError("hudson.AbortException", fmt.Sprintf("script returned exit code %d", code))
}

// fxInterrupted is a FlowInterruptedException(ABORTED) with one CauseOfInterruption element.
func fxInterrupted(cause string) string {
	return fxError("org.jenkinsci.plugins.workflow.steps.FlowInterruptedException", "",
		"<result><name>ABORTED</name><ordinal>4</ordinal><color>ABORTED</color><completeBuild>false</completeBuild></result>",
		"<causes class=\"java.util.Arrays$ArrayList\"><a class=\"jenkins.model.CauseOfInterruption-array\">"+cause+"</a></causes>",
		"<actualInterruption>true</actualInterruption>")
}

// fxOld rewrites alias names to the fully qualified names of pre-2018 files.
func fxOld(s string) string {
	r := strings.NewReplacer(
		"<cps.n.", "<org.jenkinsci.plugins.workflow.cps.nodes.", "\"cps.n.", "\"org.jenkinsci.plugins.workflow.cps.nodes.",
		"<wf.a.", "<org.jenkinsci.plugins.workflow.actions.", "</wf.a.", "</org.jenkinsci.plugins.workflow.actions.",
		"<s.a.", "<org.jenkinsci.plugins.workflow.support.actions.", "</s.a.", "</org.jenkinsci.plugins.workflow.support.actions.",
		"<cps.a.", "<org.jenkinsci.plugins.workflow.cps.actions.", "</cps.a.", "</org.jenkinsci.plugins.workflow.cps.actions.",
	)
	return r.Replace(s)
}

// tag renders the node as a Tag element; old uses the pre-2018 root and full names.
func (n fxN) tag(old bool) string {
	var b strings.Builder
	root := "Tag"
	if old {
		root = "org.jenkinsci.plugins.workflow.support.storage.SimpleXStreamFlowNodeStorage_-Tag"
	}
	fmt.Fprintf(&b, "<%s plugin=\"workflow-support@3.3\">\n  <node class=\"%s\">\n    <parentIds>", root, n.class)
	for _, p := range n.parents {
		fmt.Fprintf(&b, "<string>%d</string>", p)
	}
	fmt.Fprintf(&b, "</parentIds>\n    <id>%d</id>\n", n.id)
	if n.startID != 0 {
		fmt.Fprintf(&b, "    <startId>%d</startId>\n", n.startID)
	}
	if n.desc != "" {
		fmt.Fprintf(&b, "    <descriptorId>%s</descriptorId>\n", n.desc)
	}
	b.WriteString("  </node>\n  <actions>")
	for _, a := range n.actions {
		b.WriteString("\n    " + a)
	}
	fmt.Fprintf(&b, "\n  </actions>\n</%s>", root)
	if old {
		return fxOld(b.String())
	}
	return b.String()
}

// fxBulk renders a flowNodeStore.xml holding the nodes in the order given.
func fxBulk(nodes []fxN) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.1\" encoding=\"UTF-8\"?>\n<linked-hash-map>\n")
	for _, n := range nodes {
		fmt.Fprintf(&b, "  <entry>\n    <string>%d</string>\n    %s\n  </entry>\n", n.id, n.tag(false))
	}
	b.WriteString("</linked-hash-map>\n")
	return b.String()
}

// fxBuildXML writes a modern build.xml. result "" means running (completed false).
func fxBuildXML(result string, extraActions, storageDir string) string {
	completed, res, dur := "true", "<result>"+result+"</result>", "12639"
	if result == "" {
		completed, res, dur = "false", "", "0"
	}
	sd := ""
	if storageDir != "" {
		sd = "<storageDir>" + storageDir + "</storageDir>"
	}
	return `<?xml version='1.1' encoding='UTF-8'?>
<flow-build plugin="workflow-job@1472.ve4d5eca_143c4">
  <actions>` + extraActions + `</actions>
  <queueId>287</queueId>
  <timestamp>1736954750309</timestamp>
  <startTime>1736954750315</startTime>
  ` + res + `
  <duration>` + dur + `</duration>
  <charset>UTF-8</charset>
  <keepLog>false</keepLog>
  <execution class="org.jenkinsci.plugins.workflow.cps.CpsFlowExecution">
    <result>SUCCESS</result>
    <script>node { sh 'true' }</script>
    <iota>99</iota>
    <head>1:99</head>
    <done>` + completed + `</done>
    ` + sd + `
  </execution>
  <completed>` + completed + `</completed>
  <checkouts class="hudson.util.PersistedList"/>
</flow-build>
`
}

// fxLayout says how fxWriteBuild stores the nodes.
type fxLayout int

const (
	fxPerNode fxLayout = iota
	fxBulkStore
	fxOldPerNode
)

// fxWriteBuild writes a build directory dir/<number> and returns its path.
func fxWriteBuild(t testing.TB, root string, number int, buildXML string, layout fxLayout, nodes []fxN) string {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(number))
	storage := filepath.Join(dir, "workflow")
	if layout == fxBulkStore && strings.Contains(buildXML, "<storageDir>workflow-completed</storageDir>") {
		storage = filepath.Join(dir, "workflow-completed")
	}
	if err := os.MkdirAll(storage, 0o755); err != nil {
		t.Fatal(err)
	}
	fxWrite(t, filepath.Join(dir, "build.xml"), buildXML)
	switch layout {
	case fxBulkStore:
		fxWrite(t, filepath.Join(storage, "flowNodeStore.xml"), fxBulk(nodes))
	default:
		for _, n := range nodes {
			prolog := "<?xml version='1.1' encoding='UTF-8'?>\n"
			if layout == fxOldPerNode {
				prolog = "<?xml version='1.0' encoding='UTF-8'?>\n"
			}
			fxWrite(t, filepath.Join(storage, fmt.Sprintf("%d.xml", n.id)), prolog+n.tag(layout == fxOldPerNode))
		}
	}
	return dir
}

func fxWrite(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readerCorpus returns the shared jenkins-real folder (JENKINS_FORMATS.md), or skips the test.
func readerCorpus(t *testing.T) string {
	t.Helper()
	return sharedtest.Dir(t, "jenkins-real")
}

// readerFlowBuilds lists every directory below root whose build.xml has a <flow-build> root,
// including the zip-materialised permalink copies (lastStable*, lastSuccessful*).
func readerFlowBuilds(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "build.xml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "<flow-build") {
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestReadBuildRealCorpus(t *testing.T) {
	root := readerCorpus(t)
	dirs := readerFlowBuilds(t, root)
	if len(dirs) < 19 {
		t.Fatalf("found %d flow-build dirs in %s, want at least 19", len(dirs), root)
	}
	steps := 0
	for _, dir := range dirs {
		b, err := ReadBuild(dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		steps += len(b.Steps)
		if b.Layout == LayoutNone {
			t.Errorf("%s: no flow nodes found", dir)
		}
		for _, s := range b.Steps {
			failed := s.Status == StatusFailure || s.Status == StatusAborted
			if s.Status == "" || failed == (s.Error == "") {
				t.Errorf("%s: step %s: status %q with error %q", dir, s.ID, s.Status, s.Error)
			}
		}
	}
	// CFG's 68 sh + SerialFormTest's 1: the only shell steps in the corpus.
	if steps != 69 {
		t.Errorf("%d shell steps in the corpus, want 69", steps)
	}
}

func TestReadBuildCorruptedFlowGraph(t *testing.T) {
	dir := filepath.Join(readerCorpus(t), "jenkinsci__workflow-support-plugin/visualization/table/FlowGraphTableTest/corruptedFlowGraph.zip.d/jobs/test0/builds/1")
	b, err := ReadBuild(dir)
	require.NoError(t, err)
	assert.Equal(t, ResultSuccess, b.Result)
	assert.True(t, b.Completed)
	assert.Equal(t, LayoutPerNode, b.Layout)
	assert.Equal(t, "workflow", b.StorageDir)
	// Multi-parent end nodes (430: six parents, FlowEndNode 488: two) are legal shapes, not damage.
	assert.Empty(t, b.Problems)
	require.Len(t, b.Steps, 68)

	byID := map[string]Step{}
	count := map[Status]int{}
	for i, s := range b.Steps {
		byID[s.ID] = s
		count[s.Status]++
		assert.Equal(t, "sh", s.Kind)
		// The redacted graph has no WorkspaceActionImpl anywhere: every agent is unknown.
		assert.Nil(t, s.Node, "step %s", s.ID)
		assert.Empty(t, s.Script, "arguments were stripped by the redaction")
		if i > 0 {
			prev, _ := strconv.Atoi(b.Steps[i-1].ID)
			cur, _ := strconv.Atoi(s.ID)
			assert.Less(t, prev, cur, "steps in id order")
		}
	}
	assert.Equal(t, map[Status]int{StatusSuccess: 64, StatusAborted: 3, StatusFailure: 1}, count)

	const fie = "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"
	for _, id := range []string{"298", "331", "346"} {
		s := byID[id]
		assert.Equal(t, StatusAborted, s.Status, id)
		assert.Nil(t, s.ExitCode, id)
		assert.Equal(t, fie+": aborted by user redacted", s.Error, id)
		assert.Equal(t, fie, s.ErrorClass, id)
	}
	s432 := byID["432"]
	assert.Equal(t, StatusFailure, s432.Status)
	assert.Nil(t, s432.ExitCode)
	assert.Equal(t, "java.io.IOException", s432.ErrorClass)
	assert.Equal(t, "java.io.IOException: cannot start writing logs to a finished node StepAtomNode[id=432, exec=CpsFlowExecution[Owner[redacted]]] sh in CpsFlowExecution[Owner[redacted]]", s432.Error)
	assert.Equal(t, time.UnixMilli(1589470574483).UTC(), s432.Start)

	// Context checked by hand against the node files (parents, startIds, descriptorIds).
	for _, tc := range []struct {
		id, stage, context string
	}{
		{"10", "", ""},
		// 36 → body 35 of retry 34 → withCredentials 33/32 → wrap 9/8 → timestamps 7/6 → node 5/4
		{"36", "", "retry@34#1"},
		// 135 → retry 132 (body 133) inside timeout 130 inside a stage 125 whose name was redacted
		{"135", "", "retry@132#1,timeout@130"},
		{"153", "", "retry@150#1,timeout@148"},
		// 207 → parallel branch body 196 (branchName "redacted")
		{"207", "redacted", ""},
		// 298 → dir 272/271 → node 211/203 → branch body 197
		{"298", "redacted", ""},
		// 346 → container 342 → withEnv 326 → withCredentials 320 → retry body 310 of 309 → branch 199
		{"346", "redacted", "retry@309#1"},
		// 432 → container 427 → withEnv 415 → withCredentials 411 → retry body 408 of 407 → branch 197
		{"432", "redacted", "retry@407#1"},
		{"453", "", ""},
	} {
		v := viewSteps([]Step{byID[tc.id]})[0]
		assert.Equal(t, tc.stage, v.stage, "stage of %s", tc.id)
		assert.Equal(t, tc.context, v.context, "context of %s", tc.id)
	}
	// 207 ran 2.406 s: its successor (the next node in its thread) started then.
	assert.Equal(t, 2406*time.Millisecond, byID["207"].Duration)
}

func TestReadBuildSerialFormRunningOnAgent(t *testing.T) {
	dir := filepath.Join(readerCorpus(t), "jenkinsci__workflow-cps-plugin/SerialFormTest/persistence/jobs/p/builds/1")
	b, err := ReadBuild(dir)
	require.NoError(t, err)
	assert.Equal(t, Result(""), b.Result, "still running")
	assert.False(t, b.Completed)
	require.Len(t, b.Steps, 1)
	s := b.Steps[0]
	assert.Equal(t, "5", s.ID)
	assert.Equal(t, StatusUnknown, s.Status, "a running head with no recorded end")
	require.NotNil(t, s.Node)
	assert.Equal(t, "remote", *s.Node)
	assert.Equal(t, "/home/jenkins/agent/workspace/p", s.Workspace)
	assert.Empty(t, s.Error)
}

func TestReadBuildDeclarativeParallel2017(t *testing.T) {
	dir := filepath.Join(readerCorpus(t), "jenkinsci__pipeline-model-definition-plugin/DeclarativeUpgradeTest/parallelAddsGroupsExecutionModelActionUpgrade.zip.d/jobs/ptest1/builds/1")
	b, err := ReadBuild(dir)
	require.NoError(t, err)
	assert.Equal(t, LayoutPerNode, b.Layout)
	assert.Empty(t, b.Problems)
	assert.Empty(t, b.Steps, "the build ran only echo steps")

	// The stage logic is the same for every node; check it on the echo steps.
	ns := readFlowNodes(dir, "")
	require.Empty(t, ns.problems)
	g := buildGraph(ns.nodes)
	want := map[string][]string{
		"first solo one yay": {"first-solo"},
		"In branch-one":      {"parent", "branch-one"},
		"In branch-two":      {"parent", "branch-two"},
		"In second-solo":     {"second-solo"},
	}
	seen := 0
	for x, n := range g.nodes {
		if javaSimpleName(n.desc) != "EchoStep" {
			continue
		}
		seen++
		assert.Equal(t, want[n.arg("message")], g.stagePath(int32(x)), "echo %q (node %d)", n.arg("message"), n.id)
		ws, ok := g.agent(int32(x))
		assert.True(t, ok)
		assert.Equal(t, "", ws.node, "built-in node")
	}
	assert.Equal(t, 4, seen)
}

func TestReadBuildMultibranchGit(t *testing.T) {
	home := filepath.Join(readerCorpus(t), "jenkinsci__git-plugin/GitBranchSCMHeadTest/testMigrationNoBuildStorm.zip.d")
	for _, tc := range []struct {
		branch string
		start  int64
	}{{"master", 1521734312840}, {"dev", 1521734312842}} {
		b, err := ReadBuild(filepath.Join(home, "jobs/job/branches", tc.branch, "builds/1"))
		require.NoError(t, err)
		// SCMRevisionAction, not the library's BuildData (a1a240da…).
		assert.Equal(t, "82de19a0a55e29e34cbab90b9b59e4aac379a155", b.Revision)
		assert.Equal(t, tc.branch, b.Branch)
		assert.Equal(t, "file:///tmp/JENKINS-48061/job.git", b.Remote, "the project's BuildData")
		assert.Equal(t, []Cause{{Kind: "BranchIndexingCause", Description: "branch indexing"}}, b.Causes)
		assert.Equal(t, ResultSuccess, b.Result)
		assert.True(t, b.Completed, "2018 build.xml without <completed> but with a result")
		assert.Equal(t, time.UnixMilli(tc.start).UTC(), b.Start)
	}
}

func TestReadBuildGraphWithCycle(t *testing.T) {
	dir := filepath.Join(readerCorpus(t), "jenkinsci__workflow-api-plugin/flow/FlowExecutionListTest/resumeStepExecutionsWithCorruptFlowGraphWithCycle/jobs/test0/builds/1")
	done := make(chan struct{})
	var b *Build
	var err error
	go func() {
		defer close(done)
		b, err = ReadBuild(dir)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("ReadBuild did not return on a cyclic graph")
	}
	require.NoError(t, err)
	require.Len(t, b.Problems, 1)
	assert.Contains(t, b.Problems[0], filepath.Join(dir, "workflow", "7.xml")+": node 7: startId 8 is not an earlier node")
}

// fxTVMNodes builds a TVM-sized graph (JENKINS_FORMATS.md, tvm/TVM_CI.md shape): one stage
// holding a parallel of 10 branches, each a stage on its own agent running 7 sh steps inside
// withEnv blocks next to echo steps. One step fails; its error propagates to the enclosing end
// nodes as bulk-store references, as workflow-cps writes it. About 540 nodes, 70 sh steps.
func fxTVMNodes() []fxN {
	trace := strings.Repeat("<trace>org.jenkinsci.plugins.workflow.steps.durable_task.DurableTaskStep$Execution.handleExit(DurableTaskStep.java:668)</trace>", 15)
	nodes := []fxN{fxFlowStart(),
		fxStart(3, fxStage, 2, fxArgs("name", "Build"), fxTiming(1000)),
		fxBody(4, fxStage, 3, fxLabel("Build"), fxTiming(1001)),
		fxStart(5, fxParallel, 4, fxTiming(1002)),
	}
	id, t := 5, int64(2000)
	next := func() int { id++; t += 137; return id }
	var branchEnds []int
	failEntry := 0
	for br := 0; br < 10; br++ {
		name := fmt.Sprintf("BUILD: gpu-%d", br)
		b := next()
		nodes = append(nodes, fxBody(b, fxParallel, 5, fxBranch(name), fxTiming(t)))
		ss := next()
		nodes = append(nodes, fxStart(ss, fxStage, b, fxArgs("name", name), fxTiming(t)))
		sb := next()
		nodes = append(nodes, fxBody(sb, fxStage, ss, fxLabel(name), fxTiming(t)))
		ns := next()
		nodes = append(nodes, fxStart(ns, fxNode, sb, fxArgs("label", "GPU"), fxWS(fmt.Sprintf("gpu-agent-%d", br), "/workspace/exec_"+fmt.Sprint(br)), fxTiming(t)))
		nb := next()
		nodes = append(nodes, fxBody(nb, fxNode, ns, fxTiming(t)))
		last := nb
		for k := 0; k < 7; k++ {
			es := next()
			nodes = append(nodes, fxStart(es, fxEnv, last, fxArgs("overrides", "PLATFORM=gpu"), fxTiming(t), "<s.a.LogStorageAction/>"))
			eb := next()
			nodes = append(nodes, fxBody(eb, fxEnv, es, fxTiming(t)))
			ec := next()
			nodes = append(nodes, fxAtom(ec, fxEcho, eb, fxArgs("message", "step "+fmt.Sprint(k)), fxTiming(t), "<s.a.LogStorageAction/>"))
			sh := next()
			acts := []string{fxArgs("script", "set -eux\n./tests/scripts/task_python_unittest.sh build", "label", fmt.Sprintf("unit tests %d", k)),
				fxTiming(t), "<s.a.LogStorageAction/>"}
			var endErr []string
			if br == 3 && k == 6 {
				acts = append(acts, strings.Replace(fxAbortExit(1), "<stackTrace><trace>x.Y(Y.java:1)</trace></stackTrace>", "<stackTrace>"+trace+"</stackTrace>", 1))
				failEntry = len(nodes) + 1
				endErr = []string{fmt.Sprintf(`<wf.a.ErrorAction><error class="hudson.AbortException" reference="../../../../../entry[%d]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`, failEntry)}
			}
			nodes = append(nodes, fxAtom(sh, fxSh, ec, acts...))
			e1 := next()
			nodes = append(nodes, fxEnd(e1, eb, []int{sh}, append([]string{fxTiming(t)}, endErr...)...))
			e2 := next()
			nodes = append(nodes, fxEnd(e2, es, []int{e1}, append([]string{fxTiming(t)}, endErr...)...))
			last = e2
		}
		for _, start := range []int{nb, ns, sb, ss, b} {
			e := next()
			nodes = append(nodes, fxEnd(e, start, []int{last}, fxTiming(t)))
			last = e
		}
		branchEnds = append(branchEnds, last)
	}
	pe := next()
	nodes = append(nodes, fxEnd(pe, 5, branchEnds, fxTiming(t)))
	be := next()
	nodes = append(nodes, fxEnd(be, 4, []int{pe}, fxTiming(t)))
	se := next()
	nodes = append(nodes, fxEnd(se, 3, []int{be}, fxTiming(t)))
	nodes = append(nodes, fxFlowEnd(next(), se))
	return nodes
}

func TestTVMSizedBuild(t *testing.T) {
	nodes := fxTVMNodes()
	dir := fxWriteBuild(t, t.TempDir(), 1, fxBuildXML("FAILURE", libraryAndProject, "workflow-completed"), fxBulkStore, nodes)
	b, err := ReadBuild(dir)
	require.NoError(t, err)
	assert.Empty(t, b.Problems)
	assert.Greater(t, len(nodes), 500)
	require.Len(t, b.Steps, 70)
	failed := 0
	for i, s := range b.Steps {
		br := i / 7
		assert.Equal(t, []string{"Build", fmt.Sprintf("BUILD: gpu-%d", br)}, s.Stage)
		require.NotNil(t, s.Node)
		assert.Equal(t, fmt.Sprintf("gpu-agent-%d", br), *s.Node)
		assert.Equal(t, fmt.Sprintf("unit tests %d", i%7), s.Label)
		if s.Status == StatusFailure {
			failed++
			assert.Equal(t, readerIntPtr(1), s.ExitCode)
		}
	}
	assert.Equal(t, 1, failed)
}

// BenchmarkReadBuild reads the TVM-sized build in each layout with each flow-node reader;
// BenchmarkReadFloor is the cost of only reading the same files, the physical limit.
func BenchmarkReadBuild(b *testing.B) {
	for _, l := range benchLayouts {
		dir, files := benchBuild(b, l.layout)
		for _, r := range []struct {
			name string
			opts *readOpts
		}{{"fast", &readOpts{}}, {"careful", &readOpts{careful: true}}} {
			b.Run(l.name+"/"+r.name, func(b *testing.B) {
				b.SetBytes(benchSize(b, files))
				b.ReportAllocs()
				for b.Loop() {
					build, err := readBuild(dir, r.opts)
					if err != nil {
						b.Fatal(err)
					}
					if len(build.Steps) != 70 {
						b.Fatalf("%d steps, want 70", len(build.Steps))
					}
				}
				if len(r.opts.declined) > 0 {
					b.Fatalf("the fast reader declined: %v", r.opts.declined[0])
				}
			})
		}
	}
}

func BenchmarkReadFloor(b *testing.B) {
	for _, l := range benchLayouts {
		_, files := benchBuild(b, l.layout)
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(benchSize(b, files))
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range files {
					if _, err := os.ReadFile(f); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

var benchLayouts = []struct {
	name   string
	layout fxLayout
}{{"bulk", fxBulkStore}, {"pernode", fxPerNode}}

// benchBuild writes the TVM-sized build and lists every file ReadBuild reads in it.
func benchBuild(b *testing.B, layout fxLayout) (dir string, files []string) {
	sd := ""
	if layout == fxBulkStore {
		sd = "workflow-completed"
	}
	dir = fxWriteBuild(b, b.TempDir(), 1, fxBuildXML("FAILURE", libraryAndProject, sd), layout, fxTVMNodes())
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return dir, files
}

func benchSize(b *testing.B, files []string) int64 {
	var size int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	return size
}
