package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// hungServer accepts connections and never answers, until the test ends. It answers its REST
// root.
func hungServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + l.Addr().String() + "/openspecimen/rest/ng"
}

// attemptCounter counts the HTTP attempts that reach its base transport.
type attemptCounter struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (a *attemptCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	a.n.Add(1)
	return a.base.RoundTrip(req)
}

// A server that accepts the connection and never answers fails a request in one request
// timeout: the attempt is not repeated (retryRead), whatever MaxRetries, and the error says
// that the server did not answer within the request timeout (IsRequestTimeout).
func TestRequestTimeout(t *testing.T) {
	root := hungServer(t)
	for _, tc := range []struct {
		name, request string
		creds         func(*Config)
		call          func(ctx context.Context, c *Client) error
	}{
		{"read with a token", "GET /scheduled-jobs/7", func(c *Config) { c.Token = "api-token" },
			func(ctx context.Context, c *Client) error { _, err := c.GetJob(ctx, 7); return err }},
		{"token check", "GET /users/current-user", func(c *Config) { c.Token = "api-token" },
			func(ctx context.Context, c *Client) error { return c.Login(ctx) }},
		{"login", "POST /sessions", func(c *Config) { c.Username, c.Password = "alice", alicePassword },
			func(ctx context.Context, c *Client) error { return c.Login(ctx) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attempts := &attemptCounter{base: &http.Transport{}}
			lg := &recLogger{}
			cfg := Config{URL: root, RequestTimeout: 20 * time.Millisecond, MaxRetries: -1,
				HTTPClient: &http.Client{Transport: attempts}, Logger: slog.New(lg)}
			tc.creds(&cfg)
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			fastRetries(c)
			err = tc.call(t.Context(), c)
			var te *timeoutError
			if !errors.As(err, &te) || !IsRequestTimeout(err) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), tc.request+
				": OpenSpecimen did not answer within the request timeout of 20ms") {
				t.Fatalf("err = %v", err)
			}
			if n := attempts.n.Load(); n != 1 || strings.Contains(lg.all(), "retrying") {
				t.Fatalf("%d attempts, want 1 (logs: %s)", n, lg.all())
			}
			if !isTransient(err) {
				t.Fatal("a timeout is transient: the callers that wait on the server read again")
			}
		})
	}
}

