package jenkins

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/antchfx/xmlquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Proof that the fast flow-node reader reads exactly what the careful one does: on every real
// build and fixture, on every flow-node file, and on fuzzed bytes.

// fastCorpusDirs lists the folders of real builds to compare on: the shared jenkins-real
// corpus (CIDIFF_SHARED, CIDIFF_JENKINS_REAL, or ../../shared beside the repo) and the repo's
// fixtures/ (or CIDIFF_FIXTURES), each when present.
func fastCorpusDirs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{
		filepath.Join(os.Getenv("CIDIFF_SHARED"), "jenkins-real"),
		os.Getenv("CIDIFF_JENKINS_REAL"),
		"../../shared/jenkins-real",
		"../fixtures",
		os.Getenv("CIDIFF_FIXTURES"), // another checkout's fixtures/, e.g. from a worktree
	} {
		if dir == "" || dir == "jenkins-real" {
			continue
		}
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			abs, _ := filepath.Abs(dir)
			dup := false
			for _, o := range out {
				if o == abs {
					dup = true
				}
			}
			if !dup {
				out = append(out, abs)
			}
		}
	}
	if len(out) == 0 {
		t.Skip("no jenkins-real corpus (set CIDIFF_SHARED) and no fixtures/")
	}
	return out
}

// readBothWays reads dir with the careful reader only and with the fast one, and requires
// the same Build (or error). It returns the files the fast reader declined.
func readBothWays(t *testing.T, dir string) (careful *Build, declined []string) {
	t.Helper()
	careful, errC := readBuild(dir, &readOpts{careful: true})
	opts := &readOpts{}
	fast, errF := readBuild(dir, opts)
	if errC != nil || errF != nil {
		assert.Equal(t, fmt.Sprint(errC), fmt.Sprint(errF), dir)
	}
	assert.Equal(t, careful, fast, dir)
	return careful, opts.declined
}

func TestFastEqualsCarefulOnRealBuilds(t *testing.T) {
	builds, withNodes, declinedFiles := 0, 0, 0
	for _, root := range fastCorpusDirs(t) {
		for _, dir := range readerFlowBuilds(t, root) {
			b, declined := readBothWays(t, dir)
			builds++
			if b != nil && b.Layout != LayoutNone {
				withNodes++
			}
			declinedFiles += len(declined)
			if b != nil && len(b.Problems) == 0 {
				assert.Empty(t, declined, "%s: the careful reader had no problem, the fast one declined", dir)
			}
			for _, d := range declined {
				t.Logf("declined (careful reader has problems there): %s", d)
			}
		}
	}
	t.Logf("%d builds (%d with flow nodes) read equal both ways; %d files declined", builds, withNodes, declinedFiles)
	require.Greater(t, builds, 0)
}

// TestFastEqualsCarefulPerFile compares the two readers on every flow-node file of the corpus
// on its own: a file the careful reader reads without a problem must not be declined.
func TestFastEqualsCarefulPerFile(t *testing.T) {
	nodeFile := regexp.MustCompile(`/workflow[^/]*/(\d+)\.xml$`)
	files, bulk, nodes := 0, 0, 0
	for _, root := range fastCorpusDirs(t) {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			isBulk := d.Name() == "flowNodeStore.xml"
			m := nodeFile.FindStringSubmatch(filepath.ToSlash(p))
			if !isBulk && m == nil {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			careful, fast, declined := fastCompareFile(p, data, isBulk, nodeFileID(d.Name()))
			assert.Equal(t, careful, fast, p)
			if len(careful.problems) == 0 {
				assert.Empty(t, declined, "%s: declined a file the careful reader reads cleanly", p)
			}
			if isBulk {
				bulk++
			}
			nodes += len(careful.nodes)
			return nil
		})
		require.NoError(t, err)
	}
	t.Logf("%d flow-node files (%d bulk stores), %d nodes: equal", files, bulk, nodes)
}

