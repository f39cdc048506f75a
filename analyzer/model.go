package analyzer

import (
	"time"

	"github.com/cidiff/cidiff/jenkins"
)

// SchemaVersion is the version of the comparison JSON (CONTRACT.md, `cidiff compare`).
const SchemaVersion = 1

// Verdict is the launch-validation outcome of a comparison.
type Verdict string

// Verdicts. NO-GO means at least one blocking difference was not waived.
const (
	VerdictGo   Verdict = "GO"
	VerdictNoGo Verdict = "NO-GO"
)

// Side names one of the two instances of a comparison.
type Side string

// The two sides.
const (
	SideProd    Side = "prod"
	SideStaging Side = "staging"
)

// Comparison is the result of comparing the builds of a production and a staging controller.
// Every slice is non-nil so that the JSON shows [] rather than null.
type Comparison struct {
	SchemaVersion int     `json:"schema_version"`
	Verdict       Verdict `json:"verdict"`
	// ProdName and StagingName are the instance names the comparison was run with.
	ProdName    string  `json:"prod_name"`
	StagingName string  `json:"staging_name"`
	Summary     Summary `json:"summary"`
	// Pairs are sorted by Key.
	Pairs      []Pair              `json:"pairs"`
	Unpaired   Unpaired            `json:"unpaired"`
	Systematic []SystematicFinding `json:"systematic"`
	// Errors are the inputs that could not be read (the CLI exits 3 when there are any).
	Errors []InputError `json:"errors"`
	// Warnings are things the reader should know that are not differences: waivers that matched
	// nothing, logs that could not be read, no pairs at all.
	Warnings []string `json:"warnings"`
}

// Summary counts what a comparison found.
type Summary struct {
	PairsCompared  int `json:"pairs_compared"`
	PairsIdentical int `json:"pairs_identical"`
	// Differences counts every difference; Findings only the root ones (consequences grouped).
	Differences int `json:"differences"`
	Findings    int `json:"findings"`
	// ByClass counts differences per class, FindingsByClass root differences per class; every
	// class is present.
	ByClass         map[Class]int `json:"by_class"`
	FindingsByClass map[Class]int `json:"findings_by_class"`
	// Blocking counts blocking differences (waived ones never block); Waived the waived ones.
	Blocking int `json:"blocking"`
	Waived   int `json:"waived"`
	// UnpairedProd and UnpairedStaging count the builds that found no partner.
	UnpairedProd    int `json:"unpaired_prod"`
	UnpairedStaging int `json:"unpaired_staging"`
	// BothFailed counts steps that failed the same way on both sides (not differences).
	BothFailed int `json:"both_failed"`
	// PairsBothFailed counts pairs in which both builds failed (result FAILURE or worse).
	PairsBothFailed int `json:"pairs_both_failed"`
	Systematic      int `json:"systematic"`
	InputErrors     int `json:"input_errors"`
	// Filtered counts builds left out by --job, --since or --until.
	Filtered int `json:"filtered"`
}

// Pair is a production and a staging build of the same job and revision.
type Pair struct {
	// Key is "job@revision", the job named as on staging (after the job map).
	Key      string   `json:"key"`
	Job      string   `json:"job"`
	Revision string   `json:"revision"`
	Prod     BuildRef `json:"prod"`
	Staging  BuildRef `json:"staging"`
	// Older are the other completed builds of the same key on each side (rebuilds), newest
	// first; they are evidence (flakiness), never compared.
	Older OlderBuilds `json:"older"`
	// Identical is true when no shell step differs.
	Identical bool `json:"identical"`
	// Blocking is true when at least one difference blocks.
	Blocking bool `json:"blocking"`
	// Differences are in execution order.
	Differences []Difference `json:"differences"`
	// BothFailed lists the steps that failed on both sides: not differences, but the pair did
	// not pass.
	BothFailed []BothFailedStep `json:"both_failed"`
}

// OlderBuilds are rebuilds of a pair's key, per side.
type OlderBuilds struct {
	Prod    []BuildRef `json:"prod"`
	Staging []BuildRef `json:"staging"`
}

// BuildRef identifies one build in a report.
type BuildRef struct {
	Job    string `json:"job"`
	Number *int   `json:"number"`
	// Result is null while the build runs.
	Result   *jenkins.Result `json:"result"`
	Revision string          `json:"revision"`
	Dir      string          `json:"dir"`
	// Start is RFC 3339 UTC, empty when not recorded.
	Start           string  `json:"start,omitempty"`
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	// Nodes are the agents the build's shell steps ran on, sorted ("" is the built-in node).
	Nodes []string `json:"nodes"`
	// Steps counts the build's shell steps as compared (retry attempts folded).
	Steps int `json:"steps"`
	// Base is the pull request's target-branch commit (baseHash), when recorded.
	Base string `json:"base,omitempty"`
	// Problems are what the reader could not read of this build.
	Problems []string `json:"problems,omitempty"`
}

