package jenkins

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// The fast flow-node reader: one pass over the bytes of a flowNodeStore.xml or an N.xml that
// yields exactly the flowNodes parseTag builds from xmlquery's DOM, without the DOM.
//
// It accepts a conservative subset of XML: everything Jenkins writes, and nothing that
// sanitizeXML + encoding/xml + xmlquery would read differently. Whatever falls outside that
// subset (a DOCTYPE, a processing instruction after the prolog, namespaces, raw control bytes
// or invalid UTF-8 that sanitizeXML would rewrite, a reference form it does not model, a node
// parseTag would report as a problem, truncation, any syntax error) makes it decline, and the
// caller reads the file with the careful reader instead. Declining is always correct; reading
// differently from the careful reader never is (FuzzFastEqualsCareful checks that).

// fastInternalError starts the decline reason of a runtime panic in the fast reader.
const fastInternalError = "internal error: "

// fastDecline is the panic value a fastParser gives up with; parse functions recover it and
// never let it escape.
type fastDecline struct{ why string }

// Token kinds returned by fastParser.next.
const (
	tkEOF = iota
	tkStart
	tkEnd
	tkText  // p.sg() is raw text; p.segEnt says it has entity or character references
	tkCDATA // p.sg() is CDATA content, verbatim
)

// fastAttr is one attribute of the current start tag, as offsets into the input.
type fastAttr struct {
	ns, ne int  // name
	vs, ve int  // value between the quotes, undecoded
	ent    bool // the value holds a reference to decode
}

// fastSpan is an element name on the stack: offset and length in the input.
type fastSpan struct{ off, n int }

// nm is the name of the current tag.
func (p *fastParser) nm() []byte { return p.d[p.ns:p.ne] }

// sg is the current text or CDATA segment.
func (p *fastParser) sg() []byte { return p.d[p.ss:p.se] }

// val is the raw value of an attribute.
func (p *fastParser) val(a fastAttr) []byte { return p.d[a.vs:a.ve] }

// push puts name, a subslice of the input, on the stack.
func (p *fastParser) push(name []byte) {
	p.stack = append(p.stack, fastSpan{cap(p.d) - cap(name), len(name)})
}

// popMatching consumes the current end tag, which must close the element on top of the
// stack, and pops it.
func (p *fastParser) popMatching() {
	top := p.stack[len(p.stack)-1]
	p.closeTag(p.d[top.off : top.off+top.n])
	p.stack = p.stack[:len(p.stack)-1]
}

// closeTag consumes the end tag next returned, which must be "</name>" (white space allowed
// before '>').
func (p *fastParser) closeTag(name []byte) {
	d := p.d
	i := p.ns
	j := i + len(name)
	if j > len(d) || string(d[i:j]) != string(name) || (j < len(d) && fastNameByte[d[j]]) {
		p.fail("mismatched end tag")
	}
	j = skipSpace(d, j)
	if j >= len(d) || d[j] != '>' {
		p.fail("bad end tag")
	}
	p.pos = j + 1
}

// skipWhite moves past white space, which needs no validation and is ignored between
// elements.
func (p *fastParser) skipWhite() {
	d, i := p.d, p.pos
	// Eight bytes at a time: the first byte that is none of ' ', '\t', '\n' ends the run.
	for i+8 <= len(d) {
		w := binary.LittleEndian.Uint64(d[i:])
		if other := nonZeroBytes(w^0x2020202020202020) & nonZeroBytes(w^0x0909090909090909) &
			nonZeroBytes(w^0x0a0a0a0a0a0a0a0a); other != 0 {
			p.pos = i + bits.TrailingZeros64(other)/8
			return
		}
		i += 8
	}
	for i < len(d) && fastWhite[d[i]] {
		i++
	}
	p.pos = i
}

// nonZeroBytes has the high bit of each byte of w that is not zero set, and no other bit:
// exact, unlike a subtraction test, since no carry crosses a byte.
func nonZeroBytes(w uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ((w & low7) + low7 | w) &^ low7
}

// Kinds of XStream reference an ErrorAction's <error> can be.
const (
	refMissing = iota // no element there: resolves to nothing
	refInline         // the exception is written out: err
	refSame           // "../../wf.a.ErrorAction/error": the designated error of the same Tag
	refEntry          // "../../../../../entry[K]/Tag/actions/wf.a.ErrorAction/error" in a bulk store
)

// fastErrRef is an <error> element: written out, or a reference to another one.
type fastErrRef struct {
	kind  uint8
	err   *nodeError
	tag   int // index of the Tag holding the element (refSame)
	entry int // refEntry: the 1-based entry position
}

// fastTag is what references need to know about one Tag: its designated <error>, the first
// <error> of the first <wf.a.ErrorAction> of its first <actions>, the only element the
// supported reference forms point to.
type fastTag struct {
	literal    bool // the element is named "Tag" (a reference path names it so)
	hasDes     bool
	designated fastErrRef
}

// fastCand is one ErrorAction of a node: the first that resolves becomes flowNode.err.
type fastCand struct {
	tag int
	ref fastErrRef
}

// fastParser holds the state of one pass and the buffers reused from file to file.
type fastParser struct {
	d    []byte
	pos  int
	file string
	bulk bool

	// The current token, as offsets into d: storing subslices in this heap object would cost
	// a GC write barrier per token.
	ns, ne int // tag name
	attrs  []fastAttr
	empty  bool // a start tag that closes itself
	ss, se int  // text or CDATA segment
	segEnt bool

	buf   []byte     // decoded text
	stack []fastSpan // names of open elements being skipped or read as text

	nodes []*flowNode
	tags  []fastTag
	cands []fastCand

	// Slabs the nodes, their parent ids and their arguments are carved from. The nodes of a
	// build point into them until recycle; used counts what they handed out since, so the
	// next build can get one slab that holds them all.
	slab                          []flowNode
	ints                          []int
	pairs                         []argPair
	slabUsed, intsUsed, pairsUsed int

	intern map[string]string
	dom    domSlab // build.xml nodes (buildxml_fast.go)
}

