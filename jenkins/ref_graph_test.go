package jenkins

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The graph and shell-step code as it was before it was rewritten for speed (slices indexed
// by position, per-block links instead of chain walks, no maps): kept here on maps, as the
// reference the rewrite must equal on every corpus build, fixture and fuzzed graph.
// refGraph is the flow graph with enclosing blocks computed.
type refGraph struct {
	nodes      map[int]*flowNode
	ids        []int       // ascending
	enc        map[int]int // node → enclosing block start node (0: top level)
	firstChild map[int]int // node → smallest id among nodes listing it as a parent
	// bodies lists a step start node's body start nodes in id order (retry attempts).
	bodies map[int][]int
	// legacyStage is, per node, the nearest earlier legacy `stage 'x'` atom node (0: none).
	legacyStage map[int]int
	problems    []string
}

// validStart returns the start node of end node n if it is an earlier, existing node.
func (g *refGraph) validStart(n *flowNode) (*flowNode, bool) {
	s, ok := g.nodes[n.startID]
	if !ok || n.startID >= n.id {
		return nil, false
	}
	return s, true
}

// refBuildGraph computes enclosing blocks; problems name the node's file.
func refBuildGraph(nodes map[int]*flowNode) *refGraph {
	g := &refGraph{
		nodes:       nodes,
		enc:         make(map[int]int, len(nodes)),
		firstChild:  make(map[int]int, len(nodes)),
		bodies:      map[int][]int{},
		legacyStage: map[int]int{},
	}
	for id := range nodes {
		g.ids = append(g.ids, id)
	}
	sort.Ints(g.ids)

	lastLegacy := 0
	for _, id := range g.ids {
		n := g.nodes[id]
		if lastLegacy != 0 {
			g.legacyStage[id] = lastLegacy
		}
		if n.class == "StepAtomNode" && javaSimpleName(n.desc) == "StageStep" {
			lastLegacy = id
		}

		for _, p := range n.parents {
			if _, ok := g.nodes[p]; ok && p < id {
				if c, seen := g.firstChild[p]; !seen || id < c {
					g.firstChild[p] = id
				}
			}
		}
		g.enc[id] = g.enclosing(n)
		if n.class == "StepStartNode" && n.body {
			if e := g.enc[id]; e != 0 {
				g.bodies[e] = append(g.bodies[e], id)
			}
		}
	}
	return g
}

// enclosing applies §6.2 to node n; every node it consults has a smaller id.
func (g *refGraph) enclosing(n *flowNode) int {
	if refIsEndNode(n) && n.startID != 0 {
		if s, ok := g.validStart(n); ok {
			return g.enc[s.id]
		}
		g.problems = append(g.problems, fmt.Sprintf("%s: node %d: startId %d is not an earlier node (corrupt graph)",
			n.file, n.id, n.startID))
		// Fall back to the parent: the end node closes the block its parent is in.
		if b := g.fromParent(n); b != 0 {
			return g.enc[b]
		}
		return 0
	}
	return g.fromParent(n)
}

// fromParent is the enclosing block of a node that is not an end node with a known start.
func (g *refGraph) fromParent(n *flowNode) int {
	var p *flowNode
	for _, pid := range n.parents {
		if q, ok := g.nodes[pid]; ok && pid < n.id {
			p = q
			break
		}
	}
	if p == nil {
		if len(n.parents) > 0 {
			g.problems = append(g.problems, fmt.Sprintf("%s: node %d: parent %v missing or not earlier (corrupt graph)",
				n.file, n.id, n.parents))
		}
		return 0
	}
	switch {
	case p.class == "StepStartNode":
		return p.id
	case refIsEndNode(p):
		// A sibling after a closed block: enc(end) is already enc(start(end)).
		return g.enc[p.id]
	default:
		return g.enc[p.id]
	}
}

func refIsEndNode(n *flowNode) bool {
	return n.class == "StepEndNode" || n.class == "FlowEndNode"
}

// chain lists the enclosing block start nodes of id, innermost first.
func (g *refGraph) chain(id int) []*flowNode {
	var out []*flowNode
	for e, guard := g.enc[id], 0; e != 0 && guard <= len(g.ids); e, guard = g.enc[e], guard+1 {
		n, ok := g.nodes[e]
		if !ok {
			break
		}
		out = append(out, n)
	}
	return out
}

// stagePath lists the stage and parallel-branch names enclosing id, outermost first. A
// Declarative parallel stage writes its branch and its stage under one name: kept once.
func (g *refGraph) stagePath(id int) []string {
	type part struct {
		name   string
		branch bool
	}
	var inner []part // innermost first
	for _, n := range g.chain(id) {
		if n.class != "StepStartNode" || !n.body {
			continue
		}
		switch {
		case n.hasBranch:
			inner = append(inner, part{n.branch, true})
		case javaSimpleName(n.desc) == "StageStep":
			name := n.label
			if !n.hasLabel || name == "" {
				if s, ok := g.nodes[g.enc[n.id]]; ok {
					name = s.arg("name")
				}
			}
			inner = append(inner, part{name, false})
		}
	}
	var out []string
	if l, ok := g.nodes[g.legacyStage[id]]; ok {
		name := l.label
		if name == "" {
			name = l.stageName
		}
		if name == "" {
			name = l.arg("name")
		}
		if name != "" {
			out = append(out, name)
		}
	}
	prevBranch := ""
	for i := len(inner) - 1; i >= 0; i-- {
		p := inner[i]
		if !p.branch && prevBranch != "" && p.name == prevBranch {
			prevBranch = ""
			continue
		}
		prevBranch = ""
		if p.name == "" {
			// A stage whose name was not recorded (redacted graphs): nothing to show.
			continue
		}
		if p.branch {
			prevBranch = p.name
		}
		out = append(out, p.name)
	}
	return out
}

// agent finds the nearest enclosing `node` block's WorkspaceActionImpl. ok is false when no
// enclosing node block recorded one (not allocated yet, or outside any node block).
func (g *refGraph) agent(id int) (ws workspaceInfo, ok bool) {
	for _, n := range g.chain(id) {
		if javaSimpleName(n.desc) != "ExecutorStep" || n.body {
			continue
		}
		if n.workspace == nil {
			return workspaceInfo{}, false
		}
		return *n.workspace, true
	}
	return workspaceInfo{}, false
}

// context lists the retry, catchError/warnError and timeout blocks enclosing id, innermost
// first; a retry block carries the 1-based attempt (which body invocation id is in).
func (g *refGraph) context(id int) []Block {
	var out []Block
	var prev *flowNode // the chain element just inside the current one
	for _, n := range g.chain(id) {
		if n.class == "StepStartNode" && !n.body {
			var kind BlockKind
			switch javaSimpleName(n.desc) {
			case "RetryStep":
				kind = BlockRetry
			case "CatchErrorStep", "WarnErrorStep":
				kind = BlockCatchError
			case "TimeoutStep":
				kind = BlockTimeout
			}
			if kind != "" {
				b := Block{Kind: kind, ID: strconv.Itoa(n.id)}
				if kind == BlockRetry && prev != nil {
					for i, body := range g.bodies[n.id] {
						if body == prev.id {
							b.Attempt = i + 1
						}
					}
				}
				out = append(out, b)
			}
		}
		prev = n
	}
	return out
}

// refShellSteps lists the shell steps of g in id order with their outcome and context.
func refShellSteps(g *refGraph, facts flowFacts) []Step {
	var out []Step
	for _, id := range g.ids {
		n := g.nodes[id]
		kind, ok := shellKinds[javaSimpleName(n.desc)]
		if !ok || n.class != "StepAtomNode" {
			continue
		}
		st := Step{
			ID:           strconv.Itoa(id),
			Kind:         kind,
			Stage:        g.stagePath(id),
			Script:       n.arg("script"),
			Label:        n.arg("label"),
			ReturnStatus: n.arg("returnStatus") == "true",
			Context:      g.context(id),
		}
		if st.Label == "" && n.hasLabel {
			st.Label = n.label
		}
		if ws, ok := g.agent(id); ok {
			node := ws.node
			st.Node = &node
			st.Workspace = ws.path
		}
		if n.startTime > 0 {
			st.Start = time.UnixMilli(n.startTime).UTC()
			if c, ok := g.nodes[g.firstChild[id]]; ok && c.startTime >= n.startTime {
				st.Duration = time.Duration(c.startTime-n.startTime) * time.Millisecond
			} else if !ok && !facts.end.IsZero() && facts.end.After(st.Start) {
				st.Duration = facts.end.Sub(st.Start)
			}
		}
		_, hasSuccessor := g.firstChild[id]
		verdict(&st, n, facts.finished || hasSuccessor)
		out = append(out, st)
	}
	return out
}

// refHasFlowEnd is the reference for graph.flowEnd.
func refHasFlowEnd(g *refGraph) bool {
	for _, n := range g.nodes {
		if n.class == "FlowEndNode" {
			return true
		}
	}
	return false
}

// graphCheckEqual requires the graph and its shell steps to equal the reference's.
func graphCheckEqual(t *testing.T, nodes []*flowNode, facts flowFacts, where string) {
	t.Helper()
	graphCheckEqualIndexed(t, nodes, nil, facts, where)
}

// graphCheckEqualIndexed is graphCheckEqual for buildGraphIndexed(nodes, byID).
func graphCheckEqualIndexed(t *testing.T, nodes []*flowNode, byID *idIndex, facts flowFacts, where string) {
	t.Helper()
	byIDMap := make(map[int]*flowNode, len(nodes))
	for _, n := range nodes {
		byIDMap[n.id] = n
	}
	require.Len(t, byIDMap, len(nodes), "%s: one node per id", where)
	ref := refBuildGraph(byIDMap)
	g := buildGraphIndexed(nodes, byID)
	require.Equal(t, ref.problems, g.problems, where)
	require.Equal(t, refHasFlowEnd(ref), g.flowEnd, where)
	require.Equal(t, refShellSteps(ref, facts), shellSteps(g, facts), where)
	// Every node, not only shell steps: stage path, agent and context.
	for x, n := range g.nodes {
		require.Equal(t, ref.stagePath(n.id), g.stagePath(int32(x)), "%s: node %d", where, n.id)
		wsR, okR := ref.agent(n.id)
		ws, ok := g.agent(int32(x))
		require.Equal(t, okR, ok, "%s: node %d", where, n.id)
		require.Equal(t, wsR, ws, "%s: node %d", where, n.id)
		require.Equal(t, ref.context(n.id), g.context(int32(x)), "%s: node %d", where, n.id)
	}
}

// TestGraphEqualsReferenceOnRealBuilds: on every real build and fixture, the graph gives the
// reference's steps, problems and per-node answers, whatever the facts.
func TestGraphEqualsReferenceOnRealBuilds(t *testing.T) {
	dirs := fastFixtureBuilds(t)
	for _, root := range fastCorpusDirs(t) {
		dirs = append(dirs, readerFlowBuilds(t, root)...)
	}
	graphs, steps := 0, 0
	end := time.UnixMilli(1736954750315).UTC()
	for _, dir := range dirs {
		for _, careful := range []bool{false, true} {
			ns := readFlowNodesWith(dir, "", &readOpts{careful: careful}, nil)
			if ns.layout == LayoutNone {
				continue
			}
			for _, facts := range []flowFacts{{}, {finished: true, end: end}} {
				graphCheckEqual(t, ns.nodes, facts, dir)
				graphCheckEqualIndexed(t, ns.nodes, &ns.byID, facts, dir) // as ReadBuild does
			}
			graphs++
			steps += len(shellSteps(buildGraph(ns.nodes), flowFacts{}))
		}
	}
	t.Logf("%d graphs, %d shell steps: equal to the reference", graphs, steps)
	require.Greater(t, graphs, 0)
}

// FuzzGraphEqualsReference builds arbitrary graphs (any classes, descriptors, links forward,
// backward, missing or repeated, labels and bodies) from the fuzzer's bytes: the graph and
// the reference must agree on everything.
func FuzzGraphEqualsReference(f *testing.F) {
	for _, nodes := range [][]fxN{fxFailingStage(), fxTVMNodes()[:120]} {
		f.Add(graphFuzzBytes(nodes))
	}
	f.Add([]byte{})
	f.Add([]byte("\x05\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"))
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes := graphFromBytes(data)
		graphCheckEqual(t, nodes, flowFacts{}, fmt.Sprintf("%x", data))
		graphCheckEqual(t, nodes, flowFacts{finished: true, end: time.UnixMilli(5000)}, fmt.Sprintf("%x", data))
	})
}