// Difference is one shell step whose outcome differs between the two builds of a pair.
type Difference struct {
	// Order is the difference's place in the pair's execution order (0-based).
	Order int    `json:"order"`
	Stage string `json:"stage"`
	Label string `json:"label"`
	// Step is the step's identity within its stage: the trimmed label, or "sh:" and a short
	// hash of the normalised script for an unlabelled step.
	Step string `json:"step"`
	// Occurrence is the 1-based ordinal among the steps of the same stage and label (every
	// unlabelled step counting as label ""), on the side that ran it (staging if both).
	Occurrence    int            `json:"occurrence"`
	ProdStatus    jenkins.Status `json:"prod_status"`
	StagingStatus jenkins.Status `json:"staging_status"`
	Class         Class          `json:"class"`
	Cause         string         `json:"cause"`
	Blocking      bool           `json:"blocking"`
	Waived        bool           `json:"waived"`
	WaiverReason  string         `json:"waiver_reason,omitempty"`
	// Reason is one line a person can act on; for an unknown difference it says what was
	// looked at.
	Reason   string   `json:"reason"`
	Evidence []string `json:"evidence"`
	// Rule is the knowledge-base rule that matched, if any.
	Rule string `json:"rule,omitempty"`
	// ConsequenceOf names the root difference this one follows from; nil for a root.
	ConsequenceOf *StepRef `json:"consequence_of,omitempty"`
	// Consequences counts the differences attributed to this root.
	Consequences int `json:"consequences,omitempty"`
	// Prod and Staging describe the step on each side; nil where it did not run.
	Prod    *StepDetail `json:"prod,omitempty"`
	Staging *StepDetail `json:"staging,omitempty"`
}

// Root reports whether the difference is a finding of its own (not a consequence).
func (d *Difference) Root() bool { return d.ConsequenceOf == nil }

// StepRef names a step of a pair: stage path, label, identity and occurrence.
type StepRef struct {
	Stage      string `json:"stage"`
	Label      string `json:"label"`
	Step       string `json:"step,omitempty"`
	Occurrence int    `json:"occurrence,omitempty"`
}

// StepDetail is what one side recorded of a step.
type StepDetail struct {
	ID       string         `json:"id"`
	Status   jenkins.Status `json:"status"`
	ExitCode *int           `json:"exit_code"`
	Error    string         `json:"error"`
	// Node is null when unknown, "" for the built-in node.
	Node            *string `json:"node"`
	DurationSeconds float64 `json:"duration_seconds"`
	Start           string  `json:"start,omitempty"`
	// Image is the docker image the script ran in (docker/bash.sh IMAGE ...), when it names one.
	Image string `json:"image,omitempty"`
	// FailedAttempts lists the statuses of earlier retry attempts of this step that did not
	// succeed (the step itself is the last attempt).
	FailedAttempts []jenkins.Status `json:"failed_attempts,omitempty"`
	// Attempts is the number of retry attempts folded into this step (1 without retry).
	Attempts int `json:"attempts,omitempty"`
}

// BothFailedStep is a step that failed on both sides.
type BothFailedStep struct {
	StepRef
	ProdStatus    jenkins.Status `json:"prod_status"`
	StagingStatus jenkins.Status `json:"staging_status"`
	ProdError     string         `json:"prod_error"`
	StagingError  string         `json:"staging_error"`
}

// Unpaired lists the builds that found no partner, per side.
type Unpaired struct {
	Prod    []UnpairedBuild `json:"prod"`
	Staging []UnpairedBuild `json:"staging"`
}

// UnpairedBuild is a build left without a partner, and why.
type UnpairedBuild struct {
	Job      string          `json:"job"`
	Number   *int            `json:"number"`
	Revision string          `json:"revision"`
	Result   *jenkins.Result `json:"result"`
	Dir      string          `json:"dir"`
	Start    string          `json:"start,omitempty"`
	Reason   string          `json:"reason"`
}

// SystematicFinding is a step that fails significantly more often on staging than on
// production across all pairs (one-sided Fisher's exact test).
type SystematicFinding struct {
	Stage           string   `json:"stage"`
	Label           string   `json:"label"`
	Step            string   `json:"step"`
	Occurrence      int      `json:"occurrence"`
	StagingFailures int      `json:"staging_failures"`
	StagingRuns     int      `json:"staging_runs"`
	ProdFailures    int      `json:"prod_failures"`
	ProdRuns        int      `json:"prod_runs"`
	PValue          float64  `json:"p_value"`
	Jobs            []string `json:"jobs"`
	Reason          string   `json:"reason"`
}

// InputError is an input that could not be read.
type InputError struct {
	Side  Side   `json:"side"`
	Dir   string `json:"dir"`
	Error string `json:"error"`
}

// StepRun is one earlier run of a step on one instance, as the history store keeps it.
type StepRun struct {
	Instance string
	Job      string
	Number   int
	Revision string
	Status   jenkins.Status
	Node     string
	Started  time.Time
}

// Classifier explains failure text; *KnowledgeBase implements it.
type Classifier interface {
	Classify(text string) Match
}

// LogReader gives the text a step wrote: only the last maxBytes bytes (maxBytes <= 0: all).
type LogReader interface {
	StepLog(b *jenkins.Build, s *jenkins.Step, maxBytes int64) ([]byte, error)
}

// BuildLogReader is optionally implemented by a LogReader that can also give the end of a
// build's whole console log. The comparison uses it to explain a stage that never ran on one
// side ("There are no nodes with the label ‘doc’"), where there is no step log to read.
type BuildLogReader interface {
	BuildLog(b *jenkins.Build, maxBytes int64) ([]byte, error)
}

// History gives a step's earlier runs on one instance, newest first (the SQLite store
// implements it). Options.History may be nil.
type History interface {
	StepRuns(instance, job, stage, label string, limit int) ([]StepRun, error)
}
