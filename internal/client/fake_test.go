package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/jarcoal/httpmock"
)

const testRoot = "http://os.test/openspecimen/rest/ng"

// fakeServer imitates OpenSpecimen's scheduled-jobs API, quirks included: the trigger answers
// the job, a trigger while a run is in progress is dropped, runs are looked up by id alone,
// errors are 400 with a JSON array, 401 is HTML.
type fakeServer struct {
	mu sync.Mutex
	t  *testing.T

	apiToken   string          // accepted static token
	sessions   map[string]bool // valid session tokens
	users      map[string]string
	resetUsers map[string]bool
	logins     int
	loginGate  chan struct{} // when set, logins wait until it is closed
	loginFail  int           // answer 500 to that many logins first
	deletes    int
	// currentUserGets counts GET /users/current-user.
	currentUserGets int

	jobs      map[int64]*Job
	runs      []*Run // in creation order
	nextRunID int64
	triggers  int
	lists     int
	runGets   int
	queries   []string

	// Hooks, called with mu held. onTrigger replaces the default trigger behaviour; it
	// returns a response to send, or nil for the default answer (the job).
	onTrigger func(f *fakeServer, jobID int64, args, user string) (*http.Response, error)
	onList    func(f *fakeServer, jobID int64)
	onRunGet  func(f *fakeServer, run *Run) (*http.Response, error)
	// finishAfter: a run in progress finishes (SUCCEEDED) after that many GETs of it; 0 never.
	finishAfter int
	ignoreMax   bool
	gets        map[int64]int
	resultFiles map[int64]*http.Response
}

func newFakeServer(t *testing.T) *fakeServer {
	return &fakeServer{
		t:          t,
		apiToken:   "api-token-secret",
		sessions:   map[string]bool{},
		users:      map[string]string{"alice": "alice-password-secret", "bob": "bob-pw"},
		resetUsers: map[string]bool{},
		jobs: map[int64]*Job{
			7: {ID: 7, Name: "Export", Type: "QUERY", ActivityStatus: "Active", RepeatSchedule: "ONDEMAND"},
			8: {ID: 8, Name: "Other", Type: "INTERNAL", ActivityStatus: "Active"},
		},
		nextRunID:   100,
		gets:        map[int64]int{},
		resultFiles: map[int64]*http.Response{},
	}
}

