package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/jenkins"
)

// Candidate is one build directory found below a source.
type Candidate struct {
	Dir string
	// Job is the job's full name (CONTRACT.md `job`).
	Job string
	// Number is the build number from the directory name; nil if not a number.
	Number *int
}

// key identifies the build within its instance: job and number, or the directory when the
// directory name is not a number.
func (c Candidate) key() string {
	if c.Number != nil {
		return c.Job + "#" + strconv.Itoa(*c.Number)
	}
	return "dir:" + c.Dir
}

// ScanOptions configures Scan.
type ScanOptions struct {
	// Instance names the controller the builds came from (required).
	Instance string
	// URL is the controller's base URL, from which links are made; without it a link is the
	// build directory's path.
	URL string
	// Read reads one build directory (jenkins.ReadBuild). Read or ReadContext is required.
	Read func(dir string) (*jenkins.Build, error)
	// ReadContext, when set, is used instead of Read: it is given the whole candidate and a
	// context that ends when the scan stops, as jenkins.Source.Read needs (the CLI reads
	// directories and URLs alike through it).
	ReadContext func(ctx context.Context, c Candidate) (*jenkins.Build, error)
	// Explain, when set, describes a failed or aborted shell step from its own log: the line
	// that tells why it failed (stored as the failure's message, so failures group by what went
	// wrong rather than by "script returned exit code 1") with its class and cause. It runs in
	// the parallel read phase and should read only the end of the step's log.
	Explain func(b *jenkins.Build, s *jenkins.Step) Explanation
	// Classify, when set, gives the class and cause of a failure's text; they are stored with
	// the failure and shown by `cidiff history`.
	Classify func(text string) (class, cause string)
	// Workers is the number of builds read at once (default runtime.NumCPU()).
	Workers int
	// Progress, when set, is called after each candidate is handled, from one goroutine.
	Progress func(done, total int)
}

// Explanation is what ScanOptions.Explain found about one failed step. Empty fields fall back
// to the step's error text and Classify.
type Explanation struct {
	Message, Class, Cause string
}

// ScanResult is what Scan did (CONTRACT.md, `cidiff scan`).
type ScanResult struct {
	Instance        string      `json:"instance"`
	BuildsSeen      int         `json:"builds_seen"`
	BuildsNew       int         `json:"builds_new"`
	BuildsUpdated   int         `json:"builds_updated"`
	BuildsUnchanged int         `json:"builds_unchanged"`
	Errors          []ScanError `json:"errors"`
}

// ScanError is a build directory that could not be read or recorded.
type ScanError struct {
	Dir   string `json:"dir"`
	Error string `json:"error"`
}

// stored is what the database knows of a build before a scan.
type stored struct {
	fingerprint string
	completed   bool
}

// readResult is one candidate after the read phase.
type readResult struct {
	cand        Candidate
	fingerprint string
	skipped     bool // stored, completed and unchanged: not read
	build       *jenkins.Build
	err         error
	// explained holds ScanOptions.Explain's answers, by step id.
	explained map[string]Explanation
}