// fastCompareFile reads one file with both readers.
func fastCompareFile(name string, data []byte, bulk bool, wantID int) (careful, fast *nodeSet, declined []string) {
	careful = &nodeSet{}
	fast = &nodeSet{}
	opts := &readOpts{}
	fp := newFastParser()
	if bulk {
		careful.readBulk(name, data)
		fast.readBulkWith(fp, name, data, opts)
	} else {
		careful.readNodeFile(name, data, wantID)
		fast.readNodeFileWith(fp, name, data, wantID, opts)
	}
	return careful, fast, opts.declined
}

// fastFixtureBuilds writes the reader's synthetic builds in every layout.
func fastFixtureBuilds(t testing.TB) []string {
	root := t.TempDir()
	var dirs []string
	n := 0
	for _, nodes := range [][]fxN{fxFailingStage(), fxTVMNodes()} {
		for _, layout := range []fxLayout{fxBulkStore, fxPerNode, fxOldPerNode} {
			n++
			sd := ""
			if layout == fxBulkStore {
				sd = "workflow-completed"
			}
			dirs = append(dirs, fxWriteBuild(t, root, n, fxBuildXML("FAILURE", libraryAndProject, sd), layout, nodes))
		}
	}
	return dirs
}

func TestFastPathTakenOnSyntheticBuilds(t *testing.T) {
	for _, dir := range fastFixtureBuilds(t) {
		b, declined := readBothWays(t, dir)
		require.NotNil(t, b)
		assert.Empty(t, b.Problems, dir)
		assert.Empty(t, declined, "%s: the fast reader declined", dir)
		assert.NotEmpty(t, b.Steps, dir)
	}
}

