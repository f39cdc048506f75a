package main

import (
	"fmt"
	"sync"
	"time"
)

// progress prints "what: done/total" on stderr, at most a few times a second, and only when
// stderr is a terminal: logs and pipes stay clean.
type progress struct {
	e    *env
	what string
	on   bool

	mu    sync.Mutex
	last  time.Time
	shown bool
}

func newProgress(e *env, what string) *progress {
	return &progress{e: e, what: what, on: e.isTerminal(e.stderr)}
}

func (p *progress) update(done, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); done == total || now.Sub(p.last) > 200*time.Millisecond {
		p.last = now
		p.shown = true
		fmt.Fprintf(p.e.stderr, "\r%s: %d/%d", p.what, done, total)
	}
}

// done clears the progress line.
func (p *progress) done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
}
