package jenkins

import (
	"fmt"
	"slices"
	"strconv"
)

// Graph semantics (JENKINS_FORMATS.md §6): every block step writes a step start node and, per
// body invocation, a body start node; a node's enclosing block is computed in one pass in id
// order. Real graphs can be corrupt (forward startIds, multi-parent end nodes, missing ids),
// so every link is checked to point to an earlier node: chains then strictly descend and
// cannot loop.
//
// Nodes are numbered by their position in id order, and every per-node fact is a slice
// indexed by that position (-1: none). Besides a node's enclosing block, the pass records the
// nearest enclosing block that matters to each question a step asks (its stage, its agent,
// its control blocks), so answering one costs a step only the blocks that answer it, and
// what a block contributes is worked out once, not once per step inside it.

// graph is the flow graph with enclosing blocks computed.
type graph struct {
	nodes []*flowNode // by ascending id: a node's index here is its position
	byID  idIndex     // id → position
	flags []nodeFlags // what the node's class and descriptor make it
	// enc is the position of the enclosing block start node (-1: top level).
	enc []int32
	// firstChild is the position of the smallest-id node listing the node as a parent.
	firstChild []int32
	// bodyOrdinal is, for a body start node, which body invocation of its enclosing step start
	// node it is (1-based, in id order: the retry attempt); 0 for other nodes.
	bodyOrdinal []int32
	// legacyStage is the nearest earlier legacy `stage 'x'` atom node.
	legacyStage []int32
	// stageUp is the nearest block enclosing the node that names a stage or a parallel
	// branch; agentUp the nearest enclosing `node` step start node; ctxUp the nearest enclosing
	// retry, catchError/warnError or timeout step start node and ctxInner the chain element
	// just inside it (the node itself when ctxUp is its enclosing block).
	stageUp, agentUp, ctxUp, ctxInner []int32
	// blockIDs caches the decimal id of a context block, shared by the steps inside it.
	blockIDs map[int32]string
	flowEnd  bool // the flow reached its FlowEndNode
	problems []string
}

// nodeFlags classify a node once, so no step tests class or descriptor strings again.
type nodeFlags uint16

const (
	fStartNode    nodeFlags = 1 << iota // StepStartNode
	fBody                               // StepStartNode with BodyInvocationAction
	fEnd                                // StepEndNode or FlowEndNode
	fAtom                               // StepAtomNode
	fStageStep                          // descriptor StageStep
	fExecutorStep                       // descriptor ExecutorStep (`node`)
	fRetry                              // descriptor RetryStep
	fCatchError                         // descriptor CatchErrorStep or WarnErrorStep
	fTimeout                            // descriptor TimeoutStep
	fShell                              // descriptor one of shellKinds
)

// classFlags classifies a node by its class.
func classFlags(n *flowNode) nodeFlags {
	switch n.class {
	case "StepStartNode":
		if n.body {
			return fStartNode | fBody
		}
		return fStartNode
	case "StepEndNode", "FlowEndNode":
		return fEnd
	case "StepAtomNode":
		return fAtom
	}
	return 0
}

// descFlags classifies a descriptorId by the simple name of its step class.
func descFlags(desc string) nodeFlags {
	switch s := javaSimpleName(desc); s {
	case "StageStep":
		return fStageStep
	case "ExecutorStep":
		return fExecutorStep
	case "RetryStep":
		return fRetry
	case "CatchErrorStep", "WarnErrorStep":
		return fCatchError
	case "TimeoutStep":
		return fTimeout
	default:
		if _, ok := shellKinds[s]; ok {
			return fShell
		}
	}
	return 0
}

// stageBlock: a body start node that names a stage or a branch (stagePath's parts).
func (f nodeFlags) stageBlock(n *flowNode) bool {
	return f&fBody != 0 && (n.hasBranch || f&fStageStep != 0)
}

// agentBlock: a `node` step start node (not its body), where the workspace is recorded.
func (f nodeFlags) agentBlock() bool { return f&fExecutorStep != 0 && f&fBody == 0 }

// contextBlock: a step start node of a block listed in Step.Context.
func (f nodeFlags) contextBlock() bool {
	return f&fStartNode != 0 && f&fBody == 0 && f&(fRetry|fCatchError|fTimeout) != 0
}

