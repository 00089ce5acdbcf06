package client

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/sync/singleflight"
)

// Defaults of Config and of the timing knobs.
const (
	DefaultDomain         = "openspecimen"
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 4

	defaultRetryWaitMin = 200 * time.Millisecond
	defaultRetryWaitMax = 3 * time.Second
)

// Config configures a Client. See New.
type Config struct {
	// URL is the REST root, e.g. http://host/openspecimen/rest/ng (a trailing slash is fine).
	URL string
	// Token is an API token, sent as X-OS-API-TOKEN. Set it, or Username and Password.
	Token string
	// Username and Password log in with POST /sessions on first use.
	Username, Password string
	// Domain is the login domain; default "openspecimen".
	Domain string
	// CACertPEM holds extra root certificates (PEM), added to the system pool.
	CACertPEM []byte
	// InsecureSkipVerify turns TLS certificate verification off. For tests only.
	InsecureSkipVerify bool
	// RequestTimeout bounds each HTTP attempt (headers and body; for a result file, each
	// pause in the stream). 0 means 30s.
	RequestTimeout time.Duration
	// MaxRetries is how many times an idempotent request (a GET, the PUT of a job) is retried
	// after a connection error, a 429 or a 5xx. A negative value means the default, 4; 0 turns
	// retries off. A trigger (POST) is never retried by the transport.
	MaxRetries int
	// UserAgent, e.g. "terraform-provider-openspecimen/0.1.0".
	UserAgent string
	// Logger receives the client's log lines, with the context of the call they belong to:
	// one per request (method, path, status, duration) at debug level, retries, logins and
	// the decisions of StartRun and WaitForRun. They never hold a password, a token or file
	// contents. nil is silent.
	Logger *slog.Logger
	// HTTPClient is an optional base client. Its Transport carries the requests; its Timeout and
	// CheckRedirect are not used: redirects are never followed, so that the token is not
	// sent elsewhere. CACertPEM and InsecureSkipVerify apply only when its Transport is nil or
	// an *http.Transport at New.
	HTTPClient *http.Client
}

// Client talks to OpenSpecimen's REST API. It is safe for concurrent use.
type Client struct {
	root      string // REST root, without trailing slash
	rootPath  string // path part of root, to shorten logged paths
	token     string // static API token ("" when logging in)
	username  string
	password  string
	domain    string
	userAgent string
	logger    *slog.Logger

	// One retrying HTTP client per request policy (see send).
	reads   *retryablehttp.Client // idempotent reads: retried on no answer, 429 and 5xx
	streams *retryablehttp.Client // reads whose body is streamed: the timeout bounds each pause
	logins  *retryablehttp.Client // POST /sessions: see retryLogin
	once    *retryablehttp.Client // the trigger: never retried

	mu           sync.Mutex         // guards session, loginName, loginErr and settingsRead
	session      string             // session token from POST /sessions
	loginName    string             // known login name: from the login, or GET /users/current-user with a token
	loginErr     error              // permanent login failure (a *LoginError), not tried again
	settingsRead bool               // the server's settings were read once (ReadSettings), after the first login
	loginFlight  singleflight.Group // shares one login, check of the token or read of the settings among concurrent callers

	startMu  sync.Mutex              // guards starting and started
	starting map[int64]chan struct{} // per job: held by the StartRun identifying its run
	started  map[runKey]bool         // runs this client started or adopted

	// The clock, which tests replace.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	formMu   sync.Mutex   // guards fromForm
	fromForm fromDateForm // the fromDate form the server last took; formInstant until one is known

	settings serverSettings // what ReadSettings learned (settings.go)
}

// runKey names one run of one job.
type runKey struct{ jobID, runID int64 }

