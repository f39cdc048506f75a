package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBaseURLFlagsRefuseCredentials: a controller URL given as a flag becomes every link in
// every report and in the history, so a password in it would be printed everywhere. Like a URL
// SOURCE, it is refused (exit 2), and the message does not repeat the password.
func TestBaseURLFlagsRefuseCredentials(t *testing.T) {
	const secret = "pw-Zq81"
	db := filepath.Join(t.TempDir(), "h.db")
	for _, args := range [][]string{
		{"compare", "--prod", fixtureProd, "--staging", fixtureStaging, "--format", "json", "--prod-url", "https://ci:" + secret + "@ci.example.org/"},
		{"compare", "--prod", fixtureProd, "--staging", fixtureStaging, "--format", "json", "--staging-url", "https://ci:" + secret + "@ci.example.org/"},
		{"scan", fixtureProd, "--instance", "prod", "--db", db, "--url", "https://ci:" + secret + "@ci.example.org/"},
	} {
		r := runCLI(t, nil, args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "credentials in the URL are not accepted", args)
		assert.NotContains(t, r.stdout+r.stderr, secret, args)
	}
	for _, args := range [][]string{
		{"compare", "--prod", fixtureProd, "--staging", fixtureStaging, "--format", "json", "--prod-url", "javascript:alert(1)"},
		{"scan", fixtureProd, "--instance", "prod", "--db", db, "--url", "ftp://ci.example.org/"},
	} {
		r := runCLI(t, nil, args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
	}
}
