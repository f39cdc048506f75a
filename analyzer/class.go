// Package analyzer pairs the builds of two Jenkins controllers, diffs their shell steps and
// classifies every difference into the RFC 0049 launch-validation classes.
package analyzer

// Class is the launch-validation category of a difference (CONTRACT.md, Classes).
type Class string

// The classes. Executor, Controller and Unknown block a launch unless waived.
const (
	ClassExecutor    Class = "executor"
	ClassController  Class = "controller"
	ClassFlaky       Class = "flaky"
	ClassEnvironment Class = "environment"
	ClassUnknown     Class = "unknown"
)

// Classes lists every class in report order.
var Classes = []Class{ClassExecutor, ClassController, ClassFlaky, ClassEnvironment, ClassUnknown}

// Blocking reports whether a difference of this class stops a launch unless waived.
func (c Class) Blocking() bool {
	switch c {
	case ClassFlaky, ClassEnvironment:
		return false
	default:
		return true
	}
}

// Valid reports whether c is one of the contract's classes.
func (c Class) Valid() bool {
	for _, k := range Classes {
		if c == k {
			return true
		}
	}
	return false
}

// Match is what the knowledge base found in a piece of failure text.
type Match struct {
	Class Class `json:"class"`
	// Cause is a stable lower_snake_case name ("disk_full"), or empty.
	Cause string `json:"cause"`
	// Rule is the id of the rule that matched, or empty when none did.
	Rule string `json:"rule"`
	// Line is the line of text the rule matched.
	Line string `json:"line"`
	// Description is the rule's human explanation.
	Description string `json:"description,omitempty"`
	// Generic is true when the rule only says that something failed (a bare exit code, a make
	// error, a test summary) without saying why: such a cause explains nothing on its own.
	Generic bool `json:"generic,omitempty"`
}
