package jenkins

import (
	"fmt"
	"sort"
	"strconv"
)

// Graph semantics (JENKINS_FORMATS.md §6): every block step writes a step start node and, per
// body invocation, a body start node; a node's enclosing block is computed in one pass in id
// order. Real graphs can be corrupt (forward startIds, multi-parent end nodes, missing ids),
// so every link is checked to point to an earlier node: chains then strictly descend and
// cannot loop.

// graph is the flow graph with enclosing blocks computed.
type graph struct {
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
func (g *graph) validStart(n *flowNode) (*flowNode, bool) {
	s, ok := g.nodes[n.startID]
	if !ok || n.startID >= n.id {
		return nil, false
	}
	return s, true
}

// buildGraph computes enclosing blocks; problems name the node's file.
func buildGraph(nodes map[int]*flowNode) *graph {
	g := &graph{
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
func (g *graph) enclosing(n *flowNode) int {
	if isEndNode(n) && n.startID != 0 {
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
func (g *graph) fromParent(n *flowNode) int {
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
	case isEndNode(p):
		// A sibling after a closed block: enc(end) is already enc(start(end)).
		return g.enc[p.id]
	default:
		return g.enc[p.id]
	}
}

func isEndNode(n *flowNode) bool {
	return n.class == "StepEndNode" || n.class == "FlowEndNode"
}

// chain lists the enclosing block start nodes of id, innermost first.
func (g *graph) chain(id int) []*flowNode {
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
func (g *graph) stagePath(id int) []string {
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
					name = s.args["name"]
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
			name = l.args["name"]
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
func (g *graph) agent(id int) (ws workspaceInfo, ok bool) {
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
func (g *graph) context(id int) []Block {
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
