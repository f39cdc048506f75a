package jenkins

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// A ConsoleNote is Jenkins' inline annotation of log text (JENKINS_FORMATS.md §8.1):
// ESC[8m "ha:" base64 ESC[0m, immediately followed by the annotated text. Base64 never contains
// ESC, so notes cannot nest or overlap and a note is recognised from its first byte alone.
const (
	notePrefix = "\x1b[8mha:"
	noteSuffix = "\x1b[0m"
)

// maxNoteLen bounds how long a note may be. Real notes are a few hundred bytes (an HMAC plus a
// gzip'd serialised object); the bound keeps a stripping reader's memory finite when a log
// holds an unterminated "ESC[8mha:" followed by megabytes of base64-looking text. A longer
// candidate is kept as text, by the streaming and the whole-buffer strippers alike.
const maxNoteLen = 1 << 20

type noteMatch int

const (
	noteNo       noteMatch = iota // b does not start with a note
	noteYes                       // b starts with a note of the returned length
	noteNeedMore                  // b is a proper prefix of what might be a note; read more
)

// matchNote reports whether b starts with a complete ConsoleNote. atEOF says no byte follows b,
// so an incomplete candidate is text. The answer depends only on the bytes of the candidate,
// never on how the log was cut into reads: that is what keeps streaming equal to whole-buffer.
func matchNote(b []byte, atEOF bool) (noteMatch, int) {
	// Prefix.
	n := min(len(b), len(notePrefix))
	if string(b[:n]) != notePrefix[:n] {
		return noteNo, 0
	}
	if n < len(notePrefix) {
		return needMoreOrNo(atEOF), 0
	}
	// Base64 body.
	i := len(notePrefix)
	for i < len(b) && i < maxNoteLen && isBase64Byte(b[i]) {
		i++
	}
	if i >= maxNoteLen {
		return noteNo, 0
	}
	if i == len(b) {
		return needMoreOrNo(atEOF), 0
	}
	// Suffix.
	rest := b[i:]
	n = min(len(rest), len(noteSuffix))
	if string(rest[:n]) != noteSuffix[:n] {
		return noteNo, 0
	}
	if n < len(noteSuffix) {
		return needMoreOrNo(atEOF), 0
	}
	if i+len(noteSuffix) > maxNoteLen {
		return noteNo, 0
	}
	return noteYes, i + len(noteSuffix)
}

func needMoreOrNo(atEOF bool) noteMatch {
	if atEOF {
		return noteNo
	}
	return noteNeedMore
}

func isBase64Byte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// StripConsoleNotes returns b without its ConsoleNotes (ESC[8mha:…ESC[0m). Other escape
// sequences (ANSI colours) are kept. It returns b itself when b holds no note.
func StripConsoleNotes(b []byte) []byte {
	var out []byte // nil until the first note
	start := 0     // b[start:i] is text not yet copied to out
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], 0x1b)
		if j < 0 {
			break
		}
		i += j
		m, n := matchNote(b[i:], true)
		if m != noteYes {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[start:i]...)
		i += n
		start = i
	}
	if out == nil {
		return b
	}
	return append(out, b[start:]...)
}

// noteStripper is an io.Reader that removes ConsoleNotes from the stream it wraps. A note cut
// by a read boundary is held back until its end (or its failure to be a note) is known, so
// the output equals StripConsoleNotes over the whole stream.
type noteStripper struct {
	src  io.Reader
	buf  []byte // raw bytes read from src and not yet returned; buf[off:] is pending
	off  int
	scan int // buf[off:scan] is known text, ready to return
	eof  bool
	err  error // sticky error from src, returned once pending text is drained
}

// newNoteStripper wraps r. size is a hint of how many bytes r holds (0 if unknown): reads
// from r are of up to 32 KiB, less for short texts.
func newNoteStripper(r io.Reader, size int64) *noteStripper {
	n := int64(32 << 10)
	if size > 0 && size < n {
		n = max(size, 64)
	}
	return &noteStripper{src: r, buf: make([]byte, 0, n)}
}

