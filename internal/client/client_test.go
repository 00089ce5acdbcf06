package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

func TestNewValidation(t *testing.T) {
	ok := Config{URL: testRoot, Token: "t"}
	bad := []struct {
		name, field string
		missing     bool
		mod         func(*Config)
		want        string
	}{
		{"no url", FieldURL, true, func(c *Config) { c.URL = " " }, "url is empty"},
		{"relative", FieldURL, false, func(c *Config) { c.URL = "/openspecimen/rest/ng" }, "absolute"},
		{"scheme", FieldURL, false, func(c *Config) { c.URL = "ftp://h/x" }, "absolute"},
		{"unparsable", FieldURL, false, func(c *Config) { c.URL = "http://h/%zz" }, "not a valid URL"},
		{"userinfo", FieldURL, false, func(c *Config) { c.URL = "https://u:p@h/x" }, "credentials"},
		{"query", FieldURL, false, func(c *Config) { c.URL = "https://h/x?a=b" }, "query"},
		{"both", FieldToken, false, func(c *Config) { c.Username, c.Password = "u", "p" }, "not both"},
		{"none", FieldCredentials, true, func(c *Config) { c.Token = "" }, "no credentials"},
		{"no user", FieldUsername, true, func(c *Config) { c.Token, c.Password = "", "p" }, "no username"},
		{"no password", FieldPassword, true, func(c *Config) { c.Token, c.Username = "", "u" }, "no password"},
		{"timeout", FieldRequestTimeout, false, func(c *Config) { c.RequestTimeout = -time.Second }, "negative"},
		{"pem", FieldCACert, false, func(c *Config) { c.CACertPEM = []byte("not a cert") }, "PEM"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := New(cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || ce.Missing != tc.missing || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %#v, want a ConfigError on %s (missing %v) mentioning %q", err, tc.field, tc.missing, tc.want)
			}
		})
	}
	c, err := New(Config{URL: "https://h/openspecimen/rest/ng/", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if c.root != "https://h/openspecimen/rest/ng" || c.domain != DefaultDomain ||
		c.reads.RetryMax != 0 || c.once.RetryMax != 0 {
		t.Fatalf("unexpected defaults: root %q domain %q retries %d", c.root, c.domain, c.reads.RetryMax)
	}
	if c.LoginName() != "u" {
		t.Fatalf("LoginName = %q", c.LoginName())
	}
	c, _ = New(Config{URL: testRoot, Token: "t", MaxRetries: -1})
	if c.reads.RetryMax != DefaultMaxRetries || c.streams.RetryMax != DefaultMaxRetries || c.logins.RetryMax != DefaultMaxRetries ||
		c.once.RetryMax != 0 || c.LoginName() != "" {
		t.Fatalf("retries %d (trigger %d) login %q", c.reads.RetryMax, c.once.RetryMax, c.LoginName())
	}
}

// The transport keeps enough idle connections for Terraform's parallelism, and does not
// cap the connections open at once; a base client's TLS settings keep that.
func TestTransportKeepsConnections(t *testing.T) {
	for _, cfg := range []Config{
		{URL: testRoot, Token: "t"},
		{URL: testRoot, Token: "t", InsecureSkipVerify: true, HTTPClient: &http.Client{}},
	} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []*retryablehttp.Client{c.reads, c.streams, c.logins, c.once} {
			tr, ok := h.HTTPClient.Transport.(*timeoutTransport).base.(*http.Transport)
			if !ok || tr.MaxIdleConnsPerHost < 64 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost || tr.MaxConnsPerHost != 0 ||
				tr.DisableKeepAlives || tr.TLSClientConfig.InsecureSkipVerify != cfg.InsecureSkipVerify {
				t.Fatalf("transport %+v", tr)
			}
		}
	}
}

