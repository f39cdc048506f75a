// Command cidiff tells whether two Jenkins controllers agree: it reads their builds, pairs
// them, diffs every shell step and classifies each difference (see README.md).
//
// main only routes to subcommands; each subcommand parses its flags, calls the library
// (packages jenkins, analyzer and report) and maps the outcome to an exit code.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/cidiff/cidiff/jenkins"
)

// Exit codes (CONTRACT.md, all subcommands).
const (
	exitOK      = 0 // success; compare: GO
	exitNoGo    = 1 // compare: NO-GO
	exitUsage   = 2 // usage error or unusable input
	exitPartial = 3 // finished, but some inputs could not be read
)

// exitError carries an exit code and an optional message up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports bad flags or unusable input: exit 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// env is what a subcommand may touch of the process: tests swap every field.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// isTerminal reports whether w is an interactive terminal (colour, progress).
	isTerminal func(w io.Writer) bool
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

// commands is filled by each subcommand's file in an init function.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal}
	stop := startCPUProfile(os.Getenv("CIDIFF_CPUPROFILE"), os.Stderr)
	code := run(e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one cidiff invocation and returns its exit code.
func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintln(e.stdout, "cidiff", version)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "cidiff: unknown command %q\n\n", args[0])
		printUsage(e.stderr)
		return exitUsage
	}
	err := c.run(e, args[1:])
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "cidiff %s: %v\n", c.name, ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(e.stderr, "cidiff %s: %v\n", c.name, err)
	return exitUsage
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "cidiff: tell whether two Jenkins controllers agree.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: cidiff COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cidiff COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 success (compare: GO), 1 NO-GO, 2 usage or unusable input, 3 partial.")
}

// checkFormat validates a --format value against the allowed ones.
func checkFormat(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return usageErrorf("--format %q: must be one of %s", got, strings.Join(allowed, ", "))
}

// checkSource validates a SOURCE argument: an existing directory (a file is no source), or a
// Jenkins base URL whose credentials come from the environment (JENKINS_USER + JENKINS_TOKEN,
// or a netrc file), never from the command line. It returns the credentials for a URL (nil for a directory or an
// anonymous controller).
func checkSource(e *env, what, src string) (*jenkins.Credentials, error) {
	if jenkins.IsURLSource(src) {
		if err := jenkins.CheckURLSource(src); err != nil {
			return nil, usageErrorf("%s: %v", what, err)
		}
		c, err := jenkins.CredentialsFromEnv(e.getenv)
		if err != nil {
			return nil, usageErrorf("%s %s: %v", what, src, err)
		}
		return c, nil
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, usageErrorf("%s %s: %v", what, src, err)
	}
	if !st.IsDir() {
		return nil, usageErrorf("%s %s: not a directory (want a JENKINS_HOME, a directory below it, or a controller URL)", what, src)
	}
	return nil, nil
}

// checkBaseURL validates a controller web address given as a flag (--url, --prod-url,
// --staging-url): every link in every report and in the history is made from it, so it must
// be an http(s) URL and must not carry credentials, which would be printed with each link.
func checkBaseURL(flag, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return usageErrorf("%s: not a URL: %v", flag, err)
	}
	if u.User != nil {
		return usageErrorf("%s %s://%s…: credentials in the URL are not accepted (it becomes every link in the report); give the address without them", flag, u.Scheme, u.Host)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("%s %q: want the controller's http:// or https:// address", flag, s)
	}
	return nil
}