func newFastParser() *fastParser {
	return &fastParser{intern: map[string]string{}}
}

func (p *fastParser) fail(why string) {
	panic(fastDecline{why})
}

// run resets the parser for one file and calls f, turning a decline into ok == false.
func (p *fastParser) run(file string, data []byte, bulk bool, f func()) (why string, ok bool) {
	p.d, p.pos, p.file, p.bulk = data, 0, file, bulk
	p.nodes, p.tags, p.cands = p.nodes[:0], p.tags[:0], p.cands[:0]
	p.stack = p.stack[:0]
	defer func() {
		if r := recover(); r != nil {
			// A runtime panic would be a bug of this reader: the careful reader still reads
			// the file, and the fuzz test fails on the "internal error".
			why, ok = fmt.Sprint(fastInternalError, r), false
			if fd, isDecline := r.(fastDecline); isDecline {
				why = fd.why
			}
		}
	}()
	f()
	return "", true
}

// fastReadBulk reads a bulk flowNodeStore.xml. It returns the nodes in entry order, or
// ok == false when the careful reader must read the file.
func (p *fastParser) fastReadBulk(name string, data []byte) (nodes []*flowNode, why string, ok bool) {
	why, ok = p.run(name, data, true, func() {
		root, empty := p.prolog()
		p.noRef("root")
		if !empty {
			for p.child(root) {
				if string(p.nm()) != "entry" {
					p.fail("root child is not an entry")
				}
				p.entry()
			}
		}
		p.epilog()
		p.resolveErrors()
	})
	if !ok {
		return nil, why, false
	}
	return p.nodes, "", true
}

// fastReadNodeFile reads a per-node N.xml, or returns ok == false.
func (p *fastParser) fastReadNodeFile(name string, data []byte) (fn *flowNode, why string, ok bool) {
	why, ok = p.run(name, data, false, func() {
		root, empty := p.prolog()
		if !isTagName(root) {
			p.fail("root is not a Tag")
		}
		p.noRef("Tag")
		p.tag(root, empty)
		p.epilog()
		p.resolveErrors()
	})
	if !ok {
		return nil, why, false
	}
	return p.nodes[0], "", true
}

// isTagName is isTagRoot on a raw element name.
func isTagName(name []byte) bool {
	return string(name) == "Tag" || bytes.HasSuffix(name, []byte("SimpleXStreamFlowNodeStorage_-Tag"))
}

// prolog reads an optional XML declaration and the root start tag.
func (p *fastParser) prolog() (root []byte, empty bool) {
	d := p.d
	if bytes.HasPrefix(d, []byte("<?xml")) {
		p.pos = p.declaration()
	}
	for {
		switch p.next() {
		case tkStart:
			return p.nm(), p.empty
		case tkText:
			if p.segEnt || len(bytes.Trim(p.sg(), " \t\n")) > 0 {
				p.fail("text before the root element")
			}
		default:
			p.fail("no root element")
		}
	}
}

// declaration accepts the XML declarations Jenkins writes and returns the offset after it:
// version 1.0 or 1.1 (sanitizeXML makes 1.1 acceptable to encoding/xml) and encoding UTF-8.
func (p *fastParser) declaration() int {
	d := p.d
	i := len("<?xml")
	attr := func(name string) (string, bool) {
		j := i
		for j < len(d) && (d[j] == ' ' || d[j] == '\t' || d[j] == '\n') {
			j++
		}
		if j == i || !bytes.HasPrefix(d[j:], []byte(name+"=")) {
			return "", false
		}
		j += len(name) + 1
		if j >= len(d) || (d[j] != '"' && d[j] != '\'') {
			p.fail("declaration")
		}
		q := d[j]
		end := bytes.IndexByte(d[j+1:], q)
		if end < 0 || end > 16 {
			p.fail("declaration")
		}
		i = j + 1 + end + 1
		return string(d[j+1 : j+1+end]), true
	}
	v, ok := attr("version")
	if !ok || (v != "1.0" && v != "1.1") {
		p.fail("declaration version")
	}
	if enc, ok := attr("encoding"); ok && !(len(enc) == 5 && bytes.EqualFold([]byte(enc), []byte("utf-8"))) {
		p.fail("declaration encoding")
	}
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n') {
		i++
	}
	if !bytes.HasPrefix(d[i:], []byte("?>")) {
		p.fail("declaration")
	}
	return i + 2
}

// epilog accepts only white space after the root element.
func (p *fastParser) epilog() {
	for _, c := range p.d[p.pos:] {
		if c != ' ' && c != '\t' && c != '\n' {
			p.fail("content after the root element")
		}
	}
}

// Byte classes for the lexer.
var (
	// fastTextSpecial marks bytes text scanning must look at: markup, references, "]]>",
	// bytes sanitizeXML would rewrite (control characters) and multi-byte UTF-8.
	fastTextSpecial [256]bool
	// fastNameByte marks the bytes accepted in element and attribute names (no ':').
	fastNameByte [256]bool
	// fastWhite marks the white space Jenkins writes between elements ('\r' is declined).
	fastWhite = [256]bool{' ': true, '\t': true, '\n': true}
)

