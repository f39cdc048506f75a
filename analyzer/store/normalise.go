package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxNormalised bounds a normalised message: a group is named by the start of a failure, and a
// whole stack trace would make every failure its own group.
const maxNormalised = 512

// The replacements run in this order: longer, more specific shapes first, so that a timestamp
// is not first eaten as numbers. Every pattern that would match its own output needs a digit
// or a path, and the last step removes every digit, so normalising twice changes nothing.
var normalisers = []struct {
	re   *regexp.Regexp
	repl string
	// keep, when set, leaves a match as it is when it returns true.
	keep func(string) bool
}{
	// 2022-01-31T12:34:56.789Z, 2022-01-31 12:34:56,789 +0000
	{re: regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?(Z|\s?[+-]\d{2}:?\d{2}|\s?UTC)?`), repl: "<ts>"},
	// [12:34:56], 12:34:56.789
	{re: regexp.MustCompile(`\b\d{1,2}:\d{2}:\d{2}([.,]\d+)?\b`), repl: "<ts>"},
	// UUIDs
	{re: regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), repl: "<id>"},
	// temp paths: /tmp/..., /var/tmp/..., /var/folders/..., C:\Users\x\AppData\Local\Temp\...,
	// workspace@tmp/durable-1234abcd/...
	{re: regexp.MustCompile(`(?i)(/(var/)?tmp|/var/folders|[a-z]:\\[^\s'"]*\\temp)[/\\][^\s'":,;)\]]*`), repl: "<tmp>"},
	{re: regexp.MustCompile(`[^\s'"]*@tmp[/\\][^\s'":,;)\]]*`), repl: "<tmp>"},
	// hex ids: commit hashes, container ids, object addresses (0x7f3a...)
	{re: regexp.MustCompile(`(?i)\b0x[0-9a-f]+\b`), repl: "<hex>"},
	// a word of 7+ hex digits is an id when it mixes digits and letters ("3f2a9c1"); all
	// digits is a number, all letters a word ("defaced")
	{re: regexp.MustCompile(`(?i)\b[0-9a-f]{7,}\b`), repl: "<hex>", keep: func(w string) bool {
		return strings.IndexFunc(w, isHexLetter) < 0 || strings.IndexFunc(w, isDigit) < 0
	}},
	// durations: 12s, 1.5 sec, 300ms, 2 minutes
	{re: regexp.MustCompile(`(?i)\b\d+(\.\d+)?\s?(ns|us|µs|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?)\b`), repl: "<dur>"},
	// any other number
	{re: regexp.MustCompile(`\d+`), repl: "<n>"},
}

var spaces = regexp.MustCompile(`\s+`)

// NormaliseMessage reduces a failure message to what stays the same when the same failure
// recurs: timestamps, UUIDs, temp paths, hex ids, durations and numbers become placeholders
// (<ts>, <id>, <tmp>, <hex>, <dur>, <n>), runs of white space one space, and the result is cut
// to 512 bytes. Invalid UTF-8 becomes U+FFFD.
func NormaliseMessage(msg string) string {
	s := strings.ToValidUTF8(msg, "\uFFFD")
	for _, n := range normalisers {
		if n.keep == nil {
			s = n.re.ReplaceAllString(s, n.repl)
			continue
		}
		s = n.re.ReplaceAllStringFunc(s, func(w string) string {
			if n.keep(w) {
				return w
			}
			return n.repl
		})
	}
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) > maxNormalised {
		cut := maxNormalised
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut])
	}
	return s
}

func isDigit(r rune) bool     { return r >= '0' && r <= '9' }
func isHexLetter(r rune) bool { return (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F') }

// GroupID names the failure group of a message: the first 16 hex digits of the SHA-256 of its
// normalised form. The same failure gets the same id on every rescan and in every database.
func GroupID(msg string) string { return groupOf(NormaliseMessage(msg)) }

func groupOf(normalised string) string {
	sum := sha256.Sum256([]byte(normalised))
	return hex.EncodeToString(sum[:8])
}

// upsertGroup records a failure group. Its example is the smallest message seen, so that the
// row does not depend on the order in which builds were scanned.
func upsertGroup(ctx context.Context, tx *sql.Tx, id, normalised, msg string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO failure_groups (id, normalised, example) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET example = excluded.example WHERE excluded.example < failure_groups.example`,
		id, normalised, msg)
	return err
}
