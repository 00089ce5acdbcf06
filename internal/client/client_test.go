package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
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
	if c.root != "https://h/openspecimen/rest/ng" || c.domain != DefaultDomain || c.loc != time.UTC ||
		c.reads.RetryMax != 0 || c.once.RetryMax != 0 {
		t.Fatalf("unexpected defaults: root %q domain %q loc %v retries %d", c.root, c.domain, c.loc, c.reads.RetryMax)
	}
	if c.LoginName() != "u" {
		t.Fatalf("LoginName = %q", c.LoginName())
	}
	c, _ = New(Config{URL: testRoot, Token: "t", MaxRetries: -1})
	if c.reads.RetryMax != DefaultMaxRetries || c.streams.RetryMax != DefaultMaxRetries || c.logins.RetryMax != DefaultMaxRetries ||
		c.once.RetryMax != 0 || c.LoginName() != "" {
		t.Fatalf("retries %d (trigger %d) login %q", c.reads.RetryMax, c.once.RetryMax, c.LoginName())
	}
	if err := c.Login(t.Context()); err != nil { // no-op with a token
		t.Fatal(err)
	}
	if err := c.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":7,"name":"Export"}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	ctx := t.Context()

	// Verification on: the test server's certificate is unknown, and that is not retried.
	c, err := New(Config{URL: srv.URL + "/rest/ng", Token: "t", MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(ctx, 7); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("want a certificate error, got %v", err)
	}
	for _, cfg := range []Config{
		{URL: srv.URL + "/rest/ng", Token: "t", CACertPEM: caPEM},
		{URL: srv.URL + "/rest/ng", Token: "t", InsecureSkipVerify: true},
		{URL: srv.URL + "/rest/ng", Token: "t", CACertPEM: caPEM, HTTPClient: &http.Client{}},
		{URL: srv.URL + "/rest/ng", Token: "t", InsecureSkipVerify: true,
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
	c, _ = New(Config{URL: srv.URL + "/rest/ng", Token: "t", HTTPClient: &http.Client{}, MaxRetries: 0})
	if _, err := c.GetJob(ctx, 7); err == nil {
		t.Fatal("want a certificate error with the default transport")
	}
}

func TestTokenHeadersAndNoLogin(t *testing.T) {
	e := newEnv(t, withToken)
	var got http.Header
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(r *http.Request) (*http.Response, error) {
		got = r.Header.Clone()
		return e.fs.handle(r)
	})
	j, err := e.c.GetJob(t.Context(), 7)
	if err != nil || j.ID != 7 || !j.Active() {
		t.Fatalf("GetJob = %+v, %v", j, err)
	}
	if got.Get("X-OS-API-TOKEN") != "api-token-secret" || got.Get("User-Agent") != "test-agent/1.0" ||
		got.Get("Accept") != "application/json" {
		t.Fatalf("headers %v", got)
	}
	if e.fs.logins != 0 {
		t.Fatal("a token client logged in")
	}
	if strings.Contains(e.log.all(), "api-token-secret") {
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
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.Contains(err.Error(), "refused the API token") {
		t.Fatalf("err = %v", err)
	}
}

func TestReloginOn401(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	if _, err := e.c.GetJob(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if e.c.LoginName() != "alice" {
		t.Fatalf("LoginName = %q", e.c.LoginName())
	}
	e.fs.expireSessions()
	if _, err := e.c.GetJob(ctx, 7); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := e.fs.count(&e.fs.logins); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
	// The trigger is repeated after a 401 too: the server did not act on it.
	e.fs.expireSessions()
	if _, err := e.c.TriggerRun(ctx, 7, ""); err != nil {
		t.Fatal(err)
	}
	if e.fs.triggers != 1 || e.fs.logins != 3 {
		t.Fatalf("triggers %d logins %d", e.fs.triggers, e.fs.logins)
	}
	logs := e.log.all()
	if strings.Contains(logs, "alice-password-secret") || strings.Contains(logs, "#session") {
		t.Fatalf("secret logged: %s", logs)
	}
}

func TestReloginStill401(t *testing.T) {
	e := newEnv(t, nil)
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", httpmock.ResponderFromResponse(html401()))
	_, err := e.c.GetJob(t.Context(), 7)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.Contains(err.Error(), "right after a new login") {
		t.Fatalf("err = %v", err)
	}
	if e.fs.logins != 2 {
		t.Fatalf("logins = %d, want 2 (one re-login only)", e.fs.logins)
	}
}

func TestOneLoginForConcurrentCallers(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.loginGate = make(chan struct{}) // the login is in flight while the callers come
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
	close(e.fs.loginGate)
	wg.Wait()
	if failed.Load() != 0 || e.fs.count(&e.fs.logins) != 1 {
		t.Fatalf("failed %d, logins %d (want 0, 1)", failed.Load(), e.fs.logins)
	}
	// After an expiry, concurrent 401s lead to one new login too.
	e.fs.expireSessions()
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
	if failed.Load() != 0 || e.fs.count(&e.fs.logins) != 2 {
		t.Fatalf("failed %d, logins %d (want 0, 2)", failed.Load(), e.fs.logins)
	}
}

func TestLoginWaiterCancelled(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.loginGate = make(chan struct{}) // the login is still in flight when its caller gives up
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := e.c.Login(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	close(e.fs.loginGate)
	// The detached login still completes for the next caller.
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e.fs.count(&e.fs.logins) != 1 {
		t.Fatalf("logins = %d", e.fs.logins)
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
	if e.fs.logins != 1 {
		t.Fatalf("logins = %d", e.fs.logins)
	}
}

func TestLoginOtherRefusal(t *testing.T) {
	e := newEnv(t, nil)
	e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.ResponderFromResponse(osError("USER_LOCKED", "Account locked.")))
	err := e.c.Login(t.Context())
	var le *LoginError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "USER_LOCKED: Account locked.") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoginResetPassword(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.resetUsers["alice"] = true
	err := e.c.Login(t.Context())
	var le *LoginError
	if !errors.As(err, &le) || !le.ResetRequired || !strings.Contains(err.Error(), "must be reset in OpenSpecimen") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "reset-secret") || strings.Contains(e.log.all(), "reset-secret") {
		t.Fatal("reset token leaked")
	}
}

func TestLoginServerErrorNotCached(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.loginFail = DefaultMaxRetries + 1 // every attempt of the first login
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
	e.fs.loginFail = 2
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatalf("login after two 500s: %v", err)
	}
	if e.fs.logins != 3 {
		t.Fatalf("%d login requests, want 3", e.fs.logins)
	}

	e = newEnv(t, nil)
	e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.ResponderFromMultipleResponses([]*http.Response{
		httpmock.NewStringResponse(429, ""), jsonResp(200, map[string]string{"token": "alice#x", "loginName": "alice"}),
	}))
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatalf("login after a 429: %v", err)
	}

	e = newEnv(t, nil)
	calls := 0
	e.mt.RegisterResponder("POST", testRoot+"/sessions", func(*http.Request) (*http.Response, error) {
		if calls++; calls == 1 {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		}
		return jsonResp(200, map[string]string{"token": "alice#x"}), nil
	})
	if err := e.c.Login(t.Context()); err != nil || calls != 2 {
		t.Fatalf("login after a refused connection: %v (%d calls)", err, calls)
	}

	e = newEnv(t, nil)
	e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.NewErrorResponder(&net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}))
	if err := e.c.Login(t.Context()); err == nil || e.mt.GetTotalCallCount() != 1 {
		t.Fatalf("a login with a lost answer: %v, %d calls", err, e.mt.GetTotalCallCount())
	}

	e = newEnv(t, nil)
	e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.ResponderFromResponse(
		jsonResp(400, []map[string]string{{"code": CodeInvalidCredentials, "message": "bad"}})))
	if err := e.c.Login(t.Context()); err == nil || e.mt.GetTotalCallCount() != 1 {
		t.Fatalf("a refused login: %v, %d calls", err, e.mt.GetTotalCallCount())
	}
}

