package jenkins

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fxFailingStage is stage('checkout') { sh 'exit 2' } as workflow-cps writes it: the sh
// node's AbortException propagates to both end nodes and the FlowEndNode as references in a
// bulk store (NIK/26 shape; entry positions differ from ids because id 1 is never used).
func fxFailingStage() []fxN {
	const ref = `<wf.a.ErrorAction><error class="hudson.AbortException" reference="../../../../../entry[%s]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`
	return []fxN{
		fxFlowStart(),
		fxStart(3, fxStage, 2, fxArgs("name", "checkout"), fxTiming(1000)),
		fxBody(4, fxStage, 3, fxLabel("checkout"), fxTiming(1001)),
		fxAtom(5, fxSh, 4, fxArgs("script", "exit 2"), fxTiming(2000), fxAbortExit(2)),
		fxEnd(6, 4, []int{5}, fxTiming(12000), strings.Replace(ref, "%s", "4", 1)),
		fxEnd(7, 3, []int{6}, fxTiming(12001), strings.Replace(ref, "%s", "5", 1)), // chained: entry 5 is node 6's reference
		fxFlowEnd(8, 7),
	}
}

func TestFlowNodeLayouts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		buildXML   string
		layout     fxLayout
		storageDir string
		want       Layout
	}{
		{"bulk in workflow-completed", fxBuildXML("FAILURE", "", "workflow-completed"), fxBulkStore, "workflow-completed", LayoutBulk},
		{"bulk in workflow (PERFORMANCE_OPTIMIZED)", fxBuildXML("FAILURE", "", ""), fxBulkStore, "workflow", LayoutBulk},
		{"per-node", fxBuildXML("FAILURE", "", ""), fxPerNode, "workflow", LayoutPerNode},
		{"per-node, 2017 fully qualified names", fxBuildXML("FAILURE", "", ""), fxOldPerNode, "workflow", LayoutPerNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fxWriteBuild(t, t.TempDir(), 26, tc.buildXML, tc.layout, fxFailingStage())
			b, err := ReadBuild(dir)
			require.NoError(t, err)
			assert.Empty(t, b.Problems)
			assert.Equal(t, tc.want, b.Layout)
			assert.Equal(t, tc.storageDir, b.StorageDir)
			assert.Equal(t, dir, b.Dir)
			require.NotNil(t, b.Number)
			assert.Equal(t, 26, *b.Number)
			require.Len(t, b.Steps, 1)
			s := b.Steps[0]
			assert.Equal(t, []string{"checkout"}, s.Stage)
			assert.Equal(t, StatusFailure, s.Status)
			assert.Equal(t, readerIntPtr(2), s.ExitCode)
			assert.Equal(t, "exit 2", s.Script)
			assert.Equal(t, "script returned exit code 2", s.Error)
			assert.Equal(t, int64(10000), s.Duration.Milliseconds())
		})
	}
}

func TestBulkReferencesResolveByPosition(t *testing.T) {
	var s nodeSet
	s.readBulk("flowNodeStore.xml", []byte(fxBulk(fxFailingStage())))
	require.Empty(t, s.problems)
	for _, id := range []int{5, 6, 7} {
		require.NotNil(t, s.node(id).err, "node %d", id)
		assert.Equal(t, "hudson.AbortException", s.node(id).err.class, "node %d", id)
		assert.Equal(t, "script returned exit code 2", s.node(id).err.message, "node %d", id)
	}
}

func TestTruncatedBulkKeepsCompleteEntries(t *testing.T) {
	full := fxBulk(fxFailingStage())
	cut := strings.Index(full, "<string>7</string>") + 40 // inside node 7's entry
	var s nodeSet
	s.readBulk("b/workflow-completed/flowNodeStore.xml", []byte(full[:cut]))
	require.Len(t, s.problems, 1)
	assert.Contains(t, s.problems[0], "b/workflow-completed/flowNodeStore.xml")
	assert.Contains(t, s.problems[0], "kept the first 5 entries")
	assert.Len(t, s.nodes, 5)
	require.NotNil(t, s.node(6).err, "a reference into a kept entry still resolves")
	assert.Equal(t, "script returned exit code 2", s.node(6).err.message)

	// Damage in the middle (a node file half overwritten): the entries before it are kept.
	mid := strings.Index(full, "<string>5</string>")
	s = nodeSet{}
	s.readBulk("flowNodeStore.xml", []byte(full[:mid]+"<<garbage & "+full[mid:]))
	require.Len(t, s.problems, 1)
	assert.Contains(t, s.problems[0], "kept the first 3 entries")
	assert.Len(t, s.nodes, 3)

	// Nothing complete: a problem, no nodes.
	s = nodeSet{}
	s.readBulk("x.xml", []byte(full[:60]))
	require.Len(t, s.problems, 1)
	assert.Contains(t, s.problems[0], "no complete entry")
	assert.Empty(t, s.nodes)
}

