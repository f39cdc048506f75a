package jenkins

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
)

// ReadBuildHeader reads what build.xml alone says about a build: the fields ReadBuild fills
// from it (Result, Completed, Start, Duration, Revision, Branch, PR, Remote, Causes,
// Parameters), with Dir and Number as ReadBuild sets them. No flow node, log or test report is
// read: Steps, Tests, Layout, StorageDir and Problems stay empty. It costs one small file per
// build, so a caller can decide from every build's header which builds to read in full (the
// comparison pairs on headers, then reads one pair at a time).
//
// Errors are ReadBuild's for build.xml: a build.xml that cannot be read or parsed is an error
// naming the file; one whose root is not <flow-build> wraps ErrNotPipeline.
func ReadBuildHeader(dir string) (*Build, error) {
	b := &Build{Dir: dir}
	if n, err := strconv.Atoi(filepath.Base(filepath.Clean(dir))); err == nil && n >= 0 {
		b.Number = &n
	}
	name := filepath.Join(dir, "build.xml")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err // *PathError names the file
	}
	if _, err := parseBuildXML(name, data, b); err != nil {
		return nil, err
	}
	return b, nil
}

// HeaderReader is implemented by every Source OpenSource returns: ReadHeader reads a listed
// build's header (ReadBuildHeader's fields, named as Builds named it), which for a directory
// is its build.xml alone.
//
// A URL source has no cheaper request that yields the same revision as Read (a pull request's
// head comes from Blue Ocean or from BuildData after the steps are known), so its ReadHeader
// is a full Read with the steps and tests dropped: the header costs what reading the build
// costs.
type HeaderReader interface {
	ReadHeader(ctx context.Context, ref BuildRef) (*Build, error)
}

func (s *dirSource) ReadHeader(ctx context.Context, ref BuildRef) (*Build, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := ReadBuildHeader(ref.Dir)
	if b != nil {
		b.Dir, b.Job, b.Number = ref.Dir, ref.Job, ref.Number
	}
	return b, err
}

func (s *urlSource) ReadHeader(ctx context.Context, ref BuildRef) (*Build, error) {
	b, err := s.Read(ctx, ref)
	if b != nil {
		b.Steps, b.Tests, b.Problems = nil, nil, nil
	}
	return b, err
}