func init() {
	for c := 0; c < 256; c++ {
		fastTextSpecial[c] = (c < 0x20 && c != '\t' && c != '\n') || c == '<' || c == '&' || c == ']' || c >= 0x80
		fastNameByte[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
	}
}

// next reads the next token. Comments are consumed silently.
func (p *fastParser) next() int {
	d := p.d
	for {
		i := p.pos
		if i >= len(d) {
			return tkEOF
		}
		if d[i] != '<' {
			p.pos, p.segEnt = p.scanText(i, -1)
			p.ss, p.se = i, p.pos
			return tkText
		}
		if i+1 >= len(d) {
			p.fail("truncated")
		}
		switch c := d[i+1]; {
		case c == '/':
			// The name is checked against the open element's by closeTag, which also
			// consumes the tag: no need to scan it twice.
			p.ns = i + 2
			return tkEnd
		case c == '!':
			if bytes.HasPrefix(d[i:], []byte("<!--")) {
				end := bytes.Index(d[i+4:], []byte("--"))
				if end < 0 || i+4+end+2 >= len(d) || d[i+4+end+2] != '>' {
					p.fail("bad comment")
				}
				p.pos = i + 4 + end + 3
				continue
			}
			if bytes.HasPrefix(d[i:], []byte("<![CDATA[")) {
				start := i + len("<![CDATA[")
				end := bytes.Index(d[start:], []byte("]]>"))
				if end < 0 {
					p.fail("unterminated CDATA")
				}
				p.checkCDATA(d[start : start+end])
				p.ss, p.se, p.segEnt, p.pos = start, start+end, false, start+end+3
				return tkCDATA
			}
			p.fail("markup declaration")
		case c == '?':
			p.fail("processing instruction")
		default:
			p.startTag(i)
			return tkStart
		}
	}
}

// scanText scans character data from i to the next '<' (quote < 0) or to the closing quote of
// an attribute value, validating it as encoding/xml would after sanitizeXML. It returns the
// end offset and whether references occur.
func (p *fastParser) scanText(i int, quote int) (int, bool) {
	d := p.d
	ent := false
	// Eight plain bytes at a time: no byte below 0x20 or above 0x7F, no '<', '&', ']' or
	// quote. A byte's high bit in the sum below is set when the byte is any of those (a byte
	// c < 0x20 makes c-0x20 wrap; a byte equal to x makes (c^x)-1 wrap; a byte >= 0x80 has
	// it already, so no term needs to mask those out); a borrow from a lower
	// byte can set it for a plain byte too, which only means "look closer" below.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := ones * uint64(byte(quote))
	for i < len(d) {
		if quote < 0 {
			for i+8 <= len(d) {
				w := binary.LittleEndian.Uint64(d[i:])
				if ((w-0x20*ones)|w|((w^'<'*ones)-ones)|((w^'&'*ones)-ones)|((w^']'*ones)-ones))&highs != 0 {
					break
				}
				i += 8
			}
		} else {
			for i+8 <= len(d) {
				w := binary.LittleEndian.Uint64(d[i:])
				if ((w-0x20*ones)|w|((w^'<'*ones)-ones)|((w^'&'*ones)-ones)|((w^']'*ones)-ones)|((w^q)-ones))&highs != 0 {
					break
				}
				i += 8
			}
		}
		if i >= len(d) {
			break
		}
		c := d[i]
		if int(c) == quote {
			return i, ent
		}
		if !fastTextSpecial[c] {
			i++
			continue
		}
		switch {
		case c == '<':
			if quote >= 0 {
				p.fail("< in attribute value")
			}
			return i, ent
		case c == '&':
			i, _ = p.reference(i)
			ent = true
		case c == ']':
			if i+2 < len(d) && d[i+1] == ']' && d[i+2] == '>' {
				p.fail("]]> outside CDATA")
			}
			i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d[i:])
			if (r == utf8.RuneError && size == 1) || !xml10Char(r) {
				p.fail("invalid UTF-8 or character")
			}
			i += size
		default:
			p.fail("control character")
		}
	}
	if quote >= 0 {
		p.fail("unterminated attribute value")
	}
	return i, ent
}

// checkCDATA validates CDATA content. sanitizeXML rewrites character references even inside
// CDATA, so any "&#" is declined rather than modelled.
func (p *fastParser) checkCDATA(seg []byte) {
	for i := 0; i < len(seg); {
		c := seg[i]
		switch {
		case c == '&' && i+1 < len(seg) && seg[i+1] == '#':
			p.fail("character reference in CDATA")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(seg[i:])
			if (r == utf8.RuneError && size == 1) || !xml10Char(r) {
				p.fail("invalid UTF-8 or character")
			}
			i += size
			continue
		case c < 0x20 && c != '\t' && c != '\n':
			p.fail("control character")
		}
		i++
	}
}

// reference validates the entity or character reference at d[i] == '&' and returns the
// offset after it and the rune it stands for; see charRef.
func (p *fastParser) reference(i int) (int, rune) {
	end, r, ok := charRef(p.d, i)
	if !ok {
		p.fail("bad entity or character reference")
	}
	return end, r
}

// charRef reads the reference at d[i] == '&'. Character references to code points XML 1.0
// forbids stand for U+FFFD, as sanitizeXML makes them; forms where sanitizeXML and
// encoding/xml could disagree (upper-case X, more than 8 digits) are not ok.
func charRef(d []byte, i int) (end int, r rune, ok bool) {
	j := i + 1
	if j < len(d) && d[j] == '#' {
		j++
		hex := j < len(d) && d[j] == 'x'
		if hex {
			j++
		}
		start := j
		var v rune
	digits:
		for j < len(d) && j-start <= 8 {
			c := d[j]
			switch {
			case c >= '0' && c <= '9':
				if hex {
					v = v*16 + rune(c-'0')
				} else {
					v = v*10 + rune(c-'0')
				}
			case hex && c >= 'a' && c <= 'f':
				v = v*16 + rune(c-'a'+10)
			case hex && c >= 'A' && c <= 'F':
				v = v*16 + rune(c-'A'+10)
			default:
				break digits
			}
			j++
		}
		if j == start || j-start > 8 || j >= len(d) || d[j] != ';' {
			return 0, 0, false
		}
		if !xml10Char(v) {
			v = utf8.RuneError
		}
		return j + 1, v, true
	}
	rest := d[j:]
	switch {
	case bytes.HasPrefix(rest, []byte("amp;")):
		return j + 4, '&', true
	case bytes.HasPrefix(rest, []byte("lt;")):
		return j + 3, '<', true
	case bytes.HasPrefix(rest, []byte("gt;")):
		return j + 3, '>', true
	case bytes.HasPrefix(rest, []byte("quot;")):
		return j + 5, '"', true
	case bytes.HasPrefix(rest, []byte("apos;")):
		return j + 5, '\'', true
	}
	return 0, 0, false
}

