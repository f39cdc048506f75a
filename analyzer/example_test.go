package analyzer_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/cidiff/cidiff/analyzer"
	"github.com/cidiff/cidiff/jenkins"
)

// diskKB is a one-rule knowledge base; in cidiff, *analyzer.KnowledgeBase plays this part.
type diskKB struct{}

func (diskKB) Classify(text string) analyzer.Match {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "No space left on device") {
			return analyzer.Match{Class: analyzer.ClassExecutor, Cause: "disk_full", Rule: "disk-full", Line: line}
		}
	}
	return analyzer.Match{Class: analyzer.ClassUnknown}
}

// oneLog serves the same text as every step's log.
type oneLog string

func (l oneLog) StepLog(*jenkins.Build, *jenkins.Step, int64) ([]byte, error) { return []byte(l), nil }

func Example() {
	num := func(n int) *int { return &n }
	step := func(stage, label string, status jenkins.Status) jenkins.Step {
		return jenkins.Step{Kind: "sh", Stage: strings.Split(stage, "/"), Label: label, Status: status}
	}
	prod := &jenkins.Build{
		Job: "tvm/PR-10", Number: num(3), Result: jenkins.ResultSuccess, Completed: true, Revision: "0a1b2c3d",
		Steps: []jenkins.Step{
			step("Build/BUILD: GPU", "Run cmake build", jenkins.StatusSuccess),
			step("Build/BUILD: GPU", "Build and run C++ tests", jenkins.StatusSuccess),
		},
	}
	staging := &jenkins.Build{
		Job: "tvm/PR-10", Number: num(1), Result: jenkins.ResultFailure, Completed: true, Revision: "0a1b2c3d",
		Steps: []jenkins.Step{
			step("Build/BUILD: GPU", "Run cmake build", jenkins.StatusFailure),
		},
	}

	c, err := analyzer.CompareBuilds([]*jenkins.Build{prod}, []*jenkins.Build{staging}, analyzer.Options{
		Classifier: diskKB{},
		Logs:       oneLog("[41/300] Building CXX object\nfatal error: No space left on device\n"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Verdict)
	for _, p := range c.Pairs {
		fmt.Println(p.Key)
		for _, d := range p.Differences {
			fmt.Printf("  %s | %s: %s -> %s, %s/%s, blocking=%v\n    %s\n",
				d.Stage, d.Label, d.ProdStatus, d.StagingStatus, d.Class, d.Cause, d.Blocking, d.Reason)
		}
	}
	// Output:
	// NO-GO
	// tvm/PR-10@0a1b2c3d
	//   Build/BUILD: GPU | Run cmake build: SUCCESS -> FAILURE, executor/disk_full, blocking=true
	//     staging step failed with: fatal error: No space left on device
	//   Build/BUILD: GPU | Build and run C++ tests: SUCCESS -> MISSING, executor/disk_full, blocking=true
	//     never ran on staging after ‘Run cmake build’ (Build/BUILD: GPU) failed there
}

// ExampleCompare compares the bundled prod and staging homes with the built-in knowledge base
// and prints each root finding: what a launch engineer reads first.
func ExampleCompare() {
	cmp, err := analyzer.Compare(context.Background(), "../fixtures/homes/prod", "../fixtures/homes/staging",
		analyzer.Options{Classifier: analyzer.BuiltinKnowledgeBase()}, analyzer.SourceOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmp.Verdict)
	for _, p := range cmp.Pairs {
		for _, d := range p.Differences {
			if d.Root() {
				fmt.Printf("%s %s › %s: %s/%s blocking=%v\n", p.Job, d.Stage, d.Label, d.Class, d.Cause, d.Blocking)
			}
		}
	}
	fmt.Println(len(cmp.Errors), "unreadable build")
	// Output:
	// NO-GO
	// tvm/PR-102 Build/BUILD: CPU › Create CPU cmake config: executor/docker_permission_denied blocking=true
	// tvm/PR-103 Build/BUILD: CPU › Set up CI environment: executor/disk_full blocking=true
	// tvm/PR-104 Sanity Check › Check if CI should be skipped: controller/credentials_not_found blocking=true
	// tvm/PR-105 Test/unittest: CPU › Run Python unit tests: flaky/flaky_tolerance blocking=false
	// tvm/PR-106 Test/unittest: CPU › Run Python unit tests: environment/merge_target_differs blocking=false
	// tvm/main Test/unittest: GPU › Set up CI environment: executor/gpu_driver_mismatch blocking=true
	// tvm/main Test/unittest: CPU › Show executor node info: controller/script_approval blocking=true
	// tvm/main Test/unittest: GPU › Run Python GPU integration tests: environment/docker_image_differs blocking=false
	// tvm/main Build/BUILD: CPU › Run cmake build: unknown/ blocking=true
	// tvm/main Deploy › Unstash libraries and show md5: controller/no_node_with_label blocking=true
	// 1 unreadable build
}
