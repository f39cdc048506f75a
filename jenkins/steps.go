package jenkins

import (
	"regexp"
	"strconv"
	"time"
)

// Shell-step outcomes (JENKINS_FORMATS.md §7).

// shellKinds maps the step class (simple name of descriptorId) to the Pipeline step name.
var shellKinds = map[string]string{
	"ShellStep":                "sh",
	"BatchScriptStep":          "bat",
	"PowershellScriptStep":     "powershell",
	"PowerShellCoreScriptStep": "pwsh",
}

// exitCodeMessage is DurableTaskStep's message for a non-zero exit.
var exitCodeMessage = regexp.MustCompile(`^script returned exit code (-?\d+)$`)

// flowFacts is what the step verdicts need to know about the run as a whole.
type flowFacts struct {
	// finished: the build or its flow completed, so a step without an error ended normally.
	finished bool
	// end is the build's end time, for the duration of a last step; zero if unknown.
	end time.Time
}

// shellSteps lists the shell steps of g in id order with their outcome and context. What
// the steps hold by reference (stage paths, contexts, agent names, ids) is carved out of one
// backing array each, every step's slice capped at its own elements: appending to one step's
// slice never writes into another's.
func shellSteps(g *graph, facts flowFacts) []Step {
	var at []int32   // positions of the shell steps
	var idEnd []int  // end of each step's id in idBuf
	var idBuf []byte // the steps' ids in decimal, one after the other
	for i, f := range g.flags {
		if f&(fShell|fAtom) == fShell|fAtom {
			at = append(at, int32(i))
			idBuf = strconv.AppendInt(idBuf, int64(g.nodes[i].id), 10)
			idEnd = append(idEnd, len(idBuf))
		}
	}
	if len(at) == 0 {
		return nil
	}
	idStr := string(idBuf)
	out := make([]Step, 0, len(at))
	stages := make([]string, 0, 3*len(at))
	var blocks []Block
	agents := make([]string, len(at))
	for k, x := range at {
		n := g.nodes[x]
		idStart := 0
		if k > 0 {
			idStart = idEnd[k-1]
		}
		st := Step{
			ID:           idStr[idStart:idEnd[k]],
			Kind:         shellKinds[javaSimpleName(n.desc)],
			Script:       n.arg("script"),
			Label:        n.arg("label"),
			ReturnStatus: n.arg("returnStatus") == "true",
		}
		before := len(stages)
		stages = g.appendStagePath(stages, x)
		if len(stages) > before {
			st.Stage = stages[before:len(stages):len(stages)]
		}
		before = len(blocks)
		blocks = g.appendContext(blocks, x)
		if len(blocks) > before {
			st.Context = blocks[before:len(blocks):len(blocks)]
		}
		if st.Label == "" && n.hasLabel {
			st.Label = n.label
		}
		if ws, ok := g.agent(x); ok {
			agents[k] = ws.node
			st.Node = &agents[k]
			st.Workspace = ws.path
		}
		if n.startTime > 0 {
			st.Start = time.UnixMilli(n.startTime).UTC()
			if c := g.firstChild[x]; c >= 0 && g.nodes[c].startTime >= n.startTime {
				st.Duration = time.Duration(g.nodes[c].startTime-n.startTime) * time.Millisecond
			} else if c < 0 && !facts.end.IsZero() && facts.end.After(st.Start) {
				st.Duration = facts.end.Sub(st.Start)
			}
		}
		verdict(&st, n, facts.finished || g.firstChild[x] >= 0)
		out = append(out, st)
	}
	return out
}

// verdict applies the §7 decision table to one shell-step node.
func verdict(st *Step, n *flowNode, ended bool) {
	e := n.err
	switch {
	case n.notExecuted:
		st.Status = StatusNotExecuted
	case e != nil && javaSimpleName(e.class) == "FlowInterruptedException":
		st.Status = StatusAborted
		st.ErrorClass = e.class
		st.Error = e.class
		if why := interruption(e); why != "" {
			st.Error += ": " + why
		}
	case e != nil:
		st.Status = StatusFailure
		st.ErrorClass = e.class
		st.Error, st.ExitCode = failure(e.class, e.message)
	case ended:
		st.Status = StatusSuccess
	default:
		st.Status = StatusUnknown
	}
}

// failure is the contract's `error` and `exit_code` of a step that failed with an exception of
// class with message: DurableTaskStep's "script returned exit code N" and N, else the Java form.
func failure(class, message string) (text string, exit *int) {
	if m := exitCodeMessage.FindStringSubmatch(message); m != nil && javaSimpleName(class) == "AbortException" {
		if code, err := strconv.Atoi(m[1]); err == nil {
			exit = &code
		}
		return message, exit
	}
	if message != "" {
		return class + ": " + message, nil
	}
	return class, nil
}

// interruption says why a FlowInterruptedException stopped a step, from its causes.
func interruption(e *nodeError) string {
	for _, c := range e.causes {
		switch c.kind {
		case "UserInterruption":
			if c.user != "" {
				return "aborted by user " + c.user
			}
			return "aborted by user"
		case "ExceededTimeout":
			return "timeout exceeded"
		case "RemovedNodeCause":
			return "agent removed"
		case "RemovedNodeTimeoutCause":
			return "agent lost (timed out waiting for it to come back)"
		case "QueueTaskCancelled":
			return "executor request cancelled"
		case "FailFastCause":
			if c.branch != "" {
				return "fail-fast: parallel branch " + c.branch + " failed"
			}
			return "fail-fast: another parallel branch failed"
		case "BodyFailed":
			return "body failed"
		}
	}
	if e.message != "" {
		return e.message
	}
	if len(e.causes) > 0 {
		return e.causes[0].kind
	}
	return ""
}