// The mock served over TLS: verification is on by default, and a CA bundle or turning it
// off lets the client in.
func TestTLS(t *testing.T) {
	s := mocktest.New(t, serverConfig())
	token := mocktest.Login(t, s, "apiuser", "api-user-pw")
	srv := httptest.NewTLSServer(s.Handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	defer srv.Close()
	root := srv.URL + mockserver.BasePath
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	ctx := t.Context()

	// Verification on: the test server's certificate is unknown, and that is not retried.
	c, err := New(Config{URL: root, Token: token, MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(ctx, 7); !IsUntrustedCertificate(err) || !strings.Contains(err.Error(), "certificate is not trusted") {
		t.Fatalf("want a certificate error, got %v", err)
	}
	for _, cfg := range []Config{
		{URL: root, Token: token, CACertPEM: caPEM},
		{URL: root, Token: token, InsecureSkipVerify: true},
		{URL: root, Token: token, CACertPEM: caPEM, HTTPClient: &http.Client{}},
		{URL: root, Token: token, InsecureSkipVerify: true,
			HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}},
	} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if j, err := c.GetJob(ctx, 7); err != nil || j.Name != "Export" {
			t.Fatalf("GetJob = %v, %v", j, err)
		}
	}
	// A base client without TLS options: its transport (nil: the default one) is used.
	c, _ = New(Config{URL: root, Token: token, HTTPClient: &http.Client{}, MaxRetries: 0})
	if _, err := c.GetJob(ctx, 7); err == nil {
		t.Fatal("want a certificate error with the default transport")
	}
}

// seenTokens makes s record the X-OS-API-TOKEN of every request of a route; the function
// answered tells whether any recorded token is in text.
func seenTokens(s *mockserver.Server) (inText func(text string) bool) {
	var mu sync.Mutex // guards tokens
	tokens := map[string]bool{}
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		mu.Lock()
		defer mu.Unlock()
		if tok := req.Header.Get("X-OS-API-TOKEN"); tok != "" {
			tokens[tok] = true
		}
		return mockserver.Reply{}, false
	})
	return func(text string) bool {
		mu.Lock()
		defer mu.Unlock()
		for tok := range tokens {
			if strings.Contains(text, tok) {
				return true
			}
		}
		return len(tokens) == 0 // nothing seen: the check cannot pass
	}
}

func TestTokenHeadersAndNoLogin(t *testing.T) {
	e := newEnv(t, withToken)
	var mu sync.Mutex // guards got
	var got http.Header
	e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		mu.Lock()
		defer mu.Unlock()
		if req.Pattern == routeJob {
			got = req.Header
		}
		return mockserver.Reply{}, false
	})
	j, err := e.c.GetJob(t.Context(), 7)
	if err != nil || j.ID != 7 || !j.Active() {
		t.Fatalf("GetJob = %+v, %v", j, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Get("X-OS-API-TOKEN") != e.c.token || got.Get("User-Agent") != "test-agent/1.0" ||
		got.Get("Accept") != "application/json" {
		t.Fatalf("headers %v", got)
	}
	if e.logins() != 0 {
		t.Fatal("a token client logged in")
	}
	if strings.Contains(e.log.all(), e.c.token) {
		t.Fatal("token logged")
	}
	if !strings.Contains(e.log.all(), "path:/scheduled-jobs/7") || !strings.Contains(e.log.all(), "status:200") {
		t.Fatalf("request not logged: %s", e.log.all())
	}
}

func TestTokenRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) { withToken(c); c.Token = "wrong" })
	_, err := e.c.GetJob(t.Context(), 7)
	var ae *APIError
	var le *LoginError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !errors.As(err, &le) || le.WrongURL ||
		!strings.Contains(err.Error(), "refused the API token") {
		t.Fatalf("err = %v", err)
	}
	// Login checks the token, and remembers the refusal.
	for range 2 {
		if err := e.c.Login(t.Context()); !errors.As(err, &le) || le.WrongURL || err.Error() != le.Reason ||
			!strings.Contains(err.Error(), "refused the API token") {
			t.Fatalf("Login = %v", err)
		}
	}
	if n := e.s.RequestCount("GET", routeMe); n != 1 {
		t.Fatalf("%d token checks, want 1", n)
	}
}