func TestLoginBadAnswers(t *testing.T) {
	for name, resp := range map[string]*http.Response{
		"no token": jsonResp(200, map[string]string{"loginName": "alice"}),
		"html":     httpmock.NewStringResponse(200, "<html>login page</html>"),
	} {
		e := newEnv(t, nil)
		e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.ResponderFromResponse(resp))
		if err := e.c.Login(t.Context()); err == nil || !strings.Contains(err.Error(), "REST root") {
			t.Fatalf("%s: err = %v", name, err)
		}
	}
	e := newEnv(t, nil)
	e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.NewErrorResponder(errors.New("connection refused")))
	if err := e.c.Login(t.Context()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v", err)
	}
	if e.mt.GetTotalCallCount() != 1 {
		t.Fatalf("login retried: %d calls", e.mt.GetTotalCallCount())
	}
	// A login answer without loginName keeps the configured user name.
	e = newEnv(t, nil)
	e.mt.RegisterResponder("POST", testRoot+"/sessions", httpmock.ResponderFromResponse(jsonResp(200, map[string]string{"token": "alice#x"})))
	if err := e.c.Login(t.Context()); err != nil || e.c.LoginName() != "alice" {
		t.Fatalf("err %v login %q", err, e.c.LoginName())
	}
}

func TestClose(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	if err := e.c.Close(ctx); err != nil || e.fs.deletes != 0 {
		t.Fatalf("Close before login: %v, %d deletes", err, e.fs.deletes)
	}
	if err := e.c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Close(ctx); err != nil || e.fs.deletes != 1 || len(e.fs.sessions) != 0 {
		t.Fatalf("Close: %v, %d deletes", err, e.fs.deletes)
	}
	// An expired session: 401 is fine.
	_ = e.c.Login(ctx)
	e.fs.expireSessions()
	if err := e.c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A 5xx is retried (idempotent), then reported.
	_ = e.c.Login(ctx)
	e.mt.RegisterResponder("DELETE", testRoot+"/sessions", httpmock.NewStringResponder(503, "busy"))
	var ae *APIError
	if err := e.c.Close(ctx); !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("err = %v", err)
	}
	if n := e.mt.GetCallCountInfo()["DELETE "+testRoot+"/sessions"]; n != DefaultMaxRetries+1 {
		t.Fatalf("DELETE calls = %d", n)
	}
	e.mt.RegisterResponder("DELETE", testRoot+"/sessions", httpmock.NewErrorResponder(errors.New("down")))
	_ = e.c.Login(ctx)
	if err := e.c.Close(ctx); err == nil {
		t.Fatal("want an error")
	}
}