// New checks cfg and returns a client. It does not touch the network: the login, or the
// check of the token, happens on first use (or with Login).
func New(cfg Config) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	base, err := baseTransport(cfg)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(strings.TrimSpace(cfg.URL)) // checked
	c := &Client{
		root:      strings.TrimRight(u.String(), "/"),
		rootPath:  strings.TrimRight(u.Path, "/"),
		token:     cfg.Token,
		username:  cfg.Username,
		password:  cfg.Password,
		domain:    cmp.Or(cfg.Domain, DefaultDomain),
		userAgent: cfg.UserAgent,
		now:       time.Now,
		sleep:     sleepCtx,
	}
	handler := slog.DiscardHandler
	if cfg.Logger != nil {
		handler = cfg.Logger.Handler()
	}
	c.logger = slog.New(handler)
	timeout := cmp.Or(cfg.RequestTimeout, DefaultRequestTimeout)
	maxRetries := cfg.MaxRetries
	if maxRetries < 0 {
		maxRetries = DefaultMaxRetries
	}
	var jar http.CookieJar
	if cfg.HTTPClient != nil {
		jar = cfg.HTTPClient.Jar
	}
	whole := &timeoutTransport{base: base, timeout: timeout}
	idle := &timeoutTransport{base: base, timeout: timeout, idle: true}
	c.reads = c.retryingClient(whole, jar, maxRetries, retryRead)
	c.streams = c.retryingClient(idle, jar, maxRetries, retryRead)
	c.logins = c.retryingClient(whole, jar, maxRetries, retryLogin)
	c.once = c.retryingClient(whole, jar, 0, retryNever)
	return c, nil
}

// baseTransport answers the transport under every request: net/http's default with the TLS
// settings of cfg; or cfg.HTTPClient's (nil: net/http's default), given those settings when
// it is an *http.Transport and cfg has any.
func baseTransport(cfg Config) (http.RoundTripper, error) {
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if hc := cfg.HTTPClient; hc != nil {
		t, isHTTP := hc.Transport.(*http.Transport)
		switch {
		case len(cfg.CACertPEM) == 0 && !cfg.InsecureSkipVerify || hc.Transport != nil && !isHTTP:
			return cmp.Or[http.RoundTripper](hc.Transport, http.DefaultTransport), nil
		case t != nil:
			tr := t.Clone()
			tr.TLSClientConfig = tlsCfg
			return tr, nil
		}
	}
	tr := defaultTransport()
	tr.TLSClientConfig = tlsCfg
	return tr, nil
}

// tlsConfig answers the TLS settings of cfg: its CA bundle beside the system's roots, and
// verification turned off only when asked.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // explicit opt-in
	if len(cfg.CACertPEM) == 0 {
		return tlsCfg, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
		return nil, &ConfigError{Field: FieldCACert, Problem: "the CA certificate bundle holds no valid PEM certificate"}
	}
	tlsCfg.RootCAs = pool
	return tlsCfg, nil
}

// retryingClient is a retryablehttp client over tr with one retry policy. Redirects are never
// followed, so that the token is not sent elsewhere: a redirect is answered as an error.
func (c *Client) retryingClient(tr http.RoundTripper, jar http.CookieJar, maxRetries int, policy retryablehttp.CheckRetry) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     tr,
			Jar:           jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		RetryWaitMin: defaultRetryWaitMin,
		RetryWaitMax: defaultRetryWaitMax,
		RetryMax:     maxRetries,
		CheckRetry:   policy,
		Backoff:      c.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
			if attempt > 0 {
				c.logger.WarnContext(req.Context(), "retrying OpenSpecimen request",
					"method", req.Method, "path", c.shortPath(req.URL.Path), "attempt", attempt+1)
			}
		},
	}
}

// check answers the first problem of the configuration as a *ConfigError, or nil.
func (cfg Config) check() error {
	if err := checkURL(cfg.URL); err != nil {
		return err
	}
	if err := cfg.checkCredentials(); err != nil {
		return err
	}
	if cfg.RequestTimeout < 0 {
		return &ConfigError{Field: FieldRequestTimeout, Problem: fmt.Sprintf("the request timeout %s is negative", cfg.RequestTimeout)}
	}
	return nil
}

