package analyzer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cidiff/cidiff/jenkins"
)

// pairing is a production and a staging build of one key, with the older builds of the key.
type pairing struct {
	key, job, revision string
	prod, staging      *jenkins.Build
	olderProd          []*jenkins.Build
	olderStaging       []*jenkins.Build
}

// jobMapping is one --job-map entry, PROD=STAGING.
type jobMapping struct {
	raw     string
	prod    *regexp.Regexp
	staging string
	// parts is STAGING split at its '*': the captures of PROD's wildcards go between them.
	parts []string
}

// parseJobMap compiles "PROD=STAGING" entries. PROD is a glob (path.Match syntax: '*' and '?'
// stop at '/'); a '*' in STAGING is replaced by what the corresponding '*' of PROD matched, so
// "tvm/*=tvm-staging/*" maps tvm/PR-10 to tvm-staging/PR-10.
func parseJobMap(entries []string) ([]jobMapping, error) {
	var out []jobMapping
	for _, e := range entries {
		p, s, ok := strings.Cut(e, "=")
		p, s = strings.TrimSpace(p), strings.TrimSpace(s)
		if !ok || p == "" || s == "" {
			return nil, fmt.Errorf("job map %q: want PROD=STAGING", e)
		}
		re, stars, err := compileGlob(p, false, true)
		if err != nil {
			return nil, fmt.Errorf("job map %q: %w", e, err)
		}
		if strings.ContainsAny(s, "?[\\") {
			return nil, fmt.Errorf("job map %q: the staging side may use only '*'", e)
		}
		parts := strings.Split(s, "*")
		if n := len(parts) - 1; n != 0 && n != stars {
			return nil, fmt.Errorf("job map %q: staging side has %d '*', production side %d", e, n, stars)
		}
		out = append(out, jobMapping{raw: e, prod: re, staging: s, parts: parts})
	}
	return out, nil
}

// mapJob returns the staging name of a production job: the first entry that matches, else
// the job itself.
func mapJob(maps []jobMapping, job string) string {
	for _, m := range maps {
		sub := m.prod.FindStringSubmatch(job)
		if sub == nil {
			continue
		}
		if len(m.parts) == 1 {
			return m.staging
		}
		var b strings.Builder
		for i, p := range m.parts {
			b.WriteString(p)
			if i+1 < len(m.parts) {
				b.WriteString(sub[i+1])
			}
		}
		return b.String()
	}
	return job
}

// compileGlob turns a glob into an anchored regexp. Syntax is path.Match's ('*', '?', '[...]',
// '\\' escapes). With crossSlash, '*' and '?' also match '/' (stage paths and labels, where a
// user writing "Build*" means every branch below Build). With capture, each '*' and '?' is a
// capturing group; stars counts the '*'.
func compileGlob(pattern string, crossSlash, capture bool) (re *regexp.Regexp, stars int, err error) {
	any, one := `[^/]*`, `[^/]`
	if crossSlash {
		any, one = `.*`, `.`
	}
	if capture {
		any, one = "("+any+")", "("+one+")"
	}
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '*':
			// Consecutive stars are one star for matching, but each still counts for the map.
			b.WriteString(any)
			stars++
		case '?':
			b.WriteString(one)
		case '\\':
			if i+1 >= len(pattern) {
				return nil, 0, fmt.Errorf("bad pattern %q: trailing backslash", pattern)
			}
			i++
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		case '[':
			end, class, cerr := globClass(pattern, i, crossSlash)
			if cerr != nil {
				return nil, 0, cerr
			}
			b.WriteString(class)
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	b.WriteString(`$`)
	re, err = regexp.Compile(b.String())
	if err != nil {
		return nil, 0, fmt.Errorf("bad pattern %q: %v", pattern, err)
	}
	return re, stars, nil
}