// Login with a token asks once whom it belongs to; concurrent and later calls share that.
func TestTokenLogin(t *testing.T) {
	e := newEnv(t, withToken)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.c.Login(t.Context())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil || e.c.LoginName() != "apiuser" {
		t.Fatalf("Login = %v, login name %q", err, e.c.LoginName())
	}
	if name, err := e.c.CurrentLoginName(t.Context()); err != nil || name != "apiuser" {
		t.Fatalf("CurrentLoginName = %q, %v", name, err)
	}
	if n := e.s.RequestCount("GET", routeMe); n != 1 || e.logins() != 0 {
		t.Fatalf("%d token checks and %d logins, want 1 and 0", n, e.logins())
	}
	// A failure that is no refusal is not remembered.
	e = newEnv(t, withToken)
	replyTo(e.s, "GET", routeMe, firstN(DefaultMaxRetries+1, mockserver.ErrorReply(500, "INTERNAL_ERROR", "boom")))
	var le *LoginError
	if err := e.c.Login(t.Context()); err == nil || errors.As(err, &le) || !IsCode(err, "INTERNAL_ERROR") {
		t.Fatalf("Login = %v", err)
	}
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatalf("second Login = %v", err)
	}
}

// A url that is not the REST root fails the login, or the check of the token, with a
// *LoginError that names the url and the form it should have, once: not as a refused password.
func TestLoginWrongURL(t *testing.T) {
	trimmed := func(s *mockserver.Server) string { return strings.TrimSuffix(s.URL(), "/rest/ng") }
	problem := mockserver.Reply{Status: 404, Header: http.Header{"Content-Type": {"application/problem+json"}},
		Body: []byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"No static resource sessions."}`)}
	htmlOK := mockserver.Reply{Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html><title>Welcome</title></html>")}
	tests := []struct {
		name  string
		token bool
		url   func(s *mockserver.Server) string // nil: the right one
		route string
		rep   mockserver.Reply
		want  string
	}{
		{"no /rest/ng", false, trimmed, "", mockserver.Reply{}, "404: HTML page: HTTP Status 404 Not Found"},
		{"token, no /rest/ng", true, trimmed, "", mockserver.Reply{}, "404: HTML page: HTTP Status 404 Not Found"},
		{"json 404", false, nil, routeSessions, problem, "No static resource"},
		{"405", false, nil, routeSessions, mockserver.Reply{Status: 405}, "POST /sessions: 405"},
		{"html 200", false, nil, routeSessions, htmlOK, "HTML page: Welcome"},
		{"redirect", false, nil, routeSessions, mockserver.Reply{Status: 302, Header: http.Header{"Location": {"https://sso.test/"}}}, "sso.test"},
		{"token, 404", true, nil, routeMe, mockserver.HTMLReply(404), "GET /users/current-user: 404"},
		{"token, html 200", true, nil, routeMe, htmlOK, "HTML page: Welcome"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				if tc.token {
					withToken(c)
				}
			})
			if tc.url != nil {
				e = newEnv(t, func(c *Config) {
					if tc.token {
						withToken(c)
					}
					c.URL = tc.url(e.s)
				})
			}
			method := "POST"
			if tc.token {
				method = "GET"
			}
			if tc.route != "" {
				replyTo(e.s, method, tc.route, always(tc.rep))
			}
			for range 2 {
				err := e.c.Login(t.Context())
				var le *LoginError
				if !errors.As(err, &le) || !le.WrongURL || strings.Contains(err.Error(), "refused") ||
					!strings.Contains(err.Error(), `the url "`+strings.TrimSuffix(e.c.root, "/")+`" is not OpenSpecimen's REST root`) ||
					!strings.Contains(err.Error(), "https://host/openspecimen/rest/ng") || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Login = %v", err)
				}
			}
			if n := e.logins() + e.s.RequestCount("GET", routeMe); tc.route != "" && n != 1 {
				t.Fatalf("%d requests, want 1: the answer is remembered", n)
			}
		})
	}
}

