package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/jarcoal/httpmock"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// testRoot is a REST root for clients that never reach a server.
const testRoot = "http://os.test/openspecimen/rest/ng"

// The mock's routes, as RequestCount and the response hook name them.
const (
	routeSessions = "/sessions"
	routeJob      = "/scheduled-jobs/{jobId}"
	routeRuns     = "/scheduled-jobs/{jobId}/runs"
	routeRun      = "/scheduled-jobs/{jobId}/runs/{runId}"
	routeResult   = "/scheduled-jobs/{jobId}/runs/{runId}/result-file"
	routeMe       = "/users/current-user"
)

const alicePassword = "alice-password-secret"

// serverLines are the OpenSpecimen lines the mock serves, for the tests run on each.
var serverLines = []string{mockserver.LineNewest, mockserver.LineOlder}

// envStart is the time of the manual clock when a test begins.
var envStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// serverConfig is the mock server of the client's tests. alice, the client's user, is an
// admin: she sees every run, bob's too; job 7 is shared with bob, who may run it. apiuser is
// the user of the API token (withToken).
// Jobs 7 ("Export", QUERY) and 8 ("Other", INTERNAL) run for ten minutes of the clock; job
// 9 is disabled: StartRun refuses it before any trigger (a *JobInactiveError), and the
// server drops a raw trigger of it (TriggerRun).
//
// A trigger's run starts startDelay after it on the manual clock, that is within the
// client's first sleep after the trigger (or a test's Advance). Without a delay it would
// start right after the answer in real time, which the client's sleeps outrun: they move
// the clock at once, so its whole appear timeout could pass before the run exists.
func serverConfig() mockserver.Config {
	tenMinutes := mockserver.Duration(10 * time.Minute)
	return mockserver.Config{
		Users: []mockserver.UserConfig{
			{LoginName: "alice", Password: alicePassword, Admin: true},
			{LoginName: "bob", Password: "bob-pw"},
			{LoginName: "apiuser", Password: "api-user-pw", Admin: true},
		},
		Jobs: []mockserver.JobConfig{
			{ID: 7, Name: "Export", Type: "QUERY", Duration: tenMinutes, StartDelay: startDelay, SharedWith: []string{"bob"}},
			{ID: 8, Name: "Other", Type: "INTERNAL", Duration: tenMinutes, StartDelay: startDelay},
			{ID: 9, Name: "Retired", ActivityStatus: "Disabled"},
		},
	}
}

// startDelay is how long after its trigger a run of jobs 7 and 8 starts.
const startDelay = mockserver.Duration(time.Millisecond)

// pastRun is a seeded finished run of a job, started a day before envStart plus id minutes
// (so that a newer id is a newer run) and lasting d.
func pastRun(id, jobID int64, user, args, status string, d time.Duration) mockserver.RunConfig {
	start := envStart.Add(-24*time.Hour + time.Duration(id)*time.Minute)
	end := start.Add(d)
	return mockserver.RunConfig{ID: id, JobID: jobID, Status: status, StartedAt: &start, FinishedAt: &end, RtArgs: args, RunBy: user}
}

type testEnv struct {
	s       *mockserver.Server
	clock   *mockserver.ManualClock
	c       *Client
	log     *recLogger
	sleeps  *sleeper
	logins0 int // login requests before the client was made
}

// newEnv starts the mock server of serverConfig and a client of it that logs in as alice;
// mod may change the client's configuration.
func newEnv(t *testing.T, mod func(*Config)) *testEnv {
	t.Helper()
	return newEnvOn(t, serverConfig(), mod)
}

