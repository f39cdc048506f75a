//go:build race

package analyzer

// raceEnabled is true under the race detector, whose instrumentation multiplies the time and
// the allocations of a large comparison: memory measurements skip then.
const raceEnabled = true
