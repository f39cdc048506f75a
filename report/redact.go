package report

import (
	"regexp"
	"strings"
)

// Mask replaces the secret part of a credential in every report.
const Mask = "****"

// A redactRule finds one kind of credential. The capture group named "s" is the secret and is
// replaced by Mask; the rest of the match stays, so a reader still sees what was there
// ("password=****", "https://ci:****@host").
type redactRule struct {
	name string
	// need lists lower-case substrings one of which must occur for the rule to be tried: most
	// log lines hold none, and the regexps are the cost of a report.
	need []string
	re   *regexp.Regexp
	// keep, when set, vetoes a match: a name like TOKEN_FILE holds a path, not a secret. g
	// returns a named group of the match; lineStart says whether only blanks precede it on its line.
	keep func(g func(name string) string, lineStart bool) bool
}

// keyLooksLikePath reports whether a variable or flag name holds a path or a reference rather
// than the secret itself (GITHUB_TOKEN_FILE, --token-file, --password-stdin).
func keyLooksLikePath(key string) bool {
	k := strings.ToLower(strings.Trim(key, `"'-`))
	for _, suf := range []string{"file", "path", "dir", "stdin", "env", "name", "id", "type", "length", "url"} {
		if strings.HasSuffix(k, "_"+suf) || strings.HasSuffix(k, "-"+suf) || strings.HasSuffix(k, "."+suf) {
			return true
		}
	}
	// credentialsId, tokenName: Jenkins names a credential by id; the id is no secret.
	return strings.HasSuffix(k, "id") || strings.HasSuffix(k, "name")
}

// valueIsHarmless reports whether an assigned value is not itself a secret: already masked
// (Jenkins writes ****), a shell/Groovy variable reference, or nothing at all.
func valueIsHarmless(v string) bool {
	v = strings.Trim(v, `"'`)
	return v == "" || strings.HasPrefix(v, "$") || strings.HasPrefix(v, "%") || strings.HasSuffix(v, Mask)
}

func keepIfHarmless(g func(string) string, _ bool) bool {
	return keyLooksLikePath(g("k")) || valueIsHarmless(g("s"))
}

func keepIfValueHarmless(g func(string) string, _ bool) bool { return valueIsHarmless(g("s")) }

// secretWords are the parts of a key name that mark its value as a secret.
const secretWords = `(?:token|secret|passw(?:or)?d|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)`

// secretNeeds are the fragments secretWords can match, for the rules' prefilter.
var secretNeeds = []string{"token", "secret", "passw", "api_key", "api-key", "apikey", "access_key", "access-key", "accesskey",
	"private_key", "private-key", "privatekey", "credential"}

// A bare (unquoted) value runs to whitespace or a shell/URL separator.
const bareValue = `[^\s"'&;,)}\]]+`

