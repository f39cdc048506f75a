package jenkins

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