func TestReloginOn401(t *testing.T) {
	e := newEnv(t, nil)
	tokenIn := seenTokens(e.s)
	ctx := t.Context()
	if _, err := e.c.GetJob(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if e.c.LoginName() != "alice" {
		t.Fatalf("LoginName = %q", e.c.LoginName())
	}
	e.s.ExpireTokens()
	if _, err := e.c.GetJob(ctx, 7); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := e.logins(); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
	// The trigger is repeated after a 401 too: the server did not act on it.
	e.s.ExpireTokens()
	if err := e.c.triggerRun(ctx, 7, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Duration(startDelay))
	if n := len(e.s.Runs(7)); e.triggers() != 2 || n != 1 || e.logins() != 3 {
		t.Fatalf("triggers %d (one refused), runs %d, logins %d", e.triggers(), n, e.logins())
	}
	logs := e.log.all()
	if strings.Contains(logs, alicePassword) || tokenIn(logs) {
		t.Fatalf("secret logged: %s", logs)
	}
}

func TestReloginStill401(t *testing.T) {
	e := newEnv(t, nil)
	replyTo(e.s, "GET", routeJob, always(mockserver.HTMLReply(401)))
	_, err := e.c.GetJob(t.Context(), 7)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.Contains(err.Error(), "right after a new login") {
		t.Fatalf("err = %v", err)
	}
	if e.logins() != 2 {
		t.Fatalf("logins = %d, want 2 (one re-login only)", e.logins())
	}
}

// holdLogins makes s hold every login until the channel answered is closed.
func holdLogins(s *mockserver.Server) (gate chan struct{}) {
	gate = make(chan struct{})
	s.SetRequestHook(func(method, path string) {
		if method == "POST" && path == "/sessions" {
			<-gate
		}
	})
	return gate
}

func TestOneLoginForConcurrentCallers(t *testing.T) {
	e := newEnv(t, nil)
	gate := holdLogins(e.s) // the login is in flight while the callers come
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.c.GetJob(t.Context(), 7); err != nil {
				failed.Add(1)
			}
		}()
	}
	close(gate)
	wg.Wait()
	if failed.Load() != 0 || e.logins() != 1 {
		t.Fatalf("failed %d, logins %d (want 0, 1)", failed.Load(), e.logins())
	}
	// After an expiry, concurrent 401s lead to one new login too.
	e.s.ExpireTokens()
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.c.GetJob(t.Context(), 7); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 || e.logins() != 2 {
		t.Fatalf("failed %d, logins %d (want 0, 2)", failed.Load(), e.logins())
	}
}

func TestLoginWaiterCancelled(t *testing.T) {
	e := newEnv(t, nil)
	gate := holdLogins(e.s) // the login is still in flight when its caller gives up
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := e.c.Login(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	close(gate)
	// The detached login still completes for the next caller.
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e.logins() != 1 {
		t.Fatalf("logins = %d", e.logins())
	}
}

func TestLoginRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Password = "wrong" })
	err := e.c.Login(t.Context())
	var le *LoginError
	if !errors.As(err, &le) || le.ResetRequired || err.Error() != `login refused for user "alice" in domain "openspecimen": wrong user name or password, or the account is locked` {
		t.Fatalf("err = %v", err)
	}
	if !IsCode(err, CodeInvalidCredentials) {
		t.Fatal("the server's answer is not kept in Err")
	}
	// Not tried again: failed logins lock the account.
	if _, err := e.c.GetJob(t.Context(), 7); !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	if e.logins() != 1 {
		t.Fatalf("logins = %d", e.logins())
	}
}

func TestLoginOtherRefusal(t *testing.T) {
	e := newEnv(t, nil)
	replyTo(e.s, "POST", routeSessions, always(mockserver.ErrorReply(400, "USER_LOCKED", "Account locked.")))
	err := e.c.Login(t.Context())
	var le *LoginError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "USER_LOCKED: Account locked.") {
		t.Fatalf("err = %v", err)
	}
}

// answersTransport records the answers' bodies that reach the client.
type answersTransport struct {
	base   http.RoundTripper
	mu     sync.Mutex // guards bodies
	bodies []string
}

func (a *answersTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a.mu.Lock()
	a.bodies = append(a.bodies, string(body))
	a.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err
}

func (a *answersTransport) all() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.bodies, "\n")
}

func TestLoginResetPassword(t *testing.T) {
	sc := serverConfig()
	sc.Users[0].ResetPassword = true
	answers := &answersTransport{base: http.DefaultTransport}
	e := newEnvOn(t, sc, func(c *Config) { c.HTTPClient = &http.Client{Transport: answers} })
	err := e.c.Login(t.Context())
	var le *LoginError
	if !errors.As(err, &le) || !le.ResetRequired || !strings.Contains(err.Error(), "must be reset in OpenSpecimen") {
		t.Fatalf("err = %v", err)
	}
	var answer struct {
		ResetPasswordToken string `json:"resetPasswordToken"`
	}
	if json.Unmarshal([]byte(answers.all()), &answer) != nil || answer.ResetPasswordToken == "" {
		t.Fatalf("the server answered %q, not a reset token", answers.all())
	}
	if strings.Contains(err.Error(), answer.ResetPasswordToken) || strings.Contains(e.log.all(), answer.ResetPasswordToken) {
		t.Fatal("reset token leaked")
	}
}

