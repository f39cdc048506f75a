package store_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cidiff/cidiff/analyzer/store"
	"github.com/stretchr/testify/require"
)

var normaliseTests = []struct {
	in, want string
}{
	{"script returned exit code 2", "script returned exit code <n>"},
	{"", ""},
	{"  many   spaces\tand\nlines  ", "many spaces and lines"},
	{"[2022-01-31T12:34:56.789Z] ERROR: connection reset", "[<ts>] ERROR: connection reset"},
	{"2022-01-31 12:34:56,789 +0000 failed", "<ts> failed"},
	{"at 12:34:56 the agent went away", "at <ts> the agent went away"},
	{"container 3f2a9c1e7b0d exited", "container <hex> exited"},
	{"commit 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 not found", "commit <hex> not found"},
	{"object at 0x7f3a2c4b5d60 freed", "object at <hex> freed"},
	{"the word defaced stays, deadbeef too", "the word defaced stays, deadbeef too"},
	{"id 123e4567-e89b-12d3-a456-426614174000 lost", "id <id> lost"},
	{"cannot write /tmp/pytest-of-ci/pytest-12/test_x0/out.bin: No space left on device", "cannot write <tmp>: No space left on device"},
	{"/var/tmp/abc/def missing", "<tmp> missing"},
	{"/home/ci/workspace/tvm@tmp/durable-9a8b7c6d/script.sh: line 3: make: not found", "<tmp>: line <n>: make: not found"},
	{`C:\Users\ci\AppData\Local\Temp\jenkins123.bat failed`, "<tmp> failed"},
	{"Timeout after 300s", "Timeout after <dur>"},
	{"took 1.5 sec (limit 90 minutes), 250ms per call", "took <dur> (limit <dur>), <dur> per call"},
	{"AssertionError: 3 != 4", "AssertionError: <n> != <n>"},
	{"invalid \xff bytes", "invalid \uFFFD bytes"},
}

func TestNormaliseMessage(t *testing.T) {
	for _, tc := range normaliseTests {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, store.NormaliseMessage(tc.in))
		})
	}
	long := strings.Repeat("é", 1000)
	got := store.NormaliseMessage(long)
	require.LessOrEqual(t, len(got), 512)
	require.True(t, utf8.ValidString(got))
}

func TestGroupID(t *testing.T) {
	a := store.GroupID("Timeout after 300s on agent-3 at 2022-01-31T12:34:56Z")
	require.Len(t, a, 16)
	require.Equal(t, a, store.GroupID("Timeout after 12s on agent-7 at 2023-05-01T01:02:03Z"))
	require.NotEqual(t, a, store.GroupID("No space left on device"))
	// Fixed forever: a changed hash would split every recorded group.
	require.Equal(t, "4881465056495ae5", store.GroupID("script returned exit code 1"))
}

func FuzzNormaliseMessage(f *testing.F) {
	for _, tc := range normaliseTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		n := store.NormaliseMessage(msg)
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 out of %q: %q", msg, n)
		}
		if len(n) > 512 {
			t.Fatalf("%d bytes out of %q", len(n), msg)
		}
		if strings.ContainsAny(n, "0123456789") {
			t.Fatalf("digit left in %q (from %q)", n, msg)
		}
		if again := store.NormaliseMessage(n); again != n {
			t.Fatalf("not idempotent: %q → %q → %q", msg, n, again)
		}
		if store.GroupID(msg) != store.GroupID(n) {
			t.Fatalf("group of %q differs from group of its normal form", msg)
		}
	})
}