// Scan records the candidates' builds under opts.Instance.
//
// A build already stored as completed whose fingerprint (see fingerprint) has not changed is
// counted unchanged without being read. Every other candidate is read (in parallel, by
// opts.Workers goroutines) and written by a single goroutine, one transaction per build: a new
// build is inserted, a changed one has all its rows replaced (its id is kept), and a build whose
// rows would come out the same (a running build that has not moved, a touched file) is counted
// unchanged. A build that cannot be read is reported in ScanResult.Errors, keeps whatever rows it
// had, and is read again by the next scan.
//
// When ctx is cancelled Scan stops after the build being written, leaving every build either
// fully recorded or untouched, and returns the result so far with ctx's error. A later scan
// picks up the rest.
func (db *DB) Scan(ctx context.Context, cands []Candidate, opts ScanOptions) (*ScanResult, error) {
	if opts.Instance == "" {
		return nil, errors.New("scan: an instance name is required")
	}
	if opts.Read == nil && opts.ReadContext == nil {
		return nil, errors.New("scan: no build reader")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	res := &ScanResult{Instance: opts.Instance, Errors: []ScanError{}}

	// One candidate per build: a source may list a build twice (a symlinked job, two paths).
	seen := make(map[string]bool, len(cands))
	uniq := cands[:0:0]
	for _, c := range cands {
		if k := c.key(); !seen[k] {
			seen[k] = true
			uniq = append(uniq, c)
		}
	}
	res.BuildsSeen = len(uniq)

	instanceID, err := db.ensureInstance(ctx, opts.Instance, opts.URL)
	if err != nil {
		return res, fmt.Errorf("scan: %w", err)
	}
	known, err := db.storedBuilds(ctx, instanceID)
	if err != nil {
		return res, fmt.Errorf("scan: %w", err)
	}

	// The workers stop when the caller cancels or Scan returns.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobsCh := make(chan Candidate)
	results := make(chan readResult, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobsCh {
				r := readOne(ctx, c, known, opts)
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobsCh)
		for _, c := range uniq {
			select {
			case jobsCh <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	w := writer{db: db, instanceID: instanceID, opts: opts}
	done := 0
	for r := range results {
		if ctx.Err() != nil {
			continue // drain: the workers stop on ctx.Done
		}
		switch {
		case r.skipped:
			res.BuildsUnchanged++
		case r.err != nil:
			msg := r.err.Error()
			if err := w.recordError(ctx, r.cand.Dir, r.err); err != nil && ctx.Err() == nil {
				msg += " (and recording this error failed: " + err.Error() + ")"
			}
			res.Errors = append(res.Errors, ScanError{Dir: r.cand.Dir, Error: msg})
		default:
			outcome, err := w.write(ctx, r)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				// A build whose rows the database refuses is that build's problem, not the scan's.
				res.Errors = append(res.Errors, ScanError{Dir: r.cand.Dir, Error: "recording: " + err.Error()})
				continue
			}
			switch outcome {
			case outcomeNew:
				res.BuildsNew++
			case outcomeUpdated:
				res.BuildsUpdated++
			default:
				res.BuildsUnchanged++
			}
		}
		if ctx.Err() != nil {
			continue
		}
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(uniq))
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

func readOne(ctx context.Context, c Candidate, known map[string]stored, opts ScanOptions) readResult {
	// The base URL is part of the fingerprint: links are made from it, so a scan with another
	// --url rewrites every build's links.
	r := readResult{cand: c, fingerprint: candidateFingerprint(c.Dir) + "url=" + opts.URL}
	if s, ok := known[c.key()]; ok && s.completed && s.fingerprint == r.fingerprint {
		r.skipped = true
		return r
	}
	read := func() (*jenkins.Build, error) { return opts.Read(c.Dir) }
	if opts.ReadContext != nil {
		read = func() (*jenkins.Build, error) { return opts.ReadContext(ctx, c) }
	}
	b, err := safeRead(read)
	if err == nil && b == nil {
		err = errors.New("reader returned no build")
	}
	r.build, r.err = b, err
	if err == nil && len(b.Problems) > 0 && r.fingerprint == remoteFingerprint+"url="+opts.URL {
		// Read over REST with a part missing (a test report the controller failed to send):
		// not skipped next time, unlike a whole completed build.
		r.fingerprint = remotePartialFingerprint + "url=" + opts.URL
	}
	if err == nil && opts.Explain != nil {
		for i := range b.Steps {
			st := &b.Steps[i]
			if st.Status != jenkins.StatusFailure && st.Status != jenkins.StatusAborted {
				continue
			}
			if ctx.Err() != nil {
				break // the scan stopped: this build is not written, and a remote log costs a request
			}
			if r.explained == nil {
				r.explained = map[string]Explanation{}
			}
			r.explained[st.ID] = opts.Explain(b, st)
		}
	}
	return r
}

// safeRead turns a reader's panic into that build's error: one bad build never stops a scan.
func safeRead(read func() (*jenkins.Build, error)) (b *jenkins.Build, err error) {
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("reader panicked: %v", p)
		}
	}()
	return read()
}

// remoteFingerprint is the fingerprint of every build read over REST (its Dir is a URL). There
// is nothing to stat, and nothing needs to be: a completed build never changes on the
// controller, so a stored completed build is skipped without a request, and a stored running
// build (completed=false) is read again whatever its fingerprint, until it completes.
//
// A build read over REST with problems (a part the controller did not send, such as a test
// report answered with an error, or steps an API could not list) is stored with
// remotePartialFingerprint instead, which never matches: it is read again on every scan, so that
// a passing failure of the controller does not leave a hole in the history for good.
const (
	remoteFingerprint        = "remote;"
	remotePartialFingerprint = "remote;partial;"
)

// candidateFingerprint is fingerprint for a build directory, remoteFingerprint for a URL.
func candidateFingerprint(dir string) string {
	if jenkins.IsURLSource(dir) {
		return remoteFingerprint
	}
	return fingerprint(dir)
}

// fingerprint is a cheap stat of what a Jenkins build directory changes while the build runs
// and when it finishes, taken before the build is read:
//
//   - build.xml size and mtime (rewritten at start, at the end, and when its actions change);
//   - the mtime of the build directory itself (entries added or renamed: junitResult.xml,
//     workflow → workflow-completed, atomic rewrites of build.xml);
//   - the mtimes of the flow-node directories workflow/ and workflow-completed/ (a node file
//     added, or flowNodeStore.xml atomically replaced);
//   - junitResult.xml size and mtime.
//
// Nothing is parsed. A file that is missing is written as "-", so its appearance changes the
// fingerprint. Because it is taken before the read, a build that changes while being read is
// read again next time.
func fingerprint(dir string) string {
	var b strings.Builder
	stat := func(name string, withSize bool) {
		b.WriteString(name)
		b.WriteByte('=')
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				b.WriteString("-")
			} else {
				b.WriteString("?")
			}
			b.WriteByte(';')
			return
		}
		if withSize {
			b.WriteString(strconv.FormatInt(st.Size(), 10))
			b.WriteByte(':')
		}
		b.WriteString(strconv.FormatInt(st.ModTime().UnixNano(), 10))
		b.WriteByte(';')
	}
	stat("build.xml", true)
	stat(".", false)
	stat("workflow", false)
	stat("workflow-completed", false)
	stat("junitResult.xml", true)
	return b.String()
}

