package analyzer

// literalIndex finds, in one pass over a log, every line that contains some rule's
// prefilter literal: an Aho-Corasick automaton over the literals of all rules, with the
// byte alphabet reduced to the bytes that occur in some literal.
type literalIndex struct {
	class [256]uint8 // byte -> alphabet class; 0 for bytes in no literal
	k     int        // alphabet size including class 0
	delta []int32    // state*k + class -> next state
	out   [][]acOut  // state -> the rule patterns one of whose literals ends here
}

// acOut names pattern bit Bit of rule Rule; patterns past the 63rd share bit 63.
type acOut struct {
	Rule int32
	Bit  uint8
}

// lineHit is a candidate line and the patterns (bit i: pattern i) whose literal it holds.
type lineHit struct {
	line int
	pats uint64
}

// patternBit is the candidate-mask bit of pattern i.
func patternBit(i int) uint8 { return uint8(min(i, 63)) }

// maskHas reports whether mask selects pattern i.
func maskHas(mask uint64, i int) bool { return mask&(1<<patternBit(i)) != 0 }

func newLiteralIndex(rules []*compiledRule) *literalIndex {
	ix := &literalIndex{k: 1}
	for _, r := range rules {
		for _, l := range r.lits { // every pattern literal contains one of these
			for i := 0; i < len(l); i++ {
				if ix.class[l[i]] == 0 {
					ix.class[l[i]] = uint8(ix.k)
					ix.k++
				}
			}
		}
	}
	if ix.k > 255 { // cannot happen: at most 255 distinct non-zero bytes
		ix.k = 255
	}
	const none = -1
	k := ix.k
	newState := func() int32 {
		for range k {
			ix.delta = append(ix.delta, none)
		}
		ix.out = append(ix.out, nil)
		return int32(len(ix.out) - 1)
	}
	newState() // root
	for ri, r := range rules {
		for pi, lits := range r.patLits {
			for _, l := range lits {
				ix.add(l, acOut{Rule: int32(ri), Bit: patternBit(pi)}, newState)
			}
		}
	}
	ix.link()
	return ix
}

func (ix *literalIndex) add(l string, o acOut, newState func() int32) {
	const none = -1
	k := int32(ix.k)
	s := int32(0)
	for i := 0; i < len(l); i++ {
		c := int32(ix.class[l[i]])
		next := ix.delta[s*k+c]
		if next == none {
			next = newState()
			ix.delta[s*k+c] = next
		}
		s = next
	}
	ix.out[s] = appendUnique(ix.out[s], o)
}

// link computes the failure links breadth-first and completes the transition table.
func (ix *literalIndex) link() {
	const none = -1
	k := ix.k
	// Breadth-first: failure links, then complete the transition table.
	fail := make([]int32, len(ix.out))
	queue := make([]int32, 0, len(ix.out))
	for c := range k {
		v := ix.delta[c]
		if v == none {
			ix.delta[c] = 0
			continue
		}
		fail[v] = 0
		queue = append(queue, v)
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for c := range k {
			v := ix.delta[int(u)*k+c]
			f := ix.delta[int(fail[u])*k+c]
			if v == none {
				ix.delta[int(u)*k+c] = f
				continue
			}
			fail[v] = f
			for _, r := range ix.out[f] {
				ix.out[v] = appendUnique(ix.out[v], r)
			}
			queue = append(queue, v)
		}
	}
}

func appendUnique(s []acOut, v acOut) []acOut {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// candidates returns, for each rule index, the lines of lower (lines joined by '\n') that
// contain one of the rule's literals, in order, each with the patterns worth trying there.
func (ix *literalIndex) candidates(lower string, nrules int) [][]lineHit {
	cands := make([][]lineHit, nrules)
	last := make([]int, nrules)
	for i := range last {
		last[i] = -1
	}
	k := int32(ix.k)
	state, line := int32(0), 0
	for i := 0; i < len(lower); i++ {
		b := lower[i]
		if b == '\n' {
			line++
			state = 0
			continue
		}
		state = ix.delta[state*k+int32(ix.class[b])]
		for _, o := range ix.out[state] {
			if last[o.Rule] != line {
				last[o.Rule] = line
				cands[o.Rule] = append(cands[o.Rule], lineHit{line: line})
			}
			c := cands[o.Rule]
			c[len(c)-1].pats |= 1 << o.Bit
		}
	}
	return cands
}