var redactRules = []redactRule{
	{
		// PEM private keys, also when an excerpt cut the END line off.
		name: "private-key",
		need: []string{"private key"},
		re:   regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?P<s>.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`),
	},
	{
		// userinfo in URLs: scheme://user:password@host keeps the user.
		name: "url-password",
		need: []string{"://"},
		re:   regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]*://[^/\s:@'"]+:(?P<s>[^/\s@'"]+)@`),
		keep: keepIfValueHarmless,
	},
	{
		name: "github-token",
		need: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"},
		re:   regexp.MustCompile(`\bgh[pousr]_(?P<s>[A-Za-z0-9]{30,})`),
	},
	{
		name: "github-pat",
		need: []string{"github_pat_"},
		re:   regexp.MustCompile(`\bgithub_pat_(?P<s>[A-Za-z0-9_]{20,})`),
	},
	{
		name: "slack-token",
		need: []string{"xox"},
		re:   regexp.MustCompile(`\bxox[abposre]-(?P<s>[A-Za-z0-9\-]{8,})`),
	},
	{
		// AWS access key ids: the first four letters say which kind, the rest identifies.
		name: "aws-key-id",
		need: []string{"akia", "asia", "agpa", "aida", "aroa"},
		re:   regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA)(?P<s>[A-Z0-9]{16})\b`),
	},
	{
		name: "authorization-header",
		need: []string{"authorization"},
		re: regexp.MustCompile(`(?i)\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest|negotiate)\s+)?(?P<s>` +
			bareValue + `)`),
		keep: keepIfValueHarmless,
	},
	{
		// docker login -p SECRET (and --password SECRET, caught below too).
		name: "docker-login",
		need: []string{"docker"},
		re:   regexp.MustCompile(`\bdocker\s+login\b[^\n]*?\s-p(?:\s+|=)(?P<s>[^\s\-][^\s]*)`),
		keep: keepIfValueHarmless,
	},
	{
		// curl -u user:password keeps the user.
		name: "curl-user",
		need: []string{"curl"},
		re:   regexp.MustCompile(`\bcurl\b[^\n]*?\s(?:-u|--user)(?:\s+|=)["']?[^\s:"']+:(?P<s>[^\s"']+)`),
		keep: keepIfValueHarmless,
	},
	{
		// --token SECRET, --password=SECRET, -password SECRET.
		name: "flag",
		need: secretNeeds,
		re: regexp.MustCompile(`(?i)(?:^|\s)(?P<k>--?[a-z0-9\-_]*` + secretWords + `[a-z0-9\-_]*)(?:\s+|=)(?P<s>"[^"\n]*"|'[^'\n]*'|[^\s\-"'<>|&;]` +
			`[^\s"']*)`),
		keep: keepIfHarmless,
	},
	{
		// Environment variables named like secrets, in any of export X=..., X=..., --env X=...,
		// -e X=...: *_TOKEN, *_SECRET, *_PASSWORD, *_KEY, *_PASS.
		name: "env-secret",
		need: []string{"_token=", "_secret=", "_password=", "_passwd=", "_pass=", "_key=", "_apikey=", "_credential"},
		re: regexp.MustCompile(`\b(?P<k>[A-Za-z][A-Za-z0-9_]*_(?:TOKEN|SECRET|PASSWORD|PASSWD|PASS|KEY|APIKEY|CREDENTIALS?))=(?P<s>"[^"\n]*"|'[^'\n]*'|` +
			bareValue + `)`),
		keep: keepIfHarmless,
	},
	{
		// Generic assignments: token=..., apikey: "...", "password": "...", aws_secret_access_key = ...
		name: "assignment",
		need: secretNeeds,
		re: regexp.MustCompile(`(?i)(?P<k>["']?[a-z0-9_.\-]*` + secretWords + `[a-z0-9_.\-]*["']?)(?P<sep>[ \t]*[=:][ \t]*)(?P<s>"[^"\n]*"|'[^'\n]*'|` +
			bareValue + `)`),
		keep: func(g func(string) string, lineStart bool) bool {
			if keepIfHarmless(g, lineStart) {
				return true
			}
			// "Unexpected token: }" in prose is no credential: a colon assigns only when the key
			// or the value is quoted (JSON) or the key starts its line (YAML, HTTP-style headers).
			if strings.Contains(g("sep"), "=") {
				return false
			}
			quoted := func(x string) bool { return strings.HasSuffix(x, `"`) || strings.HasSuffix(x, `'`) }
			if quoted(g("k")) || quoted(g("s")) {
				return false
			}
			// A YAML key or header starts its line and is one word: "Class.Name: message"
			// is a Java exception, not an assignment.
			return !lineStart || strings.ContainsAny(g("k"), ".")
		},
	},
}

// Redact masks every credential it recognises in s: tokens (GitHub, Slack, AWS), secret
// assignments and flags, Authorization headers, passwords in URLs, private key blocks and
// environment variables named like secrets. It keeps the rest of s, including the name of what
// was masked, so the line still reads. Redact is idempotent.
//
// Redaction is a safety net, not a guarantee: Jenkins already masks bound credentials as ****,
// and a secret in an unrecognised shape passes through.
func Redact(s string) string {
	lower := strings.ToLower(s)
	for _, r := range redactRules {
		if !containsAny(lower, r.need) {
			continue
		}
		if t := r.apply(s); t != s {
			s, lower = t, strings.ToLower(t)
		}
	}
	return s
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (r redactRule) apply(s string) string {
	idx := r.re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	names := r.re.SubexpNames()
	si := r.re.SubexpIndex("s")
	var b strings.Builder
	last := 0
	for _, m := range idx {
		start, end := m[2*si], m[2*si+1]
		if start < 0 || start < last {
			continue
		}
		if r.keep != nil {
			g := func(name string) string {
				for i, n := range names {
					if n == name && m[2*i] >= 0 {
						return s[m[2*i]:m[2*i+1]]
					}
				}
				return ""
			}
			bol := strings.LastIndexByte(s[:m[0]], '\n') + 1
			if r.keep(g, strings.Trim(s[bol:m[0]], " \t-") == "") {
				continue
			}
		}
		secret := s[start:end]
		b.WriteString(s[last:start])
		b.WriteString(maskFor(secret))
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// maskFor keeps a value's quotes and a key block's line breaks, so masked text keeps its shape
// (and masking twice changes nothing).
func maskFor(secret string) string {
	switch {
	case len(secret) >= 2 && (secret[0] == '"' || secret[0] == '\'') && secret[len(secret)-1] == secret[0]:
		return secret[:1] + Mask + secret[:1]
	case strings.Contains(secret, "\n"):
		return "\n" + Mask + "\n"
	}
	return Mask
}