func TestReadBuildDamage(t *testing.T) {
	t.Run("corrupt and missing node files", func(t *testing.T) {
		nodes := fxFailingStage()
		dir := fxWriteBuild(t, t.TempDir(), 3, fxBuildXML("FAILURE", "", ""), fxPerNode, nodes)
		bad := filepath.Join(dir, "workflow", "6.xml")
		data, err := os.ReadFile(bad)
		require.NoError(t, err)
		fxWrite(t, bad, string(data[:len(data)/2]))                               // truncated
		require.NoError(t, os.Remove(filepath.Join(dir, "workflow", "4.xml")))    // missing
		fxWrite(t, filepath.Join(dir, "workflow", "atomic123.tmp"), "<Tag><node") // ignored
		fxWrite(t, filepath.Join(dir, "workflow", "9.xml.tmp"), "garbage")        // ignored
		fxWrite(t, filepath.Join(dir, "workflow", "10.xml"), "<notATag/>")

		b, err := ReadBuild(dir)
		require.NoError(t, err)
		require.Len(t, b.Steps, 1)
		assert.Equal(t, StatusFailure, b.Steps[0].Status)
		joined := strings.Join(b.Problems, "\n")
		assert.Contains(t, joined, bad+": XML syntax error")
		assert.Contains(t, joined, filepath.Join(dir, "workflow", "10.xml")+": root element is not a flow-node Tag")
		assert.Contains(t, joined, "node 5: parent [4] missing")
		assert.NotContains(t, joined, ".tmp")
	})
	t.Run("no execution: compile error before the first node", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, "14")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		fxWrite(t, filepath.Join(dir, "build.xml"), "<?xml version='1.1' encoding='UTF-8'?>\n<flow-build><actions/><startTime>5</startTime><result>FAILURE</result><duration>3</duration><completed>true</completed></flow-build>")
		b, err := ReadBuild(dir)
		require.NoError(t, err)
		assert.Equal(t, LayoutNone, b.Layout)
		assert.Empty(t, b.Steps)
		assert.Empty(t, b.Problems)
		assert.Equal(t, ResultFailure, b.Result)
	})
	t.Run("execution but no node files", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, "lastSuccessfulBuild")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		fxWrite(t, filepath.Join(dir, "build.xml"), fxBuildXML("SUCCESS", "", ""))
		b, err := ReadBuild(dir)
		require.NoError(t, err)
		assert.Nil(t, b.Number, "a non-numeric directory has no number")
		assert.Equal(t, LayoutNone, b.Layout)
		require.Len(t, b.Problems, 1)
		assert.Contains(t, b.Problems[0], "no flow-node files found")
	})
	t.Run("fallback directory is probed", func(t *testing.T) {
		root := t.TempDir()
		dir := fxWriteBuild(t, root, 5, fxBuildXML("FAILURE", "", ""), fxPerNode, fxFailingStage())
		require.NoError(t, os.Rename(filepath.Join(dir, "workflow"), filepath.Join(dir, "workflow-fallback")))
		b, err := ReadBuild(dir)
		require.NoError(t, err)
		assert.Equal(t, "workflow-fallback", b.StorageDir)
		assert.Len(t, b.Steps, 1)
	})
	t.Run("the recorded storage dir, else workflow, comes first", func(t *testing.T) {
		for _, tc := range []struct {
			storageDir string
			want       Layout
		}{{"", LayoutPerNode}, {"workflow-completed", LayoutBulk}} {
			dir := fxWriteBuild(t, t.TempDir(), 5, fxBuildXML("FAILURE", "", tc.storageDir), fxPerNode, fxFailingStage())
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "workflow-completed"), 0o755))
			fxWrite(t, filepath.Join(dir, "workflow-completed", "flowNodeStore.xml"), fxBulk(fxFailingStage()))
			b, err := ReadBuild(dir)
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.Layout, "storageDir %q", tc.storageDir)
		}
	})
	t.Run("freestyle build is ErrNotPipeline", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "7")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		fxWrite(t, filepath.Join(dir, "build.xml"), "<?xml version='1.1' encoding='UTF-8'?>\n<build><builtOn>a</builtOn></build>")
		_, err := ReadBuild(dir)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrNotPipeline))
		assert.Contains(t, err.Error(), filepath.Join(dir, "build.xml"))
	})
	t.Run("missing build.xml", func(t *testing.T) {
		dir := t.TempDir()
		_, err := ReadBuild(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), filepath.Join(dir, "build.xml"))
		assert.False(t, errors.Is(err, ErrNotPipeline))
	})
}

// FuzzFlowNodes feeds arbitrary bytes to both flow-node readers and the graph and verdict
// code behind them: nothing may panic or loop.
func FuzzFlowNodes(f *testing.F) {
	nodes := fxFailingStage()
	f.Add([]byte(fxBulk(nodes)))
	f.Add([]byte(fxBulk(nodes))[:300])
	for _, n := range nodes {
		f.Add([]byte(n.tag(false)))
		f.Add([]byte(n.tag(true)))
	}
	f.Add([]byte(fxBulk([]fxN{fxFlowStart(), fxEnd(3, 4, []int{2}), fxEnd(4, 3, []int{3}), fxAtom(5, fxSh, 4)})))
	f.Add([]byte(`<linked-hash-map><entry><string>3</string><Tag><node class="cps.n.StepAtomNode"><parentIds><string>3</string></parentIds><id>3</id><descriptorId>` + fxSh + `</descriptorId></node><actions><wf.a.ErrorAction><error reference="../../../../../entry[1]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction></actions></Tag></entry></linked-hash-map>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &nodeSet{}
		s.readBulk("flowNodeStore.xml", data)
		s.readNodeFile("3.xml", data, 3)
		g := buildGraph(s.nodes)
		for _, st := range shellSteps(g, flowFacts{}) {
			if st.Status == "" {
				t.Fatalf("step %s without status", st.ID)
			}
		}
	})
}