var (
	graphFuzzClasses = []string{"StepStartNode", "StepEndNode", "StepAtomNode", "FlowStartNode", "FlowEndNode", "X"}
	graphFuzzDescs   = []string{"", fxSh, fxBat, fxStage, fxNode, fxParallel, fxRetry, fxTimeout, fxCatch,
		"org.jenkinsci.plugins.workflow.steps.WarnErrorStep", fxEcho, fxPwsh, "x$ShellStep"}
	graphFuzzNames = []string{"", "a", "b", "Build"}
)

// graphFromBytes reads 8 bytes per node: id step, class, descriptor, parent offsets, startId
// offset, flags (body, label, branch, workspace, legacy stage name, args) and names.
func graphFromBytes(data []byte) []*flowNode {
	var nodes []*flowNode
	id := 0
	seen := map[int]bool{}
	for len(data) >= 8 {
		b := data[:8]
		data = data[8:]
		id += int(b[0]%4) + 1
		if b[0]&0x80 != 0 {
			id = int(b[0]&0x3f) + 1 // an id out of order, maybe a repeat; ids are > 0 (parseTag)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		n := &flowNode{id: id, file: "f.xml",
			class: graphFuzzClasses[int(b[1])%len(graphFuzzClasses)],
			desc:  graphFuzzDescs[int(b[2])%len(graphFuzzDescs)]}
		for k := 0; k < int(b[3]>>6); k++ {
			n.parents = append(n.parents, id-int(b[3]>>(2*k)&3)+int(b[3]>>5&1)*3-1)
		}
		if b[4] != 0 {
			n.startID = id - int(int8(b[4]))
		}
		fl := b[5]
		n.body = fl&1 != 0
		n.hasLabel = fl&2 != 0
		n.hasBranch = fl&4 != 0
		name := graphFuzzNames[int(b[6])%len(graphFuzzNames)]
		if n.hasLabel {
			n.label = name
		}
		if n.hasBranch {
			n.branch = graphFuzzNames[int(b[6]>>2)%len(graphFuzzNames)]
		}
		if fl&8 != 0 {
			n.workspace = &workspaceInfo{node: name, path: "/w"}
		}
		if fl&16 != 0 {
			n.stageName = graphFuzzNames[int(b[6]>>4)%len(graphFuzzNames)]
		}
		if fl&32 != 0 {
			n.setArg("name", graphFuzzNames[int(b[7])%len(graphFuzzNames)])
		}
		if fl&64 != 0 {
			n.setArg("script", "make")
			n.setArg("label", graphFuzzNames[int(b[7]>>2)%len(graphFuzzNames)])
		}
		if fl&128 != 0 {
			n.err = &nodeError{class: "hudson.AbortException", message: "script returned exit code 1"}
		}
		n.startTime = int64(b[7]) * 100
		nodes = append(nodes, n)
	}
	return nodes
}