// fastSeeds are flow-node files in the shapes the corpus shows (JENKINS_FORMATS.md §2, §5,
// §7), written here rather than copied, plus the edge cases of the lexer.
func fastSeeds() (bulk, perNode []string) {
	const prolog11 = "<?xml version='1.1' encoding='UTF-8'?>\n"
	tvm := fxTVMNodes()
	stage := fxFailingStage()
	bulk = []string{
		fxBulk(stage),
		fxBulk(tvm[:40]),
		fxBulk([]fxN{fxFlowStart(), fxEnd(3, 4, []int{2}), fxEnd(4, 3, []int{3}), fxAtom(5, fxSh, 4)}),
		`<linked-hash-map><entry><string>3</string><Tag><node class="cps.n.StepAtomNode"><parentIds><string>3</string></parentIds><id>3</id><descriptorId>` + fxSh + `</descriptorId></node><actions><wf.a.ErrorAction><error reference="../../../../../entry[1]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction></actions></Tag></entry></linked-hash-map>`,
		// A chain: entry 3 refers to entry 2, which refers to entry 1.
		fxBulk([]fxN{
			fxAtom(3, fxSh, 2, fxAbortExit(7)),
			fxEnd(4, 3, []int{3}, `<wf.a.ErrorAction><error class="hudson.AbortException" reference="../../../../../entry/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`),
			fxEnd(5, 3, []int{4}, `<wf.a.ErrorAction><error reference="../../../../../entry[2]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`),
			fxEnd(6, 3, []int{5}, `<wf.a.ErrorAction><error reference="../../../../../entry[9]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`, fxAbortExit(3)),
		}),
		`<?xml version="1.1" encoding="UTF-8"?>
<linked-hash-map>
  <entry>
    <string>2</string>
    <Tag plugin="workflow-support@936.v9fa_77211ca_e1">
      <node class="org.jenkinsci.plugins.workflow.graph.FlowStartNode" plugin="workflow-api@1336.vee415d95c521">
        <parentIds/>
        <id>2</id>
      </node>
      <actions>
        <wf.a.TimingAction><startTime>1736954750662</startTime></wf.a.TimingAction>
        <BulkFlowNodeStorageTest_-MyAction reference="../../nowhere"/>
      </actions>
    </Tag>
  </entry>
</linked-hash-map>`,
		`<linked-hash-map/>`,
		fastChain(40, 0), // longer than maxReferenceHops: the far end resolves to nothing
		fastChain(5, 5),  // a cycle: every node's reference loops
		fastChain(33, 0), // exactly at the hop limit
	}
	perNode = []string{
		prolog11 + stage[3].tag(false),
		"<?xml version='1.0' encoding='UTF-8'?>\n" + stage[3].tag(true),
		prolog11 + stage[4].tag(false),
		prolog11 + fxStart(4, fxNode, 3, fxWS("", "/var/lib/jenkins/workspace/p"), `<org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution_-QueueItemActionImpl><id>12</id></org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution_-QueueItemActionImpl>`).tag(false),
		prolog11 + fxBody(14, fxParallel, 12, fxBranch("one &amp; two"), fxTiming(5)).tag(false),
		prolog11 + fxAtom(9, fxSh, 8, fxArgs("script", "echo &quot;a&lt;b&gt;&apos; &#x1b;[31m&#65;&#xD800;", "returnStatus", "true"), `<cps.a.ArgumentsActionImpl><arguments><entry><string>label</string><null/></entry><entry><string>x</string><map/></entry><entry><string>cdata</string><string><![CDATA[a<b>&amp;]]> tail</string></entry></arguments></cps.a.ArgumentsActionImpl>`).tag(false),
		prolog11 + fxAtom(9, fxSh, 8, fxInterrupted("<jenkins.model.CauseOfInterruption_-UserInterruption><user>alice</user></jenkins.model.CauseOfInterruption_-UserInterruption><org.jenkinsci.plugins.workflow.cps.steps.ParallelStep_-FailFastCause><failingBranch>b</failingBranch></org.jenkinsci.plugins.workflow.cps.steps.ParallelStep_-FailFastCause>")).tag(false),
		prolog11 + fxAtom(9, fxSh, 8, fxError("org.jenkinsci.plugins.workflow.steps.FlowInterruptedException", "", "<result>FAILURE</result>", "<causes class=\"list\"><org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution_-ExceededTimeout><nodeId>8</nodeId></org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution_-ExceededTimeout></causes>")).tag(false),
		// Per-node reference form (two ErrorActions, the second referring to the first).
		prolog11 + fxEnd(16, 3, []int{15}, fxError("java.io.IOException", "disk full"), `<wf.a.ErrorAction><error class="java.io.IOException" reference="../../wf.a.ErrorAction/error"/></wf.a.ErrorAction>`).tag(false),
		// A self reference resolves to nothing; the second ErrorAction is used.
		prolog11 + fxEnd(16, 3, []int{15}, `<wf.a.ErrorAction><error reference="../../wf.a.ErrorAction/error"/></wf.a.ErrorAction>`, fxError("java.io.IOException", "second")).tag(false),
		prolog11 + fxAtom(3, fxStage, 2, fxLabel("  build  "), `<org.jenkinsci.plugins.workflow.support.steps.StageStepExecution_-StageActionImpl><stageName>legacy</stageName></org.jenkinsci.plugins.workflow.support.steps.StageStepExecution_-StageActionImpl>`, `<wf.a.NotExecutedNodeAction/>`, "<!-- a comment -->").tag(false),
		"<Tag><node class='cps.n.StepAtomNode'><parentIds><string> 2 </string><string>3</string></parentIds><id>4</id><startId>x</startId></node></Tag>",
		"<Tag><node class=\"cps.n.StepEndNode\"><id>+5</id><startId>99999999999999999999</startId></node><actions><wf.a.TimingAction><startTime>-1</startTime></wf.a.TimingAction><wf.a.TimingAction/></actions></Tag>",
		"<Tag><node class=\"x\"><id>1</id></node><node class=\"y\"><id>2</id></node><actions/><actions><wf.a.BodyInvocationAction/></actions></Tag>",
		prolog11 + "<Tag>\r\n<node class=\"a\"><id>1</id></node></Tag>",
		"<Tag><node class=\"a\"><id>1</id></node></Tag><Tag/>",
		"<Tag><node class=\"a\"><id>1&#X31;</id></node></Tag>",
		"<Tag><node class=\"a\" reference=\"../x\"><id>1</id></node></Tag>",
		"<Tag><node class=\"a&amp;b.c\"><id>1</id><descriptorId>d<x>e</x>f</descriptorId></node></Tag>",
		"<Tag><node class=\"a\" class=\"b\"><id>1</id></node></Tag>",
		"<Tag><node class=\"a\"\tplugin='p&#x9;q'><id>1</id><parentIds>\n</parentIds></node><actions><wf.a.LabelAction><displayName>x</displayName><displayName>y</displayName></wf.a.LabelAction></actions></Tag>",
	}
	return bulk, perNode
}

