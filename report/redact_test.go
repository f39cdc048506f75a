package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Fake credentials of the real shapes. They are split so that secret scanners of this repository
// do not flag the test file itself.
var (
	fakeGitHub = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
	fakePAT    = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
	fakeSlack  = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOp"
	fakeAWSID  = "AKIA" + "IOSFODNN7EXAMPLE"
	fakeAWSKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
)

var redactTests = []struct {
	name, in, want string
}{
	{"github token", "git push https://x-access-token@github.com " + fakeGitHub + " done", "git push https://x-access-token@github.com ghp_**** done"},
	{"github pat", "token " + fakePAT, "token github_pat_****"},
	{"slack", "curl -d token=" + fakeSlack, "curl -d token=xoxb-****"},
	{"slack alone", "SLACK " + fakeSlack + " x", "SLACK xoxb-**** x"},
	{"aws key id", "aws_access_key_id = " + fakeAWSID, "aws_access_key_id = AKIA****"},
	{"aws secret", "aws_secret_access_key = " + fakeAWSKey, "aws_secret_access_key = ****"},
	{"aws secret env", "export AWS_SECRET_ACCESS_KEY=" + fakeAWSKey, "export AWS_SECRET_ACCESS_KEY=****"},
	{"generic token=", "https://ci.example.org/hook?token=abc123def&job=tvm", "https://ci.example.org/hook?token=****&job=tvm"},
	{"apikey", "apikey=0123456789abcdef", "apikey=****"},
	{"api_key json", `{"api_key": "s3cr3t", "user": "bob"}`, `{"api_key": "****", "user": "bob"}`},
	{"password=", "mysql -h db password=hunter2 -e 'select 1'", "mysql -h db password=**** -e 'select 1'"},
	{"passwd", "PASSWD=hunter2 ./deploy.sh", "PASSWD=**** ./deploy.sh"},
	{"secret yaml", "  client_secret: abcdef123", "  client_secret: ****"},
	{"bearer", `curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc" https://x`, `curl -H "Authorization: Bearer ****" https://x`},
	{"basic", "Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ****"},
	{"github token header", "-H 'Authorization: token " + fakeGitHub + "'", "-H 'Authorization: token ghp_****'"},
	{"url password", "git clone https://tvm-bot:hunter2@github.com/apache/tvm.git", "git clone https://tvm-bot:****@github.com/apache/tvm.git"},
	{"url password other scheme", "postgres://admin:pa55@db:5432/x", "postgres://admin:****@db:5432/x"},
	{"private key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nnext", "key:\n-----BEGIN RSA PRIVATE KEY-----\n****\n-----END RSA PRIVATE KEY-----\nnext"},
	{"private key cut off", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA", "-----BEGIN OPENSSH PRIVATE KEY-----\n****\n"},
	{"env token", "export DOCS_PUSH_TOKEN=abc.def-ghi", "export DOCS_PUSH_TOKEN=****"},
	{"env key", "SIGNING_KEY='abc def' make", "SIGNING_KEY='****' make"},
	{"docker env", "docker run --env CODECOV_TOKEN=1234-abcd -e NPM_PASSWORD=\"x y\" img", "docker run --env CODECOV_TOKEN=**** -e NPM_PASSWORD=\"****\" img"},
	{"docker login -p", "docker login -u tvmbot -p Sup3rS3cret docker.io", "docker login -u tvmbot -p **** docker.io"},
	{"docker login --password", "docker login --username u --password Sup3r docker.io", "docker login --username u --password **** docker.io"},
	{"token flag", "./upload --token abcdef --dry-run", "./upload --token **** --dry-run"},
	{"curl -u", "curl -fsS -u admin:hunter2 https://ci/api", "curl -fsS -u admin:**** https://ci/api"},

	// Things that must stay.
	{"sha1", "HEAD is now at 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 Merge", "HEAD is now at 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 Merge"},
	{"token file flag", "gh auth login --with-token < /run/token --token-file /run/secrets/gh", "gh auth login --with-token < /run/token --token-file /run/secrets/gh"},
	{"token file env", "GITHUB_TOKEN_FILE=/run/secrets/gh", "GITHUB_TOKEN_FILE=/run/secrets/gh"},
	{"password stdin", "echo $PW | docker login --password-stdin -u bot docker.io", "echo $PW | docker login --password-stdin -u bot docker.io"},
	{"variable reference", `export GITHUB_TOKEN="${GITHUB_TOKEN}" TOKEN=$TOKEN`, `export GITHUB_TOKEN="${GITHUB_TOKEN}" TOKEN=$TOKEN`},
	{"already masked", "+ docker login -u bot -p **** docker.io", "+ docker login -u bot -p **** docker.io"},
	{"prose", "The secret of the token bucket is a password policy.", "The secret of the token bucket is a password policy."},
	{"js error", "SyntaxError: Unexpected token: } in JSON at position 12", "SyntaxError: Unexpected token: } in JSON at position 12"},
	{"url without password", "https://github.com/apache/tvm/pull/10152", "https://github.com/apache/tvm/pull/10152"},
	{"docker user flag", "docker run -u 1000:1000 --rm img", "docker run -u 1000:1000 --rm img"},
	{"pytest", "tests/python/unittest/test_tokenizer.py::test_token PASSED", "tests/python/unittest/test_tokenizer.py::test_token PASSED"},
	{"key word", "KeyError: 'target'", "KeyError: 'target'"},
	{"empty", "", ""},
}

func TestRedact(t *testing.T) {
	for _, tc := range redactTests {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, Redact(got), "Redact must be idempotent")
		})
	}
}

// TestRedactLeavesNoKnownSecret checks the secrets themselves, not the exact output: whatever
// the surrounding text, the secret value must be gone.
func TestRedactLeavesNoKnownSecret(t *testing.T) {
	for _, secret := range []string{fakeGitHub, fakePAT, fakeSlack, fakeAWSID} {
		for _, ctx := range []string{"%s", "x=%s", "[%s]", `"%s"`, "echo %s | tee", "%s\n", "url=https://h/?t=%s"} {
			in := strings.ReplaceAll(ctx, "%s", secret)
			got := Redact(in)
			assert.NotContains(t, got, secret[6:], "input %q", in)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, tc := range redactTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Redact(s)
		if again := Redact(got); again != got {
			t.Fatalf("not idempotent:\n in:   %q\n once: %q\n twice: %q", s, got, again)
		}
		// A secret env assignment on a line of its own is masked whatever surrounds it.
		const secret = "Zq9Xw8Vu7Ts6"
		if strings.Contains(s, secret) {
			return
		}
		in := s + "\nexport DEPLOY_TOKEN=" + secret + "\n" + s
		if strings.Contains(Redact(in), secret) {
			t.Fatalf("secret survived in %q: %q", in, Redact(in))
		}
	})
}

func TestRedactKeepsCredentialNames(t *testing.T) {
	for _, s := range []string{
		"org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: docs-push-token",
		"withCredentials([string(credentialsId: 'docs-push-token', variable: 'TOKEN')])",
		"credentialsId=docs-push-token",
	} {
		assert.Equal(t, s, Redact(s))
	}
}
