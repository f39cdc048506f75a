package main

import (
	"errors"
	"io"
	"os/exec"
	"sort"
	"time"
)

// sample is one run of a measured command.
type sample struct {
	Wall time.Duration
	// CPU is the child's user+system time: steadier than Wall on a shared machine, where
	// other processes take cores away.
	CPU    time.Duration
	MaxRSS int64 // KiB, from the child's rusage
	// RChar is the bytes the child read through read(2)-like calls, page cache included
	// (/proc/PID/io rchar); -1 when the platform does not say.
	RChar int64
	Exit  int
}

// measureChild runs bin with args as a child process and measures it: wall and CPU time,
// peak RSS (rusage) and rchar (/proc/PID/io, read before the child is reaped).
func measureChild(bin string, args []string, stdout, stderr io.Writer) (sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = stderr
	cmd.Stdout = stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	rchar := childRChar(cmd.Process.Pid) // returns once the child has exited, before reaping
	err := cmd.Wait()
	s := sample{Wall: time.Since(start), RChar: rchar, MaxRSS: maxRSS(cmd.ProcessState)}
	s.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	s.Exit = cmd.ProcessState.ExitCode()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return s, err
	}
	return s, nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// median is the middle sample by wall time (the upper middle of an even count). Peak RSS and
// rchar are taken from that same run, so one row describes one real run.
func median(ss []sample) sample {
	if len(ss) == 0 {
		return sample{}
	}
	sorted := append([]sample(nil), ss...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Wall < sorted[j].Wall })
	return sorted[len(sorted)/2]
}

// medianDuration is the middle duration (the upper middle of an even count).
func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}