// FuzzFastEqualsCareful: on any bytes, as a bulk store and as a per-node file, the fast
// reader declines or yields exactly the careful reader's nodes and problems.
func FuzzFastEqualsCareful(f *testing.F) {
	bulk, perNode := fastSeeds()
	for _, s := range bulk {
		f.Add([]byte(s))
	}
	for _, s := range perNode {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fastCheckEqual(t, data, true)
		fastCheckEqual(t, data, false)
		// Most raw mutations break the XML and are declined at once; spliced into valid
		// files, the same bytes reach every part of the reader.
		for _, tpl := range fastTemplates {
			fastCheckEqual(t, []byte(strings.Replace(tpl.s, "\x00", string(data), 1)), tpl.bulk)
		}
	})
}

// fastTemplates are flow-node files with a hole (NUL) for fuzzed bytes: in text, attribute
// values, element names, references and between elements.
var fastTemplates = func() []struct {
	bulk bool
	s    string
} {
	const ea = `<wf.a.ErrorAction><error class="hudson.AbortException" reference="../../../../../entry[2]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`
	bulkOf := func(extra string) string {
		return fxBulk([]fxN{fxFlowStart(),
			fxAtom(3, fxSh, 2, fxArgs("script", "make"), fxAbortExit(2), extra),
			fxEnd(4, 3, []int{3}, ea),
		})
	}
	perNode := func(n fxN) string { return "<?xml version='1.1' encoding='UTF-8'?>\n" + n.tag(false) }
	return []struct {
		bulk bool
		s    string
	}{
		{true, bulkOf("\x00")},
		{true, bulkOf(`<wf.a.ErrorAction><error reference="\x00"/></wf.a.ErrorAction>`)},
		{true, strings.Replace(bulkOf(""), "script returned exit code 2", "\x00", 1)},
		{true, strings.Replace(bulkOf(""), "<string>make</string>", "<string>\x00</string>", 1)},
		{false, perNode(fxAtom(3, fxSh, 2, fxArgs("script", "\x00", "label", "x"), fxTiming(5)))},
		{false, perNode(fxAtom(3, fxSh, 2, fxError("\x00", "m"), fxLabel("l")))},
		{false, perNode(fxAtom(3, "\x00", 2, fxInterrupted("<jenkins.model.CauseOfInterruption_-UserInterruption><user>u</user></jenkins.model.CauseOfInterruption_-UserInterruption>")))},
		{false, perNode(fxAtom(3, fxSh, 2, fxError("org.jenkinsci.plugins.workflow.steps.FlowInterruptedException", "", "\x00")))},
		{false, perNode(fxEnd(5, 3, []int{4}, "\x00", fxError("java.io.IOException", "x")))},
		{false, perNode(fxN{id: 3, class: "\x00", parents: []int{2}, actions: []string{fxWS("n", "/w")}})},
	}
}()

