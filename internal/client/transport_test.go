package client

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
// that the server did not answer within the request timeout, naming the setting.
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
			if !errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), tc.request+
				": OpenSpecimen did not answer within the request timeout of 20ms (setting request_timeout)") {
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