// graphFuzzBytes encodes a synthetic graph for graphFromBytes, roughly: ids, classes,
// descriptors, first parent, startId, body and label flags.
func graphFuzzBytes(nodes []fxN) []byte {
	index := func(list []string, s string) byte {
		for i, x := range list {
			if x == s || strings.HasSuffix(x, "."+s) {
				return byte(i)
			}
		}
		return byte(len(list) - 1)
	}
	var out []byte
	prev := 0
	for _, n := range nodes {
		step := n.id - prev
		if step < 1 || step > 4 {
			step = 1
		}
		prev = n.id
		var b [8]byte
		b[0] = byte(step - 1)
		b[1] = index(graphFuzzClasses, javaSimpleName(expandAlias(n.class)))
		b[2] = index(graphFuzzDescs, n.desc)
		if len(n.parents) > 0 && n.id-n.parents[0] >= 1 && n.id-n.parents[0] <= 4 {
			b[3] = 1<<6 | byte(n.id-n.parents[0]-1+1)&3 | 1<<5
		}
		if n.startID != 0 {
			b[4] = byte(int8(n.id - n.startID))
		}
		for _, a := range n.actions {
			if strings.Contains(a, "BodyInvocationAction") {
				b[5] |= 1
			}
			if strings.Contains(a, "LabelAction") {
				b[5] |= 2
			}
			if strings.Contains(a, "WorkspaceActionImpl") {
				b[5] |= 8
			}
			if strings.Contains(a, "<string>name</string>") {
				b[5] |= 32
			}
			if strings.Contains(a, "<string>script</string>") {
				b[5] |= 64
			}
		}
		b[6], b[7] = 3, byte(n.id)
		out = append(out, b[:]...)
	}
	return out
}