// decodeText appends raw text, already validated by scanText, with its references decoded.
func decodeText(dst, raw []byte) []byte {
	for {
		k := bytes.IndexByte(raw, '&')
		if k < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:k]...)
		end, r, _ := charRef(raw, k)
		dst = utf8.AppendRune(dst, r)
		raw = raw[end:]
	}
}

// scanName returns the end of the XML name at d[i], declining what encoding/xml rejects or
// reads as a namespace prefix.
func (p *fastParser) scanName(i int) int {
	d := p.d
	if i >= len(d) {
		p.fail("truncated")
	}
	if c := d[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		p.fail("bad name")
	}
	j := i + 1
	for j < len(d) && fastNameByte[d[j]] {
		j++
	}
	return j
}

// skipSpace moves past ' ', '\t' and '\n' inside a tag; one table load per byte.
func skipSpace(d []byte, i int) int {
	for i < len(d) && fastWhite[d[i]] {
		i++
	}
	return i
}

// startTag reads the start tag at d[i] into p.nm(), p.attrs and p.empty.
func (p *fastParser) startTag(i int) {
	d := p.d
	j := p.scanName(i + 1)
	p.ns, p.ne = i+1, j
	p.attrs = p.attrs[:0]
	for {
		j = skipSpace(d, j)
		if j >= len(d) {
			p.fail("truncated")
		}
		switch d[j] {
		case '>':
			p.pos, p.empty = j+1, false
			return
		case '/':
			if j+1 >= len(d) || d[j+1] != '>' {
				p.fail("bad empty-element tag")
			}
			p.pos, p.empty = j+2, true
			return
		}
		k := p.scanName(j)
		k0 := k
		if string(d[j:k]) == "xmlns" {
			p.fail("namespace declaration")
		}
		k = skipSpace(d, k)
		if k >= len(d) || d[k] != '=' {
			p.fail("attribute without value")
		}
		k = skipSpace(d, k+1)
		if k >= len(d) || (d[k] != '"' && d[k] != '\'') {
			p.fail("unquoted attribute value")
		}
		end, ent := p.scanText(k+1, int(d[k]))
		p.attrs = append(p.attrs, fastAttr{ns: j, ne: k0, vs: k + 1, ve: end, ent: ent})
		j = end + 1
	}
}

// attr returns the first attribute called name of the current start tag.
func (p *fastParser) attr(name string) (fastAttr, bool) {
	for _, a := range p.attrs {
		if string(p.d[a.ns:a.ne]) == name {
			return a, true
		}
	}
	return fastAttr{}, false
}

// noRef declines when the current element carries an XStream reference the reader does not
// model in that place.
func (p *fastParser) noRef(where string) {
	if _, ok := p.attr("reference"); ok {
		p.fail("reference on " + where)
	}
}

// attrBytes is the decoded value of an attribute; it may alias p.buf.
func (p *fastParser) attrBytes(a fastAttr) []byte {
	if !a.ent {
		return p.val(a)
	}
	p.buf = decodeText(p.buf[:0], p.val(a))
	return p.buf
}

// child advances to the next child element of the open element called name and returns
// true, or consumes name's end tag and returns false. Text and comments are skipped.
func (p *fastParser) child(name []byte) bool {
	for {
		p.skipWhite()
		// Tags directly, without next's general dispatch: the common case.
		if d, i := p.d, p.pos; i+1 < len(d) && d[i] == '<' {
			switch c := d[i+1]; {
			case c == '/':
				p.ns = i + 2
				p.closeTag(name)
				return false
			case c != '!' && c != '?':
				p.startTag(i)
				return true
			}
		}
		switch p.next() {
		case tkStart:
			return true
		case tkEnd:
			p.closeTag(name)
			return false
		case tkEOF:
			p.fail("truncated")
		}
	}
}

// skip consumes the element whose start tag was just read, checking its well-formedness.
func (p *fastParser) skip(name []byte, empty bool) {
	if empty {
		return
	}
	base := len(p.stack)
	p.push(name)
	for len(p.stack) > base {
		p.skipWhite()
		var tk int
		if d, i := p.d, p.pos; i+1 < len(d) && d[i] == '<' && d[i+1] == '/' {
			p.ns, tk = i+2, tkEnd
		} else {
			tk = p.next()
		}
		switch tk {
		case tkStart:
			if !p.empty {
				p.push(p.nm())
			}
		case tkEnd:
			p.popMatching()
		case tkEOF:
			p.fail("truncated")
		}
	}
}