func (s *noteStripper) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if s.scan > s.off {
			n := copy(p, s.buf[s.off:s.scan])
			s.off += n
			return n, nil
		}
		// Decide what buf[off:] starts with: text up to the next ESC, a note, or undecided.
		pending := s.buf[s.off:]
		if len(pending) > 0 {
			if pending[0] != 0x1b {
				j := bytes.IndexByte(pending, 0x1b)
				if j < 0 {
					j = len(pending)
				}
				s.scan = s.off + j
				continue
			}
			m, n := matchNote(pending, s.eof)
			switch m {
			case noteYes:
				s.off += n
				s.scan = s.off
				continue
			case noteNo:
				s.scan = s.off + 1 // the ESC is text
				continue
			}
			// noteNeedMore: fall through to read.
		}
		if s.eof {
			if s.err != nil && s.err != io.EOF {
				return 0, s.err
			}
			return 0, io.EOF
		}
		s.fill()
	}
}

// fill reads more of src into buf, compacting consumed bytes first.
func (s *noteStripper) fill() {
	if s.off > 0 {
		n := copy(s.buf, s.buf[s.off:])
		s.buf = s.buf[:n]
		s.scan -= s.off
		s.off = 0
	}
	if len(s.buf) == cap(s.buf) {
		grown := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(grown, s.buf)
		s.buf = grown
	}
	n, err := s.src.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.eof = true
		s.err = err
	}
}

// Log reads the text of single flow nodes from one build's console log without loading the
// whole log (JENKINS_FORMATS.md §8). Builds since JEP-210 (Aug 2018) keep one `log` plus a
// `log-index` that says which node wrote which byte range; older builds keep each node's text
// in `<buildDir>/<id>.log`. A Log is safe for concurrent use.
type Log struct {
	dir     string
	logPath string // the overall log; empty when an old build has only per-node files
	idxPath string
	f       *os.File // the overall log, open while indexed
	size    int64    // of the overall log, measured before the index was read
	indexed bool

	segs     map[string][]segment // node id → its byte ranges in log order
	bad      map[string]error     // nodes whose ranges the index does not tell reliably
	problems []string

	mu     sync.Mutex
	open   map[*os.File]struct{} // per-node files handed out by Step and not yet read to EOF
	closed bool
}

// segment is a byte range [start, end) of the overall log.
type segment struct{ start, end int64 }

// OpenLog prepares reading per-node log text of one build directory. With a `log-index` the
// index is parsed once, here; without one the build is taken to be from before JEP-210, whose
// nodes wrote `<id>.log` files. It fails, naming the file, when neither a log nor per-node
// logs exist (external log storage, a deleted log) or when the index exists but the log does not.
func OpenLog(buildDir string) (*Log, error) {
	l := &Log{
		dir:     buildDir,
		logPath: filepath.Join(buildDir, "log"),
		idxPath: filepath.Join(buildDir, "log-index"),
		open:    map[*os.File]struct{}{},
	}
	idx, err := os.Open(l.idxPath)
	switch {
	case err == nil:
		defer idx.Close()
		f, err := os.Open(l.logPath)
		if err != nil {
			return nil, fmt.Errorf("build log missing although %s exists: %w", l.idxPath, err)
		}
		// The size is taken before the index is read: a live build appends to both, and index
		// lines written after this moment describe bytes we have not measured.
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("build log: %w", err)
		}
		if !st.Mode().IsRegular() {
			f.Close()
			return nil, fmt.Errorf("build log %s: not a regular file", l.logPath)
		}
		l.f, l.size, l.indexed = f, st.Size(), true
		l.segs, l.bad, l.problems, err = parseLogIndex(bufio.NewReader(idx), l.size, l.idxPath)
		if err != nil {
			f.Close()
			return nil, err
		}
		return l, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("log index: %w", err)
	}

	// No log-index: a pre-2018 build with per-node logs.
	if _, err := os.Stat(l.logPath); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("build log: %w", err)
		}
		perNode, _ := filepath.Glob(filepath.Join(buildDir, "[0-9]*.log"))
		if len(perNode) == 0 {
			if _, gzErr := os.Stat(l.logPath + ".gz"); gzErr == nil {
				return nil, fmt.Errorf("build log %s: only a compressed log.gz exists, which is not supported", l.logPath)
			}
			return nil, fmt.Errorf("no build log: %s does not exist, nor %s or per-node <id>.log files (is the log kept by an external log storage?)",
				l.logPath, l.idxPath)
		}
		l.logPath = ""
	}
	return l, nil
}

