package analyzer

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cidiff/cidiff/jenkins"
)

// Environment is what one build recorded about what it tested: the merge target of a pull
// request, the docker images the pipeline chose, the upstream revision it merged, its
// parameters. Only the steps that print this metadata are read ("Docker image names",
// "Determine upstream revision"), never the whole console.
type Environment struct {
	// Base and Target are the PR's target-branch commit and name (baseHash, target branch).
	Base, Target string
	// Upstream is the output of TVM's "Determine upstream revision" step.
	Upstream string
	// Images maps the pipeline's image variables (ci_gpu) to the image they named, from the
	// output of TVM's "Docker image names" step.
	Images map[string]string
	// Params holds the non-sensitive build parameters; Sensitive the names of the others.
	Params    map[string]string
	Sensitive map[string]bool
	// Notes say what could not be read.
	Notes []string
}

// Labels of the TVM steps that print environment metadata (TVM_CI.md §1.5, §1.7).
const (
	labelImageNames = "docker image names"
	labelUpstream   = "determine upstream revision"
)

// readEnvironment collects a build's environment, reading the two metadata steps' logs.
func readEnvironment(b *jenkins.Build, steps []*logicalStep, logs LogReader, maxBytes int64) *Environment {
	env := &Environment{Images: map[string]string{}, Params: map[string]string{}, Sensitive: map[string]bool{}}
	if b.PR != nil {
		env.Base, env.Target = b.PR.Base, b.PR.Target
	}
	for _, p := range b.Parameters {
		if p.Sensitive {
			env.Sensitive[p.Name] = true
			continue
		}
		env.Params[p.Name] = p.Value
	}
	if logs == nil {
		return env
	}
	for _, ls := range steps {
		label := strings.ToLower(strings.TrimSpace(ls.step.Label))
		if label != labelImageNames && label != labelUpstream {
			continue
		}
		data, err := logs.StepLog(b, ls.step, maxBytes)
		data = tail(data, maxBytes)
		if err != nil {
			env.Notes = append(env.Notes, fmt.Sprintf("could not read the log of %q: %v", ls.step.Label, err))
			continue
		}
		if label == labelImageNames {
			for k, v := range parseImageNames(data) {
				env.Images[k] = v
			}
		} else if env.Upstream == "" {
			env.Upstream = parseUpstreamRevision(data)
		}
	}
	return env
}