// text consumes the element whose start tag was just read and returns its InnerText (all
// descendant text and CDATA, comments excluded), as xmlquery computes it. The result aliases
// the input or p.buf: use it before the next call.
func (p *fastParser) text(name []byte, empty bool) []byte {
	if empty {
		return nil
	}
	// The common leaf, <x>plain text</x>: no stack, no copy.
	d, i := p.d, p.pos
	if i < len(d) && d[i] != '<' {
		end, ent := p.scanText(i, -1)
		if !ent && end+1 < len(d) && d[end+1] == '/' {
			p.ns = end + 2
			p.closeTag(name)
			return d[i:end]
		}
	} else if i+1 < len(d) && d[i+1] == '/' {
		p.ns = i + 2
		p.closeTag(name)
		return nil
	}
	var out []byte
	copied := false
	add := func(seg []byte, ent bool) {
		if !copied && out == nil && !ent {
			out = seg // the common case: one plain text segment, no copy
			return
		}
		if !copied {
			p.buf = append(p.buf[:0], out...)
			copied = true
		}
		if ent {
			p.buf = decodeText(p.buf, seg)
		} else {
			p.buf = append(p.buf, seg...)
		}
	}
	base := len(p.stack)
	p.push(name)
	for len(p.stack) > base {
		switch p.next() {
		case tkText:
			add(p.sg(), p.segEnt)
		case tkCDATA:
			add(p.sg(), false)
		case tkStart:
			if !p.empty {
				p.push(p.nm())
			}
		case tkEnd:
			p.popMatching()
		case tkEOF:
			p.fail("truncated")
		}
	}
	if copied {
		return p.buf
	}
	return out
}

// trimmedText is xsText: the element's InnerText without surrounding white space.
func (p *fastParser) trimmedText(name []byte, empty bool) []byte {
	return bytes.TrimSpace(p.text(name, empty))
}

// entry reads one <entry> of a bulk store: a key, then the Tag.
func (p *fastParser) entry() {
	p.noRef("entry")
	name, empty := p.nm(), p.empty
	if empty {
		p.fail("empty entry")
	}
	n := 0
	for p.child(name) {
		n++
		switch n {
		case 1:
			if isTagName(p.nm()) {
				p.fail("entry without key")
			}
			p.skip(p.nm(), p.empty)
		case 2:
			if !isTagName(p.nm()) {
				p.fail("entry without Tag")
			}
			p.noRef("Tag")
			p.tag(p.nm(), p.empty)
		default:
			p.fail("entry with more than a key and a Tag")
		}
	}
	if n != 2 {
		p.fail("entry without Tag")
	}
}

// newNode hands out flowNodes from a slab, sparing one allocation per node.
func (p *fastParser) newNode() *flowNode {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]flowNode, 0, max(64, p.slabUsed))
	}
	p.slab = p.slab[:len(p.slab)+1]
	p.slabUsed++
	fn := &p.slab[len(p.slab)-1]
	*fn = flowNode{} // the slab may be recycled
	return fn
}

// recycle declares every node the parser handed out dead: the slabs are reused from the
// start, or, if one build outgrew them, replaced by one that holds what it needed.
func (p *fastParser) recycle() {
	if p.slabUsed == len(p.slab) {
		p.slab = p.slab[:0]
	} else {
		p.slab = make([]flowNode, 0, p.slabUsed)
	}
	if p.intsUsed == len(p.ints) {
		p.ints = p.ints[:0]
	} else {
		p.ints = make([]int, 0, p.intsUsed+16)
	}
	if p.pairsUsed == len(p.pairs) {
		p.pairs = p.pairs[:0]
	} else {
		p.pairs = make([]argPair, 0, p.pairsUsed+16)
	}
	p.slabUsed, p.intsUsed, p.pairsUsed = 0, 0, 0
	p.d, p.nodes = nil, p.nodes[:0]
	clear(p.nodes[:cap(p.nodes)]) // no stale pointers kept alive by the pool
	if len(p.intern) >= 4096 {
		clear(p.intern) // a long walk would otherwise intern only its first builds' strings
	}
}

// tag reads a Tag element: parseTag without the DOM.
func (p *fastParser) tag(name []byte, empty bool) {
	ti := len(p.tags)
	p.tags = append(p.tags, fastTag{literal: string(name) == "Tag"})
	fn := p.newNode()
	fn.file = p.file
	sawNode, sawActions := false, false
	if !empty {
		for p.child(name) {
			switch {
			case !sawNode && string(p.nm()) == "node":
				sawNode = true
				p.noRef("node")
				p.nodeElement(fn)
			case !sawActions && string(p.nm()) == "actions":
				sawActions = true
				p.noRef("actions")
				p.actions(fn, ti)
			default:
				p.skip(p.nm(), p.empty)
			}
		}
	}
	if !sawNode {
		p.fail("Tag has no <node>")
	}
	p.nodes = append(p.nodes, fn)
}

// nodeElement reads <node class="…"> with its ids and descriptor.
func (p *fastParser) nodeElement(fn *flowNode) {
	name, empty := p.nm(), p.empty
	a, ok := p.attr("class")
	if !ok {
		p.fail("<node> has no class")
	}
	fn.class = p.simpleClass(a)
	if fn.class == "" {
		p.fail("<node> has no class")
	}
	sawID, sawParents, sawStart, sawDesc := false, false, false, false
	if !empty {
		for p.child(name) {
			switch cn := string(p.nm()); {
			case cn == "id" && !sawID:
				sawID = true
				p.noRef(cn)
				id, err := atoiBytes(p.trimmedText(p.nm(), p.empty))
				if err != nil || id <= 0 {
					p.fail("bad node id")
				}
				fn.id = id
			case cn == "parentIds" && !sawParents:
				sawParents = true
				p.noRef(cn)
				p.parentIDs(fn)
			case cn == "startId" && !sawStart:
				sawStart = true
				p.noRef(cn)
				if s := p.trimmedText(p.nm(), p.empty); len(s) > 0 {
					fn.startID, _ = atoiBytes(s)
				}
			case cn == "descriptorId" && !sawDesc:
				sawDesc = true
				p.noRef(cn)
				fn.desc = p.internBytes(p.trimmedText(p.nm(), p.empty))
			default:
				p.skip(p.nm(), p.empty)
			}
		}
	}
	if !sawID {
		p.fail("bad node id")
	}
}

