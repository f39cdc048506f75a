package jenkins

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseNetrc(t *testing.T) {
	for _, tc := range []struct {
		name, data, host, hostport string
		login, password            string
		ok                         bool
	}{
		{"one line", "machine ci.example.com login alice password s3cret\n", "ci.example.com", "ci.example.com", "alice", "s3cret", true},
		{"multi line", "machine other login bob password x\n\nmachine ci.example.com\n  login alice\n  password s3cret\n", "ci.example.com", "ci.example.com:443", "alice", "s3cret", true},
		{"host:port entry wins", "machine ci:8080 login p password pp\nmachine ci login h password hh\n", "ci", "ci:8080", "p", "pp", true},
		{"case-insensitive host", "machine CI.Example.com login a password b", "ci.example.com", "ci.example.com", "a", "b", true},
		{"default", "machine other login bob password x\ndefault login anon password guest\n", "ci", "ci", "anon", "guest", true},
		{"no match", "machine other login bob password x\n", "ci", "ci", "", "", false},
		{"quoted", `machine ci login "al ice" password "p\"w d"`, "ci", "ci", "al ice", `p"w d`, true},
		{"comments and account", "# my hosts\nmachine ci login a account acct password b # trailing\n", "ci", "ci", "a", "b", true},
		{"macdef body skipped", "machine ci login a password b\nmacdef init\nmachine evil login x password y\n\nmachine ci2 login c password d\n", "ci2", "ci2", "c", "d", true},
		{"macdef body not an entry", "macdef init\nmachine ci login x password y\n\n", "ci", "ci", "", "", false},
		{"CRLF", "machine ci\r\nlogin a\r\npassword b\r\n", "ci", "ci", "a", "b", true},
		{"truncated", "machine ci login", "ci", "ci", "", "", true},
		{"empty", "", "ci", "ci", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, p, ok := netrcLookup(parseNetrc([]byte(tc.data)), tc.host, tc.hostport)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.login, l)
			assert.Equal(t, tc.password, p)
		})
	}
}