// parseLogIndex reads a JEP-210 log-index: one line per transition, "<offset>[ <nodeId>]".
// "offset id" gives the bytes from offset to the next line's offset to node id; a bare offset
// gives them to no node; bytes before the first line belong to no node; the last range runs to
// size. A line that cannot be read (or goes backwards) hides where the surrounding ranges begin
// and end, so the node writing before it and the node it names are marked bad rather than
// given wrong text; the line is reported as a problem. An unterminated last line that goes
// back is one a live build is still writing, and is ignored. Only a read error fails.
func parseLogIndex(r *bufio.Reader, size int64, name string) (segs map[string][]segment, bad map[string]error, problems []string, err error) {
	segs = map[string][]segment{}
	bad = map[string]error{}
	var (
		owner    string // node owning the range being read; "" = nobody
		ownStart int64
		prev     int64 = -1
		lineNo   int
	)
	closeRange := func(end int64) {
		if owner == "" {
			return
		}
		start, end := min(ownStart, size), min(end, size)
		if end <= start {
			return
		}
		s := segs[owner]
		if n := len(s); n > 0 && s[n-1].end == start {
			s[n-1].end = end // same node again right after itself: one range
		} else {
			s = append(s, segment{start, end})
		}
		segs[owner] = s
	}
	markBad := func(id string, line int, why string) {
		if id == "" {
			return
		}
		if _, ok := bad[id]; !ok {
			bad[id] = fmt.Errorf("%s line %d: %s; the text of node %s cannot be told apart", name, line, why, id)
		}
	}
	for {
		line, rerr := readIndexLine(r)
		if rerr != nil && rerr != io.EOF {
			return nil, nil, nil, fmt.Errorf("%s: %w", name, rerr)
		}
		if line == nil && rerr == io.EOF {
			break
		}
		lineNo++
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		offText, id, _ := strings.Cut(text, " ")
		off, perr := parseOffset(offText)
		if perr == nil && off < prev && rerr == io.EOF && !bytes.HasSuffix(line, []byte("\n")) {
			// Jenkins ends every line with a newline: an unterminated last line going back is
			// the start of one a live build is still writing ("1" of "1358 5"), not damage.
			break
		}
		why := ""
		switch {
		case perr != nil:
			why = fmt.Sprintf("malformed line %q", truncate(text, 80))
		case off < prev:
			why = fmt.Sprintf("offset %d goes back before %d", off, prev)
		}
		if why != "" {
			problems = append(problems, fmt.Sprintf("%s line %d: %s", name, lineNo, why))
			markBad(owner, lineNo, why)
			markBad(id, lineNo, why)
			owner = "" // who writes after this line is unknown: nobody, for us
			if rerr == io.EOF {
				break
			}
			continue
		}
		closeRange(off)
		owner, ownStart, prev = id, off, off
		if rerr == io.EOF {
			break
		}
	}
	closeRange(size)
	for id := range bad {
		delete(segs, id)
	}
	return segs, bad, problems, nil
}

// maxIndexLine bounds a log-index line; real ones are "<offset> <id>", a few dozen bytes.
const maxIndexLine = 4096

// readIndexLine returns the next line (with its newline, if any). An over-long line is
// returned cut to maxIndexLine bytes (so that it fails to parse) and the rest is skipped.
func readIndexLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line) < maxIndexLine {
			line = append(line, chunk[:min(len(chunk), maxIndexLine-len(line))]...)
		}
		switch err {
		case nil:
			return line, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			return line, io.EOF
		default:
			return nil, err
		}
	}
}

