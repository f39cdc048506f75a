package jenkins

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepView is the graph-derived part of a Step, for compact expectations.
type stepView struct {
	id      string
	stage   string
	node    string // "<nil>" when unknown
	context string
	status  Status
}

func viewSteps(steps []Step) []stepView {
	var out []stepView
	for _, s := range steps {
		v := stepView{id: s.ID, stage: s.StagePath(), node: "<nil>", status: s.Status}
		if s.Node != nil {
			v.node = *s.Node
		}
		var ctx []string
		for _, b := range s.Context {
			c := string(b.Kind) + "@" + b.ID
			if b.Kind == BlockRetry {
				c += "#" + string(rune('0'+b.Attempt))
			}
			ctx = append(ctx, c)
		}
		v.context = strings.Join(ctx, ",")
		out = append(out, v)
	}
	return out
}

func TestGraphContext(t *testing.T) {
	for _, tc := range []struct {
		name     string
		nodes    []fxN
		want     []stepView
		problems []string
	}{
		{
			name: "nested stages on the built-in node",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxNode, 2, fxWS("", "/var/lib/jenkins/workspace/p")),
				fxBody(4, fxNode, 3),
				fxStart(5, fxStage, 4, fxArgs("name", "Build")),
				fxBody(6, fxStage, 5, fxLabel("Build")),
				fxStart(7, fxStage, 6, fxArgs("name", "BUILD: GPU")),
				fxBody(8, fxStage, 7, fxLabel("BUILD: GPU")),
				fxAtom(9, fxSh, 8),
				fxEnd(10, 8, []int{9}),
				fxEnd(11, 7, []int{10}),
				fxAtom(12, fxSh, 11), // back in stage Build after the inner stage closed
				fxEnd(13, 6, []int{12}),
				fxEnd(14, 5, []int{13}),
				fxAtom(15, fxSh, 14), // in node, outside any stage
				fxEnd(16, 4, []int{15}),
				fxEnd(17, 3, []int{16}),
				fxFlowEnd(18, 17),
			},
			want: []stepView{
				{"9", "Build/BUILD: GPU", "", "", StatusSuccess},
				{"12", "Build", "", "", StatusSuccess},
				{"15", "", "", "", StatusSuccess},
			},
		},
		{
			name: "stage name from the step's arguments when the body has no LabelAction",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxStage, 2, fxArgs("name", "Lint")),
				fxBody(4, fxStage, 3),
				fxAtom(5, fxSh, 4),
			},
			want: []stepView{{"5", "Lint", "<nil>", "", StatusUnknown}}, // running, no successor
		},
		{
			name: "declarative parallel: branch and stage of the same name appear once",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxStage, 2, fxArgs("name", "parent")),
				fxBody(4, fxStage, 3, fxLabel("parent")),
				fxStart(5, fxParallel, 4),
				fxBody(6, fxParallel, 5, fxBranch("gpu")),
				fxBody(7, fxParallel, 5, fxBranch("cpu")),
				fxStart(8, fxStage, 6, fxArgs("name", "gpu")),
				fxStart(9, fxStage, 7, fxArgs("name", "cpu")),
				fxBody(10, fxStage, 8, fxLabel("gpu")),
				fxBody(11, fxStage, 9, fxLabel("cpu")),
				fxStart(12, fxNode, 10, fxWS("gpu-agent-3", "/ws")),
				fxBody(13, fxNode, 12),
				fxAtom(14, fxSh, 13),
				fxAtom(15, fxSh, 11), // no node block: agent unknown
				fxStart(16, fxStage, 13, fxArgs("name", "test")),
				fxBody(17, fxStage, 16, fxLabel("test")),
				fxAtom(18, fxSh, 17),
				fxEnd(19, 17, []int{18}),
				fxEnd(20, 16, []int{19}),
				fxEnd(21, 13, []int{20}),
				fxEnd(22, 12, []int{21}),
				fxEnd(23, 10, []int{22}),
				fxEnd(24, 11, []int{15}),
				fxEnd(25, 8, []int{23}),
				fxEnd(26, 9, []int{24}),
				fxEnd(27, 6, []int{25}),
				fxEnd(28, 7, []int{26}),
				fxEnd(29, 5, []int{27, 28}), // parallel end: one parent per branch
				fxAtom(30, fxSh, 29),
				fxEnd(31, 4, []int{30}),
				fxEnd(32, 3, []int{31}),
				fxFlowEnd(33, 32),
			},
			want: []stepView{
				{"14", "parent/gpu", "gpu-agent-3", "", StatusSuccess},
				{"15", "parent/cpu", "<nil>", "", StatusSuccess},
				{"18", "parent/gpu/test", "gpu-agent-3", "", StatusSuccess},
				{"30", "parent", "<nil>", "", StatusSuccess},
			},
		},
		{
			name: "scripted parallel branches without stages",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxParallel, 2),
				fxBody(4, fxParallel, 3, fxBranch("a")),
				fxBody(5, fxParallel, 3, fxBranch("b")),
				fxAtom(6, fxSh, 4),
				fxAtom(7, fxSh, 5),
			},
			want: []stepView{
				{"6", "a", "<nil>", "", StatusUnknown}, // two running heads
				{"7", "b", "<nil>", "", StatusUnknown},
			},
		},
		{
			name: "legacy stage steps extend to the next one",
			nodes: []fxN{
				fxFlowStart(),
				fxAtom(3, fxStage, 2, fxArgs("name", "checkout"), fxLabel("checkout")),
				fxAtom(4, fxSh, 3),
				fxAtom(5, fxStage, 4, fxArgs("name", "test"), "<org.jenkinsci.plugins.workflow.support.steps.StageStepExecution_-StageActionImpl><stageName>test</stageName></org.jenkinsci.plugins.workflow.support.steps.StageStepExecution_-StageActionImpl>"),
				fxAtom(6, fxSh, 5),
				fxAtom(7, fxSh, 6),
			},
			want: []stepView{
				{"4", "checkout", "<nil>", "", StatusSuccess},
				{"6", "test", "<nil>", "", StatusSuccess},
				{"7", "test", "<nil>", "", StatusUnknown},
			},
		},
		{
			name: "retry attempts, timeout and catchError context, innermost first",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxCatch, 2),
				fxBody(4, fxCatch, 3),
				fxStart(5, fxTimeout, 4, fxArgs("time", "10")),
				fxBody(6, fxTimeout, 5),
				fxStart(7, fxRetry, 6, fxArgs("count", "3")),
				fxBody(8, fxRetry, 7),
				fxAtom(9, fxSh, 8, fxAbortExit(1)),
				fxEnd(10, 8, []int{9}, fxAbortExit(1)),
				fxBody(11, fxRetry, 10), // attempt 2: parent is attempt 1's body end
				fxAtom(12, fxSh, 11, fxAbortExit(1)),
				fxEnd(13, 11, []int{12}, fxAbortExit(1)),
				fxBody(14, fxRetry, 13),
				fxAtom(15, fxSh, 14),
				fxEnd(16, 14, []int{15}),
				fxEnd(17, 7, []int{16}),
				fxAtom(18, fxSh, 17),
				fxEnd(19, 6, []int{18}),
				fxEnd(20, 5, []int{19}),
				fxEnd(21, 4, []int{20}),
				fxEnd(22, 3, []int{21}),
				fxFlowEnd(23, 22),
			},
			want: []stepView{
				{"9", "", "<nil>", "retry@7#1,timeout@5,catchError@3", StatusFailure},
				{"12", "", "<nil>", "retry@7#2,timeout@5,catchError@3", StatusFailure},
				{"15", "", "<nil>", "retry@7#3,timeout@5,catchError@3", StatusSuccess},
				{"18", "", "<nil>", "timeout@5,catchError@3", StatusSuccess},
			},
		},
		{
			name: "cycle: a forward startId is reported, not followed",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxStage, 2, fxArgs("name", "s")),
				fxBody(4, fxStage, 3, fxLabel("s")),
				fxAtom(5, fxSh, 4),
				fxEnd(6, 8, []int{5}), // startId points forward
				fxStart(7, fxEnv, 6),
				fxStart(8, fxEnv, 7),
				fxAtom(9, fxSh, 8),
				fxEnd(10, 10, []int{9}), // startId points at itself
				fxAtom(11, fxSh, 10),
			},
			want: []stepView{
				{"5", "s", "<nil>", "", StatusSuccess},
				{"9", "", "<nil>", "", StatusSuccess},
				{"11", "", "<nil>", "", StatusUnknown},
			},
			problems: []string{"workflow/6.xml: node 6: startId 8 is not an earlier node", "workflow/10.xml: node 10: startId 10 is not an earlier node"},
		},
		{
			name: "missing parent",
			nodes: []fxN{
				fxFlowStart(),
				fxStart(3, fxStage, 2, fxArgs("name", "s")),
				fxBody(4, fxStage, 3, fxLabel("s")),
				fxAtom(6, fxSh, 5), // node 5 was never written
				fxAtom(7, fxSh, 6),
			},
			want: []stepView{
				{"6", "", "<nil>", "", StatusSuccess},
				{"7", "", "<nil>", "", StatusUnknown},
			},
			problems: []string{"workflow/6.xml: node 6: parent [5] missing or not earlier"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			running := fxBuildXML("", "", "")
			dir := fxWriteBuild(t, t.TempDir(), 4, running, fxPerNode, tc.nodes)
			b, err := ReadBuild(dir)
			require.NoError(t, err)
			assert.Equal(t, tc.want, viewSteps(b.Steps))
			require.Len(t, b.Problems, len(tc.problems), "%q", b.Problems)
			for i, p := range tc.problems {
				assert.Contains(t, b.Problems[i], p)
			}
		})
	}
}