// contentHash hashes everything a build's rows are made of, so that a build read again but not
// changed is not rewritten.
func contentHash(c Candidate, b *jenkins.Build, baseURL string) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	// Encoding a jenkins.Build cannot fail: plain data, no channels or funcs.
	_ = enc.Encode(c)
	_ = enc.Encode(baseURL)
	_ = enc.Encode(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (db *DB) ensureInstance(ctx context.Context, name, baseURL string) (int64, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	var oldURL string
	err = tx.QueryRowContext(ctx, `SELECT id, url FROM instances WHERE name = ?`, name).Scan(&id, &oldURL)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		r, err := tx.ExecContext(ctx, `INSERT INTO instances (name, url) VALUES (?, ?)`, name, baseURL)
		if err != nil {
			return 0, err
		}
		if id, err = r.LastInsertId(); err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	case oldURL != baseURL && baseURL != "":
		if _, err := tx.ExecContext(ctx, `UPDATE instances SET url = ? WHERE id = ?`, baseURL, id); err != nil {
			return 0, err
		}
	}
	return id, tx.Commit()
}

func (db *DB) storedBuilds(ctx context.Context, instanceID int64) (map[string]stored, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT build_key, fingerprint, completed FROM builds WHERE instance_id = ?`, instanceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]stored{}
	for rows.Next() {
		var k string
		var s stored
		if err := rows.Scan(&k, &s.fingerprint, &s.completed); err != nil {
			return nil, err
		}
		m[k] = s
	}
	return m, rows.Err()
}

type outcome int

const (
	outcomeUnchanged outcome = iota
	outcomeNew
	outcomeUpdated
)

// writer records builds; Scan uses one, from one goroutine.
type writer struct {
	db         *DB
	instanceID int64
	opts       ScanOptions
}

func (w *writer) recordError(ctx context.Context, dir string, readErr error) error {
	_, err := w.db.db.ExecContext(ctx, `INSERT INTO scan_errors (instance_id, dir, error, seen_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (instance_id, dir) DO UPDATE SET error = excluded.error, seen_at = excluded.seen_at`,
		w.instanceID, dir, readErr.Error(), formatTime(w.db.Now()))
	return err
}

// write records one read build in one transaction. The stored row is looked up again inside the
// transaction: another process may have recorded the build since the scan began.
func (w *writer) write(ctx context.Context, r readResult) (outcome, error) {
	b := r.build
	hash := contentHash(r.cand, b, w.opts.URL)
	tx, err := w.db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()

	var (
		buildID  int64
		oldFP    string
		oldHash  string
		existing = true
	)
	err = tx.QueryRowContext(ctx, `SELECT id, fingerprint, content_hash FROM builds WHERE instance_id = ? AND build_key = ?`,
		w.instanceID, r.cand.key()).Scan(&buildID, &oldFP, &oldHash)
	if errors.Is(err, sql.ErrNoRows) {
		existing = false
	} else if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM scan_errors WHERE instance_id = ? AND dir = ?`, w.instanceID, r.cand.Dir); err != nil {
		return 0, err
	}
	if existing && oldHash == hash {
		if oldFP != r.fingerprint {
			// Same rows, newer stat: remember it so the next scan skips the read.
			if _, err := tx.ExecContext(ctx, `UPDATE builds SET fingerprint = ? WHERE id = ?`, r.fingerprint, buildID); err != nil {
				return 0, err
			}
		}
		return outcomeUnchanged, tx.Commit()
	}

	jobID, err := w.jobID(ctx, tx, r.cand.Job)
	if err != nil {
		return 0, err
	}
	link := buildLink(w.opts.URL, r.cand.Job, r.cand.Number, r.cand.Dir)
	var pr jenkins.PullRequest
	var prNumber any
	if b.PR != nil {
		pr = *b.PR
		prNumber = pr.Number
	}
	var result any
	if b.Result != "" {
		result = string(b.Result)
	}
	cols := []any{
		w.instanceID, jobID, r.cand.key(), nullInt(r.cand.Number), r.cand.Dir, result, b.Completed,
		nullTime(b.Start), b.Duration.Milliseconds(), nullEmpty(b.Revision), nullEmpty(b.Branch), nullEmpty(b.Remote),
		prNumber, nullEmpty(pr.Head), nullEmpty(pr.Base), nullEmpty(pr.Merge), nullEmpty(pr.Target),
		string(b.Layout), strings.Join(b.Problems, "\n"), r.fingerprint, hash, link, formatTime(w.db.Now()),
	}
	out := outcomeNew
	if existing {
		out = outcomeUpdated
		for _, t := range []string{"failures", "steps", "test_cases", "parameters", "causes"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE build_id = ?`, buildID); err != nil {
				return 0, err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE builds SET instance_id = ?, job_id = ?, build_key = ?, number = ?, dir = ?,
			result = ?, completed = ?, start = ?, duration_ms = ?, revision = ?, branch = ?, remote = ?,
			pr_number = ?, pr_head = ?, pr_base = ?, pr_merge = ?, pr_target = ?, layout = ?, problems = ?,
			fingerprint = ?, content_hash = ?, link = ?, scanned_at = ? WHERE id = ?`, append(cols, buildID)...)
	} else {
		var res sql.Result
		res, err = tx.ExecContext(ctx, `INSERT INTO builds (instance_id, job_id, build_key, number, dir,
			result, completed, start, duration_ms, revision, branch, remote,
			pr_number, pr_head, pr_base, pr_merge, pr_target, layout, problems,
			fingerprint, content_hash, link, scanned_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, cols...)
		if err == nil {
			buildID, err = res.LastInsertId()
		}
	}
	if err != nil {
		return 0, err
	}
	if err := w.writeChildren(ctx, tx, buildID, link, b, r.explained); err != nil {
		return 0, err
	}
	return out, tx.Commit()
}

func (w *writer) jobID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (instance_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING`, w.instanceID, name); err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE instance_id = ? AND name = ?`, w.instanceID, name).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

func (w *writer) writeChildren(ctx context.Context, tx *sql.Tx, buildID int64, buildLink string, b *jenkins.Build, explained map[string]Explanation) error {
	for _, p := range b.Parameters {
		v := p.Value
		if p.Sensitive {
			v = ""
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO parameters (build_id, name, value, sensitive) VALUES (?, ?, ?, ?)`,
			buildID, p.Name, v, p.Sensitive); err != nil {
			return err
		}
	}
	for _, c := range b.Causes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO causes (build_id, kind, description, original_number) VALUES (?, ?, ?, ?)`,
			buildID, c.Kind, c.Description, nullInt(c.OriginalNumber)); err != nil {
			return err
		}
	}

	insStep, err := tx.PrepareContext(ctx, `INSERT INTO steps (build_id, node_id, ordinal, kind, stage, label, identity_key,
		script_hash, status, exit_code, error, error_class, node, workspace, context, start, duration_ms, link, image)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insStep.Close()
	occurrence := map[[2]string]int{}
	stageNode := map[string]*string{} // last known agent per stage path, for test cases
	for i, s := range b.Steps {
		stage := s.StagePath()
		k := [2]string{stage, s.Label}
		occurrence[k]++
		identity := stage + "\x1f" + s.Label + "\x1f" + strconv.Itoa(occurrence[k])
		if s.Node != nil {
			stageNode[stage] = s.Node
		}
		res, err := insStep.ExecContext(ctx, buildID, s.ID, i, s.Kind, stage, s.Label, identity,
			scriptHash(s.Script), string(s.Status), nullInt(s.ExitCode), s.Error, s.ErrorClass, nullString(s.Node),
			s.Workspace, blockContext(s.Context), nullTime(s.Start), s.Duration.Milliseconds(), stepLink(w.opts.URL, buildLink, s.ID),
			nullString(imageOf(s.Script)))
		if err != nil {
			return fmt.Errorf("step %s: %w", s.ID, err)
		}
		if s.Status == jenkins.StatusFailure || s.Status == jenkins.StatusAborted {
			stepID, err := res.LastInsertId()
			if err != nil {
				return err
			}
			msg := s.Error
			if msg == "" {
				msg = string(s.Status)
			}
			if err := w.insertFailure(ctx, tx, buildID, "step_id", stepID, msg, explained[s.ID]); err != nil {
				return err
			}
		}
	}

	insTest, err := tx.PrepareContext(ctx, `INSERT INTO test_cases (build_id, suite, class_name, name, full_name, status,
		duration_ms, error_details, stage, node, flow_node_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insTest.Close()
	for _, t := range b.Tests {
		stage := strings.Join(t.Stage, "/")
		res, err := insTest.ExecContext(ctx, buildID, t.Suite, t.ClassName, t.Name, testFullName(t.ClassName, t.Name),
			string(t.Status), t.Duration.Milliseconds(), t.ErrorDetails, stage, nullString(stageNode[stage]), t.NodeID)
		if err != nil {
			return fmt.Errorf("test %s: %w", testFullName(t.ClassName, t.Name), err)
		}
		if t.Status == jenkins.TestFailed {
			testID, err := res.LastInsertId()
			if err != nil {
				return err
			}
			msg := t.ErrorDetails
			if msg == "" {
				msg = firstLine(t.ErrorStackTrace)
			}
			if err := w.insertFailure(ctx, tx, buildID, "test_id", testID, msg, Explanation{}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) insertFailure(ctx context.Context, tx *sql.Tx, buildID int64, col string, id int64, msg string, ex Explanation) error {
	if ex.Message != "" {
		msg = ex.Message
	}
	norm := NormaliseMessage(msg)
	group := groupOf(norm)
	if err := upsertGroup(ctx, tx, group, norm, msg); err != nil {
		return err
	}
	var class, cause any
	switch {
	case ex.Class != "":
		class, cause = nullEmpty(ex.Class), nullEmpty(ex.Cause)
	case w.opts.Classify != nil:
		cl, ca := w.opts.Classify(msg)
		class, cause = nullEmpty(cl), nullEmpty(ca)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO failures (build_id, `+col+`, message, normalised, group_id, class, cause)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, buildID, id, msg, norm, group, class, cause)
	return err
}

func testFullName(class, name string) string {
	if class == "" {
		return name
	}
	return class + "." + name
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func scriptHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return hex.EncodeToString(sum[:8])
}

func blockContext(bs []jenkins.Block) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		p := string(b.Kind)
		if b.Attempt > 0 {
			p += "#" + strconv.Itoa(b.Attempt)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}

// buildLink is the build's page on the controller, or its directory without a base URL. Job
// names are split on "/" into /job/ segments, each path-escaped (a "%2F" inside a name becomes
// "%252F", as Jenkins writes it).
func buildLink(baseURL, job string, number *int, dir string) string {
	if baseURL == "" {
		return dir
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(baseURL, "/"))
	if job != "" {
		for _, seg := range strings.Split(job, "/") {
			b.WriteString("/job/")
			b.WriteString(url.PathEscape(seg))
		}
	}
	b.WriteByte('/')
	if number != nil {
		b.WriteString(strconv.Itoa(*number))
	} else {
		b.WriteString(url.PathEscape(filepath.Base(dir)))
	}
	b.WriteByte('/')
	return b.String()
}

// stepLink is the step's log on the controller, or the build's link without a base URL.
func stepLink(baseURL, buildLink, nodeID string) string {
	if baseURL == "" || nodeID == "" {
		return buildLink
	}
	return buildLink + "execution/node/" + url.PathEscape(nodeID) + "/log"
}

// imageOf is the docker image a step's script runs (TVM's docker/bash.sh IMAGE …), or nil.
func imageOf(script string) *string {
	if img := analyzer.ScriptImage(script); img != "" {
		return &img
	}
	return nil
}
