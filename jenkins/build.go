package jenkins

import (
	"strings"
	"time"
)

// Result is a build's outcome as Jenkins records it in build.xml.
// The empty Result means the build has not finished (or the controller died while it ran).
type Result string

// Build results, in Jenkins' order of severity (hudson.model.Result ordinals 0..4).
const (
	ResultSuccess  Result = "SUCCESS"
	ResultUnstable Result = "UNSTABLE"
	ResultFailure  Result = "FAILURE"
	ResultNotBuilt Result = "NOT_BUILT"
	ResultAborted  Result = "ABORTED"
)

// Status is the outcome of one shell step (CONTRACT.md, `cidiff steps`).
type Status string

// Step statuses. StatusMissing never comes from a build: the analyzer uses it for a step
// that ran on one side of a comparison only.
const (
	StatusSuccess     Status = "SUCCESS"
	StatusFailure     Status = "FAILURE"
	StatusAborted     Status = "ABORTED"
	StatusNotExecuted Status = "NOT_EXECUTED"
	StatusUnknown     Status = "UNKNOWN"
	StatusMissing     Status = "MISSING"
)

// Layout names how a build stored its flow nodes (JENKINS_FORMATS.md §5.1).
type Layout string

// Flow-node storage layouts.
const (
	LayoutNone    Layout = "none"     // no <execution>, or no node files: failed before the first step
	LayoutPerNode Layout = "per-node" // <storageDir>/N.xml, one Tag per file
	LayoutBulk    Layout = "bulk"     // <storageDir>/flowNodeStore.xml
	LayoutREST    Layout = "rest"     // read from a live controller's REST APIs: no flow-node files
)

// Build is one Pipeline run as read from its build directory.
//
// Fields that Jenkins did not record are left at their zero value; pointer fields distinguish
// "not recorded" (nil) from a recorded zero.
type Build struct {
	// Dir is the build directory as the user can open it: the source argument joined with the
	// build's place below it.
	Dir string
	// Job is the job's full name as Jenkins shows it ("tvm/PR-10"); see JobName.
	Job string
	// Number is the build number from the directory name; nil if the name is not a number.
	Number *int
	// Result is empty while the build runs (contract: null).
	Result    Result
	Completed bool
	// Start is build.xml's startTime (falling back to timestamp).
	Start    time.Time
	Duration time.Duration

	// Revision is the commit the build tested, for pairing: the PR head for a pull request,
	// otherwise the commit of the project's own checkout (never a shared library's).
	Revision string
	// Branch is the branch (or PR head name, "PR-12") the build ran for, when recorded.
	Branch string
	// PR is set for pull-request builds.
	PR *PullRequest
	// Remote is the URL of the project's repository, when a checkout recorded it.
	Remote     string
	Causes     []Cause
	Parameters []Parameter

	// Layout and StorageDir say where the flow nodes were read from.
	Layout     Layout
	StorageDir string

	// Steps are the shell steps in execution order (numeric flow-node id order).
	Steps []Step
	// Tests are the JUnit cases archived by the build (junitResult.xml), if any.
	Tests []TestCase

	// Problems lists what could not be read without making the whole build unreadable
	// (a corrupt node file, a cycle in the graph, a missing log): each names the file.
	Problems []string

	// URL is the build's web address when it was read from a controller over its REST API
	// (a URL source; Dir is then the same URL); empty for a build read from a directory.
	URL string
	// remote lets StepLogs fetch the step logs of a build read over REST.
	remote *remoteBuild
}

// PullRequest is the pull-request identity of a multibranch PR build (SCMRevisionAction).
type PullRequest struct {
	Number int
	// Head is the PR head commit (pullHash): the pairing key.
	Head string
	// Base is the target-branch commit the build merged with or was based on (baseHash).
	Base string
	// Merge is GitHub's merge commit (mergeHash), when recorded.
	Merge string
	// Target is the target branch name ("main").
	Target string
	// MergeStrategy is true when Jenkins built the merge of head into target.
	MergeStrategy bool
	SourceOwner   string
	SourceRepo    string
	SourceBranch  string
}

// Cause is one reason the build started (CauseAction).
type Cause struct {
	// Kind is the simple Java class name: "UserIdCause", "BranchIndexingCause", "ReplayCause", ...
	Kind string
	// Description is a short human text: the user, the upstream build, "replay of #12".
	Description string
	// OriginalNumber is set for a replay or rebuild of another build of the same job.
	OriginalNumber *int
}

// Parameter is one build parameter (ParametersAction). Sensitive values (password and
// credentials parameters) are never stored: Value is empty and Sensitive true.
type Parameter struct {
	Name      string
	Value     string
	Sensitive bool
}

// Step is one shell step (sh, bat, powershell, pwsh) of a build.
type Step struct {
	// ID is the flow-node id of the step's atom node. Not stable across builds.
	ID string
	// Kind is "sh", "bat", "powershell" or "pwsh".
	Kind string
	// Stage lists the enclosing stage and parallel-branch names, outermost first (a branch and
	// its Declarative stage of the same name appear once).
	Stage []string
	// Label is the step's label argument, or empty.
	Label string
	// Script is the script argument as recorded (never redacted here; reports redact).
	Script string
	// ReturnStatus is true for sh(returnStatus: true): a non-zero exit is then not recorded.
	ReturnStatus bool
	Status       Status
	// ExitCode is parsed from "script returned exit code N"; nil otherwise.
	ExitCode *int
	// Error is "" on success, the AbortException message for a non-zero exit, else "Class: message".
	Error string
	// ErrorClass is the Java class of the step's error, if any.
	ErrorClass string
	// Node is the agent the step ran on ("" for the built-in node); nil if unknown.
	Node *string
	// Workspace is the agent workspace path of the enclosing node block, when recorded.
	Workspace string
	Start     time.Time
	Duration  time.Duration
	// Context lists the enclosing control blocks, innermost first.
	Context []Block
}

// StagePath joins Stage with "/" (the contract's `stage` field).
func (s Step) StagePath() string {
	return strings.Join(s.Stage, "/")
}

// BlockKind names a control block that changes what a step's failure means.
type BlockKind string

// Control blocks recorded in Step.Context.
const (
	BlockRetry      BlockKind = "retry"
	BlockCatchError BlockKind = "catchError" // also warnError
	BlockTimeout    BlockKind = "timeout"
)

// Block is one enclosing control block of a step.
type Block struct {
	Kind BlockKind
	// ID is the flow-node id of the block's step start node.
	ID string
	// Attempt is the 1-based attempt number inside a retry block.
	Attempt int
}

// TestStatus is a JUnit case's derived status (junitResult.xml stores none).
type TestStatus string

// JUnit case statuses.
const (
	TestPassed  TestStatus = "PASSED"
	TestFailed  TestStatus = "FAILED"
	TestSkipped TestStatus = "SKIPPED"
)

// TestCase is one JUnit case archived by the build.
type TestCase struct {
	Suite     string
	ClassName string
	Name      string
	Status    TestStatus
	Duration  time.Duration
	// ErrorDetails and ErrorStackTrace are the failure message and trace, when failed.
	ErrorDetails    string
	ErrorStackTrace string
	// FailedSince is the build number since which the case fails (0 when passing).
	FailedSince int
	// NodeID is the flow node of the junit step that archived the case, when recorded.
	NodeID string
	// Stage lists the enclosing stage and branch names, outermost first, when recorded.
	Stage []string
}
