package client

import (
	"context"
	"errors"
	"fmt"
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