// pos is the position of the node with the given id, or -1.
func (g *graph) pos(id int) int32 {
	if i, ok := g.byID.get(id); ok {
		return int32(i)
	}
	return -1
}

// buildGraph computes enclosing blocks of the nodes (any order, one per id); problems name
// the node's file.
func buildGraph(nodes []*flowNode) *graph {
	return buildGraphIndexed(nodes, nil)
}

// buildGraphIndexed is buildGraph given, optionally, the index of nodes by id (a nodeSet's):
// nodes stored in id order, as both layouts usually are, then need neither a copy nor a
// second index. Neither is modified.
func buildGraphIndexed(nodes []*flowNode, byID *idIndex) *graph {
	n := len(nodes)
	g := &graph{nodes: nodes, flags: make([]nodeFlags, n)}
	if byID != nil && slices.IsSortedFunc(nodes, cmpNodeID) {
		g.byID = *byID
	} else {
		if !slices.IsSortedFunc(nodes, cmpNodeID) {
			g.nodes = slices.Clone(nodes)
			slices.SortFunc(g.nodes, cmpNodeID)
		}
		g.byID.reserve(n, g.nodes[max(n-1, 0):])
		for i, fn := range g.nodes {
			g.byID.set(fn.id, i)
		}
	}
	// One allocation for every per-position slice.
	all := make([]int32, 9*n)
	next := func() []int32 {
		s := all[:n:n]
		all = all[n:]
		return s
	}
	g.enc, g.firstChild, g.bodyOrdinal, g.legacyStage = next(), next(), next(), next()
	g.stageUp, g.agentUp, g.ctxUp, g.ctxInner = next(), next(), next(), next()
	bodies := next() // per step start node: how many body start nodes it encloses so far

	lastLegacy := int32(-1)
	descCache := map[string]nodeFlags{} // a build uses a few dozen descriptors: classify each once
	for i, fn := range g.nodes {
		x := int32(i)
		df, ok := descCache[fn.desc]
		if !ok {
			df = descFlags(fn.desc)
			descCache[fn.desc] = df
		}
		f := classFlags(fn) | df
		g.flags[i] = f
		if fn.class == "FlowEndNode" {
			g.flowEnd = true
		}

		g.legacyStage[x] = lastLegacy
		if f&fAtom != 0 && f&fStageStep != 0 {
			lastLegacy = x
		}

		g.firstChild[x] = -1
		for _, pid := range fn.parents {
			if p := g.pos(pid); p >= 0 && pid < fn.id && g.firstChild[p] < 0 {
				g.firstChild[p] = x // ascending: the first child seen is the smallest
			}
		}

		e := g.enclosing(fn)
		g.enc[x] = e
		if f&fBody != 0 && e >= 0 {
			bodies[e]++
			g.bodyOrdinal[x] = bodies[e]
		}

		g.stageUp[x], g.agentUp[x], g.ctxUp[x], g.ctxInner[x] = -1, -1, -1, -1
		if e < 0 {
			continue
		}
		ef, en := g.flags[e], g.nodes[e]
		if ef.stageBlock(en) {
			g.stageUp[x] = e
		} else {
			g.stageUp[x] = g.stageUp[e]
		}
		if ef.agentBlock() {
			g.agentUp[x] = e
		} else {
			g.agentUp[x] = g.agentUp[e]
		}
		if ef.contextBlock() {
			g.ctxUp[x], g.ctxInner[x] = e, x
		} else {
			g.ctxUp[x], g.ctxInner[x] = g.ctxUp[e], g.ctxInner[e]
		}
	}
	return g
}

func cmpNodeID(a, b *flowNode) int { return a.id - b.id }

// enclosing applies §6.2 to node n; every node it consults has a smaller id.
func (g *graph) enclosing(n *flowNode) int32 {
	if (n.class == "StepEndNode" || n.class == "FlowEndNode") && n.startID != 0 {
		if s := g.pos(n.startID); s >= 0 && n.startID < n.id {
			return g.enc[s]
		}
		g.problems = append(g.problems, fmt.Sprintf("%s: node %d: startId %d is not an earlier node (corrupt graph)",
			n.file, n.id, n.startID))
		// Fall back to the parent: the end node closes the block its parent is in.
		if b := g.fromParent(n); b >= 0 {
			return g.enc[b]
		}
		return -1
	}
	return g.fromParent(n)
}

