package jenkins

import (
	"testing"

	"github.com/antchfx/xmlquery"
)

func TestJavaName(t *testing.T) {
	for _, tc := range []struct{ elem, java, simple string }{
		{"hudson.model.Cause_-UserIdCause", "hudson.model.Cause$UserIdCause", "UserIdCause"},
		{"wf.a.ErrorAction", "org.jenkinsci.plugins.workflow.actions.ErrorAction", "ErrorAction"},
		{"wf.a.ErrorAction_-ErrorId", "org.jenkinsci.plugins.workflow.actions.ErrorAction$ErrorId", "ErrorId"},
		{"s.a.WorkspaceActionImpl", "org.jenkinsci.plugins.workflow.support.actions.WorkspaceActionImpl", "WorkspaceActionImpl"},
		{"cps.a.ArgumentsActionImpl", "org.jenkinsci.plugins.workflow.cps.actions.ArgumentsActionImpl", "ArgumentsActionImpl"},
		{"cps.n.StepAtomNode", "org.jenkinsci.plugins.workflow.cps.nodes.StepAtomNode", "StepAtomNode"},
		{"org.jenkinsci.plugins.workflow.cps.steps.ParallelStepExecution_-ParallelLabelAction",
			"org.jenkinsci.plugins.workflow.cps.steps.ParallelStepExecution$ParallelLabelAction", "ParallelLabelAction"},
		{"my__pkg.Some__Class_-Inner", "my_pkg.Some_Class$Inner", "Inner"},
		{"trailing_", "trailing_", "trailing_"},
		// Aliases are expanded only at the start of a name.
		{"x.wf.a.Foo", "x.wf.a.Foo", "Foo"},
	} {
		doc, err := parseXML("t", []byte("<"+tc.elem+"/>"))
		if err != nil {
			t.Fatal(err)
		}
		got := javaName(xsRoot(doc))
		if got != tc.java {
			t.Errorf("javaName(%s) = %q, want %q", tc.elem, got, tc.java)
		}
		if s := javaSimpleName(got); s != tc.simple {
			t.Errorf("javaSimpleName(%s) = %q, want %q", got, s, tc.simple)
		}
	}
}

// refDoc exercises the reference forms of JENKINS_FORMATS.md §2.6.
const refDoc = `<?xml version="1.1" encoding="UTF-8"?>
<linked-hash-map>
  <entry><string>2</string><Tag><node class="x"/><actions/></Tag></entry>
  <entry><string>7</string><Tag><node class="x"/><actions>
    <wf.a.ErrorAction><error class="hudson.AbortException"><detailMessage>script returned exit code 2</detailMessage></error></wf.a.ErrorAction>
  </actions></Tag></entry>
  <entry><string>9</string><Tag><node class="x"/><actions>
    <wf.a.ErrorAction><error class="hudson.AbortException" reference="../../../../../entry[2]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>
  </actions></Tag></entry>
  <entry><string>10</string><Tag><node class="x"/><actions>
    <wf.a.ErrorAction><error class="hudson.AbortException" reference="../../../../../entry[3]/Tag/actions/wf.a.ErrorAction/error"/></wf.a.ErrorAction>
  </actions></Tag></entry>
  <entry><string>11</string><Tag><node class="x"/><actions>
    <a reference="../b"/><b reference="../a"/>
    <self reference="."/>
    <far reference="../../../../../../../../x"/>
    <bad reference="../entry[zero]"/>
    <c><list/></c><l reference="../c/list"/>
  </actions></Tag></entry>
</linked-hash-map>`

func TestResolveReferences(t *testing.T) {
	doc, err := parseXML("flowNodeStore.xml", []byte(refDoc))
	if err != nil {
		t.Fatal(err)
	}
	entries := xsElements(xsRoot(doc))
	errorOf := func(entry int) string { // 1-based, like XStream
		return xsChildText(xsPath(entries[entry-1], "Tag", "actions", "wf.a.ErrorAction", "error"), "detailMessage")
	}
	// entry[2] is node 7: a position, not an id.
	if got := errorOf(2); got != "script returned exit code 2" {
		t.Errorf("direct error = %q", got)
	}
	if got := errorOf(3); got != "script returned exit code 2" {
		t.Errorf("referenced error (entry[2], node 7) = %q", got)
	}
	if got := errorOf(4); got != "script returned exit code 2" {
		t.Errorf("chained reference (entry[3] → entry[2]) = %q", got)
	}
	acts := xsPath(entries[4], "Tag", "actions")
	for _, name := range []string{"a", "b", "self", "far", "bad"} {
		var el = rawChild(acts, name)
		if r := xsResolve(el); r != nil {
			t.Errorf("reference %s resolved to <%s>, want nil (loop or dangling)", name, r.Data)
		}
	}
	if r := xsResolve(rawChild(acts, "l")); r == nil || r.Data != "list" {
		t.Errorf("../c/list did not resolve to <list>: %v", r)
	}
}

// rawChild finds a child without resolving it, to test resolve itself.
func rawChild(n *xmlquery.Node, name string) *xmlquery.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Data == name {
			return c
		}
	}
	return nil
}
