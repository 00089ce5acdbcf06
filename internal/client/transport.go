package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Bounds of what is read from an answer.
const (
	maxJSONBody  = 1 << 20  // a JSON answer but a run list: a job, a run, a login, a user
	maxRunJSON   = 64 << 10 // each run a run list may hold, beside maxJSONBody
	maxErrorBody = 64 << 10 // an error answer: enough for its message, never a 10 MB page
)

// reqOpts describes one API request.
type reqOpts struct {
	method     string
	path       string // relative to the REST root, e.g. /scheduled-jobs/7
	query      url.Values
	body       any // JSON-encoded when not nil
	idempotent bool
	stream     bool
	login      bool // POST /sessions: see checkRetry
	// maxBody bounds the JSON answer; 0 means maxJSONBody. tooLarge says what to do when an
	// answer exceeds it.
	maxBody  int64
	tooLarge string
}

func (o reqOpts) pathWithQuery() string {
	if len(o.query) == 0 {
		return o.path
	}
	return o.path + "?" + o.query.Encode()
}

// transportError is a request that got no (complete) answer: connection error, timeout,
// broken body. Whether the server acted on it is unknown.
type transportError struct {
	Method, Path string
	Err          error
}

func (e *transportError) Error() string {
	var te *timeoutError
	if errors.As(e.Err, &te) {
		return fmt.Sprintf("%s %s: %v", e.Method, e.Path, te)
	}
	msg := fmt.Sprintf("%s %s: no answer from OpenSpecimen: %v", e.Method, e.Path, unwrapURLError(e.Err))
	if untrustedCertificate(e.Err) {
		msg += ". The server's TLS certificate is not trusted: it is signed by a CA that this machine does not trust " +
			"(an internal CA?), or it has expired, or it names another host"
	}
	return msg
}

// IsUntrustedCertificate reports whether err is a request that failed because the server's
// TLS certificate is not trusted (unknown authority, expired, wrong host name).
func IsUntrustedCertificate(err error) bool {
	var te *transportError
	return errors.As(err, &te) && untrustedCertificate(te.Err)
}

// IsUnreachable reports whether err is a request that reached no OpenSpecimen server: no
// (complete) answer, such as a connection refused, a host name not found or the request
// timeout, or a proxy's answer that it reaches none (502, 503, 504). The server may be down
// for a while or gone for good; a refusal of the server itself is never unreachable.
func IsUnreachable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode == http.StatusBadGateway || ae.StatusCode == http.StatusServiceUnavailable ||
			ae.StatusCode == http.StatusGatewayTimeout
	}
	var te *transportError
	return errors.As(err, &te)
}

// IsRequestTimeout reports whether err is a request that got no answer within the request
// timeout (Config.RequestTimeout).
func IsRequestTimeout(err error) bool {
	var te *timeoutError
	return errors.As(err, &te)
}

// untrustedCertificate reports whether err is a failed verification of the server's
// certificate (unknown authority, expired, wrong host name).
func untrustedCertificate(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var hn x509.HostnameError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &hn)
}

func (e *transportError) Unwrap() error { return e.Err }

// timeoutError is one HTTP attempt that exceeded the request timeout. It does not wrap
// context.DeadlineExceeded: the caller's context has not ended.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("OpenSpecimen did not answer within the request timeout of %s", e.d)
}
func (e *timeoutError) Timeout() bool { return true }

