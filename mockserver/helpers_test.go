package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func mustTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// testConfig: job 1 quick with a zipped result, 2 failing, 3 disabled, 4 slow, 6 stuck;
// seeded runs 10..14 of job 1 (see historyRuns) and an unfinished seeded run 20 of job 6.
// Every job is on demand: many tests run it on the real clock, where a schedule would fire
// in the middle of a test at a time of day (see dailyJob).
func testConfig() Config {
	return Config{
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
			{LoginName: "carol", Password: "Carol@123", ResetPassword: true},
		},
		Jobs: []JobConfig{
			{ID: 1, Name: "Specimen export", Duration: Duration(100 * time.Millisecond), Recipients: []string{"bob"},
				Result: &ResultConfig{Filename: "specimens.csv", Content: "id,args\n${run_id},${args}\n", Zip: true}},
			{ID: 2, Name: "Broken job", Duration: Duration(50 * time.Millisecond), Outcome: "FAILED", Message: "Query failed: timeout"},
			{ID: 3, Name: "Retired export", ActivityStatus: "Disabled"},
			{ID: 4, Name: "Nightly export", Duration: Duration(time.Hour)},
			{ID: 6, Name: "Stuck export"},
		},
		Runs: []RunConfig{
			{ID: 10, JobID: 1, Status: "SUCCEEDED", StartedAt: mustTime("2022-02-21T06:15:00Z"), FinishedAt: mustTime("2022-02-21T06:16:00Z"),
				RtArgs: "a b", RunBy: "admin", Result: &ResultConfig{Filename: "old.csv", Content: "x,${run_id}\n"}},
			{ID: 11, JobID: 1, Status: "FAILED", StartedAt: mustTime("2022-02-21T23:59:00Z"), FinishedAt: mustTime("2022-02-22T00:01:00Z"),
				RunBy: "admin", Message: "Query failed"},
			{ID: 12, JobID: 1, Status: "SUCCEEDED", StartedAt: mustTime("2022-02-22T00:00:00Z"), FinishedAt: mustTime("2022-02-22T00:02:00Z"),
				RunBy: "alice", Result: &ResultConfig{Filename: "specimens.csv", Content: "id\n12\n", Zip: true}},
			{ID: 13, JobID: 1, Status: "SUCCEEDED", StartedAt: mustTime("2022-03-01T10:00:00Z"), FinishedAt: mustTime("2022-03-01T10:00:05Z"),
				RunBy: "admin", Result: &ResultConfig{Filename: "blob.bin", ContentBase64: "/wD+AQ=="}},
			{ID: 14, JobID: 1, Status: "SUCCEEDED", StartedAt: mustTime("2022-03-02T10:00:00Z"), FinishedAt: mustTime("2022-03-02T10:00:05Z"),
				RunBy: "admin", Result: &ResultConfig{Filename: "gone.csv", Content: "x", Missing: true}},
			{ID: 20, JobID: 6, StartedAt: mustTime("2022-03-02T00:00:00Z"), RunBy: "admin"},
		},
	}
}

// sharedWith answers cfg with every job shared with the users named: a non-admin may then
// read and trigger them.
func sharedWith(cfg Config, logins ...string) Config {
	cfg.Jobs = append([]JobConfig(nil), cfg.Jobs...)
	for i := range cfg.Jobs {
		cfg.Jobs[i].SharedWith = append(append([]string(nil), cfg.Jobs[i].SharedWith...), logins...)
	}
	return cfg
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// apiCode answers the code of a JSON error body, or "".
func (r response) apiCode() string {
	var errs []apiError
	if json.Unmarshal(r.body, &errs) != nil || len(errs) != 1 {
		return ""
	}
	return errs[0].Code
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d answer %q: %v", r.status, r.body, err)
	}
}

// call sends a request; auth is a token, "basic:user:password", or "" for none.
func call(t testing.TB, method, url, auth, body string) response {
	t.Helper()
	resp, err := send(method, url, auth, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

func send(method, url, auth, body string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	authorize(req, auth, body != "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func login(t testing.TB, s *Server, user, password string) string {
	t.Helper()
	r := call(t, "POST", s.URL()+"/sessions", "", `{"loginName":"`+user+`","password":"`+password+`","domainName":"openspecimen"}`)
	var out struct {
		Token string `json:"token"`
	}
	r.decode(t, &out)
	if r.status != 200 || out.Token == "" {
		t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	return out.Token
}

// testDeadline bounds every wait for an event: far beyond what a loaded machine needs, it
// only turns a hang into a failure.
const testDeadline = 60 * time.Second

// within waits for a value from ch, failing the test after testDeadline. It is
// mocktest.Within, which these tests cannot import (mocktest imports this package).
func within[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(testDeadline)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// inBackground runs f in a goroutine and answers a channel closed when f returns.
func inBackground(f func()) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		f()
	}()
	return ch
}

// newManualServer starts a server whose clock stands still until the test moves it.
func newManualServer(t testing.TB, cfg Config) (*Server, *ManualClock) {
	t.Helper()
	c := NewManualClock(clockStart)
	cfg.Clock = c
	return newTestServer(t, cfg), c
}

// runStarts makes s report every run it creates on the channel answered.
func runStarts(s *Server) <-chan Run {
	ch := make(chan Run, 100)
	s.SetRunStartHook(func(r Run) { ch <- r })
	return ch
}

// requestsTo makes s report, on the channel answered, every request that reaches its
// handler for method and path (relative to BasePath), once it has reached it.
func requestsTo(s *Server, method, path string) <-chan struct{} {
	ch := make(chan struct{}, 100)
	s.SetRequestHook(func(m, p string) {
		if m == method && p == path {
			ch <- struct{}{}
		}
	})
	return ch
}

// postDirect sends a POST through s.Handler() in the calling goroutine: everything
// the handler does, a run started right after a trigger's answer included, is over when it
// returns. auth is as for call.
func postDirect(t testing.TB, s *Server, path, auth, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(http.MethodPost, BasePath+path, rd)
	authorize(req, auth, body != "")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

type runOut struct {
	ID          int64   `json:"id"`
	JobID       int64   `json:"jobId"`
	JobName     string  `json:"jobName"`
	Status      string  `json:"status"`
	StartedAt   int64   `json:"startedAt"`
	FinishedAt  *int64  `json:"finishedAt"`
	RtArgs      *string `json:"rtArgs"`
	Message     *string `json:"message"`
	LogFilePath *string `json:"logFilePath"`
	RunBy       struct {
		ID        int64  `json:"id"`
		LoginName string `json:"loginName"`
		Domain    string `json:"domain"`
	} `json:"runBy"`
}

func ids(runs []runOut) []int64 {
	out := []int64{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

// authorize sets the credentials of auth (as for call) on req, and the JSON content type
// when it has a body.
func authorize(req *http.Request, auth string, hasBody bool) {
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.HasPrefix(auth, "basic:"):
		parts := strings.SplitN(auth, ":", 3)
		req.SetBasicAuth(parts[1], parts[2])
	case auth != "":
		req.Header.Set("X-OS-API-TOKEN", auth)
	}
}
