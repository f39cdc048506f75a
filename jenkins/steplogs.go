package jenkins

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// StepLogs reads the log text of steps across many builds, keeping the most recently used
// builds' logs open so that several steps of one build share one parsed log-index. It is safe
// for concurrent use; at most maxOpen logs stay open, plus any still being read.
type StepLogs struct {
	mu   sync.Mutex
	max  int
	open map[string]*list.Element // build dir → element of lru holding *openLog
	lru  *list.List
}

// openLog is one build's log with the number of readers using it: a log evicted from the cache
// is closed by its last reader.
type openLog struct {
	dir     string
	log     *Log
	err     error
	readers int
	evicted bool
}

// NewStepLogs returns a StepLogs keeping at most maxOpen build logs open (at least 1).
func NewStepLogs(maxOpen int) *StepLogs {
	if maxOpen < 1 {
		maxOpen = 1
	}
	return &StepLogs{max: maxOpen, open: map[string]*list.Element{}, lru: list.New()}
}

// StepLog returns the last maxBytes (all if maxBytes <= 0) of the text step s of build b wrote,
// console notes stripped, reading only those bytes of the build's log.
//
// A build read over REST (Build.URL set by Walk) has its step's log fetched from the
// controller: only the tail when maxBytes > 0.
func (c *StepLogs) StepLog(b *Build, s *Step, maxBytes int64) ([]byte, error) {
	if b.URL != "" {
		if b.remote == nil {
			return nil, fmt.Errorf("%s: step %s: a build read over REST keeps its connection only when read by Walk", b.URL, s.ID)
		}
		return b.remote.stepLog(context.Background(), s, maxBytes)
	}
	o := c.acquire(b.Dir)
	defer c.release(o)
	if o.err != nil {
		return nil, o.err
	}
	if maxBytes <= 0 {
		return io.ReadAll(o.log.Step(s.ID))
	}
	return o.log.Tail(s.ID, maxBytes)
}

func (c *StepLogs) acquire(dir string) *openLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.open[dir]; ok {
		c.lru.MoveToFront(e)
		o := e.Value.(*openLog)
		o.readers++
		return o
	}
	l, err := OpenLog(dir)
	o := &openLog{dir: dir, log: l, err: err, readers: 1}
	c.open[dir] = c.lru.PushFront(o)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		ev := old.Value.(*openLog)
		delete(c.open, ev.dir)
		ev.evicted = true
		if ev.readers == 0 && ev.log != nil {
			ev.log.Close()
		}
	}
	return o
}

func (c *StepLogs) release(o *openLog) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o.readers--
	if o.evicted && o.readers == 0 && o.log != nil {
		o.log.Close()
	}
}

// Close closes every log still open. Readers must have finished.
func (c *StepLogs) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		if o := e.Value.(*openLog); o.log != nil {
			errs = append(errs, o.log.Close())
		}
	}
	c.open, c.lru = map[string]*list.Element{}, list.New()
	return errors.Join(errs...)
}

// BuildLog returns the last maxBytes of build b's whole console log, console notes stripped:
// the place a failure outside any step (no node for a label, a script approval) is told.
func (c *StepLogs) BuildLog(b *Build, maxBytes int64) ([]byte, error) {
	if b.URL != "" {
		if b.remote == nil {
			return nil, fmt.Errorf("%s: a build read over REST keeps its connection only when read by Walk", b.URL)
		}
		return b.remote.buildLog(context.Background(), maxBytes)
	}
	return readLogTail(filepath.Join(b.Dir, "log"), maxBytes)
}

// readLogTail reads the end of a log file, dropping a partial first line when it cuts.
func readLogTail(name string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := int64(0)
	if maxBytes > 0 && st.Size() > maxBytes {
		off = st.Size() - maxBytes
	}
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if off > 0 {
		// A cut line (or console note) is noise: start at the next full line.
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	return StripConsoleNotes(buf), nil
}
