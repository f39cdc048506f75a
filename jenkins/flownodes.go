package jenkins

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/antchfx/xmlquery"
)

// Flow-node storage (JENKINS_FORMATS.md §5): one file per node (<storageDir>/N.xml) or one
// bulk map (<storageDir>/flowNodeStore.xml), both holding XStream "Tag"s.

// flowNode is one flow node with the actions cidiff uses already extracted.
type flowNode struct {
	id      int
	class   string // simple class name: StepAtomNode, StepStartNode, StepEndNode, FlowStartNode, FlowEndNode
	parents []int
	startID int    // StepEndNode/FlowEndNode: the id of the matching start node; 0 if none
	desc    string // descriptorId, the step's Java class
	file    string // where the node was read from, for problems

	startTime   int64 // TimingAction, epoch ms; 0 if absent
	body        bool  // BodyInvocationAction: one invocation of a block's body
	label       string
	hasLabel    bool   // LabelAction (a stage body, an sh label, a legacy stage)
	branch      string // ParallelLabelAction branchName
	hasBranch   bool
	workspace   *workspaceInfo
	stageName   string // legacy StageActionImpl stageName
	notExecuted bool
	args        []argPair  // ArgumentsAction scalars, one per name; non-scalar values are omitted
	err         *nodeError // the first ErrorAction
}

// argPair is one scalar argument of a step. A node has a handful: a slice searched in order
// costs less than a map per node.
type argPair struct{ key, val string }