func TestRetries(t *testing.T) {
	e := newEnv(t, withToken)
	ctx := t.Context()
	var calls int
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(r *http.Request) (*http.Response, error) {
		calls++
		switch calls {
		case 1:
			return nil, errors.New("connection reset by peer")
		case 2:
			return httpmock.NewStringResponse(502, "<html>bad gateway</html>"), nil
		case 3:
			return httpmock.NewStringResponse(429, ""), nil
		}
		return e.fs.handle(r)
	})
	if _, err := e.c.GetJob(ctx, 7); err != nil || calls != 4 {
		t.Fatalf("GetJob = %v after %d calls", err, calls)
	}
	if !strings.Contains(e.log.all(), "retrying") {
		t.Fatal("retries not logged")
	}

	// The limit: 1 + MaxRetries attempts, then the last answer as an error.
	calls = 0
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
		calls++
		return jsonResp(500, []map[string]string{{"code": "INTERNAL_ERROR", "message": "db down"}}), nil
	})
	_, err := e.c.GetJob(ctx, 7)
	if !IsCode(err, "INTERNAL_ERROR") || calls != DefaultMaxRetries+1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	// Connection errors too, and 501 is not retried; neither is a 400.
	for _, tc := range []struct {
		r    httpmock.Responder
		want int
	}{
		{httpmock.NewErrorResponder(errors.New("dial tcp: connection refused")), DefaultMaxRetries + 1},
		{httpmock.NewStringResponder(501, ""), 1},
		{httpmock.ResponderFromResponse(osError(CodeJobNotFound, "x")), 1},
	} {
		calls = 0
		r := tc.r
		e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(req *http.Request) (*http.Response, error) {
			calls++
			return r(req)
		})
		if _, err := e.c.GetJob(ctx, 7); err == nil || calls != tc.want {
			t.Fatalf("err %v after %d calls, want %d", err, calls, tc.want)
		}
	}

	// MaxRetries 0: one attempt.
	e2 := newEnv(t, func(c *Config) { withToken(c); c.MaxRetries = 0 })
	e2.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", httpmock.NewStringResponder(503, ""))
	if _, err := e2.c.GetJob(ctx, 7); err == nil || e2.mt.GetTotalCallCount() != 1 {
		t.Fatalf("err %v, %d calls", err, e2.mt.GetTotalCallCount())
	}
}