func checkURL(raw string) error {
	bad := func(format string, a ...any) error {
		return &ConfigError{Field: FieldURL, Problem: fmt.Sprintf(format, a...)}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case strings.TrimSpace(raw) == "":
		return &ConfigError{Field: FieldURL, Missing: true, Problem: "the url is empty: give the REST root, e.g. " + restRootExample}
	case err != nil:
		return bad("the url %q is not a valid URL: %v", raw, unwrapURLError(err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "":
		return bad("the url %q is not an absolute http or https URL: give the REST root, e.g. %s", raw, restRootExample)
	case u.User != nil:
		return bad("the url must not hold credentials: use token, or username and password")
	case u.RawQuery != "" || u.Fragment != "":
		return bad("the url %q must not have a query or a fragment", u.Redacted())
	}
	return nil
}

func (cfg Config) checkCredentials() error {
	hasUser := cfg.Username != "" || cfg.Password != ""
	switch {
	case cfg.Token != "" && hasUser:
		return &ConfigError{Field: FieldToken, Problem: "both a token and a username or password are set: use either token, or username and password, not both"}
	case cfg.Token == "" && !hasUser:
		return &ConfigError{Field: FieldCredentials, Missing: true, Problem: "no credentials: set username and password, or a token"}
	case cfg.Token == "" && cfg.Username == "":
		return &ConfigError{Field: FieldUsername, Missing: true, Problem: "a password is set but no username"}
	case cfg.Token == "" && cfg.Password == "":
		return &ConfigError{Field: FieldPassword, Missing: true, Problem: "a username is set but no password"}
	}
	return nil
}

// maxIdleConnsPerHost is how many connections to the server the transport keeps open between
// requests. It covers Terraform's parallelism (10 by default, 50 in large applies), each
// resource sending one request at a time: with net/http's default of 2, every burst past 2
// requests opens new connections (a TLS handshake each) and closes them after.
const maxIdleConnsPerHost = 64

// defaultTransport returns a copy of net/http's default transport, or a new one when that
// was replaced by something else, that keeps maxIdleConnsPerHost idle connections and does
// not limit the connections open at once.
func defaultTransport() *http.Transport {
	t, ok := http.DefaultTransport.(*http.Transport)
	if ok {
		t = t.Clone()
	} else {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	}
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.MaxIdleConns = max(t.MaxIdleConns, maxIdleConnsPerHost)
	t.MaxConnsPerHost = 0
	return t
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// LoginName returns the login name of the user, once known: after a login, or the username
// of the configuration. With an API token it is "" until Login has checked the token.
func (c *Client) LoginName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loginName != "" {
		return c.loginName
	}
	return c.username
}

// CurrentLoginName answers the login name of the user the client acts as: the one its login
// answered, or with a token the one GET /users/current-user answered (see Login). StartRun
// tells this user's runs from other users' by it.
func (c *Client) CurrentLoginName(ctx context.Context) (string, error) {
	if err := c.Login(ctx); err != nil {
		return "", err
	}
	return c.LoginName(), nil
}

// Login checks the credentials now, once per client: with a username and password it logs
// in (POST /sessions); with an API token it asks whom the token belongs to (GET
// /users/current-user). Then it reads what the server says of itself (learnSettings).
// Concurrent callers share one check, and a passed check is not repeated (an expired session
// is renewed on its own on a 401). Nothing else needs it first: a call logs in when it needs
// a session, and reads the settings when it needs them; a caller that wants a failed login
// told apart from the call that met it (the provider, which reports it once) calls Login
// before the call.
//
// A refused password or token, a password that must be reset, and an answer that shows the
// url is not the REST root (notRESTRoot) are a *LoginError, remembered: every later call
// answers it again without a request, so as not to lock the account. Other failures (no
// answer, 5xx) are not remembered: the next call tries again.
func (c *Client) Login(ctx context.Context) error {
	var err error
	if c.token != "" {
		err = c.checkToken(ctx)
	} else {
		_, err = c.sessionToken(ctx)
	}
	if err != nil {
		return err
	}
	return c.learnSettings(ctx)
}

// learnSettings reads the server's settings (ReadSettings: its line, its zone, its exports'
// separator) once per client, in one read shared by concurrent callers. They are best
// effort: a server that answers none of them leaves them unknown, and the call goes on.
func (c *Client) learnSettings(ctx context.Context) error {
	return c.shareLogin(ctx, "settings", func() bool { return c.settingsRead }, func(ctx context.Context) error {
		_, err := c.ReadSettings(ctx) // fails only when its context ends, which this detached one does not
		c.mu.Lock()
		defer c.mu.Unlock()
		c.settingsRead = err == nil
		return err
	})
}

// checkToken learns whom the API token belongs to, unless known, in one request shared by
// concurrent callers, run as login runs.
func (c *Client) checkToken(ctx context.Context) error {
	return c.shareLogin(ctx, "token", func() bool { return c.loginName != "" }, func(ctx context.Context) error {
		var me User
		o := reqOpts{method: http.MethodGet, path: "/users/current-user", idempotent: true}
		err := c.doJSON(ctx, o, &me)
		var refused *LoginError
		switch {
		case notRESTRoot(err):
			return wrongURLError(c.root, err)
		case errors.As(err, &refused):
			return err
		case err != nil:
			return fmt.Errorf("checking the API token (learning which user it belongs to): %w", err)
		}
		if me.LoginName == "" {
			return &badBodyError{Method: o.method, Path: o.path, StatusCode: http.StatusOK,
				Err: errors.New("the answer has no loginName")}
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.loginName = me.LoginName
		return nil
	})
}

// sessionToken returns the session token, logging in if there is none.
func (c *Client) sessionToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.session
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	if err := c.login(ctx, ""); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session, nil
}

// login logs in unless the session is already newer than stale.
func (c *Client) login(ctx context.Context, stale string) error {
	return c.shareLogin(ctx, "login", func() bool { return c.session != "" && c.session != stale }, func(ctx context.Context) error {
		tok, name, err := c.doLogin(ctx)
		if err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.session, c.loginName = tok, name
		return nil
	})
}

// shareLogin runs check (a login, or the check of a token) unless done, which is read under
// c.mu, holds or a *LoginError was remembered. Every concurrent caller shares one check; it
// runs detached from the first caller's context (each request bounded by the request
// timeout), so that one caller giving up does not fail the others. The *LoginError it
// answers is remembered.
func (c *Client) shareLogin(ctx context.Context, key string, done func() bool, check func(context.Context) error) error {
	skip := func() (bool, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.loginErr != nil || done(), c.loginErr
	}
	if ok, err := skip(); ok {
		return err
	}
	detached := context.WithoutCancel(ctx)
	flight := c.loginFlight.DoChan(key, func() (any, error) {
		if ok, err := skip(); ok { // a flight that ended since the check above
			return nil, err
		}
		err := check(detached)
		if le := (*LoginError)(nil); errors.As(err, &le) {
			c.mu.Lock()
			c.loginErr = err
			c.mu.Unlock()
		}
		return nil, err
	})
	select {
	case r := <-flight:
		return r.Err
	case <-ctx.Done():
		return fmt.Errorf("logging in to OpenSpecimen: %w", ctx.Err())
	}
}

func (c *Client) doLogin(ctx context.Context) (token, loginName string, err error) {
	o := reqOpts{method: http.MethodPost, path: "/sessions", login: true, body: map[string]string{
		"loginName": c.username, "password": c.password, "domainName": c.domain,
	}}
	c.logger.DebugContext(ctx, "logging in to OpenSpecimen", "login_name", c.username, "domain", c.domain)
	resp, err := c.send(ctx, o, "")
	if err != nil {
		return "", "", fmt.Errorf("logging in to OpenSpecimen as %q: %w", c.username, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		ae := c.apiError(o, resp)
		switch {
		case notRESTRoot(ae):
			return "", "", wrongURLError(c.root, ae)
		case resp.StatusCode == http.StatusUnauthorized || ae.hasCode(CodeInvalidCredentials):
			return "", "", &LoginError{Err: ae, Reason: fmt.Sprintf(
				"login refused for user %q in domain %q: wrong user name or password, or the account is locked", c.username, c.domain)}
		case resp.StatusCode/100 == 4:
			why := ae.Message
			if ae.Code != "" {
				why = ae.Code + ": " + why
			}
			return "", "", &LoginError{Err: ae, Reason: fmt.Sprintf("login refused for user %q in domain %q: %s", c.username, c.domain, why)}
		}
		return "", "", fmt.Errorf("logging in to OpenSpecimen as %q: %w", c.username, ae)
	}
	var ans struct {
		Token              string `json:"token"`
		LoginName          string `json:"loginName"`
		ResetPasswordToken string `json:"resetPasswordToken"`
	}
	if err := c.decode(o, resp, &ans); err != nil {
		if notRESTRoot(err) {
			return "", "", wrongURLError(c.root, err)
		}
		return "", "", fmt.Errorf("logging in to OpenSpecimen as %q: %w", c.username, err)
	}
	if ans.Token == "" {
		if ans.ResetPasswordToken != "" {
			return "", "", &LoginError{ResetRequired: true, Reason: fmt.Sprintf(
				"the password of user %q must be reset in OpenSpecimen before the API can be used: "+
					"log in to OpenSpecimen in a browser, set a new password, then update the provider configuration", c.username)}
		}
		return "", "", &badBodyError{Method: o.method, Path: o.path, StatusCode: resp.StatusCode,
			Err: errors.New("the login answer holds no token")}
	}
	if ans.LoginName == "" {
		ans.LoginName = c.username
	}
	c.logger.InfoContext(ctx, "logged in to OpenSpecimen", "login_name", ans.LoginName)
	return ans.Token, ans.LoginName, nil
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