func jsonResp(status int, v any) *http.Response {
	r := httpmock.NewBytesResponse(status, mustJSON(v))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func osError(code, msg string) *http.Response {
	return jsonResp(400, []map[string]string{{"code": code, "message": msg}})
}

func html401() *http.Response {
	r := httpmock.NewStringResponse(401, "<html><head><title>Unauthorized</title></head><body><h1>HTTP Status 401</h1></body></html>")
	r.Header.Set("Content-Type", "text/html")
	return r
}

// addRun records a run as the server would (status IN_PROGRESS unless given).
func (f *fakeServer) addRun(jobID int64, user, args string, status RunStatus) *Run {
	f.nextRunID++
	started := EpochMillis{time.UnixMilli(1_700_000_000_000 + f.nextRunID*1000).UTC()}
	r := &Run{ID: f.nextRunID, JobID: jobID, JobName: "job", Status: status, StartedAt: &started,
		RunBy: &User{ID: 1, LoginName: user}}
	if args != "" {
		a := args
		r.RtArgs = &a
	}
	if status.Finished() {
		fin := EpochMillis{started.Add(10 * time.Second)}
		r.FinishedAt = &fin
	}
	f.runs = append(f.runs, r)
	return r
}

func (f *fakeServer) inProgress(jobID int64) *Run {
	for _, r := range f.runs {
		if r.JobID == jobID && r.Status == StatusInProgress {
			return r
		}
	}
	return nil
}

func (f *fakeServer) finish(r *Run, st RunStatus) {
	r.Status = st
	fin := EpochMillis{r.StartedAt.Add(10 * time.Second)}
	r.FinishedAt = &fin
}

var (
	reJob    = regexp.MustCompile(`^/scheduled-jobs/(\d+)$`)
	reRuns   = regexp.MustCompile(`^/scheduled-jobs/(\d+)/runs$`)
	reRun    = regexp.MustCompile(`^/scheduled-jobs/(\d+)/runs/(\d+)$`)
	reResult = regexp.MustCompile(`^/scheduled-jobs/(\d+)/runs/(\d+)/result-file$`)
)

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func (f *fakeServer) handle(req *http.Request) (*http.Response, error) {
	p := strings.TrimPrefix(req.URL.Path, "/openspecimen/rest/ng")
	if p == "/sessions" && req.Method == http.MethodPost {
		return f.login(req)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	user := ""
	tok := req.Header.Get("X-OS-API-TOKEN")
	switch {
	case tok != "" && tok == f.apiToken:
		user = "apiuser"
	case f.sessions[tok]:
		user = strings.SplitN(tok, "#", 2)[0]
	default:
		return html401(), nil
	}
	switch m := req.Method; {
	case p == "/users/current-user" && m == http.MethodGet:
		f.currentUserGets++
		return jsonResp(200, map[string]any{"id": 9, "loginName": user, "firstName": "Api", "lastName": "User"}), nil
	case p == "/sessions" && m == http.MethodDelete:
		f.deletes++
		delete(f.sessions, tok)
		return jsonResp(200, map[string]string{"Status": "Success"}), nil
	case reJob.MatchString(p) && m == http.MethodGet:
		id := atoi(reJob.FindStringSubmatch(p)[1])
		if j, ok := f.jobs[id]; ok {
			return jsonResp(200, j), nil
		}
		return osError(CodeJobNotFound, "Job does not exist."), nil
	case reRuns.MatchString(p) && m == http.MethodPost:
		id := atoi(reRuns.FindStringSubmatch(p)[1])
		var body struct {
			Args *string `json:"args"`
		}
		b, _ := io.ReadAll(req.Body)
		if json.Unmarshal(b, &body) != nil {
			return osError("INVALID_REQUEST", "no body"), nil
		}
		f.triggers++
		job, ok := f.jobs[id]
		if !ok {
			return osError(CodeJobNotFound, "Job does not exist."), nil
		}
		if f.onTrigger != nil {
			if r, err := f.onTrigger(f, id, deref(body.Args), user); r != nil || err != nil {
				return r, err
			}
			return jsonResp(200, job), nil
		}
		if f.inProgress(id) == nil && job.Active() {
			f.addRun(id, user, deref(body.Args), StatusInProgress)
		}
		return jsonResp(200, job), nil
	case reRuns.MatchString(p) && m == http.MethodGet:
		id := atoi(reRuns.FindStringSubmatch(p)[1])
		f.lists++
		f.queries = append(f.queries, req.URL.RawQuery)
		if f.onList != nil {
			f.onList(f, id)
		}
		limit := 100
		if s := req.URL.Query().Get("maxResults"); s != "" && !f.ignoreMax {
			limit = int(atoi(s))
		}
		out := []*Run{}
		for i := len(f.runs) - 1; i >= 0 && len(out) < limit; i-- {
			if st := req.URL.Query().Get("status"); st != "" && string(f.runs[i].Status) != st {
				continue
			}
			if f.runs[i].JobID == id {
				out = append(out, f.runs[i])
			}
		}
		return jsonResp(200, out), nil
	case reRun.MatchString(p) && m == http.MethodGet:
		id := atoi(reRun.FindStringSubmatch(p)[2])
		f.runGets++
		for _, r := range f.runs {
			if r.ID == id { // by id alone, like the real server
				f.gets[id]++
				if f.onRunGet != nil {
					if resp, err := f.onRunGet(f, r); resp != nil || err != nil {
						return resp, err
					}
				}
				if f.finishAfter > 0 && r.Status == StatusInProgress && f.gets[id] >= f.finishAfter {
					f.finish(r, StatusSucceeded)
				}
				return jsonResp(200, r), nil
			}
		}
		return osError(CodeRunNotFound, "Job run does not exist."), nil
	case reResult.MatchString(p) && m == http.MethodGet:
		id := atoi(reResult.FindStringSubmatch(p)[2])
		if r, ok := f.resultFiles[id]; ok {
			return r, nil
		}
		return osError("SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE", "No file."), nil
	}
	r := httpmock.NewStringResponse(404, "<html><title>HTTP Status 404 – Not Found</title></html>")
	r.Header.Set("Content-Type", "text/html")
	return r, nil
}

func (f *fakeServer) login(req *http.Request) (*http.Response, error) {
	var body struct{ LoginName, Password, DomainName string }
	b, _ := io.ReadAll(req.Body)
	_ = json.Unmarshal(b, &body)
	f.mu.Lock()
	f.logins++
	n := f.logins
	gate := f.loginGate
	fail := f.loginFail > 0
	if fail {
		f.loginFail--
	}
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case fail:
		return jsonResp(500, []map[string]string{{"code": "INTERNAL_ERROR", "message": "boom"}}), nil
	case body.DomainName != "openspecimen" || f.users[body.LoginName] == "" || f.users[body.LoginName] != body.Password:
		return osError(CodeInvalidCredentials, "Invalid credentials"), nil
	case f.resetUsers[body.LoginName]:
		return jsonResp(200, map[string]string{"resetPasswordToken": "reset-secret"}), nil
	}
	tok := fmt.Sprintf("%s#session-%d", body.LoginName, n)
	f.sessions[tok] = true
	return jsonResp(200, map[string]any{"id": 1, "loginName": body.LoginName, "firstName": "A", "token": tok, "admin": false}), nil
}

// expireSessions makes every session token invalid (idle expiry).
func (f *fakeServer) expireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]bool{}
}