func TestTriggerNeverRetried(t *testing.T) {
	for name, r := range map[string]httpmock.Responder{
		"503":        httpmock.NewStringResponder(503, ""),
		"connection": httpmock.NewErrorResponder(errors.New("connection reset by peer")),
		"429":        httpmock.NewStringResponder(429, ""),
	} {
		e := newEnv(t, withToken)
		e.mt.RegisterResponder("POST", testRoot+"/scheduled-jobs/7/runs", r)
		if _, err := e.c.TriggerRun(t.Context(), 7, "a"); err == nil {
			t.Fatalf("%s: no error", name)
		}
		if n := e.mt.GetTotalCallCount(); n != 1 {
			t.Fatalf("%s: %d calls, want 1", name, n)
		}
	}
}

func TestTriggerBody(t *testing.T) {
	e := newEnv(t, withToken)
	var body []byte
	var ctype string
	e.mt.RegisterResponder("POST", testRoot+"/scheduled-jobs/7/runs", func(r *http.Request) (*http.Response, error) {
		body, _ = io.ReadAll(r.Body)
		ctype = r.Header.Get("Content-Type")
		return jsonResp(200, e.fs.jobs[7]), nil
	})
	j, err := e.c.TriggerRun(t.Context(), 7, "a b")
	if err != nil || j.ID != 7 || string(body) != `{"args":"a b"}` || ctype != "application/json" {
		t.Fatalf("job %v err %v body %s ctype %s", j, err, body, ctype)
	}
}

func TestRequestTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { withToken(c); c.RequestTimeout = 30 * time.Millisecond; c.MaxRetries = 1 })
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	})
	_, err := e.c.GetJob(t.Context(), 7)
	var te *timeoutError
	if !errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "request timeout") {
		t.Fatalf("err = %v", err)
	}
	if e.mt.GetTotalCallCount() != 2 {
		t.Fatalf("calls = %d, want 2 (timeouts are retried)", e.mt.GetTotalCallCount())
	}
	if !isTransient(err) {
		t.Fatal("a timeout is transient")
	}
}

func TestContextCancelledBeforeRequest(t *testing.T) {
	e := newEnv(t, withToken)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.c.GetJob(ctx, 7); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// Cancelled during the request.
	ctx, cancel = context.WithCancel(t.Context())
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(r *http.Request) (*http.Response, error) {
		cancel()
		return nil, errors.New("interrupted")
	})
	if _, err := e.c.GetJob(ctx, 7); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	e := newEnv(t, withToken)
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(302, "")
		r.Header.Set("Location", "https://elsewhere.test/login")
		return r, nil
	})
	_, err := e.c.GetJob(t.Context(), 7)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 302 || !strings.Contains(err.Error(), "elsewhere.test") {
		t.Fatalf("err = %v", err)
	}
	if e.mt.GetTotalCallCount() != 1 {
		t.Fatal("redirect followed")
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

func TestErrorAnswers(t *testing.T) {
	big := bytes.Repeat([]byte("<p>error page</p>"), 10<<20/17)
	tests := []struct {
		name   string
		status int
		body   []byte
		want   string
		code   string
	}{
		{"json", 400, mustJSON([]map[string]string{{"code": CodeJobNotFound, "message": "Job does not exist."}}),
			"GET /scheduled-jobs/7: 400 SCHEDULED_JOB_NOT_FOUND: Job does not exist.", CodeJobNotFound},
		{"html", 404, []byte("<html><head><title>HTTP Status 404 – Not Found</title></head><body>x</body></html>"),
			"GET /scheduled-jobs/7: 404: HTML page: HTTP Status 404 – Not Found", ""},
		{"empty", 500, nil, "GET /scheduled-jobs/7: 500: empty body", ""},
		{"text", 400, []byte("plain failure"), "GET /scheduled-jobs/7: 400: plain failure", ""},
		{"big", 400, big, "GET /scheduled-jobs/7: 400: HTML page: error page error page", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { withToken(c); c.MaxRetries = 0 })
			cb := &countingBody{r: bytes.NewReader(tc.body)}
			e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: cb, ContentLength: -1}, nil
			})
			_, err := e.c.GetJob(t.Context(), 7)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
			if ae.Code != tc.code || len(err.Error()) > 400 {
				t.Fatalf("code %q, len %d", ae.Code, len(err.Error()))
			}
			if cb.read.Load() > maxErrorBody+4096 {
				t.Fatalf("read %d bytes of an error body", cb.read.Load())
			}
		})
	}
}