// TestGraphEqualsReferenceRandom compares on many random graphs, well nested as Jenkins
// writes them and then damaged here and there, and checks they reach every part of the
// answer (problems, stage paths, agents, retry attempts), so agreement means something.
func TestGraphEqualsReferenceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var problems, stages, agents, attempts, contexts int
	for i := 0; i < 2000; i++ {
		nodes := graphRandom(rng, 1+rng.IntN(200), i%3 == 0)
		graphCheckEqual(t, nodes, flowFacts{}, fmt.Sprintf("graph %d", i))
		g := buildGraph(nodes)
		problems += len(g.problems)
		for x := range g.nodes {
			if len(g.stagePath(int32(x))) > 1 {
				stages++
			}
			if _, ok := g.agent(int32(x)); ok {
				agents++
			}
			for _, b := range g.context(int32(x)) {
				contexts++
				if b.Attempt > 1 {
					attempts++
				}
			}
		}
	}
	t.Logf("problems %d, nested stage paths %d, agents %d, context blocks %d, retry attempts > 1: %d",
		problems, stages, agents, contexts, attempts)
	for _, n := range []int{problems, stages, agents, contexts, attempts} {
		require.Greater(t, n, 0)
	}
}

// graphRandom writes a random run of a Pipeline: nested blocks (stage, node, parallel
// branches, retry with several attempts, timeout, catchError), shell and echo steps, legacy
// stages; damaged, when asked, by a few links pointing anywhere and a few nodes lost.
func graphRandom(rng *rand.Rand, size int, damage bool) []*flowNode {
	type open struct {
		start, body *flowNode
		bodies      int
	}
	var nodes []*flowNode
	id := 1
	last := 0
	add := func(n *flowNode) *flowNode {
		id++
		n.id, n.file = id, "f.xml"
		if last != 0 {
			n.parents = []int{last}
		}
		n.startTime = int64(id) * 10
		nodes = append(nodes, n)
		last = id
		return n
	}
	add(&flowNode{class: "FlowStartNode"})
	name := func() string { return graphFuzzNames[rng.IntN(len(graphFuzzNames))] }
	blockDescs := []string{fxStage, fxNode, fxParallel, fxRetry, fxTimeout, fxCatch, fxEnv,
		"org.jenkinsci.plugins.workflow.steps.WarnErrorStep"}
	var stack []*open
	for len(nodes) < size {
		switch r := rng.IntN(10); {
		case r < 3: // open a block
			desc := blockDescs[rng.IntN(len(blockDescs))]
			start := add(&flowNode{class: "StepStartNode", desc: desc})
			if desc == fxStage {
				start.setArg("name", name())
			}
			if desc == fxNode && rng.IntN(4) > 0 {
				start.workspace = &workspaceInfo{node: name(), path: "/w/" + name()}
			}
			o := &open{start: start}
			o.body = add(&flowNode{class: "StepStartNode", desc: desc, body: true})
			o.bodies = 1
			switch {
			case desc == fxStage && rng.IntN(3) > 0:
				o.body.label, o.body.hasLabel = name(), true
			case desc == fxParallel:
				o.body.branch, o.body.hasBranch = name(), true
			}
			stack = append(stack, o)
		case r < 5 && len(stack) > 0: // close the innermost body; maybe run it again
			o := stack[len(stack)-1]
			add(&flowNode{class: "StepEndNode", startID: o.body.id})
			if (o.start.desc == fxRetry || o.start.desc == fxParallel) && o.bodies < 4 && rng.IntN(2) == 0 {
				o.body = add(&flowNode{class: "StepStartNode", desc: o.start.desc, body: true})
				o.bodies++
				if o.start.desc == fxParallel {
					o.body.branch, o.body.hasBranch = name(), true
				}
				continue
			}
			add(&flowNode{class: "StepEndNode", startID: o.start.id})
			stack = stack[:len(stack)-1]
		case r < 6: // a legacy stage
			n := add(&flowNode{class: "StepAtomNode", desc: fxStage})
			switch rng.IntN(3) {
			case 0:
				n.label, n.hasLabel = name(), true
			case 1:
				n.stageName = name()
			default:
				n.setArg("name", name())
			}
		default: // a step
			desc := []string{fxSh, fxBat, fxPwsh, fxEcho}[rng.IntN(4)]
			n := add(&flowNode{class: "StepAtomNode", desc: desc})
			n.setArg("script", "make")
			if rng.IntN(2) == 0 {
				n.setArg("label", name())
			}
			if rng.IntN(5) == 0 {
				n.err = &nodeError{class: "hudson.AbortException", message: "script returned exit code 2"}
			}
		}
	}
	if rng.IntN(2) == 0 {
		add(&flowNode{class: "FlowEndNode", startID: 2})
	}
	if !damage {
		return nodes
	}
	for k := 0; k < 1+rng.IntN(3) && len(nodes) > 0; k++ {
		n := nodes[rng.IntN(len(nodes))]
		switch rng.IntN(4) {
		case 0:
			n.parents = []int{rng.IntN(id + 3)}
		case 1:
			n.parents = append(n.parents, rng.IntN(id+3))
		case 2:
			n.startID = rng.IntN(id+3) - 1
		default:
			i := rng.IntN(len(nodes))
			nodes = append(nodes[:i], nodes[i+1:]...)
		}
	}
	rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	return nodes
}
