package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findChromium returns the path of a headless-capable Chromium, or "" when there is none.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserPage is what headless Chromium saw of a page.
type browserPage struct {
	// DOM is the serialised document after scripts ran (--dump-dom).
	DOM string
	// Console lists the page's console messages, including uncaught exceptions and Content
	// Security Policy violations (Chromium logs them all at INFO, so any message counts).
	Console []string
}

// consoleLine matches Chromium's --enable-logging=stderr form of a console message:
// [pid:tid:time:INFO:CONSOLE:12] "message", source: file:///x.html (12)
// (older builds write CONSOLE(12)).
var consoleLine = regexp.MustCompile(`:CONSOLE(?::\d+|\(\d+\))\] "(.*)", source: `)

// openInBrowser loads a local file (plus an optional #fragment) in headless Chromium and
// returns the DOM and console messages. It skips the test when Chromium is absent, except in
// CI (env CI set), where a missing browser is a failure: .ci/run installs it.
func openInBrowser(t *testing.T, path, fragment string) browserPage {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not installed (apt-get install -y chromium); set CI to make this a failure")
		}
		t.Fatal("chromium not installed, and CI is set: .ci/run should have installed it")
	}
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	url := "file://" + abs
	if fragment != "" {
		url += "#" + fragment
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=5000", "--dump-dom", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Chromium finds no D-Bus here and says so at length; that is noise, not page output.
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", url, err, tail(stderr.String(), 4000))
	}
	var page browserPage
	page.DOM = stdout.String()
	for _, line := range strings.Split(stderr.String(), "\n") {
		if m := consoleLine.FindStringSubmatch(line); m != nil {
			page.Console = append(page.Console, m[1])
		}
	}
	if page.DOM == "" {
		t.Fatalf("chromium dumped no DOM for %s\nstderr:\n%s", url, tail(stderr.String(), 4000))
	}
	return page
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestBrowserHarness checks the harness itself sees what it must report: script results in the
// DOM, console messages, and a blocked inline handler.
func TestBrowserHarness(t *testing.T) {
	page := filepath.Join(t.TempDir(), "p.html")
	require.NoError(t, os.WriteFile(page, []byte(`<!doctype html><html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-n1'">
<title>harness</title></head><body><pre id="out"></pre>
<script nonce="n1">document.getElementById('out').textContent = 'ran ' + location.hash; console.log('hello');</script>
<img src="x" onerror="document.title='pwned'">
</body></html>`), 0o644))
	got := openInBrowser(t, page, "selftest")
	assert.Contains(t, got.DOM, `<pre id="out">ran #selftest</pre>`)
	assert.Contains(t, got.DOM, "<title>harness</title>")
	require.NotEmpty(t, got.Console)
	assert.Equal(t, "hello", got.Console[0])
	assert.Contains(t, strings.Join(got.Console, "\n"), "Content Security Policy")
}