// do sends an authenticated request and returns a 2xx answer, whose body the caller closes.
// A 401 leads to one new login and one repeat of the request; any other status is an error.
func (c *Client) do(ctx context.Context, o reqOpts) (*http.Response, error) {
	tok := c.token
	if tok == "" {
		var err error
		if tok, err = c.sessionToken(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := c.send(ctx, o, tok)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		drainClose(resp.Body)
		if c.token != "" {
			return nil, &LoginError{Reason: "OpenSpecimen refused the API token: it is wrong, expired or revoked",
				Err: &APIError{StatusCode: resp.StatusCode, Method: o.method, Path: o.path, Message: "API token refused"}}
		}
		c.logger.DebugContext(ctx, "OpenSpecimen session refused (expired?): logging in again", "path", o.path)
		if err := c.login(ctx, tok); err != nil {
			return nil, err
		}
		if tok, err = c.sessionToken(ctx); err != nil {
			return nil, err
		}
		if resp, err = c.send(ctx, o, tok); err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized {
			drainClose(resp.Body)
			return nil, &sessionLostError{APIError: &APIError{StatusCode: resp.StatusCode, Method: o.method, Path: o.path,
				Message: fmt.Sprintf("OpenSpecimen refused the session of user %q right after a new login: another login "+
					"as this user may have ended it (a server with auth.max_login_sessions ends a user's oldest sessions "+
					"at each login); give this client a user of its own", c.LoginName())}}
		}
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, c.apiError(o, resp)
	}
	return resp, nil
}

// doJSON sends a request and decodes its JSON answer into out.
func (c *Client) doJSON(ctx context.Context, o reqOpts, out any) error {
	resp, err := c.do(ctx, o)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return c.decode(o, resp, out)
}

// send makes one request through the retrying transport, with the token if any. It returns
// the answer whatever its status; an error means no answer.
func (c *Client) send(ctx context.Context, o reqOpts, token string) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.method, o.path, err)
	}
	var body any
	if o.body != nil {
		b, err := json.Marshal(o.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request: %w", o.method, o.path, err)
		}
		body = b
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, o.method, c.root+o.pathWithQuery(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.method, o.path, err)
	}
	req.Header.Set("Accept", "application/json")
	if o.stream {
		req.Header.Set("Accept", "*/*")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if token != "" {
		req.Header.Set("X-OS-API-TOKEN", token)
	}
	start := c.now()
	resp, err := c.clientFor(o).Do(req)
	fields := []any{"method", o.method, "path", o.pathWithQuery(), "duration_ms", c.now().Sub(start).Milliseconds()}
	if err != nil {
		if resp != nil && resp.Body != nil {
			drainClose(resp.Body)
		}
		c.logger.DebugContext(ctx, "OpenSpecimen request failed", append(fields, "error", err.Error())...)
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%s %s: %w", o.method, o.path, cerr)
		}
		return nil, &transportError{Method: o.method, Path: o.path, Err: err}
	}
	c.logger.DebugContext(ctx, "OpenSpecimen request", append(fields, "status", resp.StatusCode)...)
	return resp, nil
}

// decode reads a 2xx answer of at most o.maxBody bytes into out.
func (c *Client) decode(o reqOpts, resp *http.Response, out any) error {
	limit := cmp.Or(o.maxBody, maxJSONBody)
	data, truncated, err := readBounded(resp.Body, limit)
	if err != nil {
		return &transportError{Method: o.method, Path: o.path, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if truncated {
		return &answerTooLargeError{Method: o.method, Path: o.path, Limit: limit, Hint: o.tooLarge}
	}
	bad := func(err error) error {
		return &badBodyError{Method: o.method, Path: o.path, StatusCode: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), Excerpt: excerpt(string(data)), Err: err}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return bad(nil)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return bad(err)
	}
	return nil
}

// apiError reads a bounded prefix of an error answer into an *APIError.
func (c *Client) apiError(o reqOpts, resp *http.Response) *APIError {
	data, _, _ := readBounded(resp.Body, maxErrorBody)
	e := parseAPIError(resp.StatusCode, o.method, o.path, data)
	if resp.StatusCode/100 == 3 {
		e.Message = fmt.Sprintf("the server redirects to %q, which is not followed: set url to the REST root it should be",
			clip(resp.Header.Get("Location"), 200))
	}
	return e
}

// readBounded reads at most n bytes; truncated reports that there were more.
func readBounded(r io.Reader, n int64) (data []byte, truncated bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, n+1))
	if int64(len(data)) > n {
		return data[:n], true, err
	}
	return data, false, err
}

