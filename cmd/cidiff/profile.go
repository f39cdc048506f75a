package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the whole invocation to file when it is set (the
// hidden CIDIFF_CPUPROFILE variable, for `make bench` and performance work), and returns the
// function that ends it. A profile that cannot be started is reported and the command runs
// anyway.
func startCPUProfile(file string, stderr io.Writer) (stop func()) {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err != nil {
		fmt.Fprintf(stderr, "cidiff: CIDIFF_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "cidiff: CIDIFF_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "cidiff: CIDIFF_CPUPROFILE: %v\n", err)
		}
	}
}