// loginElsewhere logs user in on the server at root with a plain HTTP call, as another
// client would, ending the user's older sessions on a server with MaxLoginSessions. It is
// for request hooks, which run in the mock's goroutines and so must not call t.Fatal.
func loginElsewhere(root, user, password string) error {
	body := fmt.Sprintf(`{"loginName": %q, "password": %q, "domainName": "openspecimen"}`, user, password)
	resp, err := http.Post(root+"/sessions", "application/json", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("logging %s in elsewhere: %w", user, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("logging %s in elsewhere: status %d", user, resp.StatusCode)
	}
	return nil
}

// elsewhere collects the errors of loginElsewhere from hooks.
type elsewhere struct {
	root string
	errs chan error
}

func newElsewhere(s *mockserver.Server) *elsewhere {
	return &elsewhere{root: s.URL(), errs: make(chan error, 1000)}
}

// login logs alice in elsewhere, keeping any error for check.
func (e *elsewhere) login() {
	if err := loginElsewhere(e.root, "alice", alicePassword); err != nil {
		e.errs <- err
	}
}

// check fails the test with the first error of a login elsewhere, if any.
func (e *elsewhere) check(t *testing.T) {
	t.Helper()
	select {
	case err := <-e.errs:
		t.Fatal(err)
	default:
	}
}

// sessionEndsAt is a request hook for the mock that logs alice in elsewhere when a GET of
// path arrives and its number (1 for the first) is one of at: a request that the client
// repeats after a new login counts again. every logs in at each one.
func (e *elsewhere) sessionEndsAt(path string, every bool, at ...int) func(string, string) {
	var n atomic.Int32
	return func(m, p string) {
		if m != http.MethodGet || p != path {
			return
		}
		k := int(n.Add(1))
		if every || slices.Contains(at, k) {
			e.login()
		}
	}
}

// Two clients log in as the same user on a server that keeps one session per user
// (auth.max_login_sessions = 1, newest line): each login ends the other's session. Taking
// turns, each request meets a 401 and survives it with one new login and one repeat. When
// another login ends the new session before the repeat, the request fails, bounded, naming
// the cause.
func TestSessionsEndedElsewhere(t *testing.T) {
	sc := serverConfig()
	sc.Line = mockserver.LineNewest
	sc.MaxLoginSessions = 1
	e := newEnvOn(t, sc, nil)
	other, err := New(Config{URL: e.s.URL(), Username: "alice", Password: alicePassword})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	clients := []*Client{e.c, other}
	for turn := range 6 {
		if _, err := clients[turn%2].GetJob(ctx, 7); err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
	}
	// 2 first logins, then one 401, one login and one repeat per turn.
	if logins, reads := e.s.LoginCount(), e.s.RequestCount("GET", routeJob); logins != 6 || reads != 6+4 {
		t.Fatalf("%d logins, %d reads of the job", logins, reads)
	}

	// A login elsewhere between the new login and the repeat: one error, no loop.
	others := newElsewhere(e.s)
	e.s.SetRequestHook(others.sessionEndsAt("/scheduled-jobs/7", false, 2)) // before the repeat is served
	logins, reads := e.s.LoginCount(), e.s.RequestCount("GET", routeJob)
	_, err = e.c.GetJob(ctx, 7)
	others.check(t)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.Contains(err.Error(), "401: OpenSpecimen refused the session of user \"alice\" right after a new login: "+
		"another login as this user may have ended it") || e.s.LoginCount()-logins != 2 || e.s.RequestCount("GET", routeJob)-reads != 2 {
		t.Fatalf("err %v; %d logins, %d reads", err, e.s.LoginCount()-logins, e.s.RequestCount("GET", routeJob)-reads)
	}
}

func TestRetries(t *testing.T) {
	e := newEnv(t, withToken)
	ctx := t.Context()
	calls := func() int { return e.s.RequestCount("GET", routeJob) }
	replyTo(e.s, "GET", routeJob, func(n int) (mockserver.Reply, bool) {
		switch n {
		case 1:
			return mockserver.Reply{Drop: true}, true // connection reset
		case 2:
			return mockserver.HTMLReply(502), true
		case 3:
			return mockserver.Reply{Status: 429}, true
		}
		return mockserver.Reply{}, false
	})
	if _, err := e.c.GetJob(ctx, 7); err != nil || calls() != 4 {
		t.Fatalf("GetJob = %v after %d calls", err, calls())
	}
	if !strings.Contains(e.log.all(), "retrying") {
		t.Fatal("retries not logged")
	}

	// The limit: 1 + MaxRetries attempts, then the last answer as an error.
	replyTo(e.s, "GET", routeJob, always(mockserver.ErrorReply(500, "INTERNAL_ERROR", "db down")))
	before := calls()
	_, err := e.c.GetJob(ctx, 7)
	if !IsCode(err, "INTERNAL_ERROR") || calls()-before != DefaultMaxRetries+1 {
		t.Fatalf("err %v after %d calls", err, calls()-before)
	}
	// Connection errors too, and 501 is not retried; neither is a 400.
	for _, tc := range []struct {
		rep  mockserver.Reply
		want int
	}{
		{mockserver.Reply{Drop: true}, DefaultMaxRetries + 1},
		{mockserver.Reply{Status: 501}, 1},
		{mockserver.ErrorReply(400, CodeJobNotFound, "x"), 1},
	} {
		replyTo(e.s, "GET", routeJob, always(tc.rep))
		before := calls()
		if _, err := e.c.GetJob(ctx, 7); err == nil || calls()-before != tc.want {
			t.Fatalf("err %v after %d calls, want %d", err, calls()-before, tc.want)
		}
	}

	// MaxRetries 0: one attempt.
	e2 := newEnv(t, func(c *Config) { withToken(c); c.MaxRetries = 0 })
	replyTo(e2.s, "GET", routeJob, always(mockserver.Reply{Status: 503}))
	if _, err := e2.c.GetJob(ctx, 7); err == nil || e2.s.RequestCount("GET", routeJob) != 1 {
		t.Fatalf("err %v, %d calls", err, e2.s.RequestCount("GET", routeJob))
	}
}

func TestTriggerNeverRetried(t *testing.T) {
	for name, rep := range map[string]mockserver.Reply{
		"503":        {Status: 503},
		"connection": {Drop: true},
		"429":        {Status: 429},
	} {
		e := newEnv(t, withToken)
		replyTo(e.s, "POST", routeRuns, always(rep))
		if err := e.c.triggerRun(t.Context(), 7, "a"); err == nil {
			t.Fatalf("%s: no error", name)
		}
		if n := e.triggers(); n != 1 || len(e.s.Runs(7)) != 0 {
			t.Fatalf("%s: %d calls, want 1 (and no run)", name, n)
		}
	}
}

func TestContextCancelledBeforeRequest(t *testing.T) {
	e := newEnv(t, withToken)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.c.GetJob(ctx, 7); !errors.Is(err, context.Canceled) || e.s.RequestCount("GET", routeJob) != 0 {
		t.Fatalf("err = %v", err)
	}
	// Cancelled during the request.
	ctx, cancel = context.WithCancel(t.Context())
	replyTo(e.s, "GET", routeJob, func(int) (mockserver.Reply, bool) {
		cancel()
		return mockserver.Reply{Drop: true}, true
	})
	if _, err := e.c.GetJob(ctx, 7); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	e := newEnv(t, withToken)
	replyTo(e.s, "GET", routeJob, always(mockserver.Reply{Status: 302,
		Header: http.Header{"Location": {"https://elsewhere.test/login"}}}))
	_, err := e.c.GetJob(t.Context(), 7)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 302 || !strings.Contains(err.Error(), "elsewhere.test") {
		t.Fatalf("err = %v", err)
	}
	if e.s.RequestCount("GET", routeJob) != 1 {
		t.Fatal("redirect followed")
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name string
		rep  mockserver.Reply
		want string
		code string
	}{
		{"json", mockserver.ErrorReply(400, CodeJobNotFound, "Job does not exist."),
			"GET /scheduled-jobs/7: 400 SCHEDULED_JOB_NOT_FOUND: Job does not exist.", CodeJobNotFound},
		{"html", mockserver.HTMLReply(404), "GET /scheduled-jobs/7: 404: HTML page: HTTP Status 404 Not Found", ""},
		{"empty", mockserver.Reply{Status: 500}, "GET /scheduled-jobs/7: 500: empty body", ""},
		{"text", mockserver.Reply{Status: 400, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("plain failure")},
			"GET /scheduled-jobs/7: 400: plain failure", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { withToken(c); c.MaxRetries = 0 })
			replyTo(e.s, "GET", routeJob, always(tc.rep))
			_, err := e.c.GetJob(t.Context(), 7)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.rep.Status || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
			if ae.Code != tc.code || len(err.Error()) > 400 {
				t.Fatalf("code %q, len %d", ae.Code, len(err.Error()))
			}
		})
	}
}