// drainClose reads a little of a body, so that a small one lets the connection be reused, and
// closes it.
func drainClose(b io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(b, 4<<10))
	_ = b.Close()
}

func (c *Client) shortPath(p string) string {
	if c.rootPath != "" && strings.HasPrefix(p, c.rootPath) {
		return p[len(c.rootPath):]
	}
	return p
}

// clientFor answers the HTTP client of o's request policy: a trigger is never retried, so
// that it is not repeated blindly; a login and the reads are, each by its own rule.
func (c *Client) clientFor(o reqOpts) *retryablehttp.Client {
	switch {
	case o.login:
		return c.logins
	case o.stream:
		return c.streams
	case o.idempotent:
		return c.reads
	}
	return c.once
}

// retryRead retries a read on a connection error, a 429 or a 5xx but 501, as classify sees
// them; never an untrusted certificate, which will not become trusted on a second try.
//
// Nor an attempt that the request timeout ended: a server that took the whole timeout
// without answering is hung or overloaded, and another attempt would only multiply the
// user's wait (by 1 + MaxRetries) and the server's load. So a request fails within about one
// request timeout, and the callers that wait on the server (WaitForRun, the look-up of
// StartRun) read again on their own schedule.
func retryRead(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var te *timeoutError
	if err != nil && (untrustedCertificate(err) || errors.As(err, &te)) {
		return false, nil
	}
	if err == nil && resp != nil && resp.StatusCode == http.StatusNotImplemented {
		return false, nil
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// notSent reports whether a request failed before it reached the server: the connection was
// never made.
func notSent(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial" && !untrustedCertificate(err)
}

// retryLogin retries a login on a 429 or 5xx answer (the server refused to work; a session
// it may have opened is harmless) and on a connection that could not be made, but not after
// a lost answer: the server may have counted a wrong password toward the account's lock-out.
func retryLogin(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return notSent(err), nil
	}
	return resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented, nil
}

// retryNever is the policy of the trigger.
func retryNever(ctx context.Context, _ *http.Response, _ error) (bool, error) {
	return false, ctx.Err()
}

// retryAfterMax caps the pause that a server's Retry-After asks for.
const retryAfterMax = 30 * time.Second

// backoff is exponential with jitter between min and max; a 429 or 503 with Retry-After
// waits that long, up to retryAfterMax.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, retryAfterMax)
		}
	}
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1) //nolint:gosec // jitter
}

// timeoutTransport bounds each HTTP attempt by a timeout: the whole exchange, body included,
// or with idle (streamed bodies) each pause between reads.
type timeoutTransport struct {
	base    http.RoundTripper
	timeout time.Duration
	idle    bool
}

var errAttemptTimeout = errors.New("request timeout")

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(t.timeout, func() { cancel(errAttemptTimeout) })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timer.Stop()
		timedOut := context.Cause(ctx) == errAttemptTimeout && req.Context().Err() == nil
		cancel(nil)
		if timedOut {
			return nil, &timeoutError{d: t.timeout}
		}
		return nil, err
	}
	if t.idle {
		timer.Reset(t.timeout)
	}
	resp.Body = &timeoutBody{rc: resp.Body, ctx: ctx, parent: req.Context(), timer: timer, cancel: cancel, idle: t.idle, d: t.timeout}
	return resp, nil
}

type timeoutBody struct {
	rc     io.ReadCloser
	ctx    context.Context
	parent context.Context
	timer  *time.Timer
	cancel context.CancelCauseFunc
	idle   bool
	d      time.Duration
	once   sync.Once
}

func (b *timeoutBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF && context.Cause(b.ctx) == errAttemptTimeout && b.parent.Err() == nil {
		err = &timeoutError{d: b.d}
	}
	if b.idle && err == nil {
		b.timer.Reset(b.d)
	}
	return n, err
}

func (b *timeoutBody) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		b.timer.Stop()
		b.cancel(nil)
	})
	return err
}