// arg is the value of the argument called key, or "".
func (fn *flowNode) arg(key string) string {
	for _, a := range fn.args {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

// setArg records an argument; a later value for the same name replaces the earlier one in
// place, as a map assignment would.
func (fn *flowNode) setArg(key, val string) {
	for i := range fn.args {
		if fn.args[i].key == key {
			fn.args[i].val = val
			return
		}
	}
	fn.args = append(fn.args, argPair{key, val})
}

type workspaceInfo struct {
	node string
	path string
}

// nodeError is the exception of a node's first ErrorAction.
type nodeError struct {
	class   string // Java FQCN
	message string // <detailMessage>, a direct child of <error>
	causes  []causeOfInterruption
}

// causeOfInterruption is one FlowInterruptedException cause: its simple class name and the
// fields that say more (the user, the failing branch).
type causeOfInterruption struct {
	kind   string
	user   string
	branch string
}

// isTagRoot accepts the root alias "Tag" and the pre-2018 fully qualified name.
func isTagRoot(n *xmlquery.Node) bool {
	return n != nil && (n.Data == "Tag" || strings.HasSuffix(n.Data, "SimpleXStreamFlowNodeStorage_-Tag"))
}

// parseTag reads one Tag element into a flowNode.
func parseTag(tag *xmlquery.Node, file string) (*flowNode, error) {
	nodeEl := xsChild(tag, "node")
	if nodeEl == nil {
		return nil, errors.New("Tag has no <node>")
	}
	fn := &flowNode{file: file}
	fn.class = javaSimpleName(expandAlias(xsAttr(nodeEl, "class")))
	if fn.class == "" {
		return nil, errors.New("<node> has no class")
	}
	id, err := strconv.Atoi(xsChildText(nodeEl, "id"))
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("bad node id %q", xsChildText(nodeEl, "id"))
	}
	fn.id = id
	for _, p := range xsElements(xsChild(nodeEl, "parentIds")) {
		pid, err := strconv.Atoi(xsText(p))
		if err != nil {
			return nil, fmt.Errorf("node %d: bad parent id %q", id, xsText(p))
		}
		fn.parents = append(fn.parents, pid)
	}
	if s := xsChildText(nodeEl, "startId"); s != "" {
		fn.startID, _ = strconv.Atoi(s)
	}
	fn.desc = xsChildText(nodeEl, "descriptorId")
	for _, a := range xsElements(xsChild(tag, "actions")) {
		fn.readAction(a)
	}
	return fn, nil
}

// readAction extracts what cidiff uses from one action; unknown actions are skipped.
func (fn *flowNode) readAction(a *xmlquery.Node) {
	name := javaSimpleName(javaName(a))
	a = xsResolve(a)
	if a == nil {
		return
	}
	switch name {
	case "TimingAction":
		fn.startTime, _ = strconv.ParseInt(xsChildText(a, "startTime"), 10, 64)
	case "BodyInvocationAction":
		fn.body = true
	case "LabelAction":
		fn.label, fn.hasLabel = xsChildText(a, "displayName"), true
	case "ParallelLabelAction":
		fn.branch, fn.hasBranch = xsChildText(a, "branchName"), true
	case "WorkspaceActionImpl":
		fn.workspace = &workspaceInfo{node: xsChildText(a, "node"), path: xsChildText(a, "path")}
	case "StageActionImpl":
		fn.stageName = xsChildText(a, "stageName")
	case "NotExecutedNodeAction":
		fn.notExecuted = true
	case "ArgumentsActionImpl":
		for _, e := range xsElements(xsChild(a, "arguments")) {
			kv := xsElements(e)
			if len(kv) != 2 {
				continue
			}
			v := xsResolve(kv[1])
			if v == nil {
				continue
			}
			switch v.Data {
			case "string", "boolean", "int", "long":
				fn.setArg(xsText(kv[0]), xsRawText(v))
			}
		}
	case "ErrorAction":
		if fn.err == nil {
			fn.err = readError(xsChild(a, "error"))
		}
	}
}

// readError reads a Throwable written by XStream, e already resolved (xsChild follows the
// reference of a copied ErrorAction; one that points nowhere is nil here, so the node's next
// ErrorAction counts, as in the fast reader). Only direct children of <error> describe it;
// nested causes and suppressed exceptions carry their own messages.
func readError(e *xmlquery.Node) *nodeError {
	if e == nil {
		return nil
	}
	cls := xsAttr(e, "class")
	ne := &nodeError{class: cls, message: xsChildText(e, "detailMessage")}
	if javaSimpleName(cls) == "FlowInterruptedException" {
		for _, c := range xsElements(xsChild(e, "causes")) {
			list := []*xmlquery.Node{c}
			if c.Data == "a" { // Arrays$ArrayList wraps a CauseOfInterruption[] array
				list = xsElements(c)
			}
			for _, ce := range list {
				kind := javaSimpleName(javaName(ce))
				if k := xsAttr(ce, "class"); k != "" {
					kind = javaSimpleName(k)
				}
				ce = xsResolve(ce)
				ne.causes = append(ne.causes, causeOfInterruption{
					kind:   kind,
					user:   xsChildText(ce, "user"),
					branch: xsChildText(ce, "failingBranch"),
				})
			}
		}
	}
	return ne
}

// nodeSet is the flow graph as read from disk: the nodes in the order read, one per id.
type nodeSet struct {
	layout     Layout
	storageDir string
	nodes      []*flowNode
	byID       idIndex // id → index in nodes
	problems   []string
}

func (s *nodeSet) add(fn *flowNode) {
	if i, ok := s.byID.get(fn.id); ok {
		old := s.nodes[i]
		s.problems = append(s.problems, fmt.Sprintf("%s: node %d also in %s; keeping the first", fn.file, fn.id, old.file))
		return
	}
	s.byID.set(fn.id, len(s.nodes))
	s.nodes = append(s.nodes, fn)
}

// node is the node with the given id, or nil.
func (s *nodeSet) node(id int) *flowNode {
	if i, ok := s.byID.get(id); ok {
		return s.nodes[i]
	}
	return nil
}

// idIndex maps flow-node ids to small positions. Ids are dense in practice (1 to the
// execution's iota), so a slice indexed by id serves them; an id far beyond the number of
// nodes (a corrupt file) goes to a map instead of growing the slice without bound.
type idIndex struct {
	dense  []int32 // id → position+1; 0: absent
	sparse map[int]int32
}

// denseSlack is how far beyond the number of indexed ids the slice may grow.
const denseSlack = 4096

func (x *idIndex) get(id int) (int, bool) {
	if id >= 0 && id < len(x.dense) {
		p := x.dense[id]
		return int(p) - 1, p != 0
	}
	p, ok := x.sparse[id]
	return int(p), ok
}

// reserve sizes the slice for about n ids up to the largest id in last (if any), so setting
// them grows nothing; ids beyond the slack still go to the map.
func (x *idIndex) reserve(n int, last []*flowNode) {
	if x.dense != nil || len(last) == 0 {
		return
	}
	if top := last[len(last)-1].id; top >= 0 && top <= 8*n+denseSlack {
		x.dense = make([]int32, top+1)
	}
}

// set records id at position pos, which is the number of ids set before.
func (x *idIndex) set(id, pos int) {
	if id >= 0 && id < len(x.dense) {
		x.dense[id] = int32(pos + 1)
		return
	}
	if id >= 0 && id <= 8*pos+denseSlack && pos < math.MaxInt32-1 {
		n := max(2*len(x.dense), id+1, 64)
		grown := make([]int32, n)
		copy(grown, x.dense)
		x.dense = grown
		x.dense[id] = int32(pos + 1)
		return
	}
	if x.sparse == nil {
		x.sparse = map[int]int32{}
	}
	x.sparse[id] = int32(pos)
}

// storageCandidates are the flow-node directories to probe, the recorded one first
// (JENKINS_FORMATS.md §5.1).
func storageCandidates(recorded string) []string {
	if recorded == "" || !filepath.IsLocal(recorded) {
		recorded = "workflow" // CpsFlowExecution's default
	}
	out := []string{recorded}
	for _, d := range []string{"workflow-completed", "workflow", "workflow-fallback"} {
		if d != recorded {
			out = append(out, d)
		}
	}
	return out
}

// readFlowNodes finds and reads the flow nodes of the build in dir.
func readFlowNodes(dir, recorded string) *nodeSet {
	return readFlowNodesWith(dir, recorded, nil, nil)
}

// readFlowNodesWith is readFlowNodes with the reader chosen by opts: the fast reader, the
// careful one for what it declines, unless opts forces the careful reader (fastread.go).
// sc, if not nil, lends its buffers and fast parser (see readScratch).
func readFlowNodesWith(dir, recorded string, opts *readOpts, sc *readScratch) *nodeSet {
	s := &nodeSet{layout: LayoutNone}
	if sc == nil {
		sc = &readScratch{}
	}
	var fp *fastParser
	if !opts.carefulOnly() {
		fp = sc.parser()
	}
	for _, sd := range storageCandidates(recorded) {
		full := filepath.Join(dir, sd)
		bulk := filepath.Join(full, "flowNodeStore.xml")
		if st, err := os.Stat(bulk); err == nil && st.Mode().IsRegular() {
			s.layout, s.storageDir = LayoutBulk, sd
			data, err := sc.readFile(bulk, st.Size())
			if err != nil {
				s.problems = append(s.problems, fmt.Sprintf("%s: %v", bulk, err))
				return s
			}
			s.readBulkWith(fp, bulk, data, opts)
			return s
		}
		entries, err := os.ReadDir(full)
		if err != nil {
			continue
		}
		// The id of each file is computed once, not in every comparison of the sort.
		type nodeFile struct {
			name string
			id   int
		}
		var files []nodeFile
		for _, e := range entries {
			if id := nodeFileID(e.Name()); id > 0 && e.Type().IsRegular() {
				files = append(files, nodeFile{e.Name(), id})
			}
		}
		if len(files) == 0 {
			continue
		}
		s.layout, s.storageDir = LayoutPerNode, sd
		// By id, then name: "5.xml" and "05.xml" hold the same id; which is kept must not
		// depend on the directory order.
		sort.Slice(files, func(i, j int) bool {
			if files[i].id != files[j].id {
				return files[i].id < files[j].id
			}
			return files[i].name < files[j].name
		})
		for _, f := range files {
			p := full + string(filepath.Separator) + f.name // full is clean: filepath.Join's result
			data, err := sc.readFile(p, 0)
			if err != nil {
				s.problems = append(s.problems, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			s.readNodeFileWith(fp, p, data, f.id, opts)
		}
		return s
	}
	return s
}

// nodeFileID is N for a per-node file "N.xml", else 0 (atomic-write *.tmp files and the rest).
func nodeFileID(name string) int {
	base, ok := strings.CutSuffix(name, ".xml")
	if !ok || base == "" || len(base) > 9 {
		return 0
	}
	for _, c := range base {
		if c < '0' || c > '9' {
			return 0
		}
	}
	n, _ := strconv.Atoi(base)
	return n
}

// readNodeFile reads one per-node file; wantID is the id its name promises (0: unchecked).
func (s *nodeSet) readNodeFile(name string, data []byte, wantID int) {
	doc, err := parseXML(name, data)
	if err != nil {
		s.problems = append(s.problems, fmt.Sprintf("%v (node file skipped)", err))
		return
	}
	root := xsRoot(doc)
	if !isTagRoot(root) {
		s.problems = append(s.problems, fmt.Sprintf("%s: root element is not a flow-node Tag", name))
		return
	}
	fn, err := parseTag(root, name)
	if err != nil {
		s.problems = append(s.problems, fmt.Sprintf("%s: %v", name, err))
		return
	}
	if wantID > 0 && fn.id != wantID {
		s.problems = append(s.problems, fmt.Sprintf("%s: holds node %d", name, fn.id))
	}
	s.add(fn)
}

// readBulk reads a flowNodeStore.xml map. A truncated or corrupt file keeps the entries
// before the damage: references only point backwards, so those entries stay resolvable.
func (s *nodeSet) readBulk(name string, data []byte) {
	doc, err := parseXML(name, data)
	if err != nil {
		clean := sanitizeXML(data)
		end, n := lastCompleteEntry(clean)
		if n == 0 {
			s.problems = append(s.problems, fmt.Sprintf("%v (no complete entry)", err))
			return
		}
		s.problems = append(s.problems, fmt.Sprintf("%v (kept the first %d entries)", err, n))
		repaired := make([]byte, 0, end+32)
		repaired = append(repaired, clean[:end]...)
		repaired = append(repaired, rootCloseTag(clean)...)
		doc, err = parseXML(name, repaired)
		if err != nil {
			s.problems = append(s.problems, fmt.Sprintf("%v (repair failed)", err))
			return
		}
	}
	root := xsRoot(doc)
	if root == nil {
		s.problems = append(s.problems, fmt.Sprintf("%s: no root element", name))
		return
	}
	for i, e := range xsElements(root) {
		if e.Data != "entry" {
			continue
		}
		var tag *xmlquery.Node
		for _, c := range xsElements(e) {
			if isTagRoot(c) {
				tag = xsResolve(c)
			}
		}
		where := fmt.Sprintf("%s entry %d", name, i+1)
		if tag == nil {
			s.problems = append(s.problems, where+": no Tag")
			continue
		}
		fn, err := parseTag(tag, name)
		if err != nil {
			s.problems = append(s.problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		s.add(fn)
	}
}

// lastCompleteEntry tokenises a damaged bulk file and returns the offset just after the
// last complete top-level <entry>, and how many complete entries precede it.
func lastCompleteEntry(data []byte) (end, n int) {
	// Strict, so the scan stops at the first damage instead of guessing past it.
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := d.RawToken()
		if err != nil { // io.EOF or the damage
			return end, n
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
			if depth == 1 && t.Name.Local == "entry" {
				end, n = int(d.InputOffset()), n+1
			}
			if depth < 1 {
				return end, n
			}
		}
	}
}

// rootCloseTag is the end tag matching the document's first element.
func rootCloseTag(data []byte) []byte {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	for {
		tok, err := d.RawToken()
		if err != nil {
			return []byte("</linked-hash-map>")
		}
		if se, ok := tok.(xml.StartElement); ok {
			name := se.Name.Local
			if se.Name.Space != "" {
				name = se.Name.Space + ":" + name
			}
			return []byte("</" + name + ">")
		}
	}
}
