package jenkins

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/antchfx/xmlquery"
)

// ReadJUnit reads a build's junitResult.xml: the XStream form of the junit plugin's TestResult,
// with the aliases result / suite / case (JENKINS_FORMATS.md §9). It returns (nil, nil) when
// the file does not exist. The file stores no status: a skipped case is SKIPPED, one with an
// errorStackTrace or errorDetails element is FAILED, any other PASSED.
func ReadJUnit(path string) ([]TestCase, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("junit results: %w", err)
	}
	return parseJUnit(path, data)
}

// parseJUnit is ReadJUnit on bytes already read; name is only used in errors.
func parseJUnit(name string, data []byte) ([]TestCase, error) {
	return parseJUnitWith(nil, name, data, nil)
}

// parseJUnitWith is parseJUnit with the document built by fp's fast lexer (the one that reads
// build.xml: buildxml_fast.go), or by parseXML when fp is nil or declines. The test results of
// a TVM build are small, but parsed through encoding/xml they cost a walk more than all of its
// flow nodes.
func parseJUnitWith(fp *fastParser, name string, data []byte, opts *readOpts) ([]TestCase, error) {
	var doc *xmlquery.Node
	if fp != nil {
		var why string
		var ok bool
		if doc, why, ok = fp.fastBuildDOM(name, data); !ok {
			opts.decline(name, why)
		}
	}
	if doc == nil {
		var err error
		if doc, err = parseXML(name, data); err != nil {
			return nil, err
		}
	}
	root := junitRoot(doc)
	if root == nil {
		return nil, fmt.Errorf("%s: no XML element found", name)
	}
	if root.Data != "result" {
		return nil, fmt.Errorf("%s: root element <%s> is not a junit <result>", name, root.Data)
	}
	var cases []TestCase
	for _, suite := range junitChildren(junitChild(root, "suites"), "suite") {
		suite = junitFollowRef(suite)
		suiteName := junitText(suite, "name")
		nodeID := junitText(suite, "nodeId")
		// enclosingBlockNames is innermost first; TestCase.Stage is outermost first.
		var stage []string
		for _, s := range junitChildren(junitFollowRef(junitChild(suite, "enclosingBlockNames")), "string") {
			stage = append(stage, s.InnerText())
		}
		slices.Reverse(stage)
		// Declarative writes a parallel branch and its stage under one name. The current junit
		// plugin drops the repeat (JENKINS_FORMATS.md §9); should a file keep it, the contract
		// still shows the name once.
		stage = slices.Compact(stage)
		for _, c := range junitChildren(junitFollowRef(junitChild(suite, "cases")), "case") {
			c = junitFollowRef(c)
			tc := TestCase{
				Suite:           suiteName,
				ClassName:       junitText(c, "className"),
				Name:            junitText(c, "testName"),
				Duration:        junitSeconds(junitText(c, "duration")),
				ErrorDetails:    junitText(c, "errorDetails"),
				ErrorStackTrace: junitText(c, "errorStackTrace"),
				NodeID:          nodeID,
				Stage:           slices.Clone(stage),
			}
			tc.FailedSince, _ = strconv.Atoi(strings.TrimSpace(junitText(c, "failedSince")))
			switch {
			case strings.TrimSpace(junitText(c, "skipped")) == "true":
				tc.Status = TestSkipped
			case junitChild(c, "errorStackTrace") != nil || junitChild(c, "errorDetails") != nil:
				// Java's CaseResult fails a case whose fields are non-null; XStream writes an
				// element exactly for a non-null field, even an empty one.
				tc.Status = TestFailed
			default:
				tc.Status = TestPassed
			}
			cases = append(cases, tc)
		}
	}
	return cases, nil
}

// junitRoot is the document's first element.
func junitRoot(doc *xmlquery.Node) *xmlquery.Node {
	for n := doc.FirstChild; n != nil; n = n.NextSibling {
		if n.Type == xmlquery.ElementNode {
			return n
		}
	}
	return nil
}

// junitChildren lists n's child elements called name (none for a nil n).
func junitChildren(n *xmlquery.Node, name string) []*xmlquery.Node {
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

// junitChild is n's first child element called name, or nil.
func junitChild(n *xmlquery.Node, name string) *xmlquery.Node {
	if n == nil {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.ElementNode && c.Data == name {
			return c
		}
	}
	return nil
}

// junitText is the text of n's child element name, after following an XStream reference.
func junitText(n *xmlquery.Node, name string) string {
	c := junitFollowRef(junitChild(n, name))
	if c == nil {
		return ""
	}
	return c.InnerText()
}

// junitFollowRef returns the element an XStream reference="relative/xpath" attribute points
// to (JENKINS_FORMATS.md §2.6: ".." is the parent, "name[k]" the k-th child called name,
// 1-based), following chains; n itself when it carries no reference or the path is broken.
// XStream writes a list shared by several suites (the enclosing block names of one junit
// step) once and references it from the others.
func junitFollowRef(n *xmlquery.Node) *xmlquery.Node {
	for hops := 0; n != nil && hops < 32; hops++ {
		ref := n.SelectAttr("reference")
		if ref == "" {
			return n
		}
		target := n
		for _, step := range strings.Split(ref, "/") {
			if target == nil {
				break
			}
			switch step {
			case "", ".":
			case "..":
				target = target.Parent
			default:
				name, k := step, 1
				if i := strings.IndexByte(step, '['); i > 0 && strings.HasSuffix(step, "]") {
					v, err := strconv.Atoi(step[i+1 : len(step)-1])
					if err != nil || v < 1 {
						target = nil
						break
					}
					name, k = step[:i], v
				}
				kids := junitChildren(target, name)
				if k > len(kids) {
					target = nil
					break
				}
				target = kids[k-1]
			}
		}
		if target == nil || target == n || target.Type != xmlquery.ElementNode {
			return n
		}
		n = target
	}
	return n
}

// junitSeconds converts the plugin's float seconds ("0.0010") to a Duration; 0 if unreadable.
func junitSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f <= 0 {
		return 0
	}
	if f >= math.MaxInt64/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(f * float64(time.Second)))
}