// fromParent is the enclosing block of a node that is not an end node with a known start.
func (g *graph) fromParent(n *flowNode) int32 {
	p := int32(-1)
	for _, pid := range n.parents {
		if q := g.pos(pid); q >= 0 && pid < n.id {
			p = q
			break
		}
	}
	if p < 0 {
		if len(n.parents) > 0 {
			g.problems = append(g.problems, fmt.Sprintf("%s: node %d: parent %v missing or not earlier (corrupt graph)",
				n.file, n.id, n.parents))
		}
		return -1
	}
	if g.nodes[p].class == "StepStartNode" {
		return p
	}
	// A sibling after a closed block (enc(end) is already enc(start(end))), or after an atom.
	return g.enc[p]
}

// stagePath lists the stage and parallel-branch names enclosing the node at position x,
// outermost first (nil: none).
func (g *graph) stagePath(x int32) []string { return g.appendStagePath(nil, x) }

// appendStagePath appends stagePath(x) to dst. A Declarative parallel stage writes its branch
// and its stage under one name: kept once.
func (g *graph) appendStagePath(dst []string, x int32) []string {
	if l := g.legacyStage[x]; l >= 0 {
		ln := g.nodes[l]
		name := ln.label
		if name == "" {
			name = ln.stageName
		}
		if name == "" {
			name = ln.arg("name")
		}
		if name != "" {
			dst = append(dst, name)
		}
	}
	// The stage blocks, innermost first, on the stack; then read outermost first.
	var stack [16]int32
	inner := stack[:0]
	for e := g.stageUp[x]; e >= 0; e = g.stageUp[e] {
		inner = append(inner, e)
	}
	prevBranch := ""
	for i := len(inner) - 1; i >= 0; i-- {
		name, branch := g.stageName(inner[i])
		if !branch && prevBranch != "" && name == prevBranch {
			prevBranch = ""
			continue
		}
		prevBranch = ""
		if name == "" {
			// A stage whose name was not recorded (redacted graphs): nothing to show.
			continue
		}
		if branch {
			prevBranch = name
		}
		dst = append(dst, name)
	}
	return dst
}

// stageName is the name a stage block at position e contributes and whether it is a
// parallel branch.
func (g *graph) stageName(e int32) (name string, branch bool) {
	n := g.nodes[e]
	if n.hasBranch {
		return n.branch, true
	}
	name = n.label
	if !n.hasLabel || name == "" {
		// The stage's step start node holds the name argument.
		if s := g.enc[e]; s >= 0 {
			name = g.nodes[s].arg("name")
		}
	}
	return name, false
}

// agent finds the nearest enclosing `node` block's WorkspaceActionImpl. ok is false when no
// enclosing node block recorded one (not allocated yet, or outside any node block).
func (g *graph) agent(x int32) (ws workspaceInfo, ok bool) {
	e := g.agentUp[x]
	if e < 0 || g.nodes[e].workspace == nil {
		return workspaceInfo{}, false
	}
	return *g.nodes[e].workspace, true
}

// context lists the retry, catchError/warnError and timeout blocks enclosing the node at
// position x, innermost first (nil: none); a retry block carries the 1-based attempt (which
// body invocation of it encloses x).
func (g *graph) context(x int32) []Block { return g.appendContext(nil, x) }

// appendContext appends context(x) to dst.
func (g *graph) appendContext(dst []Block, x int32) []Block {
	for y := x; g.ctxUp[y] >= 0; y = g.ctxUp[y] {
		e, inner := g.ctxUp[y], g.ctxInner[y]
		f := g.flags[e]
		b := Block{ID: g.blockID(e)}
		switch {
		case f&fRetry != 0:
			b.Kind = BlockRetry
			// The node itself is no chain element: the innermost block has no attempt.
			if inner != x {
				b.Attempt = int(g.bodyOrdinal[inner])
			}
		case f&fCatchError != 0:
			b.Kind = BlockCatchError
		default:
			b.Kind = BlockTimeout
		}
		dst = append(dst, b)
	}
	return dst
}

// blockID is the decimal id of the node at position e, computed once per graph.
func (g *graph) blockID(e int32) string {
	if s, ok := g.blockIDs[e]; ok {
		return s
	}
	if g.blockIDs == nil {
		g.blockIDs = map[int32]string{}
	}
	s := strconv.Itoa(g.nodes[e].id)
	g.blockIDs[e] = s
	return s
}