func TestLoginServerErrorNotCached(t *testing.T) {
	e := newEnv(t, nil)
	// Every attempt of the first login fails.
	replyTo(e.s, "POST", routeSessions, firstN(DefaultMaxRetries+1, mockserver.ErrorReply(500, "INTERNAL_ERROR", "boom")))
	err := e.c.Login(t.Context())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 {
		t.Fatalf("err = %v", err)
	}
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatalf("second login: %v", err)
	}
}

// A login answered 5xx or 429 is retried by the transport (the server did not check the
// password), as is one whose connection could not be made; a login whose answer was lost is
// not: the server may have counted a wrong password toward the account's lock-out.
func TestLoginRetries(t *testing.T) {
	e := newEnv(t, nil)
	replyTo(e.s, "POST", routeSessions, firstN(2, mockserver.ErrorReply(500, "INTERNAL_ERROR", "boom")))
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatalf("login after two 500s: %v", err)
	}
	if e.logins() != 3 {
		t.Fatalf("%d login requests, want 3", e.logins())
	}

	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeSessions, firstN(1, mockserver.Reply{Status: 429}))
	if err := e.c.Login(t.Context()); err != nil || e.logins() != 2 {
		t.Fatalf("login after a 429: %v (%d requests)", err, e.logins())
	}

	// The server is down when the login starts, and back when the transport tries again.
	e = newEnv(t, nil)
	e.s.Stop()
	var restart sync.Once
	e.log.setOnRecord(func(line string) {
		if strings.Contains(line, "retrying OpenSpecimen request") {
			restart.Do(func() {
				if err := e.s.Restart(); err != nil {
					t.Errorf("Restart: %v", err)
				}
			})
		}
	})
	if err := e.c.Login(t.Context()); err != nil || e.logins() != 1 {
		t.Fatalf("login after a refused connection: %v (%d requests reached the server)", err, e.logins())
	}

	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeSessions, always(mockserver.Reply{Drop: true}))
	if err := e.c.Login(t.Context()); err == nil || e.logins() != 1 {
		t.Fatalf("a login with a lost answer: %v, %d requests", err, e.logins())
	}

	e = newEnv(t, func(c *Config) { c.Password = "wrong" })
	if err := e.c.Login(t.Context()); !IsCode(err, CodeInvalidCredentials) || e.logins() != 1 {
		t.Fatalf("a refused login: %v, %d requests", err, e.logins())
	}
}

func TestLoginBadAnswers(t *testing.T) {
	for name, rep := range map[string]mockserver.Reply{
		"no token": {Body: []byte(`{"loginName":"alice"}`)},
		"html":     {Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>login page</html>")},
	} {
		e := newEnv(t, nil)
		replyTo(e.s, "POST", routeSessions, always(rep))
		if err := e.c.Login(t.Context()); err == nil || !strings.Contains(err.Error(), "REST root") {
			t.Fatalf("%s: err = %v", name, err)
		}
	}
	// No answer: the error says so, and the login is not sent again.
	e := newEnv(t, nil)
	replyTo(e.s, "POST", routeSessions, always(mockserver.Reply{Drop: true}))
	if err := e.c.Login(t.Context()); err == nil || !strings.Contains(err.Error(), "no answer from OpenSpecimen") {
		t.Fatalf("err = %v", err)
	}
	if e.logins() != 1 {
		t.Fatalf("login retried: %d requests", e.logins())
	}
	// A login answer without loginName keeps the configured user name.
	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeSessions, always(mockserver.Reply{Body: []byte(`{"token":"alice-token"}`)}))
	if err := e.c.Login(t.Context()); err != nil || e.c.LoginName() != "alice" {
		t.Fatalf("err %v login %q", err, e.c.LoginName())
	}
}
