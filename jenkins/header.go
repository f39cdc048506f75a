package jenkins

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	b.Number = buildNumber(filepath.Base(filepath.Clean(dir)))
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
// build's header, named as Builds named it: the build-level fields Read fills, without steps,
// tests or problems. For a directory it is build.xml alone (ReadBuildHeader). For a URL it is
// the build's api/json and the requests that name its start and revision as Read names them
// (Blue Ocean's run; else wfapi's describe and, for a pull request, BuildData): two or three
// requests where Read makes one per stage, plus its steps' errors and test report.
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
	b, err := s.w.readHeader(ctx, ref)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		// A request cut by the end of ctx reads as a transport error: say why it stopped.
		return nil, fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return b, err
}