func (f *fakeServer) count(p *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *p
}

// fakeClock advances only when slept on; it records the sleeps.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	slept   []time.Duration
	onSleep func(n int, d time.Duration)
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	n, hook := len(c.slept), c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(n, d)
	}
	return ctx.Err()
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// recLogger is a slog handler that records log lines as "LEVEL message key:value ...".
type recLogger struct {
	mu    sync.Mutex
	lines []string
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
	defer l.mu.Unlock()
	l.lines = append(l.lines, b.String())
	return nil
}

func (l *recLogger) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *recLogger) WithGroup(string) slog.Handler      { return l }

func (l *recLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type testEnv struct {
	fs    *fakeServer
	c     *Client
	clock *fakeClock
	log   *recLogger
	mt    *httpmock.MockTransport
}

// newEnv builds a client on a mock transport answering with fs. By default it logs in as
// alice; mod may change the configuration.
func newEnv(t *testing.T, mod func(*Config)) *testEnv {
	t.Helper()
	fs := newFakeServer(t)
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(fs.handle)
	lg := &recLogger{}
	cfg := Config{
		URL: testRoot + "/", Username: "alice", Password: "alice-password-secret",
		HTTPClient: &http.Client{Transport: mt}, Logger: slog.New(lg), UserAgent: "test-agent/1.0", MaxRetries: -1,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.now, c.sleep = clock.now, clock.sleep
	for _, h := range []*retryablehttp.Client{c.reads, c.streams, c.logins, c.once} {
		h.RetryWaitMin, h.RetryWaitMax = time.Millisecond, 2*time.Millisecond
	}
	return &testEnv{fs: fs, c: c, clock: clock, log: lg, mt: mt}
}

func withToken(cfg *Config) { cfg.Username, cfg.Password, cfg.Token = "", "", "api-token-secret" }
