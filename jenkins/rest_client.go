package jenkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials authenticate requests to a Jenkins controller read over its REST API (a URL
// source). They are never printed: String masks the token.
type Credentials struct {
	// User and Token (an API token, or a password) are sent as HTTP basic auth when both are set.
	User  string
	Token string
	// Netrc is the path of a netrc file consulted for the controller's host when User and Token
	// are not both set. A missing file means no credentials.
	Netrc string
}

// String describes the credentials without their secret.
func (c *Credentials) String() string {
	if c == nil {
		return "no credentials"
	}
	switch {
	case c.User != "" && c.Token != "":
		return fmt.Sprintf("user %q with a token (JENKINS_USER/JENKINS_TOKEN)", c.User)
	case c.Netrc != "":
		return "netrc " + c.Netrc
	}
	return "no credentials"
}

// GoString keeps %#v from printing the token.
func (c *Credentials) GoString() string { return c.String() }

// CredentialsFromEnv reads JENKINS_USER and JENKINS_TOKEN, else names the netrc file ($NETRC,
// else ~/.netrc) to consult per host. getenv is os.Getenv in the CLI and a map in tests. Only
// one of JENKINS_USER and JENKINS_TOKEN set is an error: a half-configured login must not fall
// back silently to anonymous access.
func CredentialsFromEnv(getenv func(string) string) (*Credentials, error) {
	user, token := getenv("JENKINS_USER"), getenv("JENKINS_TOKEN")
	switch {
	case user != "" && token != "":
		return &Credentials{User: user, Token: token}, nil
	case user != "":
		return nil, errors.New("JENKINS_USER is set but JENKINS_TOKEN is not")
	case token != "":
		return nil, errors.New("JENKINS_TOKEN is set but JENKINS_USER is not")
	}
	if p := getenv("NETRC"); p != "" {
		return &Credentials{Netrc: p}, nil
	}
	if home := getenv("HOME"); home != "" {
		return &Credentials{Netrc: filepath.Join(home, ".netrc")}, nil
	}
	return nil, nil
}

// basicAuth returns the login for host (hostport is host[:port] as in the URL).
func (c *Credentials) basicAuth(host, hostport string) (user, pass string, ok bool, err error) {
	if c == nil {
		return "", "", false, nil
	}
	if c.User != "" && c.Token != "" {
		return c.User, c.Token, true, nil
	}
	if c.Netrc == "" {
		return "", "", false, nil
	}
	data, err := os.ReadFile(c.Netrc)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("reading netrc: %w", err)
	}
	user, pass, ok = netrcLookup(parseNetrc(data), host, hostport)
	return user, pass, ok && user != "", nil
}

// Tunables of the REST client; variables so that tests need not wait.
var (
	restTimeout     = 60 * time.Second
	restAttempts    = 4
	restBackoff     = 500 * time.Millisecond
	restMaxBackoff  = 30 * time.Second
	restMaxJSONSize = int64(256 << 20)
)

// restClient talks to one controller: keep-alive connections, a timeout per request, retries
// with backoff on 429, 5xx and transport errors, and basic auth sent to the controller's own
// host only.
type restClient struct {
	http    *http.Client
	host    string // scheme://host:port of the controller: the only place credentials go
	user    string
	pass    string
	auth    bool
	credsBy string // where the credentials came from, for 401/403 messages

	mu      sync.Mutex
	missing map[string]bool // API families found absent (404): "blue", "wfapi"
}

// ErrHTTP is wrapped by every error for an HTTP status the reader could not use.
var ErrHTTP = errors.New("HTTP error")

// HTTPError is an unusable answer from the controller.
type HTTPError struct {
	URL    string
	Status int
	// Hint says what to do about it, when there is something to say.
	Hint string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

func (e *HTTPError) Unwrap() error { return ErrHTTP }

func newRESTClient(base *url.URL, opts WalkOptions) (*restClient, error) {
	c := &restClient{host: base.Scheme + "://" + base.Host, missing: map[string]bool{}}
	user, pass, ok, err := opts.Credentials.basicAuth(base.Hostname(), base.Host)
	if err != nil {
		return nil, err
	}
	c.user, c.pass, c.auth = user, pass, ok
	c.credsBy = opts.Credentials.String()

	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		workers := opts.Workers
		if workers <= 0 {
			workers = 8
		}
		tr.MaxIdleConnsPerHost = workers + 2
		hc.Transport = tr
	}
	userRedirect := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		// Credentials stay on the controller's host: net/http keeps them for subdomains, and
		// a downgrade to http would send them in clear.
		if req.URL.Scheme+"://"+req.URL.Host != c.host {
			req.Header.Del("Authorization")
		}
		if userRedirect != nil {
			return userRedirect(req, via)
		}
		return nil
	}
	c.http = &hc
	return c, nil
}