// globClass translates the character class starting at pattern[start] == '['; it returns the
// index of the closing ']'.
func globClass(pattern string, start int, crossSlash bool) (end int, class string, err error) {
	var b strings.Builder
	b.WriteString("[")
	i := start + 1
	if i < len(pattern) && pattern[i] == '^' {
		b.WriteString("^")
		if !crossSlash {
			b.WriteString("/")
		}
		i++
	}
	n := 0
	for ; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == ']' && n > 0:
			b.WriteString("]")
			return i, b.String(), nil
		case c == '\\':
			if i+1 >= len(pattern) {
				return 0, "", fmt.Errorf("bad pattern %q: trailing backslash", pattern)
			}
			i++
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		case c == '-' && n > 0 && i+1 < len(pattern) && pattern[i+1] != ']':
			b.WriteString("-")
		case c == '[' || c == '^' || c == ']':
			b.WriteString(`\` + string(c))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
		n++
	}
	return 0, "", fmt.Errorf("bad pattern %q: unterminated '['", pattern)
}

// sideBuild is a build with the job name it pairs under.
type sideBuild struct {
	b   *jenkins.Build
	job string
}

// pairBuilds groups the builds of each side by key and pairs the newest completed build of
// each key. It returns the pairs sorted by key, the unpaired builds and how many builds the
// filters left out. It reads build-level fields only (job, number, result, start, revision,
// dir), so headers without steps (jenkins.ReadBuildHeader) pair as the full builds would.
func pairBuilds(prod, staging []*jenkins.Build, maps []jobMapping, jobs []*regexp.Regexp, since, until time.Time) ([]pairing, Unpaired, int) {
	unpaired := Unpaired{Prod: []UnpairedBuild{}, Staging: []UnpairedBuild{}}
	filtered := 0
	type sideIndex struct {
		byKey map[string][]*jenkins.Build
		jobs  map[string]bool
	}
	index := func(builds []*jenkins.Build, side Side, out *[]UnpairedBuild) sideIndex {
		idx := sideIndex{byKey: map[string][]*jenkins.Build{}, jobs: map[string]bool{}}
		for _, b := range builds {
			if b == nil {
				continue
			}
			job := b.Job
			if side == SideProd {
				job = mapJob(maps, b.Job)
			}
			if !keep(b, job, jobs, since, until) {
				filtered++
				continue
			}
			idx.jobs[job] = true
			switch {
			case !b.Completed || b.Result == "":
				*out = append(*out, unpairedBuild(b, "running: a build without a result never pairs"))
			case b.Revision == "":
				*out = append(*out, unpairedBuild(b, "no revision recorded: cannot tell what it built"))
			default:
				k := job + "@" + b.Revision
				idx.byKey[k] = append(idx.byKey[k], b)
			}
		}
		for _, bs := range idx.byKey {
			sort.SliceStable(bs, func(i, j int) bool { return newer(bs[i], bs[j]) })
		}
		return idx
	}
	p := index(prod, SideProd, &unpaired.Prod)
	s := index(staging, SideStaging, &unpaired.Staging)

	keys := map[string]bool{}
	for k := range p.byKey {
		keys[k] = true
	}
	for k := range s.byKey {
		keys[k] = true
	}
	// The key's parts, taken from a build rather than split at '@' (a job name may hold one).
	parts := func(k string) (job, rev string) {
		bs := s.byKey[k]
		if len(bs) > 0 {
			return bs[0].Job, bs[0].Revision
		}
		b := p.byKey[k][0]
		return mapJob(maps, b.Job), b.Revision
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)

	var pairs []pairing
	for _, k := range sorted {
		pb, sb := p.byKey[k], s.byKey[k]
		job, rev := parts(k)
		switch {
		case len(pb) > 0 && len(sb) > 0:
			pairs = append(pairs, pairing{key: k, job: job, revision: rev, prod: pb[0], staging: sb[0], olderProd: pb[1:], olderStaging: sb[1:]})
		case len(pb) > 0:
			reason := "job not on staging"
			if s.jobs[job] {
				reason = fmt.Sprintf("no staging build of %s at %s", job, short(rev))
			}
			for _, b := range pb {
				unpaired.Prod = append(unpaired.Prod, unpairedBuild(b, reason))
			}
		default:
			reason := "job not on prod"
			if p.jobs[job] {
				reason = fmt.Sprintf("no prod build of %s at %s", job, short(rev))
			}
			for _, b := range sb {
				unpaired.Staging = append(unpaired.Staging, unpairedBuild(b, reason))
			}
		}
	}
	sortUnpaired(unpaired.Prod)
	sortUnpaired(unpaired.Staging)
	return pairs, unpaired, filtered
}

// keep applies --job, --since and --until. A job glob may match the build's own name or its
// name after the job map. A build with no recorded start is left out when a time bound is set.
func keep(b *jenkins.Build, mapped string, jobs []*regexp.Regexp, since, until time.Time) bool {
	if len(jobs) > 0 {
		ok := false
		for _, re := range jobs {
			if re.MatchString(b.Job) || re.MatchString(mapped) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !since.IsZero() && (b.Start.IsZero() || b.Start.Before(since)) {
		return false
	}
	if !until.IsZero() && (b.Start.IsZero() || !b.Start.Before(until)) {
		return false
	}
	return true
}

// newer orders builds newest first: by start time, then number, then directory.
func newer(a, b *jenkins.Build) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.After(b.Start)
	}
	an, bn := -1, -1
	if a.Number != nil {
		an = *a.Number
	}
	if b.Number != nil {
		bn = *b.Number
	}
	if an != bn {
		return an > bn
	}
	return a.Dir < b.Dir
}

func unpairedBuild(b *jenkins.Build, reason string) UnpairedBuild {
	return UnpairedBuild{
		Job: b.Job, Number: b.Number, Revision: b.Revision, Result: resultPtr(b.Result),
		Dir: b.Dir, Start: rfc3339(b.Start), Reason: reason,
	}
}

func sortUnpaired(u []UnpairedBuild) {
	sort.SliceStable(u, func(i, j int) bool {
		if u[i].Job != u[j].Job {
			return u[i].Job < u[j].Job
		}
		ni, nj := -1, -1
		if u[i].Number != nil {
			ni = *u[i].Number
		}
		if u[j].Number != nil {
			nj = *u[j].Number
		}
		if ni != nj {
			return ni < nj
		}
		return u[i].Dir < u[j].Dir
	})
}

func resultPtr(r jenkins.Result) *jenkins.Result {
	if r == "" {
		return nil
	}
	return &r
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// short abbreviates a commit hash the way git does.
func short(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}
