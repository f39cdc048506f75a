package jenkins

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fxOneStep is a graph: node { sh } with the sh node built from the given pieces, followed by
// the block ends unless head is true (the build stopped at the sh node).
func fxOneStep(desc string, head bool, shActions ...string) []fxN {
	nodes := []fxN{
		fxFlowStart(),
		fxStart(3, fxNode, 2, fxTiming(1000), fxWS("agent-1", "/ws/p")),
		fxBody(4, fxNode, 3, fxTiming(1100)),
		fxAtom(5, desc, 4, append([]string{fxTiming(2000)}, shActions...)...),
	}
	if !head {
		nodes = append(nodes,
			fxEnd(6, 4, []int{5}, fxTiming(5000)),
			fxEnd(7, 3, []int{6}, fxTiming(5100)),
			fxFlowEnd(8, 7),
		)
	}
	return nodes
}

func TestShellStepVerdicts(t *testing.T) {
	const fie = "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException"
	for _, tc := range []struct {
		name      string
		result    string // build result; "" = running
		desc      string
		head      bool
		actions   []string
		want      Status
		kind      string
		exit      *int
		err, cls  string
		label     string
		retStatus bool
		duration  time.Duration
	}{
		{name: "success", result: "SUCCESS", actions: []string{fxArgs("script", "make -j8")},
			want: StatusSuccess, duration: 3 * time.Second},
		{name: "non-zero exit", result: "FAILURE", actions: []string{fxArgs("script", "false"), fxAbortExit(2)},
			want: StatusFailure, exit: readerIntPtr(2), err: "script returned exit code 2", cls: "hudson.AbortException", duration: 3 * time.Second},
		{name: "negative exit", result: "FAILURE", actions: []string{fxAbortExit(-1)},
			want: StatusFailure, exit: readerIntPtr(-1), err: "script returned exit code -1", cls: "hudson.AbortException"},
		{name: "AbortException with another message", result: "FAILURE",
			actions: []string{fxError("hudson.AbortException", "missing workspace /ws/p on agent-1")},
			want:    StatusFailure, err: "hudson.AbortException: missing workspace /ws/p on agent-1", cls: "hudson.AbortException"},
		{name: "exit-code text in another class is not an exit code", result: "FAILURE",
			actions: []string{fxError("java.lang.RuntimeException", "script returned exit code 3")},
			want:    StatusFailure, err: "java.lang.RuntimeException: script returned exit code 3", cls: "java.lang.RuntimeException"},
		{name: "infrastructure error", result: "FAILURE", actions: []string{fxError("java.io.IOException", "Pipe closed")},
			want: StatusFailure, err: "java.io.IOException: Pipe closed", cls: "java.io.IOException"},
		{name: "error without message", result: "FAILURE",
			actions: []string{fxError("hudson.remoting.ChannelClosedException", "")},
			want:    StatusFailure, err: "hudson.remoting.ChannelClosedException", cls: "hudson.remoting.ChannelClosedException"},
		{name: "only the error's own detailMessage counts", result: "FAILURE",
			actions: []string{fxError("java.lang.IllegalStateException", "",
				"<cause class=\"java.io.IOException\"><detailMessage>inner</detailMessage></cause>")},
			want: StatusFailure, err: "java.lang.IllegalStateException", cls: "java.lang.IllegalStateException"},
		{name: "user abort", result: "ABORTED",
			actions: []string{fxInterrupted("<jenkins.model.CauseOfInterruption_-UserInterruption><user>alice</user></jenkins.model.CauseOfInterruption_-UserInterruption>")},
			want:    StatusAborted, err: fie + ": aborted by user alice", cls: fie},
		{name: "user abort, user not recorded", result: "ABORTED",
			actions: []string{fxInterrupted("<jenkins.model.CauseOfInterruption_-UserInterruption/>")},
			want:    StatusAborted, err: fie + ": aborted by user", cls: fie},
		{name: "timeout", result: "ABORTED",
			actions: []string{fxInterrupted("<org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution_-ExceededTimeout><nodeId>8</nodeId></org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution_-ExceededTimeout>")},
			want:    StatusAborted, err: fie + ": timeout exceeded", cls: fie},
		{name: "agent removed", result: "ABORTED",
			actions: []string{fxInterrupted("<org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution_-RemovedNodeCause/>")},
			want:    StatusAborted, err: fie + ": agent removed", cls: fie},
		{name: "fail-fast", result: "FAILURE",
			actions: []string{fxInterrupted("<org.jenkinsci.plugins.workflow.cps.steps.ParallelStep_-FailFastCause><failingBranch>gpu</failingBranch></org.jenkinsci.plugins.workflow.cps.steps.ParallelStep_-FailFastCause>")},
			want:    StatusAborted, err: fie + ": fail-fast: parallel branch gpu failed", cls: fie},
		{name: "interrupted without causes", result: "ABORTED",
			actions: []string{fxError(fie, "")},
			want:    StatusAborted, err: fie, cls: fie},
		{name: "first ErrorAction wins", result: "FAILURE",
			actions: []string{fxAbortExit(1), fxError("java.io.IOException", "later")},
			want:    StatusFailure, exit: readerIntPtr(1), err: "script returned exit code 1", cls: "hudson.AbortException"},
		{name: "returnStatus hides the exit code", result: "SUCCESS",
			actions: []string{fxArgs("script", "make test", "returnStatus", "true")},
			want:    StatusSuccess, retStatus: true},
		{name: "running head", result: "", head: true, actions: []string{fxArgs("script", "sleep 100")},
			want: StatusUnknown},
		{name: "head of a completed build ended", result: "SUCCESS", head: true,
			want: StatusSuccess},
		{name: "running build, step with a successor", result: "", actions: nil, want: StatusSuccess, duration: 3 * time.Second},
		{name: "not executed", result: "FAILURE", actions: []string{"<wf.a.NotExecutedNodeAction/>"}, want: StatusNotExecuted},
		{name: "label argument", result: "SUCCESS", actions: []string{fxArgs("script", "x", "label", "Run cmake build")},
			want: StatusSuccess, label: "Run cmake build"},
		{name: "label action only", result: "SUCCESS", actions: []string{fxLabel("Unit tests")},
			want: StatusSuccess, label: "Unit tests"},
		{name: "bat", result: "SUCCESS", desc: fxBat, want: StatusSuccess, kind: "bat"},
		{name: "powershell", result: "SUCCESS", desc: fxPowershell, want: StatusSuccess, kind: "powershell"},
		{name: "pwsh", result: "SUCCESS", desc: fxPwsh, want: StatusSuccess, kind: "pwsh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desc := tc.desc
			if desc == "" {
				desc = fxSh
			}
			dir := fxWriteBuild(t, t.TempDir(), 1, fxBuildXML(tc.result, "", ""), fxPerNode, fxOneStep(desc, tc.head, tc.actions...))
			b, err := ReadBuild(dir)
			require.NoError(t, err)
			require.Empty(t, b.Problems)
			require.Len(t, b.Steps, 1)
			s := b.Steps[0]
			kind := tc.kind
			if kind == "" {
				kind = "sh"
			}
			assert.Equal(t, "5", s.ID)
			assert.Equal(t, kind, s.Kind)
			assert.Equal(t, tc.want, s.Status)
			assert.Equal(t, tc.exit, s.ExitCode)
			assert.Equal(t, tc.err, s.Error)
			assert.Equal(t, tc.cls, s.ErrorClass)
			assert.Equal(t, tc.label, s.Label)
			assert.Equal(t, tc.retStatus, s.ReturnStatus)
			assert.Empty(t, s.Stage, "a label is never a stage")
			require.NotNil(t, s.Node)
			assert.Equal(t, "agent-1", *s.Node)
			assert.Equal(t, "/ws/p", s.Workspace)
			assert.Equal(t, time.UnixMilli(2000).UTC(), s.Start)
			if tc.duration != 0 {
				assert.Equal(t, tc.duration, s.Duration)
			}
		})
	}
}

func TestStepDurationLastNode(t *testing.T) {
	// The last node of a completed build lasts until the build's end (start + duration).
	dir := fxWriteBuild(t, t.TempDir(), 1, fxBuildXML("SUCCESS", "", ""), fxPerNode, []fxN{
		fxFlowStart(),
		fxAtom(3, fxSh, 2, fxTiming(1736954750315+1000)),
	})
	b, err := ReadBuild(dir)
	require.NoError(t, err)
	require.Len(t, b.Steps, 1)
	assert.Equal(t, 12639*time.Millisecond-time.Second, b.Steps[0].Duration)
	assert.Nil(t, b.Steps[0].Node, "outside any node block the agent is unknown")
}
