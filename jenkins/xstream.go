package jenkins

import (
	"strconv"
	"strings"

	"github.com/antchfx/xmlquery"
)

// XStream helpers (JENKINS_FORMATS.md §2): element names are escaped Java class or field
// names, flow-node files abbreviate package names, and repeated objects are written once and
// then referred to by relative XPath.

// packageAliases are the abbreviations SimpleXStreamFlowNodeStorage and BulkFlowNodeStorage
// register (workflow-support ≥ 2018). Old files spell the packages out.
var packageAliases = []struct{ alias, pkg string }{
	{"cps.n.", "org.jenkinsci.plugins.workflow.cps.nodes."},
	{"wf.a.", "org.jenkinsci.plugins.workflow.actions."},
	{"s.a.", "org.jenkinsci.plugins.workflow.support.actions."},
	{"cps.a.", "org.jenkinsci.plugins.workflow.cps.actions."},
}

// expandAlias replaces a flow-node package alias at the start of a class name.
func expandAlias(name string) string {
	for _, a := range packageAliases {
		if strings.HasPrefix(name, a.alias) {
			return a.pkg + name[len(a.alias):]
		}
	}
	return name
}

// unescapeName turns an XStream element name back into a Java name: "_-" is "$", "__" is "_".
func unescapeName(name string) string {
	if !strings.Contains(name, "_") {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		if name[i] == '_' && i+1 < len(name) {
			switch name[i+1] {
			case '-':
				b.WriteByte('$')
				i++
				continue
			case '_':
				b.WriteByte('_')
				i++
				continue
			}
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// javaName is the Java class (or field) name an element stands for, aliases expanded.
func javaName(n *xmlquery.Node) string {
	if n == nil {
		return ""
	}
	return expandAlias(unescapeName(n.Data))
}

// javaSimpleName is a Java class name without its package and enclosing classes:
// "hudson.model.Cause$UserIdCause" → "UserIdCause".
func javaSimpleName(class string) string {
	if i := strings.LastIndexAny(class, ".$"); i >= 0 {
		return class[i+1:]
	}
	return class
}

// xsAttr returns the value of an attribute by local name, or "".
func xsAttr(n *xmlquery.Node, name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// maxReferenceHops bounds reference chains; XStream never writes long ones, so a longer chain
// is a loop in a corrupt file.
const maxReferenceHops = 32

// xsResolve follows XStream reference="…" attributes until it reaches the element that holds
// the object's content. It returns nil for a reference that points nowhere or loops.
func xsResolve(n *xmlquery.Node) *xmlquery.Node {
	for hop := 0; n != nil; hop++ {
		ref := xsAttr(n, "reference")
		if ref == "" {
			return n
		}
		if hop >= maxReferenceHops {
			return nil
		}
		n = xsFollowXPath(n, ref)
	}
	return nil
}

// xsFollowXPath evaluates XStream's relative XPath: ".." is the parent, "name[k]" the k-th
// (1-based) element child of that name, "name" the first. Start is the referring element.
func xsFollowXPath(start *xmlquery.Node, path string) *xmlquery.Node {
	cur := start
	if strings.HasPrefix(path, "/") {
		for cur.Parent != nil {
			cur = cur.Parent
		}
		path = path[1:]
	}
	for _, seg := range strings.Split(path, "/") {
		if cur == nil {
			return nil
		}
		switch seg {
		case "", ".":
			continue
		case "..":
			cur = cur.Parent
			if cur != nil && cur.Type == xmlquery.DocumentNode {
				return nil
			}
			continue
		}
		name, k := seg, 1
		if i := strings.IndexByte(seg, '['); i >= 0 && strings.HasSuffix(seg, "]") {
			v, err := strconv.Atoi(seg[i+1 : len(seg)-1])
			if err != nil || v < 1 {
				return nil
			}
			name, k = seg[:i], v
		}
		var next *xmlquery.Node
		for c := cur.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == xmlquery.ElementNode && c.Data == name {
				k--
				if k == 0 {
					next = c
					break
				}
			}
		}
		cur = next
	}
	if cur == nil || cur.Type != xmlquery.ElementNode {
		return nil
	}
	return cur
}

// xsElements returns the element children of n (resolved first), in document order.
func xsElements(n *xmlquery.Node) []*xmlquery.Node {
	n = xsResolve(n)
	if n == nil {
		return nil
	}
	var out []*xmlquery.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// xsChildren returns the element children of n (resolved first) whose raw name is name.
func xsChildren(n *xmlquery.Node, name string) []*xmlquery.Node {
	n = xsResolve(n)
	if n == nil {
		return nil
	}
	var out []*xmlquery.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode && c.Data == name {
			out = append(out, c)
		}
	}
	return out
}

// xsChild returns the first element child of n whose raw (escaped) name is name, resolved.
func xsChild(n *xmlquery.Node, name string) *xmlquery.Node {
	n = xsResolve(n)
	if n == nil {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode && c.Data == name {
			return xsResolve(c)
		}
	}
	return nil
}

// xsPath follows a chain of child names.
func xsPath(n *xmlquery.Node, names ...string) *xmlquery.Node {
	for _, name := range names {
		n = xsChild(n, name)
		if n == nil {
			return nil
		}
	}
	return n
}

// xsRawText is the text content of a resolved element, untrimmed (scripts keep their spacing).
func xsRawText(n *xmlquery.Node) string {
	n = xsResolve(n)
	if n == nil {
		return ""
	}
	return n.InnerText()
}

// xsText is the trimmed text content of a resolved element.
func xsText(n *xmlquery.Node) string {
	return strings.TrimSpace(xsRawText(n))
}

// xsChildText is xsText(xsChild(n, name)).
func xsChildText(n *xmlquery.Node, name string) string {
	return xsText(xsChild(n, name))
}

// xsRoot is the document's top element, or nil.
func xsRoot(doc *xmlquery.Node) *xmlquery.Node {
	for c := doc.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode {
			return c
		}
	}
	return nil
}