// get fetches u and returns its body (at most limit bytes) and headers. 404 is returned as an
// *HTTPError like any other status, for callers that probe.
func (c *restClient) get(ctx context.Context, u string, limit int64) ([]byte, http.Header, error) {
	var lastErr error
	for attempt := 0; attempt < restAttempts; attempt++ {
		if attempt > 0 {
			wait := restBackoff << (attempt - 1)
			var he *retryAfter
			if errors.As(lastErr, &he) && he.wait > 0 {
				wait = he.wait
			}
			wait = min(wait, restMaxBackoff)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, nil, ctx.Err()
			case <-t.C:
			}
		}
		body, hdr, err := c.once(ctx, u, limit)
		if err == nil {
			return body, hdr, nil
		}
		var ra *retryAfter
		if !errors.As(err, &ra) || ctx.Err() != nil {
			return nil, nil, err
		}
		lastErr = err
	}
	var ra *retryAfter
	if errors.As(lastErr, &ra) {
		return nil, nil, fmt.Errorf("%w (after %d attempts)", ra.err, restAttempts)
	}
	return nil, nil, lastErr
}

// retryAfter marks an error worth retrying, with the server's requested delay if any.
type retryAfter struct {
	err  error
	wait time.Duration
}

func (r *retryAfter) Error() string { return r.err.Error() }
func (r *retryAfter) Unwrap() error { return r.err }

func (c *restClient) once(ctx context.Context, u string, limit int64) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, restTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	shown := shortURL(u)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", shown, err)
	}
	if c.auth && req.URL.Scheme+"://"+req.URL.Host == c.host {
		req.SetBasicAuth(c.user, c.pass)
	}
	req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.1")
	resp, err := c.http.Do(req)
	if err != nil {
		err = fmt.Errorf("GET %s: %w", shown, unwrapURLError(err))
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			var ne net.Error
			if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
				return nil, nil, &retryAfter{err: err}
			}
		}
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection reusable
		he := &HTTPError{URL: shown, Status: resp.StatusCode}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			if c.auth {
				he.Hint = "the controller refused the credentials (" + c.credsBy + "); check JENKINS_USER/JENKINS_TOKEN or the netrc entry for " + req.URL.Hostname()
			} else {
				he.Hint = "set JENKINS_USER and JENKINS_TOKEN (an API token), or add a netrc entry for " + req.URL.Hostname()
			}
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return nil, nil, &retryAfter{err: he, wait: parseRetryAfter(resp.Header.Get("Retry-After"))}
		}
		return nil, nil, he
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, &retryAfter{err: fmt.Errorf("GET %s: reading the answer: %w", shown, err)}
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("GET %s: answer larger than %d bytes", shown, limit)
	}
	return body, resp.Header, nil
}

// shortURL drops the tree= query from a URL shown in a message: long, and not what a reader
// needs to find the resource.
func shortURL(u string) string {
	if i := strings.Index(u, "?tree="); i >= 0 {
		return u[:i]
	}
	return u
}

// unwrapURLError drops *url.Error's own "Get URL:" prefix, which the caller already writes.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// getJSON fetches u and decodes it into v with decode, naming u in any error.
func (c *restClient) getJSON(ctx context.Context, u string, v any) error {
	body, _, err := c.get(ctx, u, restMaxJSONSize)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: not the JSON expected: %w", shortURL(u), err)
	}
	return nil
}

// isNotFound reports whether err is a 404 from the controller (an absent build, or an API the
// controller does not have installed).
func isNotFound(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.Status == http.StatusNotFound
}

// isDenied reports whether err is a 401 or 403 from the controller.
func isDenied(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden)
}

// absent records and reports API families the controller lacks, so that each is probed once.
func (c *restClient) absent(api string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.missing[api]
}

func (c *restClient) markAbsent(api string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.missing[api] = true
}