// A 10 MB error page is read only as far as the message needs, and cut short.
func TestErrorAnswerBounded(t *testing.T) {
	big := bytes.Repeat([]byte("<p>error page</p>"), 10<<20/17)
	c, mt := newRawClient(t, func(c *Config) { c.MaxRetries = 0 })
	cb := &countingBody{r: bytes.NewReader(big)}
	mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 400, Header: http.Header{}, Body: cb, ContentLength: -1}, nil
	})
	_, err := c.GetJob(t.Context(), 7)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || !strings.HasPrefix(err.Error(), "GET /scheduled-jobs/7: 400: HTML page: error page error page") {
		t.Fatalf("err = %v", err)
	}
	if ae.Code != "" || len(err.Error()) > 400 {
		t.Fatalf("code %q, len %d", ae.Code, len(err.Error()))
	}
	if cb.read.Load() > maxErrorBody+4096 {
		t.Fatalf("read %d bytes of an error body", cb.read.Load())
	}
}

// A 200 whose body is not the job: an empty body, a login page, another JSON.
func TestOKWithBadBody(t *testing.T) {
	for name, rep := range map[string]mockserver.Reply{
		"empty": {Header: http.Header{"Content-Type": {"text/html"}}},
		"html":  {Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html><body>Welcome to OpenSpecimen</body></html>")},
		"array": {Body: []byte(`[]`)},
		"no id": {Body: []byte(`{}`)},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, withToken)
			replyTo(e.s, "GET", routeJob, always(rep))
			if _, err := e.c.GetJob(t.Context(), 7); err == nil || !strings.Contains(err.Error(), "is the url the REST root") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// Bodies that no server sends whole: truncated JSON, a 2 MB answer (read only up to the
// bound), a body cut by the connection (a transport error).
func TestOKWithBrokenBody(t *testing.T) {
	long := append([]byte(`{"id":7,"name":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	long = append(long, []byte(`"}`)...)
	for name, body := range map[string][]byte{
		"truncated": []byte(`{"id":7,"na`),
		"too big":   long,
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newRawClient(t, nil)
			cb := &countingBody{r: bytes.NewReader(body)}
			mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: cb, ContentLength: -1}, nil
			})
			_, err := c.GetJob(t.Context(), 7)
			if err == nil || !strings.Contains(err.Error(), "is the url the REST root") ||
				name == "too big" && !strings.Contains(err.Error(), "the answer is larger than 1048576 bytes (1.0 MiB), more than any") {
				t.Fatalf("err = %v", err)
			}
			if cb.read.Load() > maxJSONBody+4096 {
				t.Fatalf("read %d bytes", cb.read.Load())
			}
		})
	}
	// A body cut by the connection is a transport error.
	c, mt := newRawClient(t, nil)
	mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(io.MultiReader(strings.NewReader(`{"id":`), errReader{})), ContentLength: -1}, nil
	})
	_, err := c.GetJob(t.Context(), 7)
	var te *transportError
	if !errors.As(err, &te) || !isTransient(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestSleepAndBackoff(t *testing.T) {
	if err := sleepCtx(t.Context(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := sleepCtx(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	c, _ := New(Config{URL: testRoot, Token: "t"})
	for attempt := 0; attempt < 10; attempt++ {
		if d := c.backoff(defaultRetryWaitMin, defaultRetryWaitMax, attempt, nil); d < defaultRetryWaitMin/2 || d > defaultRetryWaitMax {
			t.Fatalf("attempt %d: backoff %s out of bounds", attempt, d)
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"2"}}}
	if d := c.backoff(defaultRetryWaitMin, defaultRetryWaitMax, 0, resp); d != 2*time.Second {
		t.Fatalf("Retry-After: %s", d)
	}
	resp.Header.Set("Retry-After", "3600")
	if d := c.backoff(defaultRetryWaitMin, defaultRetryWaitMax, 0, resp); d != retryAfterMax {
		t.Fatalf("Retry-After capped: %s", d)
	}
	if d := c.backoff(0, 0, 3, nil); d != 0 {
		t.Fatalf("zero backoff: %s", d)
	}
	if c.shortPath("/other") != "/other" || c.shortPath("/openspecimen/rest/ng/x") != "/x" {
		t.Fatal("shortPath")
	}
	if !(&timeoutError{}).Timeout() {
		t.Fatal("timeoutError is a timeout")
	}
}

// countingBody counts the bytes read from a large body.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}
func (b *countingBody) Close() error { return nil }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// IsUnreachable holds for a request that reached no OpenSpecimen server (refused, a proxy that
// reaches none), and never for an answer of the server itself, a refusal included.
func TestIsUnreachable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	for status, want := range map[int]bool{502: true, 503: true, 504: true, 500: false, 400: false, 403: false} {
		e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
			return mockserver.ErrorReply(status, "X", "x"), req.Pattern == routeJob
		})
		if _, err := e.c.GetJob(t.Context(), 7); err == nil || IsUnreachable(err) != want {
			t.Errorf("status %d: %v, unreachable %v", status, err, IsUnreachable(err))
		}
	}
	e.s.SetResponseHook(nil)
	e.s.Close()
	if _, err := e.c.GetRun(t.Context(), 7, 1); !IsUnreachable(err) {
		t.Errorf("server closed: %v is not unreachable", err)
	}
}
