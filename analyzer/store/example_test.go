package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/cidiff/cidiff/jenkins"
)

// Record three builds of one job, then ask which step flips. In the CLI, the candidates come
// from jenkins.FindBuilds and Read is jenkins.ReadBuild.
func ExampleDB_Scan() {
	tmp, _ := os.MkdirTemp("", "cidiff-example-")
	defer os.RemoveAll(tmp)
	db, err := store.Open(filepath.Join(tmp, "history.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	agent := "gpu-3"
	builds := map[string]*jenkins.Build{}
	var cands []store.Candidate
	for n, status := range []jenkins.Status{jenkins.StatusSuccess, jenkins.StatusFailure, jenkins.StatusSuccess} {
		number := n + 1
		dir := filepath.Join(tmp, "jobs", "tvm", "branches", "main", "builds", fmt.Sprint(number))
		builds[dir] = &jenkins.Build{Dir: dir, Job: "tvm/main", Number: &number, Completed: true,
			Start: time.Date(2026, 11, 2, number, 0, 0, 0, time.UTC), Revision: "0a1b2c",
			Steps: []jenkins.Step{{ID: "27", Kind: "sh", Stage: []string{"Test", "topi: GPU"}, Label: "Run TOPI tests",
				Status: status, Node: &agent}}}
		cands = append(cands, store.Candidate{Dir: dir, Job: "tvm/main", Number: &number})
	}
	read := func(dir string) (*jenkins.Build, error) { return builds[dir], nil }

	res, err := db.Scan(context.Background(), cands, store.ScanOptions{Instance: "prod", URL: "https://ci.tlcpack.ai", Read: read})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("seen %d, new %d\n", res.BuildsSeen, res.BuildsNew)

	items, _ := db.Flaky(context.Background(), store.FlakyQuery{Instance: "prod"})
	for _, it := range items {
		fmt.Printf("%s / %s: %d flips in %d runs, %d revision(s) mixed, last failure %s\n",
			it.Stage, it.Label, it.Flips, it.Runs, it.RevisionsMixed, it.LastFailure.Link)
	}
	// Output:
	// seen 3, new 3
	// Test/topi: GPU / Run TOPI tests: 2 flips in 3 runs, 1 revision(s) mixed, last failure https://ci.tlcpack.ai/job/tvm/job/main/2/execution/node/27/log
}