var (
	// consoleNote is Jenkins' hidden annotation (ConsoleNote) embedded in console logs.
	consoleNote = regexp.MustCompile("\x1b\\[8mha:[^\x1b]*\x1b\\[0m")
	ansiEscape  = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
	// timestampPrefix is the timestamper plugin's "[2022-06-13T22:39:22.006Z] " or "11:49:34 ".
	timestampPrefix = regexp.MustCompile(`^(\[\d{4}-\d\d-\d\dT[0-9:.]+Z?\]\s?|\d\d:\d\d:\d\d(\.\d+)?\s+)`)
	imageAssign     = regexp.MustCompile(`^\s*(ci_[A-Za-z0-9_]+)\s*[=:]\s*(\S+)\s*$`)
	fullHash        = regexp.MustCompile(`^[0-9a-f]{40}$`)
	containerName   = regexp.MustCompile(`DOCKER CONTAINER NAME:\s*(\S+)`)
	dockerPull      = regexp.MustCompile(`docker\s+pull\s+(?:-\S+\s+)*(\S+)`)
	// imageRef is an image reference with a tag or digest (tlcpack/ci-gpu:v0.81).
	imageRef = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(?:[:/][a-z0-9][a-z0-9._-]*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]+)$`)
)

// logLines splits a log into lines without console notes, colour codes and timestamps.
func logLines(data []byte) []string {
	data = consoleNote.ReplaceAll(data, nil)
	data = ansiEscape.ReplaceAll(data, nil)
	raw := bytes.Split(data, []byte("\n"))
	out := make([]string, 0, len(raw))
	for _, l := range raw {
		s := strings.TrimRight(string(l), "\r")
		out = append(out, timestampPrefix.ReplaceAllString(s, ""))
	}
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// parseImageNames reads the output of TVM's "Docker image names" step: " ci_gpu = image" lines
// (the shell's own "+ echo ..." trace lines are skipped).
func parseImageNames(data []byte) map[string]string {
	m := map[string]string{}
	for _, l := range logLines(data) {
		if strings.HasPrefix(strings.TrimSpace(l), "+") {
			continue
		}
		if sub := imageAssign.FindStringSubmatch(l); sub != nil {
			m[sub[1]] = sub[2]
		}
	}
	return m
}

// parseUpstreamRevision reads the commit printed by "Determine upstream revision".
func parseUpstreamRevision(data []byte) string {
	for _, l := range logLines(data) {
		l = strings.TrimSpace(l)
		if fullHash.MatchString(l) {
			return l
		}
	}
	return ""
}

// stepImage names the docker image a step ran in: from its script (docker/bash.sh IMAGE ...),
// else from its log (docker/bash.sh's "DOCKER CONTAINER NAME: IMAGE" line, or "docker pull").
func stepImage(script string, log []byte) string {
	if img := ScriptImage(script); img != "" {
		return img
	}
	lines := logLines(log)
	for _, l := range lines {
		if sub := containerName.FindStringSubmatch(l); sub != nil {
			return sub[1]
		}
	}
	for _, l := range lines {
		if sub := dockerPull.FindStringSubmatch(l); sub != nil && imageRef.MatchString(sub[1]) {
			return sub[1]
		}
	}
	return ""
}

// ScriptImage finds the image argument of docker/bash.sh in a script: the first of the next
// few words that is an image reference with a tag (flags such as --env NAME come first). It
// returns "" for a step that runs on the host.
func ScriptImage(script string) string {
	words := strings.Fields(script)
	for i, w := range words {
		if !strings.HasSuffix(w, "docker/bash.sh") {
			continue
		}
		for _, a := range words[i+1 : min(len(words), i+16)] {
			if imageRef.MatchString(a) {
				return a
			}
		}
	}
	return ""
}

// envFinding is what comparing two environments found for one difference.
type envFinding struct {
	// cause is empty when both builds tested the same thing as far as was recorded.
	cause    string
	reason   string
	evidence []string
	// checked says what was compared and found equal or unrecorded, for an unknown reason.
	checked []string
}

// compareEnvironment compares what the two builds of a pair tested, as far as it concerns a
// step that ran in images stagingImage and prodImage ("" when unknown); with forStep false it
// concerns the whole build, and any difference in the pipeline's image table counts.
func compareEnvironment(staging, prod *Environment, stagingImage, prodImage string, forStep bool) envFinding {
	var f envFinding
	add := func(cause, reason string, ev ...string) {
		if f.cause == "" {
			f.cause, f.reason = cause, reason
		}
		f.evidence = append(f.evidence, ev...)
	}
	switch {
	case staging.Base != "" && prod.Base != "" && !sameCommit(staging.Base, prod.Base):
		add("merge_target_differs", fmt.Sprintf("staging merged base %s, prod %s", short(staging.Base), short(prod.Base)),
			"staging PR base "+staging.Base, "prod PR base "+prod.Base)
	case staging.Base != "" && prod.Base != "":
		f.checked = append(f.checked, "same base "+short(staging.Base))
	case staging.Base != "" || prod.Base != "" || staging.Target != "" || prod.Target != "":
		f.checked = append(f.checked, "base recorded on one side only")
	}
	if staging.Target != "" && prod.Target != "" && staging.Target != prod.Target {
		add("merge_target_differs", fmt.Sprintf("staging merged into %s, prod into %s", staging.Target, prod.Target),
			"staging PR target "+staging.Target, "prod PR target "+prod.Target)
	}
	if staging.Upstream != "" && prod.Upstream != "" {
		if !sameCommit(staging.Upstream, prod.Upstream) {
			add("merge_target_differs", fmt.Sprintf("staging merged upstream %s, prod %s", short(staging.Upstream), short(prod.Upstream)),
				"staging upstream revision "+staging.Upstream, "prod upstream revision "+prod.Upstream)
		} else {
			f.checked = append(f.checked, "same upstream "+short(staging.Upstream))
		}
	}

	switch {
	case !forStep:
		for _, k := range sortedKeys(staging.Images) {
			if pv, ok := prod.Images[k]; ok && pv != staging.Images[k] {
				add("docker_image_differs", fmt.Sprintf("staging chose %s = %s, prod %s", k, staging.Images[k], pv),
					fmt.Sprintf("staging %s = %s", k, staging.Images[k]), fmt.Sprintf("prod %s = %s", k, pv))
			}
		}
	case stagingImage != "" && prodImage != "" && stagingImage != prodImage:
		add("docker_image_differs", fmt.Sprintf("staging ran image %s, prod %s", stagingImage, prodImage),
			"staging image "+stagingImage, "prod image "+prodImage)
	case stagingImage != "" && prodImage != "":
		f.checked = append(f.checked, "same image "+stagingImage)
	default:
		// The step's own image is unknown on one side: the pipeline's image table decides for
		// the variable that names the known image.
		known := stagingImage
		if known == "" {
			known = prodImage
		}
		var differing []string
		for _, k := range sortedKeys(staging.Images) {
			if pv, ok := prod.Images[k]; ok && pv != staging.Images[k] && (staging.Images[k] == known || pv == known) {
				add("docker_image_differs", fmt.Sprintf("staging chose %s = %s, prod %s", k, staging.Images[k], pv),
					fmt.Sprintf("staging %s = %s", k, staging.Images[k]), fmt.Sprintf("prod %s = %s", k, pv))
			} else if ok && pv != staging.Images[k] {
				differing = append(differing, k)
			}
		}
		if f.cause != "docker_image_differs" {
			switch {
			case known == "" && len(differing) > 0:
				f.checked = append(f.checked, fmt.Sprintf("step image not recorded (the builds chose different %s)", strings.Join(differing, ", ")))
			case known == "":
				f.checked = append(f.checked, "step image not recorded")
			default:
				f.checked = append(f.checked, "image "+known+" on one side, not recorded on the other")
			}
		}
	}

	var params []string
	for _, k := range unionKeys(staging.Params, prod.Params) {
		sv, sok := staging.Params[k]
		pv, pok := prod.Params[k]
		if staging.Sensitive[k] || prod.Sensitive[k] {
			continue
		}
		secret := secretName(k)
		switch {
		case sok && pok && sv != pv && secret:
			params = append(params, fmt.Sprintf("parameter %s: the values differ (not shown: the name says it is a secret)", k))
		case sok && pok && sv != pv:
			params = append(params, fmt.Sprintf("parameter %s: staging %q, prod %q", k, sv, pv))
		case sok && !pok && secret:
			params = append(params, fmt.Sprintf("parameter %s: set on staging (value not shown), prod not set", k))
		case sok && !pok:
			params = append(params, fmt.Sprintf("parameter %s: staging %q, prod not set", k, sv))
		case pok && !sok && secret:
			params = append(params, fmt.Sprintf("parameter %s: set on prod (value not shown), staging not set", k))
		case pok && !sok:
			params = append(params, fmt.Sprintf("parameter %s: prod %q, staging not set", k, pv))
		}
	}
	if len(params) > 0 {
		add("parameters_differ", params[0], params...)
	} else if len(staging.Params)+len(prod.Params) > 0 {
		f.checked = append(f.checked, "same parameters")
	}
	return f
}

// secretWords are the parts of a parameter name that mark its value as a secret: a token
// passed as a plain string parameter is not masked by Jenkins, and the reports print reasons.
var secretWords = []string{"token", "secret", "passw", "apikey", "api_key", "api-key", "accesskey", "access_key",
	"access-key", "privatekey", "private_key", "private-key", "credential"}

// secretName reports whether a parameter's name says its value is a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// sameCommit compares two commit hashes, one of which may be abbreviated.
func sameCommit(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 7 && strings.HasPrefix(b, a) || a == b
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unionKeys(a, b map[string]string) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