func TestOKWithBadBody(t *testing.T) {
	long := append([]byte(`{"id":7,"name":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	long = append(long, []byte(`"}`)...)
	for name, body := range map[string][]byte{
		"empty":     nil,
		"html":      []byte("<html><body>Welcome to OpenSpecimen</body></html>"),
		"truncated": []byte(`{"id":7,"na`),
		"array":     []byte(`[]`),
		"no id":     []byte(`{}`),
		"too big":   long,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, withToken)
			cb := &countingBody{r: bytes.NewReader(body)}
			e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: cb, ContentLength: -1}, nil
			})
			_, err := e.c.GetJob(t.Context(), 7)
			if err == nil || !strings.Contains(err.Error(), "is the url the REST root") {
				t.Fatalf("err = %v", err)
			}
			if cb.read.Load() > maxJSONBody+4096 {
				t.Fatalf("read %d bytes", cb.read.Load())
			}
		})
	}
	// A body cut by the connection is a transport error.
	e := newEnv(t, withToken)
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7", func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(io.MultiReader(strings.NewReader(`{"id":`), errReader{})), ContentLength: -1}, nil
	})
	_, err := e.c.GetJob(t.Context(), 7)
	var te *transportError
	if !errors.As(err, &te) || !isTransient(err) {
		t.Fatalf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseAPIErrorForms(t *testing.T) {
	e := parseAPIError(400, "GET", "/x", []byte(`[{"code":"A","message":"one"},{"code":"B","message":"two"}]`))
	if e.Code != "A" || e.Message != "one; two" || !e.hasCode("B") || !IsCode(e, "b") {
		t.Fatalf("%+v", e)
	}
	e = parseAPIError(400, "", "", []byte(`{"code":"C","message":"m"}`))
	if e.Code != "C" || e.Error() != "400 C: m" {
		t.Fatalf("%q", e.Error())
	}
	for _, b := range []string{`[]`, `[{}]`, `{"x":1}`, `[not json`, "<html></html>", "<b>\x00\xff</b>"} {
		e = parseAPIError(502, "GET", "/x", []byte(b))
		if e.Code != "" || e.Message == "" || !strings.HasPrefix(e.Error(), "GET /x: 502") {
			t.Fatalf("%q: %+v", b, e)
		}
	}
	if IsNotFound(errors.New("x")) || IsCode(nil, "A") {
		t.Fatal("plain errors carry no code")
	}
	long := strings.Repeat("é", 1000)
	if m := parseAPIError(500, "", "", []byte(long)).Message; len([]rune(m)) != excerptLen+1 {
		t.Fatalf("excerpt of %d runes", len([]rune(m)))
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
	if d := c.backoff(defaultRetryWaitMin, defaultRetryWaitMax, 0, resp); d != c.retryAfterMax {
		t.Fatalf("Retry-After capped: %s", d)
	}
	if d := c.backoff(0, 0, 3, nil); d != 0 {
		t.Fatalf("zero backoff: %s", d)
	}
	if c.shortPath("/other") != "/other" || c.shortPath("/openspecimen/rest/ng/x") != "/x" {
		t.Fatal("shortPath")
	}
	if !(&timeoutError{}).Timeout() || !(&timeoutError{}).Temporary() {
		t.Fatal("timeoutError is a timeout")
	}
}