// parentIDs reads <parentIds>; the ids share one backing array per file.
func (p *fastParser) parentIDs(fn *flowNode) {
	name, empty := p.nm(), p.empty
	if empty {
		return
	}
	start := len(p.ints)
	for p.child(name) {
		p.noRef("parent id")
		pid, err := atoiBytes(p.trimmedText(p.nm(), p.empty))
		if err != nil {
			p.fail("bad parent id")
		}
		if len(p.ints) == cap(p.ints) {
			// A new slab, the node's ids so far moved along; earlier nodes keep the old one.
			grown := make([]int, len(p.ints)-start, max(256, p.intsUsed, 2*(len(p.ints)-start)))
			copy(grown, p.ints[start:])
			p.ints, start = grown, 0
		}
		p.ints = append(p.ints, pid)
		p.intsUsed++
	}
	if n := len(p.ints) - start; n > 0 {
		// Full slice expression: an append by a caller can never write into a neighbour.
		fn.parents = p.ints[start:len(p.ints):len(p.ints)]
	}
}

// atoiBytes is strconv.Atoi without converting plain decimal numbers to a string first.
func atoiBytes(b []byte) (int, error) {
	if len(b) > 0 && len(b) <= 18 {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return strconv.Atoi(string(b))
			}
			n = n*10 + int(c-'0')
		}
		return n, nil
	}
	return strconv.Atoi(string(b))
}

// internBytes returns b as a string, shared with earlier equal strings of the same pass.
func (p *fastParser) internBytes(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < 4096 {
		p.intern[s] = s
	}
	return s
}

// simpleClass is javaSimpleName(expandAlias(class)) of a class attribute; aliases only
// change the package, so the simple name is what follows the last '.' or '$'.
func (p *fastParser) simpleClass(a fastAttr) string {
	v := p.val(a)
	if a.ent {
		v = decodeText(p.buf[:0], v)
		p.buf = v
	}
	if i := bytes.LastIndexAny(v, ".$"); i >= 0 {
		v = v[i+1:]
	}
	switch string(v) { // the graph classes, without a map lookup
	case "StepAtomNode":
		return "StepAtomNode"
	case "StepStartNode":
		return "StepStartNode"
	case "StepEndNode":
		return "StepEndNode"
	case "FlowStartNode":
		return "FlowStartNode"
	case "FlowEndNode":
		return "FlowEndNode"
	}
	return p.internBytes(v)
}

// Action kinds cidiff reads (simple class names, JENKINS_FORMATS.md §5.5).
const (
	actOther = iota
	actTiming
	actBody
	actLabel
	actParallelLabel
	actWorkspace
	actStage
	actNotExecuted
	actArguments
	actError
)

// actionKind is the kind of an action element from its raw name: the simple name of
// javaName (aliases expanded, "_-" → '$', "__" → '_').
func actionKind(raw []byte) int {
	// The names flow-node storage writes most, as written (one switch, no scan).
	switch string(raw) {
	case "wf.a.TimingAction":
		return actTiming
	case "s.a.LogStorageAction", "s.a.LogActionImpl":
		return actOther
	case "wf.a.BodyInvocationAction":
		return actBody
	case "cps.a.ArgumentsActionImpl":
		return actArguments
	case "wf.a.ErrorAction":
		return actError
	case "wf.a.LabelAction":
		return actLabel
	}
	return actionKindOf(raw)
}

// actionKindOf is actionKind for any name.
func actionKindOf(raw []byte) int {
	last := 0
	escaped := false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '.':
			last = i + 1
		case '_':
			if i+1 < len(raw) {
				switch raw[i+1] {
				case '-':
					last = i + 2
					i++
				case '_':
					escaped = true
					i++
				}
			}
		}
	}
	simple := raw[last:]
	if escaped && bytes.Contains(simple, []byte("__")) {
		simple = []byte(unescapeName(string(simple)))
	}
	switch string(simple) {
	case "TimingAction":
		return actTiming
	case "BodyInvocationAction":
		return actBody
	case "LabelAction":
		return actLabel
	case "ParallelLabelAction":
		return actParallelLabel
	case "WorkspaceActionImpl":
		return actWorkspace
	case "StageActionImpl":
		return actStage
	case "NotExecutedNodeAction":
		return actNotExecuted
	case "ArgumentsActionImpl":
		return actArguments
	case "ErrorAction":
		return actError
	}
	return actOther
}

// timing reads TimingAction's startTime as strconv.ParseInt(xsChildText(a, "startTime"))
// does: 0 when absent or bad.
func (p *fastParser) timing(name []byte, empty bool) int64 {
	if empty {
		return 0
	}
	for p.child(name) {
		if string(p.nm()) != "startTime" {
			p.skip(p.nm(), p.empty)
			continue
		}
		p.noRef("startTime")
		v := parseInt64Bytes(p.trimmedText(p.nm(), p.empty))
		p.skipRest(name)
		return v
	}
	return 0
}

// parseInt64Bytes is strconv.ParseInt(string(b), 10, 64) with the error dropped, without the
// conversion for plain decimal numbers.
func parseInt64Bytes(b []byte) int64 {
	if len(b) > 0 && len(b) <= 18 {
		v := int64(0)
		for _, c := range b {
			if c < '0' || c > '9' {
				v, _ := strconv.ParseInt(string(b), 10, 64)
				return v
			}
			v = v*10 + int64(c-'0')
		}
		return v
	}
	v, _ := strconv.ParseInt(string(b), 10, 64)
	return v
}

// skipRest consumes the remaining children of the open element name and its end tag.
func (p *fastParser) skipRest(name []byte) {
	for p.child(name) {
		p.skip(p.nm(), p.empty)
	}
}