// fastCheckEqual fails when the fast reader accepts data but reads it differently from the
// careful reader.
func fastCheckEqual(t *testing.T, data []byte, bulk bool) {
	fp := newFastParser()
	fast := &nodeSet{}
	careful := &nodeSet{}
	if bulk {
		nodes, why, ok := fp.fastReadBulk("f.xml", data)
		if strings.HasPrefix(why, fastInternalError) {
			t.Fatalf("bulk %q: %s", data, why)
		}
		if !ok {
			return // declined: the caller reads the file carefully
		}
		for _, fn := range nodes {
			fast.add(fn)
		}
		careful.readBulk("f.xml", data)
	} else {
		fn, why, ok := fp.fastReadNodeFile("f.xml", data)
		if strings.HasPrefix(why, fastInternalError) {
			t.Fatalf("per-node %q: %s", data, why)
		}
		if !ok {
			return
		}
		fast.add(fn)
		careful.readNodeFile("f.xml", data, 0)
	}
	if !assert.Equal(t, careful, fast, "bulk=%v input %q", bulk, data) {
		t.FailNow()
	}
}

// TestFastSeedsEqual runs the seeds without -fuzz and checks the reader does not decline the
// well-formed ones.
func TestFastSeedsEqual(t *testing.T) {
	bulk, perNode := fastSeeds()
	for i, s := range append(bulk, perNode...) {
		isBulk := i < len(bulk)
		careful, fast, declined := fastCompareFile("f.xml", []byte(s), isBulk, 0)
		assert.Equal(t, careful, fast, "seed %d", i)
		if len(careful.problems) == 0 && !strings.Contains(s, "\r") && !strings.Contains(s, "&#X") &&
			!strings.Contains(s, "reference=\"../x\"") && !strings.HasSuffix(s, "<Tag/>") {
			assert.Empty(t, declined, "seed %d", i)
		}
	}
}

// BenchmarkFlowNodeStore reads the TVM-sized flowNodeStore.xml from memory: the fast reader
// against the careful one, without file system costs.
func BenchmarkFlowNodeStore(b *testing.B) {
	data := []byte(fxBulk(fxTVMNodes()))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			s := &nodeSet{}
			s.readBulkWith(newFastParser(), "flowNodeStore.xml", data, nil)
			if len(s.problems) > 0 || len(s.nodes) < 500 {
				b.Fatal(s.problems)
			}
		}
	})
	b.Run("careful", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			s := &nodeSet{}
			s.readBulk("flowNodeStore.xml", data)
			if len(s.problems) > 0 || len(s.nodes) < 500 {
				b.Fatal(s.problems)
			}
		}
	})
}