// newEnvOn starts a mock server of sc on a manual clock standing at envStart, and a client
// of it whose sleeps move that clock (see sleeper) and whose retries wait a millisecond or
// two. The client logs in as alice unless mod changes its configuration; it has no
// keep-alives, so that Go's transport never sends a request again on its own after a
// connection the mock dropped (mockserver.Reply.Drop).
func newEnvOn(t *testing.T, sc mockserver.Config, mod func(*Config)) *testEnv {
	t.Helper()
	clock := mockserver.NewManualClock(envStart)
	sc.Clock = clock
	s := mocktest.New(t, sc)
	lg := &recLogger{}
	cfg := Config{
		URL: s.URL() + "/", Username: "alice", Password: alicePassword,
		HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
		Logger:     slog.New(lg), UserAgent: "test-agent/1.0", MaxRetries: -1,
	}
	if mod != nil {
		mod(&cfg)
	}
	if cfg.Token == apiUserToken {
		cfg.Token = mocktest.Login(t, s, "apiuser", "api-user-pw")
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sl := &sleeper{clock: clock}
	c.now, c.sleep = clock.Now, sl.sleep
	fastRetries(c)
	return &testEnv{s: s, clock: clock, c: c, log: lg, sleeps: sl, logins0: s.RequestCount("POST", routeSessions)}
}

// fastRetries makes the client's transport retries wait a millisecond or two.
func fastRetries(c *Client) {
	for _, h := range []*retryablehttp.Client{c.reads, c.streams, c.logins, c.once} {
		h.RetryWaitMin, h.RetryWaitMax = time.Millisecond, 2*time.Millisecond
	}
}

// apiUserToken in Config.Token stands for a session token of apiuser, which newEnvOn gets
// from the server before it makes the client.
const apiUserToken = "<apiuser's token>"

// withToken makes the client use apiuser's token instead of logging in.
func withToken(cfg *Config) { cfg.Username, cfg.Password, cfg.Token = "", "", apiUserToken }

// logins answers how many login requests the client has sent.
func (e *testEnv) logins() int { return e.s.RequestCount("POST", routeSessions) - e.logins0 }

// triggers answers how many triggers the server got.
func (e *testEnv) triggers() int { return e.s.RequestCount("POST", routeRuns) }

// lists answers how many run lists the server answered.
func (e *testEnv) lists() int { return e.s.RequestCount("GET", routeRuns) }

// runReads answers how many reads of a run the server got.
func (e *testEnv) runReads() int { return e.s.RequestCount("GET", routeRun) }

// startRun starts a run of job 7 as user now, as if user had triggered it: it lasts the
// job's duration on the manual clock.
func (e *testEnv) startRun(t *testing.T, user, args string) mockserver.Run {
	t.Helper()
	r, err := e.s.StartRunAs(user, 7, args)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replyTo makes s answer the requests of method and route with reply, which is given the
// number of such requests so far (1 for the first) and answers false to let the server
// answer. It replaces any response hook.
func replyTo(s *mockserver.Server, method, route string, reply func(n int) (mockserver.Reply, bool)) {
	var mu sync.Mutex // guards n
	n := 0
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if req.Method != method || req.Pattern != route {
			return mockserver.Reply{}, false
		}
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		return reply(k)
	})
}

// always is a reply for replyTo: rep to every request.
func always(rep mockserver.Reply) func(int) (mockserver.Reply, bool) {
	return func(int) (mockserver.Reply, bool) { return rep, true }
}

// firstN is a reply for replyTo: rep to the first n requests, then the server's answers.
func firstN(n int, rep mockserver.Reply) func(int) (mockserver.Reply, bool) {
	return func(k int) (mockserver.Reply, bool) { return rep, k <= n }
}

// sleeper is the client's sleep in the tests: it moves the mock's manual clock by the time
// slept, at once, and records the sleeps.
type sleeper struct {
	clock   *mockserver.ManualClock
	mu      sync.Mutex // guards slept and onSleep
	slept   []time.Duration
	onSleep func(n int, d time.Duration) // called after the n-th sleep, if set
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.clock.Advance(d)
	s.mu.Lock()
	s.slept = append(s.slept, d)
	n, hook := len(s.slept), s.onSleep
	s.mu.Unlock()
	if hook != nil {
		hook(n, d)
	}
	return ctx.Err()
}

// all answers the sleeps so far.
func (s *sleeper) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.slept...)
}

// reset forgets the sleeps so far and sets the function called after each (nil: none).
func (s *sleeper) reset(onSleep func(n int, d time.Duration)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slept, s.onSleep = nil, onSleep
}

// recLogger is a slog handler that records log lines as "LEVEL message key:value ...".
type recLogger struct {
	mu       sync.Mutex // guards lines and onRecord
	lines    []string
	onRecord func(line string) // called after each line is recorded, if set
}

func (l *recLogger) Enabled(context.Context, slog.Level) bool { return true }

func (l *recLogger) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s:%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	hook := l.onRecord
	l.mu.Unlock()
	if hook != nil {
		hook(b.String())
	}
	return nil
}

func (l *recLogger) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *recLogger) WithGroup(string) slog.Handler      { return l }

func (l *recLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// setOnRecord sets the function called after each line (nil: none).
func (l *recLogger) setOnRecord(f func(line string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onRecord = f
}

// newRawClient is a client with an API token on an httpmock transport, for the raw answers
// that no server gives (truncated or endless bodies, broken streams, 10 MB pages): the test
// registers the responders.
func newRawClient(t *testing.T, mod func(*Config)) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	cfg := Config{URL: testRoot, Token: "api-token-secret", HTTPClient: &http.Client{Transport: mt}, MaxRetries: -1}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	fastRetries(c)
	return c, mt
}

// onEachLine runs test as a subtest on each OpenSpecimen line the mock serves.
func onEachLine(t *testing.T, test func(t *testing.T, line string)) {
	t.Helper()
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) { test(t, line) })
	}
}

// timeout answers a context that ends once the manual clock has moved d, as a timeout of d
// would: the client's sleeps move the clock (see sleeper). It replaces the sleeper's hook.
func (e *testEnv) timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	end := e.clock.Now().Add(d)
	e.sleeps.reset(func(int, time.Duration) {
		if !e.clock.Now().Before(end) {
			cancel()
		}
	})
	return ctx
}
