package jenkins

import (
	"fmt"
	"io"
	"sync"
)

// Plumbing between readFlowNodes and the two flow-node readers: the fast one (fastnodes.go)
// reads each file first; the careful one (xmlquery) reads whatever the fast one declines, so
// both paths give the same nodes and the same problems.

// readOpts chooses the flow-node reader for one build. The zero value and nil mean the fast
// reader with the careful one as fallback; tests force the careful reader and count declines.
type readOpts struct {
	careful  bool     // read every file with the careful reader
	declined []string // "file: why" for every file the fast reader declined
}

func (o *readOpts) carefulOnly() bool { return o != nil && o.careful }

func (o *readOpts) decline(name, why string) {
	if o != nil {
		o.declined = append(o.declined, name+": "+why)
	}
}

// readBulkWith reads a flowNodeStore.xml with fp, or carefully when fp is nil or declines.
func (s *nodeSet) readBulkWith(fp *fastParser, name string, data []byte, opts *readOpts) {
	if fp != nil {
		nodes, why, ok := fp.fastReadBulk(name, data)
		if ok {
			if len(s.nodes) == 0 && len(nodes) > 0 {
				s.nodes = make([]*flowNode, 0, len(nodes)) // no growth while adding
			}
			for _, fn := range nodes {
				s.add(fn)
			}
			return
		}
		opts.decline(name, why)
	}
	s.readBulk(name, data)
}

// readNodeFileWith reads one N.xml with fp, or carefully when fp is nil or declines. The
// checks after parsing are readNodeFile's.
func (s *nodeSet) readNodeFileWith(fp *fastParser, name string, data []byte, wantID int, opts *readOpts) {
	if fp != nil {
		fn, why, ok := fp.fastReadNodeFile(name, data)
		if ok {
			if wantID > 0 && fn.id != wantID {
				s.problems = append(s.problems, fmt.Sprintf("%s: holds node %d", name, fn.id))
			}
			s.add(fn)
			return
		}
		opts.decline(name, why)
	}
	s.readNodeFile(name, data, wantID)
}

// readScratch is what reading one build needs besides its results: a file buffer and a fast
// parser with its allocation slabs. ReadBuild takes one from scratchPool, resets it and
// gives it back when the build is read, so a walk over many builds reuses them instead of
// allocating (and collecting) them per build. Nothing read with it may be kept past reset
// except what was copied out: the Build holds strings and slices of its own, never flowNodes
// or file bytes (TestReadBuildKeepsNothingOfTheScratch).
type readScratch struct {
	buf []byte
	fp  *fastParser
}

var scratchPool = sync.Pool{New: func() any { return &readScratch{} }}

// parser is the scratch's fast parser.
func (sc *readScratch) parser() *fastParser {
	if sc.fp == nil {
		sc.fp = newFastParser()
	}
	return sc.fp
}

// readFile reads a file into the scratch buffer, which the result aliases until the next
// readFile; size, if known, saves growing the buffer.
func (sc *readScratch) readFile(name string, size int64) ([]byte, error) {
	if want := int(size) + 512; size > 0 && size < 1<<30 && cap(sc.buf) < want {
		sc.buf = make([]byte, 0, want)
	}
	data, err := readFileInto(name, sc.buf)
	if cap(data) > cap(sc.buf) {
		sc.buf = data[:0]
	}
	return data, err
}

// reset ends the use of everything read with the scratch, so it can read the next build.
func (sc *readScratch) reset() {
	if sc.fp != nil {
		sc.fp.recycle()
	}
	if cap(sc.buf) > 64<<20 {
		sc.buf = nil // one huge store should not stay pinned in the pool
	}
}

// readFileInto is os.ReadFile reusing buf's storage; errors name the file as os.ReadFile's do.
func readFileInto(name string, buf []byte) ([]byte, error) {
	f, err := openForRead(name)
	if err != nil {
		return nil, err
	}
	defer f.close()
	// Node files are small: a buffer reused from the previous file usually holds the next
	// one, so no fstat is spent on its size.
	if cap(buf) < 16<<10 {
		buf = make([]byte, 0, 16<<10)
	}
	buf = buf[:0]
	for {
		n, err := f.read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}