// BenchmarkBuildXML measures build.xml, still read by xmlquery, against the flow nodes.
func BenchmarkBuildXML(b *testing.B) {
	data := []byte(fxBuildXML("FAILURE", libraryAndProject, "workflow-completed"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readBuildBytes("build.xml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// fastChain is a bulk store of n sh nodes where each node's ErrorAction refers to the previous
// entry's; the first holds the exception, or with cycle > 0 refers to entry cycle, closing a
// loop.
func fastChain(n, cycle int) string {
	const ref = `<wf.a.ErrorAction><error reference="../../../../../entry[%d]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>`
	var nodes []fxN
	for i := 1; i <= n; i++ {
		act := fxAbortExit(1)
		switch {
		case i > 1:
			act = fmt.Sprintf(ref, i-1)
		case cycle > 0:
			act = fmt.Sprintf(ref, cycle)
		}
		nodes = append(nodes, fxAtom(i+1, fxSh, i, act))
	}
	return fxBulk(nodes)
}

// TestFastReferenceHopLimit: both readers follow at most maxReferenceHops references, so in a
// chain the first 33 entries resolve and the rest do not, and a cycle resolves to nothing.
func TestFastReferenceHopLimit(t *testing.T) {
	careful, fast, declined := fastCompareFile("f.xml", []byte(fastChain(40, 0)), true, 0)
	require.Empty(t, declined)
	require.Equal(t, careful, fast)
	for entry := 1; entry <= 40; entry++ {
		n := fast.node(entry + 1)
		require.NotNil(t, n)
		assert.Equal(t, entry <= maxReferenceHops+1, n.err != nil, "entry %d", entry)
	}
	careful, fast, declined = fastCompareFile("f.xml", []byte(fastChain(5, 5)), true, 0)
	require.Empty(t, declined)
	require.Equal(t, careful, fast)
	for _, n := range fast.nodes {
		assert.Nil(t, n.err, "node %d", n.id)
	}
}

// TestFastRunNeverPanics: a bug in the fast reader (a runtime panic) becomes a decline, so
// ReadBuild falls back to the careful reader instead of crashing.
func TestFastRunNeverPanics(t *testing.T) {
	p := newFastParser()
	why, ok := p.run("x.xml", nil, false, func() {
		var s []int
		_ = s[3]
	})
	assert.False(t, ok)
	assert.True(t, strings.HasPrefix(why, fastInternalError), why)
	why, ok = p.run("x.xml", nil, false, func() { p.fail("because") })
	assert.False(t, ok)
	assert.Equal(t, "because", why)
}

// BenchmarkFlowNodeStoreReal reads every flowNodeStore.xml of the corpus and fixtures (when
// present) from memory: real shapes carry plugin= attributes and stack traces.
func BenchmarkFlowNodeStoreReal(b *testing.B) {
	var stores [][]byte
	var size int64
	for _, root := range []string{
		filepath.Join(os.Getenv("CIDIFF_SHARED"), "jenkins-real"), "../../shared/jenkins-real",
		"../fixtures", os.Getenv("CIDIFF_FIXTURES"),
	} {
		if root == "" || root == "jenkins-real" {
			continue
		}
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "flowNodeStore.xml" {
				if data, err := os.ReadFile(p); err == nil {
					stores = append(stores, data)
					size += int64(len(data))
				}
			}
			return nil
		})
	}
	if len(stores) == 0 {
		b.Skip("no flowNodeStore.xml (set CIDIFF_SHARED or CIDIFF_FIXTURES)")
	}
	for _, r := range []struct {
		name string
		fast bool
	}{{"fast", true}, {"careful", false}} {
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, data := range stores {
					s := &nodeSet{}
					if r.fast {
						s.readBulkWith(newFastParser(), "flowNodeStore.xml", data, nil)
					} else {
						s.readBulk("flowNodeStore.xml", data)
					}
				}
			}
		})
	}
}

// TestFastSpecialBytesAtEveryOffset puts each byte the lexer must notice at every position of
// a text and of an attribute value, so the eight-byte scan is checked at every alignment.
func TestFastSpecialBytesAtEveryOffset(t *testing.T) {
	specials := []string{"&amp;", "&#x1b;", "&#65;", "&lt;", "<", "&", "]]>", "]", "\x01", "\r", "\t", "\n",
		"é", "\xff", "\xef\xbf\xbe", "'", "\"", " ", "&#X41;", "<!--c-->", "<![CDATA[x]]>"}
	accepted := 0
	for _, sp := range specials {
		for k := 0; k < 20; k++ {
			v := strings.Repeat("a", k) + sp + strings.Repeat("b", 20-k)
			for _, doc := range []string{
				"<Tag><node class=\"cps.n.StepAtomNode\"><id>3</id><descriptorId>" + v + "</descriptorId></node></Tag>",
				"<Tag><node class=\"cps.n." + v + "\"><id>3</id></node></Tag>",
				"<Tag><node class='cps.n." + v + "'><id>3</id></node></Tag>",
				"<Tag>" + strings.Repeat(" ", k) + "<node class=\"a\">" + strings.Repeat("\n ", k) + "<id>3</id></node></Tag>",
			} {
				careful, fast, declined := fastCompareFile("3.xml", []byte(doc), false, 3)
				require.Equal(t, careful, fast, "%q", doc)
				if len(declined) == 0 {
					accepted++
				}
			}
		}
	}
	t.Logf("%d of %d documents read by the fast reader, all equal", accepted, len(specials)*20*4)
}