// childText reads the trimmed text of the first direct child called want of the open
// element name, skipping the rest. found is false when there is no such child.
func (p *fastParser) childText(name []byte, empty bool, want string) (s string, found bool) {
	if empty {
		return "", false
	}
	for p.child(name) {
		if !found && string(p.nm()) == want {
			found = true
			p.noRef(want)
			s = string(p.trimmedText(p.nm(), p.empty))
			continue
		}
		p.skip(p.nm(), p.empty)
	}
	return s, found
}

// actions reads the children of <actions> as readAction does.
func (p *fastParser) actions(fn *flowNode, ti int) {
	name, empty := p.nm(), p.empty
	if empty {
		return
	}
	sawLiteralError := false
	for p.child(name) {
		an, ae := p.nm(), p.empty
		kind := actionKind(an)
		if kind != actOther {
			// readAction resolves the action before reading it; only unknown actions may be
			// references without consequence.
			p.noRef("action")
		}
		switch kind {
		case actTiming:
			fn.startTime = p.timing(an, ae)
		case actBody:
			fn.body = true
			p.skip(an, ae)
		case actLabel:
			fn.label, _ = p.childText(an, ae, "displayName")
			fn.hasLabel = true
		case actParallelLabel:
			fn.branch, _ = p.childText(an, ae, "branchName")
			fn.hasBranch = true
		case actWorkspace:
			fn.workspace = p.workspace(an, ae)
		case actStage:
			fn.stageName, _ = p.childText(an, ae, "stageName")
		case actNotExecuted:
			fn.notExecuted = true
			p.skip(an, ae)
		case actArguments:
			p.arguments(fn, an, ae)
		case actError:
			designated := !sawLiteralError && string(an) == "wf.a.ErrorAction"
			if string(an) == "wf.a.ErrorAction" {
				sawLiteralError = true
			}
			ref, ok := p.errorAction(an, ae, ti)
			p.cands = append(p.cands, fastCand{tag: ti, ref: ref})
			if designated && ok {
				p.tags[ti].hasDes, p.tags[ti].designated = true, ref
			}
		default:
			p.skip(an, ae)
		}
	}
}

func (p *fastParser) workspace(name []byte, empty bool) *workspaceInfo {
	ws := &workspaceInfo{}
	if empty {
		return ws
	}
	sawNode, sawPath := false, false
	for p.child(name) {
		switch cn := string(p.nm()); {
		case cn == "node" && !sawNode:
			sawNode = true
			p.noRef(cn)
			ws.node = string(p.trimmedText(p.nm(), p.empty))
		case cn == "path" && !sawPath:
			sawPath = true
			p.noRef(cn)
			ws.path = string(p.trimmedText(p.nm(), p.empty))
		default:
			p.skip(p.nm(), p.empty)
		}
	}
	return ws
}

// arguments reads ArgumentsActionImpl: scalar values of its first <arguments> map.
func (p *fastParser) arguments(fn *flowNode, name []byte, empty bool) {
	if empty {
		return
	}
	saw := false
	for p.child(name) {
		if saw || string(p.nm()) != "arguments" {
			p.skip(p.nm(), p.empty)
			continue
		}
		saw = true
		p.noRef("arguments")
		args, argsEmpty := p.nm(), p.empty
		if argsEmpty {
			continue
		}
		if fn.args != nil {
			// A second ArgumentsActionImpl (never seen in practice): merge as setArg does.
			for p.child(args) {
				if key, val, ok := p.argEntry(); ok {
					fn.setArg(key, val)
				}
			}
			continue
		}
		// The node's arguments, one pair per name as setArg keeps them, carved from a slab.
		start := len(p.pairs)
	entries:
		for p.child(args) {
			key, val, ok := p.argEntry()
			if !ok {
				continue
			}
			for i := start; i < len(p.pairs); i++ {
				if p.pairs[i].key == key {
					p.pairs[i].val = val
					continue entries
				}
			}
			if len(p.pairs) == cap(p.pairs) {
				grown := make([]argPair, len(p.pairs)-start, max(128, p.pairsUsed, 2*(len(p.pairs)-start)))
				copy(grown, p.pairs[start:])
				p.pairs, start = grown, 0
			}
			p.pairs = append(p.pairs, argPair{key, val})
			p.pairsUsed++
		}
		if len(p.pairs) > start {
			fn.args = p.pairs[start:len(p.pairs):len(p.pairs)]
		}
	}
}

// argEntry reads one entry of an arguments map: exactly two elements, a key and a scalar
// value, else ok is false.
func (p *fastParser) argEntry() (key, val string, ok bool) {
	p.noRef("argument entry")
	name, empty := p.nm(), p.empty
	if empty {
		return "", "", false
	}
	n := 0
	scalar := false
	for p.child(name) {
		n++
		switch n {
		case 1:
			p.noRef("argument name")
			key = p.internBytes(p.trimmedText(p.nm(), p.empty))
		case 2:
			p.noRef("argument value")
			switch string(p.nm()) {
			case "string", "boolean", "int", "long":
				scalar = true
				if v := p.text(p.nm(), p.empty); len(v) <= 64 {
					val = p.internBytes(v) // short values repeat across nodes (labels, flags)
				} else {
					val = string(v)
				}
			default:
				p.skip(p.nm(), p.empty)
			}
		default:
			p.skip(p.nm(), p.empty)
		}
	}
	return key, val, n == 2 && scalar
}

// Reference paths the reader resolves itself.
const (
	refSamePath  = "../../wf.a.ErrorAction/error"
	refEntryHead = "../../../../../entry"
	refEntryTail = "/Tag/actions/wf.a.ErrorAction/error"
)

