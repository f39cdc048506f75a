package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Why a launcher: Linux keeps a process's peak RSS (ru_maxrss) across execve, and Go starts
// children with vfork (CLONE_VM), so a child exec'd straight from this program starts out with
// this program's peak: the hundreds of MB the floor measurement and the file lists took. A
// small launcher process (this binary again, with launchFlag) sits in between: its children
// inherit only its own few MB. It measures the command with runOnce and writes the sample to
// a file.
const launchFlag = "-launch-measured-child"

// launchMain is the launcher: args are REPORT-FILE BIN ARGS...; the command's stdout and stderr
// are the launcher's. It exits 0 once the sample is written, whatever the command's exit.
func launchMain(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "cidiffbench launcher: want REPORT-FILE BIN [ARGS...]")
		return 2
	}
	var s sample
	var err error
	s, err = measureChild(args[1], args[2:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cidiffbench launcher:", err)
		return 1
	}
	data, err := json.Marshal(s)
	if err == nil {
		err = os.WriteFile(args[0], data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cidiffbench launcher:", err)
		return 1
	}
	return 0
}

// runOnce runs bin with args through the launcher and returns the command's sample. okExits
// are the exit codes that mean the command did its work (compare exits 1 for NO-GO); any other
// is an error quoting the end of its stderr.
func runOnce(bin string, args []string, env []string, stdout io.Writer, okExits ...int) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	report, err := os.CreateTemp("", "cidiffbench-sample-*.json")
	if err != nil {
		return sample{}, err
	}
	report.Close()
	defer os.Remove(report.Name())

	cmd := exec.Command(self, append([]string{launchFlag, report.Name(), bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = stdout
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	var s sample
	data, err := os.ReadFile(report.Name())
	if err == nil {
		err = json.Unmarshal(data, &s)
	}
	if err != nil {
		return s, fmt.Errorf("reading the launcher's sample: %w", err)
	}
	if s.Exit != 0 && !contains(okExits, s.Exit) {
		return s, fmt.Errorf("%s %s: exit status %d\n%s", filepath.Base(bin), strings.Join(args, " "), s.Exit, tail(stderr.String(), 2000))
	}
	return s, nil
}
