package jenkins

import (
	"encoding/xml"

	"github.com/antchfx/xmlquery"
)

// The fast build.xml reader: the flow-node lexer (fastnodes.go) builds the DOM parseBuildXML
// walks, instead of encoding/xml under xmlquery. parseBuildXML reads build.xml through the
// XStream helpers (xstream.go), which follow references by walking the tree; so rather than a
// second extraction of every field, the fast path builds the same tree those helpers see:
// elements with their names, attributes and parents, and text (InnerText is all they read of
// it). It declines, like the flow-node reader, whatever its lexer declines (the careful parse
// then reads the file), and FuzzFastBuildXMLEqualsCareful checks both give the same Build.
//
// Names and plain text are substrings of one copy of the file, and nodes come from one slab:
// a few allocations per file instead of several per element.

// fastBuildDOM parses a build.xml into a document node, or returns ok == false.
func (p *fastParser) fastBuildDOM(name string, data []byte) (doc *xmlquery.Node, why string, ok bool) {
	why, ok = p.run(name, data, false, func() { doc = p.buildDOM() })
	if !ok {
		return nil, why, false
	}
	return doc, "", true
}

// parseDOM is the document of a build.xml-like file (build.xml, junitResult.xml) built by fp's
// fast lexer, or by parseXML when fp is nil or declines (the decline is noted in opts).
func parseDOM(fp *fastParser, name string, data []byte, opts *readOpts) (*xmlquery.Node, error) {
	if fp != nil {
		doc, why, ok := fp.fastBuildDOM(name, data)
		if ok {
			return doc, nil
		}
		opts.decline(name, why)
	}
	return parseXML(name, data)
}

// domSlab hands out xmlquery nodes from chunks; a chunk is never reallocated, so pointers
// into it stay valid. The parser keeps the chunks: the next document reuses them, since
// parseBuildXML keeps nothing of a DOM but strings.
type domSlab struct {
	chunks [][]xmlquery.Node
	k, i   int // the next node is chunks[k][i]
}

func (s *domSlab) reset() { s.k, s.i = 0, 0 }

func (s *domSlab) node(t xmlquery.NodeType, data string) *xmlquery.Node {
	if s.k < len(s.chunks) && s.i == len(s.chunks[s.k]) {
		s.k, s.i = s.k+1, 0
	}
	if s.k == len(s.chunks) {
		s.chunks = append(s.chunks, make([]xmlquery.Node, 256))
	}
	n := &s.chunks[s.k][s.i]
	s.i++
	*n = xmlquery.Node{Type: t, Data: data}
	return n
}

func (p *fastParser) buildDOM() *xmlquery.Node {
	rootName, empty := p.prolog()
	str := string(p.d) // names and plain text are substrings of it
	slab := &p.dom
	slab.reset()
	doc := slab.node(xmlquery.DocumentNode, "")
	element := func() *xmlquery.Node {
		el := slab.node(xmlquery.ElementNode, str[p.ns:p.ne])
		if len(p.attrs) > 0 {
			el.Attr = make([]xmlquery.Attr, len(p.attrs))
			for i, a := range p.attrs {
				el.Attr[i].Name = xml.Name{Local: str[a.ns:a.ne]}
				if a.ent {
					el.Attr[i].Value = string(p.attrBytes(a))
				} else {
					el.Attr[i].Value = str[a.vs:a.ve]
				}
			}
		}
		return el
	}
	root := element()
	xmlquery.AddChild(doc, root)
	if !empty {
		open := []*xmlquery.Node{root}
		p.push(rootName)
		for len(open) > 0 {
			top := open[len(open)-1]
			switch p.next() {
			case tkStart:
				el := element()
				xmlquery.AddChild(top, el)
				if !p.empty {
					open = append(open, el)
					p.push(p.nm())
				}
			case tkEnd:
				p.popMatching()
				open = open[:len(open)-1]
			case tkText:
				text := str[p.ss:p.se]
				if p.segEnt {
					p.buf = decodeText(p.buf[:0], p.sg())
					text = string(p.buf)
				}
				xmlquery.AddChild(top, slab.node(xmlquery.TextNode, text))
			case tkCDATA:
				xmlquery.AddChild(top, slab.node(xmlquery.CharDataNode, str[p.ss:p.se]))
			case tkEOF:
				p.fail("truncated")
			}
		}
	}
	p.epilog()
	return doc
}