func TestReadFileInto(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 16<<10 - 1, 16 << 10, 16<<10 + 1, 100 << 10} {
		name := filepath.Join(dir, fmt.Sprint(n))
		want := []byte(strings.Repeat("x", n))
		require.NoError(t, os.WriteFile(name, want, 0o644))
		for _, buf := range [][]byte{nil, make([]byte, 3, 10), make([]byte, 0, 64<<10)} {
			got, err := readFileInto(name, buf)
			require.NoError(t, err)
			assert.Equal(t, want, got, "size %d", n)
		}
	}
	_, err := readFileInto(filepath.Join(dir, "missing"), nil)
	_, want := os.ReadFile(filepath.Join(dir, "missing"))
	assert.Equal(t, want.Error(), err.Error())
	_, err = readFileInto(dir, nil)
	_, want = os.ReadFile(dir)
	assert.Equal(t, want.Error(), err.Error())
}

// TestReadBuildKeepsNothingOfTheScratch reads builds one after the other with one scratch,
// as a walk does: what a Build holds must not change when the scratch reads the next one.
func TestReadBuildKeepsNothingOfTheScratch(t *testing.T) {
	dirs := fastFixtureBuilds(t)
	sc := &readScratch{}
	type kept struct {
		b    *Build
		json string
	}
	var all []kept
	for round := 0; round < 2; round++ {
		for _, dir := range dirs {
			b, err := readBuildWith(dir, nil, sc)
			require.NoError(t, err)
			j, err := json.Marshal(b)
			require.NoError(t, err)
			sc.reset()
			scratchPoison(sc)
			all = append(all, kept{b, string(j)})
		}
	}
	for i, k := range all {
		j, err := json.Marshal(k.b)
		require.NoError(t, err)
		if string(j) != k.json {
			t.Errorf("build %d (%s) changed after later reads with the same scratch", i, k.b.Dir)
		}
	}
}

// scratchPoison overwrites every byte a reset scratch may reuse, so whatever still points
// into it shows.
func scratchPoison(sc *readScratch) {
	for i := range sc.buf[:cap(sc.buf)] {
		sc.buf[:cap(sc.buf)][i] = 'X'
	}
	if p := sc.fp; p != nil {
		bad := "poisoned"
		for i := range p.slab[:cap(p.slab)] {
			p.slab[:cap(p.slab)][i] = flowNode{id: -1, class: bad, label: bad, branch: bad, stageName: bad, desc: bad,
				workspace: &workspaceInfo{bad, bad}, err: &nodeError{class: bad, message: bad}, args: []argPair{{bad, bad}}}
		}
		for i := range p.ints[:cap(p.ints)] {
			p.ints[:cap(p.ints)][i] = -1
		}
		for i := range p.pairs[:cap(p.pairs)] {
			p.pairs[:cap(p.pairs)][i] = argPair{bad, bad}
		}
		for _, c := range p.dom.chunks {
			for i := range c {
				c[i] = xmlquery.Node{Type: xmlquery.ElementNode, Data: bad, Attr: []xmlquery.Attr{{Value: bad}}}
			}
		}
	}
}

// TestActionKindShortcut: the shortcut names get the kind the general rule gives them.
func TestActionKindShortcut(t *testing.T) {
	for _, name := range []string{"wf.a.TimingAction", "s.a.LogStorageAction", "s.a.LogActionImpl",
		"wf.a.BodyInvocationAction", "cps.a.ArgumentsActionImpl", "wf.a.ErrorAction", "wf.a.LabelAction"} {
		assert.Equal(t, actionKindOf([]byte(name)), actionKind([]byte(name)), name)
	}
}
