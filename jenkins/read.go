package jenkins

import (
	"fmt"
	"path/filepath"
)

// ReadBuild reads one build directory. It never panics; a build it cannot read at all returns
// an error naming the file and the problem; what it could read only partly is returned with the
// problems listed in Build.Problems (each naming the file). Dir is dir, Number comes from the
// directory name (nil if not numeric) and Job is left empty for the walker to fill.
//
// A build.xml whose root is not <flow-build> (freestyle, matrix, …) returns an error wrapping
// ErrNotPipeline.
func ReadBuild(dir string) (*Build, error) {
	return readBuild(dir, nil)
}

// readBuild is ReadBuild with the flow-node reader chosen by opts (nil: fast, careful on
// decline).
func readBuild(dir string, opts *readOpts) (*Build, error) {
	sc := scratchPool.Get().(*readScratch)
	defer scratchPool.Put(sc)
	defer sc.reset() // after the steps are built: they copy what they keep out of the nodes
	return readBuildWith(dir, opts, sc)
}

// readBuildWith is readBuild reading with the buffers of sc.
func readBuildWith(dir string, opts *readOpts, sc *readScratch) (*Build, error) {
	b := &Build{Dir: dir, Layout: LayoutNone}
	b.Number = buildNumber(filepath.Base(filepath.Clean(dir)))
	name := filepath.Join(dir, "build.xml")
	data, err := sc.readFile(name, 0)
	if err != nil {
		return nil, err // *PathError names the file
	}
	var fp *fastParser
	if !opts.carefulOnly() {
		fp = sc.parser()
	}
	bx, err := parseBuildXMLWith(fp, name, data, b, opts)
	if err != nil {
		return nil, err
	}
	// JUnit results do not depend on the flow nodes: a build that failed before its first step
	// has none, and a damaged junitResult.xml costs the tests, not the build.
	// (build.xml's bytes are no longer needed: the Build holds copies.)
	tests, err := readJUnitWith(sc, fp, filepath.Join(dir, "junitResult.xml"), opts)
	if err != nil {
		b.Problems = append(b.Problems, err.Error())
	}
	b.Tests = tests
	if !bx.hasExecution {
		// Failed before the flow existed (e.g. a Groovy compile error): no nodes, no steps.
		return b, nil
	}

	ns := readFlowNodesWith(dir, bx.storageDir, opts, sc)
	b.Layout, b.StorageDir = ns.layout, ns.storageDir
	b.Problems = append(b.Problems, ns.problems...)
	if ns.layout == LayoutNone {
		if bx.iota > 0 {
			b.Problems = append(b.Problems, fmt.Sprintf("%s: no flow-node files found (looked in %v)",
				dir, storageCandidates(bx.storageDir)))
		}
		return b, nil
	}

	g := buildGraphIndexed(ns.nodes, &ns.byID)
	b.Problems = append(b.Problems, g.problems...)
	facts := flowFacts{finished: b.Completed || bx.done || g.flowEnd}
	if b.Completed && !b.Start.IsZero() && b.Duration > 0 {
		facts.end = b.Start.Add(b.Duration)
	}
	b.Steps = shellSteps(g, facts)
	return b, nil
}

// readBuildBytes is ReadBuild's pure part for fuzzing: build.xml bytes only.
func readBuildBytes(name string, data []byte) (*Build, error) {
	b := &Build{Layout: LayoutNone}
	if _, err := parseBuildXML(name, data, b); err != nil {
		return nil, err
	}
	return b, nil
}
