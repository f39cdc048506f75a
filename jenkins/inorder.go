package jenkins

import (
	"context"
	"sync"
)

// InOrder reads items with a pool of workers and gives the results back in the items' order,
// whatever order the workers finish in: parallel reads for a caller that must consume in a
// deterministic order. At most window results are read ahead of the caller, so memory is
// bounded by the window, not by the number of items. Walk reads builds with it, and the
// analyzer the builds of one pair after another.
type InOrder[R any] struct {
	ctx    context.Context
	cancel context.CancelFunc
	window chan struct{}
	// slots is a ring of window places: item i's result waits in slots[i%window]. Item i is
	// only handed to a worker once item i-window has been taken (the window), so its place is
	// free by then.
	slots []chan R
	wg    sync.WaitGroup
}

// NewInOrder starts reading items with workers goroutines (at least 1, at most window) and a
// read-ahead of window items (at least 1). read gets a context that ends when Stop is called.
// Call Get for 0, 1, 2, … in order, then Stop.
func NewInOrder[T, R any](ctx context.Context, items []T, workers, window int, read func(context.Context, T) R) *InOrder[R] {
	window = max(window, 1)
	workers = min(max(workers, 1), window)
	ctx, cancel := context.WithCancel(ctx)
	o := &InOrder[R]{ctx: ctx, cancel: cancel, window: make(chan struct{}, window), slots: make([]chan R, window)}
	for i := range o.slots {
		o.slots[i] = make(chan R, 1)
	}
	next := make(chan int)
	for range workers {
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			for i := range next {
				o.slots[i%window] <- read(ctx, items[i])
			}
		}()
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer close(next)
		for i := range items {
			select {
			case o.window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return o
}

// Get waits for item i's result (calls must come in order 0, 1, 2, …) and frees its place in
// the window. It fails with the context's error once the context ends.
func (o *InOrder[R]) Get(i int) (R, error) {
	var zero R
	select {
	case r := <-o.slots[i%len(o.slots)]:
		<-o.window
		if err := o.ctx.Err(); err != nil {
			return zero, err
		}
		return r, nil
	case <-o.ctx.Done():
		return zero, o.ctx.Err()
	}
}

// Stop ends the reads under way (their context is cancelled) and waits for the workers.
func (o *InOrder[R]) Stop() {
	o.cancel()
	o.wg.Wait()
}