// errorAction reads an ErrorAction: its first <error> child, written out or referenced. ok is
// false when there is no <error> child.
func (p *fastParser) errorAction(name []byte, empty bool, ti int) (ref fastErrRef, ok bool) {
	if empty {
		return fastErrRef{kind: refMissing}, false
	}
	for p.child(name) {
		if ok || string(p.nm()) != "error" {
			p.skip(p.nm(), p.empty)
			continue
		}
		ok = true
		if r, has := p.attr("reference"); has {
			ref = p.parseRef(r, ti)
			p.skip(p.nm(), p.empty)
			continue
		}
		ref = fastErrRef{kind: refInline, err: p.errorElement()}
	}
	if !ok {
		return fastErrRef{kind: refMissing}, false
	}
	return ref, true
}

// parseRef models the two reference forms workflow-api's ErrorAction produces; any other
// form is declined.
func (p *fastParser) parseRef(a fastAttr, ti int) fastErrRef {
	if a.ent {
		p.fail("reference with entities")
	}
	v := p.val(a)
	if string(v) == refSamePath {
		return fastErrRef{kind: refSame, tag: ti}
	}
	if !p.bulk && bytes.HasPrefix(v, []byte("../../../../")) {
		// From Tag/actions/X/error the fourth ".." leaves the root Tag: xsFollowXPath
		// stops at the document, whatever follows.
		return fastErrRef{kind: refMissing}
	}
	if !p.bulk || !bytes.HasPrefix(v, []byte(refEntryHead)) || !bytes.HasSuffix(v, []byte(refEntryTail)) {
		p.fail("unsupported reference form")
	}
	mid := v[len(refEntryHead) : len(v)-len(refEntryTail)]
	k := 1
	if len(mid) > 0 {
		if len(mid) < 3 || len(mid) > 11 || mid[0] != '[' || mid[len(mid)-1] != ']' {
			p.fail("unsupported reference form")
		}
		for _, c := range mid[1 : len(mid)-1] {
			if c < '0' || c > '9' {
				p.fail("unsupported reference form")
			}
		}
		k, _ = strconv.Atoi(string(mid[1 : len(mid)-1]))
		if k < 1 {
			p.fail("unsupported reference form")
		}
	}
	return fastErrRef{kind: refEntry, entry: k}
}

// errorElement reads a written-out <error> as readError does: the class, the direct
// <detailMessage>, and for a FlowInterruptedException its causes.
func (p *fastParser) errorElement() *nodeError {
	name, empty := p.nm(), p.empty
	ne := &nodeError{}
	if a, ok := p.attr("class"); ok {
		ne.class = p.internBytes(p.attrBytes(a))
	}
	if empty {
		return ne
	}
	fie := javaSimpleName(ne.class) == "FlowInterruptedException"
	sawMsg, sawCauses := false, false
	for p.child(name) {
		switch cn := string(p.nm()); {
		case cn == "detailMessage" && !sawMsg:
			sawMsg = true
			p.noRef(cn)
			ne.message = string(p.trimmedText(p.nm(), p.empty))
		case fie && cn == "causes" && !sawCauses:
			sawCauses = true
			p.noRef(cn)
			p.causes(ne)
		default:
			p.skip(p.nm(), p.empty)
		}
	}
	return ne
}

// causes reads a FlowInterruptedException's causes: a list, or an Arrays$ArrayList wrapping
// an <a> array.
func (p *fastParser) causes(ne *nodeError) {
	name, empty := p.nm(), p.empty
	if empty {
		return
	}
	for p.child(name) {
		if string(p.nm()) == "a" {
			p.noRef("cause array")
			a, ae := p.nm(), p.empty
			if ae {
				continue
			}
			for p.child(a) {
				p.cause(ne)
			}
			continue
		}
		p.cause(ne)
	}
}

// cause reads one CauseOfInterruption: its kind, user and failing branch.
func (p *fastParser) cause(ne *nodeError) {
	p.noRef("cause")
	name, empty := p.nm(), p.empty
	var kind string
	if a, ok := p.attr("class"); ok && a.ve > a.vs {
		kind = javaSimpleName(string(p.attrBytes(a)))
	} else {
		kind = javaSimpleName(javaNameRaw(name))
	}
	c := causeOfInterruption{kind: kind}
	if !empty {
		sawUser, sawBranch := false, false
		for p.child(name) {
			switch cn := string(p.nm()); {
			case cn == "user" && !sawUser:
				sawUser = true
				p.noRef(cn)
				c.user = string(p.trimmedText(p.nm(), p.empty))
			case cn == "failingBranch" && !sawBranch:
				sawBranch = true
				p.noRef(cn)
				c.branch = string(p.trimmedText(p.nm(), p.empty))
			default:
				p.skip(p.nm(), p.empty)
			}
		}
	}
	ne.causes = append(ne.causes, c)
}

// javaNameRaw is javaName of a raw element name.
func javaNameRaw(name []byte) string {
	return expandAlias(unescapeName(string(name)))
}

// resolveErrors sets every node's err to its first ErrorAction that resolves, following
// references as xsResolve does (same hop limit, so loops end the same way).
func (p *fastParser) resolveErrors() {
	for _, c := range p.cands {
		fn := p.nodes[c.tag]
		if fn.err == nil {
			fn.err = p.resolve(c.ref)
		}
	}
}

func (p *fastParser) resolve(r fastErrRef) *nodeError {
	for hop := 0; ; hop++ {
		switch r.kind {
		case refInline:
			return r.err
		case refMissing:
			return nil
		}
		if hop >= maxReferenceHops {
			return nil
		}
		t := r.tag
		if r.kind == refEntry {
			t = r.entry - 1
			if t >= len(p.tags) || !p.tags[t].literal {
				return nil
			}
		}
		if !p.tags[t].hasDes {
			return nil
		}
		r = p.tags[t].designated
	}
}
