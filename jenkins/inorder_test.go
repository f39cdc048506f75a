package jenkins

import (
	"context"
	"math/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInOrderWindow: results come back in order through a ring of window places, and never
// more than window items are read ahead of the caller.
func TestInOrderWindow(t *testing.T) {
	for _, tc := range []struct{ items, workers, window int }{{50, 4, 1}, {50, 1, 3}, {200, 8, 5}, {3, 2, 16}} {
		items := make([]int, tc.items)
		for i := range items {
			items[i] = i
		}
		var ahead, maxAhead, taken atomic.Int64
		o := NewInOrder(context.Background(), items, tc.workers, tc.window, func(_ context.Context, n int) int {
			if a := ahead.Add(1) - taken.Load(); a > maxAhead.Load() {
				maxAhead.Store(a)
			}
			time.Sleep(time.Duration(rand.Intn(200)) * time.Microsecond)
			return n * n
		})
		for i := range items {
			got, err := o.Get(i)
			require.NoError(t, err)
			require.Equal(t, i*i, got)
			taken.Add(1)
		}
		o.Stop()
		// Get frees the result's place before the test counts it taken, so the item in the
		// caller's hands may be counted too: window read ahead, plus that one.
		assert.LessOrEqual(t, maxAhead.Load(), int64(tc.window)+1, "%+v", tc)
	}
}

// TestInOrderStopEarly: stopping before every result was taken cancels the reads' context and
// returns without waiting for the rest.
func TestInOrderStopEarly(t *testing.T) {
	items := make([]int, 1000)
	o := NewInOrder(context.Background(), items, 2, 4, func(ctx context.Context, _ int) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
			return nil
		}
	})
	_, err := o.Get(0)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { o.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop waited for the remaining items")
	}
	_, err = o.Get(1)
	assert.ErrorIs(t, err, context.Canceled)
}