// parseOffset accepts only plain decimal digits (no sign, no spaces), as Jenkins writes them.
func parseOffset(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty offset")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("offset %q is not a number", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Indexed reports whether the log has a JEP-210 log-index (else per-node <id>.log files are read).
func (l *Log) Indexed() bool { return l.indexed }

// Problems lists what was wrong with the log-index (each entry names the file and line).
func (l *Log) Problems() []string { return l.problems }

// Nodes lists the ids of the nodes that own log text, in numeric order where ids are numbers.
func (l *Log) Nodes() []string {
	var ids []string
	if l.indexed {
		for id := range l.segs {
			ids = append(ids, id)
		}
	} else {
		files, _ := filepath.Glob(filepath.Join(l.dir, "[0-9]*.log"))
		for _, f := range files {
			id := strings.TrimSuffix(filepath.Base(f), ".log")
			if allDigits(id) {
				ids = append(ids, id)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return lessNodeID(ids[i], ids[j]) })
	return ids
}

// lessNodeID orders numeric ids by value, then anything else by text.
func lessNodeID(a, b string) bool {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	switch {
	case ea == nil && eb == nil:
		return na < nb
	case ea == nil:
		return true
	case eb == nil:
		return false
	}
	return a < b
}

// Step returns the node's text with ConsoleNotes stripped, streamed from the byte ranges the
// node owns (CRLF and other bytes as on disk). A node that wrote nothing reads as empty; a
// node the index describes inconsistently, or an unreadable per-node file, reads as an error
// naming the file.
func (l *Log) Step(nodeID string) io.Reader {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return errReader{fmt.Errorf("log of %s: %w", l.dir, os.ErrClosed)}
	}
	if l.indexed {
		if err := l.bad[nodeID]; err != nil {
			return errReader{err}
		}
		segs := l.segs[nodeID]
		switch len(segs) {
		case 0:
			return bytes.NewReader(nil)
		case 1:
			return newNoteStripper(io.NewSectionReader(l.f, segs[0].start, segs[0].end-segs[0].start), segs[0].end-segs[0].start)
		}
		parts := make([]io.Reader, len(segs))
		var total int64
		for i, s := range segs {
			parts[i] = io.NewSectionReader(l.f, s.start, s.end-s.start)
			total += s.end - s.start
		}
		// One stripper over the concatenation: Jenkins renders a node's ranges joined, too.
		return newNoteStripper(io.MultiReader(parts...), total)
	}
	path, ok := l.nodeFile(nodeID)
	if !ok {
		return bytes.NewReader(nil)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return bytes.NewReader(nil)
	}
	if err != nil {
		return errReader{fmt.Errorf("step log: %w", err)}
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	l.mu.Lock()
	if l.closed {
		// Close ran while the file was being opened: it cannot close what it never saw.
		l.mu.Unlock()
		f.Close()
		return errReader{fmt.Errorf("log of %s: %w", l.dir, os.ErrClosed)}
	}
	l.open[f] = struct{}{}
	l.mu.Unlock()
	return newNoteStripper(&closingReader{f: f, l: l}, size)
}

// nodeFile is the pre-2018 per-node log of nodeID. Only numeric ids are flow-node ids; anything
// else could walk out of the build directory.
func (l *Log) nodeFile(nodeID string) (string, bool) {
	if !allDigits(nodeID) {
		return "", false
	}
	return filepath.Join(l.dir, nodeID+".log"), true
}

// Size is the number of raw log bytes the node owns, ConsoleNotes included.
func (l *Log) Size(nodeID string) int64 {
	if l.indexed {
		var n int64
		for _, s := range l.segs[nodeID] {
			n += s.end - s.start
		}
		return n
	}
	path, ok := l.nodeFile(nodeID)
	if !ok {
		return 0
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// tailContext is how many bytes before a tail window are read first to learn whether the
// window's first byte cuts a ConsoleNote; it doubles (up to maxNoteLen) when that is not enough.
const tailContext = 4 << 10

// Tail returns the last maxBytes bytes of the node's text (ConsoleNotes stripped), reading only
// the end of the node's ranges: a window, plus a little context to strip a note the window
// cuts. The result equals the end of everything Step would return.
func (l *Log) Tail(nodeID string, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		return nil, nil
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("log of %s: %w", l.dir, os.ErrClosed)
	}
	var (
		ra    io.ReaderAt
		total int64
	)
	if l.indexed {
		if err := l.bad[nodeID]; err != nil {
			return nil, err
		}
		v := newSegmentsReaderAt(l.f, l.segs[nodeID])
		ra, total = v, v.size
	} else {
		path, ok := l.nodeFile(nodeID)
		if !ok {
			return nil, nil
		}
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("step log: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("step log: %w", err)
		}
		ra, total = f, st.Size()
	}
	out, err := tailStripped(ra, total, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("log of node %s in %s: %w", nodeID, l.dir, err)
	}
	return out, nil
}

// tailStripped returns the last maxBytes of StripConsoleNotes(text), where text is the total
// bytes of ra, reading backwards window by window. Every window ends where the previous began,
// at a point no note straddles; its start is moved back to the start of a note it would cut.
func tailStripped(ra io.ReaderAt, total, maxBytes int64) ([]byte, error) {
	var (
		pieces [][]byte // stripped windows, last first
		got    int64
		pos    = total // text after pos is done; no note straddles pos
	)
	var raw int64                // raw bytes read so far, to estimate how much stripping shrinks text
	want := max(maxBytes, 4<<10) // raw bytes for the next window; at least a few KiB
	for pos > 0 && got < maxBytes {
		if raw > 0 {
			// Notes can make raw text many times longer than what is left of it: size the next
			// window by the ratio seen so far (doubling while nothing survived stripping).
			if got > 0 {
				est := float64(maxBytes-got) * (float64(raw)/float64(got) + 0.125)
				want = int64(max(min(est, float64(pos)), 4<<10)) // float: maxBytes may be huge
			} else {
				want = min(2*want, max(pos, 4<<10))
			}
		}
		start := max(0, pos-want)
		ctx := min(start, tailContext)
		for {
			buf := make([]byte, pos-(start-ctx))
			if _, err := ra.ReadAt(buf, start-ctx); err != nil && err != io.EOF {
				return nil, err
			}
			cut, sure := noteStartAround(buf, int(ctx))
			if !sure && ctx < start && ctx < maxNoteLen {
				ctx = min(start, 2*ctx)
				continue
			}
			window := buf[cut:]
			raw += int64(len(window))
			pos = start - ctx + int64(cut)
			stripped := StripConsoleNotes(window)
			pieces = append(pieces, stripped)
			got += int64(len(stripped))
			break
		}
	}
	out := make([]byte, 0, min(got, maxBytes))
	for i := len(pieces) - 1; i >= 0; i-- {
		out = append(out, pieces[i]...)
	}
	if int64(len(out)) > maxBytes {
		out = out[int64(len(out))-maxBytes:]
	}
	return out, nil
}

// noteStartAround tells where a window starting at buf[p] must start so that it does not cut a
// ConsoleNote: p itself, or the start of the note that p falls strictly inside. buf[:p] is
// context before the window. sure is false when the context is too short to tell (p might be
// deep inside an unusually long note).
func noteStartAround(buf []byte, p int) (cut int, sure bool) {
	if p == 0 {
		return 0, true
	}
	// The last note start before p. An earlier note cannot cover p: it would contain this ESC.
	lim := min(len(buf), p+len(notePrefix)-1)
	ns := bytes.LastIndex(buf[:lim], []byte(notePrefix))
	if ns >= 0 {
		if m, n := matchNote(buf[ns:], true); m == noteYes && ns+n > p {
			return ns, true
		}
		return p, true
	}
	// No note start in the context: p is inside a note only if that note began before buf[0],
	// so that buf[:p] reads as a proper tail of the prefix, base64, then a proper head of the
	// suffix. Then more context is needed to tell.
	for k := 0; k < len(noteSuffix) && k <= p; k++ {
		if !bytes.HasSuffix(buf[:p], []byte(noteSuffix[:k])) {
			continue
		}
		q := p - k
		for q > 0 && isBase64Byte(buf[q-1]) {
			q--
		}
		if q < len(notePrefix) && strings.HasSuffix(notePrefix, string(buf[:q])) {
			return p, false
		}
	}
	return p, true
}

// segmentsReaderAt presents a node's ranges of the log as one contiguous text.
type segmentsReaderAt struct {
	r    io.ReaderAt
	segs []segment
	offs []int64 // offs[i] is where segs[i] starts in the joined text
	size int64
}

func newSegmentsReaderAt(r io.ReaderAt, segs []segment) *segmentsReaderAt {
	v := &segmentsReaderAt{r: r, segs: segs, offs: make([]int64, len(segs))}
	for i, s := range segs {
		v.offs[i] = v.size
		v.size += s.end - s.start
	}
	return v
}

func (v *segmentsReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	// The segment holding off: the last one starting at or before it.
	i := sort.Search(len(v.offs), func(i int) bool { return v.offs[i] > off }) - 1
	n := 0
	for ; i >= 0 && i < len(v.segs) && n < len(p); i++ {
		s := v.segs[i]
		in := off + int64(n) - v.offs[i] // offset inside segment i
		if in >= s.end-s.start {
			continue
		}
		chunk := p[n:min(int64(len(p)), int64(n)+s.end-s.start-in)]
		m, err := v.r.ReadAt(chunk, s.start+in)
		n += m
		if err != nil && !(err == io.EOF && m == len(chunk)) {
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close releases the log file and any per-node file a Step reader has not read to its end.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	if l.f != nil {
		errs = append(errs, l.f.Close())
	}
	for f := range l.open {
		errs = append(errs, f.Close())
	}
	l.open = nil
	return errors.Join(errs...)
}

// closingReader closes a per-node log file at its end and forgets it in the Log.
type closingReader struct {
	f    *os.File
	l    *Log
	done bool
}

func (c *closingReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	n, err := c.f.Read(p)
	if err != nil {
		c.done = true
		c.l.mu.Lock()
		if _, ok := c.l.open[c.f]; ok {
			delete(c.l.open, c.f)
			c.f.Close()
		}
		c.l.mu.Unlock()
	}
	return n, err
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
