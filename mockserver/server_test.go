package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	s := newTestServer(t, testConfig())
	cases := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"admin", `{"loginName":"admin","password":"Admin@123","domainName":"openspecimen"}`, 200, "", "token"},
		{"no domain", `{"loginName":"alice","password":"Alice@123"}`, 200, "", "token"},
		{"unknown fields ignored", `{"loginName":"alice","password":"Alice@123","x":1}`, 200, "", "token"},
		{"bad password", `{"loginName":"admin","password":"nope"}`, 400, "AUTH_INVALID_CREDENTIALS", ""},
		{"unknown user", `{"loginName":"zed","password":"Admin@123"}`, 400, "AUTH_INVALID_CREDENTIALS", ""},
		{"other domain", `{"loginName":"admin","password":"Admin@123","domainName":"ldap"}`, 400, "AUTH_INVALID_CREDENTIALS", ""},
		{"empty body", ``, 400, "INVALID_REQUEST", ""},
		{"bad JSON", `{"loginName":`, 400, "INVALID_REQUEST", ""},
		{"must reset password", `{"loginName":"carol","password":"Carol@123"}`, 200, "", "resetPasswordToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := call(t, "POST", s.URL()+"/sessions", "", c.body)
			if r.status != c.wantStatus || r.apiCode() != c.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, c.wantStatus, c.wantCode)
			}
			if c.wantStatus >= 400 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("error Content-Type %q", r.header.Get("Content-Type"))
			}
			if c.wantField != "" {
				var m map[string]any
				r.decode(t, &m)
				if v, _ := m[c.wantField].(string); v == "" {
					t.Errorf("no %s in %s", c.wantField, r.body)
				}
				if c.wantField == "resetPasswordToken" && m["token"] != nil {
					t.Errorf("reset-password login answered a token: %s", r.body)
				}
			}
		})
	}
	if got := s.LoginCount(); got != 3 {
		t.Errorf("LoginCount = %d, want 3", got)
	}
	var m map[string]any
	call(t, "POST", s.URL()+"/sessions", "", `{"loginName":"admin","password":"Admin@123"}`).decode(t, &m)
	for _, k := range []string{"id", "firstName", "lastName", "loginName", "token", "admin"} {
		if _, ok := m[k]; !ok {
			t.Errorf("login answer lacks %s: %v", k, m)
		}
	}
	if m["admin"] != true {
		t.Errorf("admin = %v", m["admin"])
	}
}

func TestAuth(t *testing.T) {
	s := newTestServer(t, sharedWith(testConfig(), "alice"))
	job := s.URL() + "/scheduled-jobs/1"
	token := login(t, s, "admin", "Admin@123")
	cases := []struct {
		name      string
		auth      string
		header    map[string]string
		want      int
		challenge bool
	}{
		{"token", token, nil, 200, false},
		{"no credentials", "", nil, 401, true},
		{"bad token", "nope", nil, 401, false},
		{"basic", "basic:alice:Alice@123", nil, 200, false},
		{"basic bad password", "basic:alice:wrong", nil, 401, false},
		{"basic reset-password user", "basic:carol:Carol@123", nil, 401, false},
		{"bearer scheme", "", map[string]string{"Authorization": "Bearer x"}, 401, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkAuth(t, job, c.auth, c.header, c.want, c.challenge) })
	}
	t.Run("logout", func(t *testing.T) { checkLogout(t, s, job) })
}

// checkAuth GETs url with the credentials auth (as for call) and the headers given, and
// checks the status, and for a 401 its HTML body and whether it challenges.
func checkAuth(t *testing.T, url, auth string, header map[string]string, want int, challenge bool) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if strings.HasPrefix(auth, "basic:") {
		p := strings.SplitN(auth, ":", 3)
		req.SetBasicAuth(p[1], p[2])
	} else if auth != "" {
		req.Header.Set("X-OS-API-TOKEN", auth)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
	}
	if want == 401 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !bytes.Contains(body, []byte("<html")) {
			t.Errorf("401 is not HTML: %s %s", ct, body)
		}
		if got := resp.Header.Get("WWW-Authenticate") != ""; got != challenge {
			t.Errorf("WWW-Authenticate present = %v, want %v", got, challenge)
		}
	}
}

// checkLogout logs alice out and checks her token no longer reads job, and that a logout
// without a session is refused.
func checkLogout(t *testing.T, s *Server, job string) {
	tok := login(t, s, "alice", "Alice@123")
	r := call(t, "DELETE", s.URL()+"/sessions", tok, "")
	if r.status != 200 || string(r.body) != `{"Status":"Success"}` {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := call(t, "GET", job, tok, ""); r.status != 401 {
		t.Fatalf("token still valid after logout: %d", r.status)
	}
	if r := call(t, "DELETE", s.URL()+"/sessions", "", ""); r.status != 401 {
		t.Fatalf("logout without a session: %d", r.status)
	}
}

func TestTokenIdleExpiry(t *testing.T) {
	cfg := testConfig()
	cfg.TokenIdleTimeout = Duration(400 * time.Millisecond)
	s, clock := newManualServer(t, cfg)
	job := s.URL() + "/scheduled-jobs/1"
	token := login(t, s, "admin", "Admin@123")
	// Each use refreshes the token: used every 400ms (its idle timeout exactly), it lives on.
	for i := 0; i < 6; i++ {
		if r := call(t, "GET", job, token, ""); r.status != 200 {
			t.Fatalf("use %d: %d", i, r.status)
		}
		clock.Advance(400 * time.Millisecond)
	}
	if r := call(t, "GET", job, token, ""); r.status != 200 {
		t.Fatalf("use after exactly the idle timeout: %d", r.status)
	}
	clock.Advance(400*time.Millisecond + time.Millisecond)
	r := call(t, "GET", job, token, "")
	if r.status != 401 || r.header.Get("WWW-Authenticate") != "" {
		t.Fatalf("idle token: %d %v", r.status, r.header)
	}
	// Expired means gone, even if used again at once.
	if r := call(t, "GET", job, token, ""); r.status != 401 {
		t.Fatalf("expired token came back: %d", r.status)
	}
}

// GET /users/current-user answers the caller's summary, for a token or Basic credentials,
// and 401 as every other route without valid credentials.
func TestCurrentUser(t *testing.T) {
	s := newTestServer(t, testConfig())
	url := s.URL() + "/users/current-user"
	admin := login(t, s, "admin", "Admin@123")
	for _, c := range []struct {
		auth string
		want map[string]any
	}{
		{admin, map[string]any{"id": 1.0, "firstName": "Admin", "lastName": "User", "loginName": "admin",
			"domain": "openspecimen", "emailAddress": "admin@example.org", "admin": true}},
		{"basic:alice:Alice@123", map[string]any{"id": 2.0, "firstName": "Alice", "lastName": "User", "loginName": "alice",
			"domain": "openspecimen", "emailAddress": "alice@example.org", "admin": false}},
	} {
		r := call(t, "GET", url, c.auth, "")
		var got map[string]any
		r.decode(t, &got)
		if r.status != 200 || !reflect.DeepEqual(got, c.want) {
			t.Errorf("current user: %d %s, want %v", r.status, r.body, c.want)
		}
	}
	if r := call(t, "GET", url, "", ""); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: %d %v", r.status, r.header)
	}
	if r := call(t, "GET", url, "nope", ""); r.status != 401 {
		t.Errorf("bad token: %d", r.status)
	}
	if r := call(t, "POST", url, admin, "{}"); r.status != 405 {
		t.Errorf("POST: %d", r.status)
	}
	if n := s.RequestCount("GET", "/users/current-user"); n != 4 {
		t.Errorf("RequestCount = %d, want 4", n)
	}
}

// dailyJob is job 5, daily at midnight UTC from 2100. On the newest line its dates do not
// keep it from firing: it belongs on a server whose clock stands still (newManualServer).
var dailyJob = JobConfig{ID: 5, Name: "Daily", RepeatSchedule: "DAILY", StartDate: mustTime("2100-01-01T00:00:00Z"),
	Type: "INTERNAL", RtArgsProvided: true, RtArgsHelpText: "<cp>"}

func TestGetJob(t *testing.T) {
	cfg := testConfig()
	cfg.Jobs = append(cfg.Jobs, dailyJob)
	s, _ := newManualServer(t, sharedWith(cfg, "alice"))
	tok := login(t, s, "alice", "Alice@123")
	var job map[string]any
	r := call(t, "GET", s.URL()+"/scheduled-jobs/5", tok, "")
	r.decode(t, &job)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, k := range []string{"id", "name", "type", "repeatSchedule", "activityStatus", "rtArgsProvided", "rtArgsHelpText",
		"createdBy", "runAs", "recipients", "startDate", "endDate", "nextRunOn"} {
		if _, ok := job[k]; !ok {
			t.Errorf("job lacks %q: %s", k, r.body)
		}
	}
	if job["name"] != "Daily" || job["type"] != "INTERNAL" || job["repeatSchedule"] != "DAILY" ||
		job["activityStatus"] != "Active" || job["rtArgsProvided"] != true || job["rtArgsHelpText"] != "<cp>" {
		t.Errorf("job fields: %s", r.body)
	}
	// The job starts on 2100-01-01, but nextRunOn is the next 00:00 from now, whatever the dates.
	if next, ok := job["nextRunOn"].(float64); !ok || int64(next) != time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("nextRunOn of a daily job from 2100: %v", job["nextRunOn"])
	}
	if start, ok := job["startDate"].(float64); !ok || int64(start) != time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("startDate: %v", job["startDate"])
	}
	if cb, _ := job["createdBy"].(map[string]any); cb["loginName"] != "admin" {
		t.Errorf("createdBy: %v", job["createdBy"])
	}
	call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, "").decode(t, &job)
	if job["nextRunOn"] != nil || job["type"] != "QUERY" || job["repeatSchedule"] != "ONDEMAND" {
		t.Errorf("defaults: %v", job)
	}
	if rc, _ := job["recipients"].([]any); len(rc) != 1 {
		t.Errorf("recipients: %v", job["recipients"])
	}

	for _, c := range []struct {
		path, code string
	}{
		{"/scheduled-jobs/99", "SCHEDULED_JOB_NOT_FOUND"},
		{"/scheduled-jobs/abc", "INVALID_REQUEST"},
		{"/scheduled-jobs/1.5", "INVALID_REQUEST"},
		{"/scheduled-jobs/99999999999999999999", "INVALID_REQUEST"},
	} {
		if r := call(t, "GET", s.URL()+c.path, tok, ""); r.status != 400 || r.apiCode() != c.code {
			t.Errorf("GET %s: %d %s, want 400 %s", c.path, r.status, r.body, c.code)
		}
	}
}

func TestTrigger(t *testing.T) {
	s, clock := newManualServer(t, sharedWith(testConfig(), "alice"))
	started := runStarts(s)
	tok := login(t, s, "alice", "Alice@123")
	trigger := func(job, body string) response {
		return call(t, "POST", s.URL()+"/scheduled-jobs/"+job+"/runs", tok, body)
	}
	// Through the handler directly: a run it starts exists when it returns.
	triggerDirect := func(job, body string) response {
		return postDirect(t, s, "/scheduled-jobs/"+job+"/runs", tok, body)
	}

	r := trigger("1", `{"args":"--cp 12","ignored":true}`)
	var job map[string]any
	r.decode(t, &job)
	if r.status != 200 || job["id"] != float64(1) || job["name"] != "Specimen export" {
		t.Fatalf("trigger answered %d %s, want the job", r.status, r.body)
	}
	run := within(t, "the run record", started)
	if run.ID != 21 || run.RunBy != "alice" || run.RtArgs == nil || *run.RtArgs != "--cp 12" || run.JobName != "Specimen export" ||
		run.Status != StatusInProgress || !run.StartedAt.Equal(clockStart) {
		t.Fatalf("new run: %+v", run)
	}
	if runs := s.Runs(1); len(runs) != 6 || runs[0].ID != 21 {
		t.Fatalf("runs of job 1: %+v", runs)
	}

	checkTriggersDropped(t, s, clock, started, triggerDirect)

	// Finished: a new trigger runs; {} leaves rtArgs null.
	trigger("1", `{}`)
	if run := within(t, "run 22", started); run.ID != 22 || run.RtArgs != nil {
		t.Errorf("run after {}: %+v", run)
	}

	checkTriggerRejections(t, trigger)
	if n := len(s.Runs(1)); n != 7 {
		t.Errorf("rejected triggers created runs: %d", n)
	}
}

// checkTriggersDropped checks, while job 1's run 21 is in progress on the standing clock,
// that a trigger of job 1, of job 6 (a seeded IN_PROGRESS run) and of disabled job 3 is
// answered 200 and starts nothing, then ends run 21.
func checkTriggersDropped(t *testing.T, s *Server, clock *ManualClock, started <-chan Run, triggerDirect func(job, body string) response) {
	t.Helper()
	// While it is in progress (the clock stands still) a trigger is answered 200 and dropped.
	if r := triggerDirect("1", `{}`); r.status != 200 {
		t.Fatalf("trigger while running: %d", r.status)
	}
	// The job with a seeded IN_PROGRESS run, and the disabled job, never get a new run.
	for _, j := range []string{"6", "3"} {
		if r := triggerDirect(j, `{"args":"x"}`); r.status != 200 {
			t.Fatalf("trigger of job %s: %d %s", j, r.status, r.body)
		}
	}
	select {
	case r := <-started:
		t.Fatalf("a dropped trigger started run %+v", r)
	default:
	}
	clock.Advance(100 * time.Millisecond) // job 1's duration
	if runs := s.Runs(1); len(runs) != 6 || runs[0].Status != StatusSucceeded {
		t.Fatalf("job 1 after its run's end: %+v (the trigger while running is dropped)", runs)
	}
	if n := len(s.Runs(6)); n != 1 {
		t.Errorf("job 6 has %d runs, want 1", n)
	}
	if n := len(s.Runs(3)); n != 0 {
		t.Errorf("disabled job 3 has %d runs", n)
	}
}

// checkTriggerRejections checks that trigger answers 400 with the right code to each bad
// trigger, as a subtest each.
func checkTriggerRejections(t *testing.T, trigger func(job, body string) response) {
	t.Helper()
	for _, c := range []struct {
		name, job, body, code string
	}{
		{"unknown job", "99", `{}`, "SCHEDULED_JOB_NOT_FOUND"},
		{"non-numeric job", "x", `{}`, "INVALID_REQUEST"},
		{"no body", "1", ``, "INVALID_REQUEST"},
		{"null body", "1", `null`, "INVALID_REQUEST"},
		{"bad JSON", "1", `{"args":`, "INVALID_REQUEST"},
		{"args not a string", "1", `{"args":5}`, "INVALID_REQUEST"},
		{"trailing garbage", "1", `{} x`, "INVALID_REQUEST"},
		{"over 1 MiB", "1", `{"args":"` + strings.Repeat("a", 1<<20) + `"}`, "INVALID_REQUEST"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := trigger(c.job, c.body); r.status != 400 || r.apiCode() != c.code {
				t.Errorf("%d %.200s, want 400 %s", r.status, r.body, c.code)
			}
		})
	}
}

func TestTriggerStartDelay(t *testing.T) {
	cfg := testConfig()
	cfg.Jobs[0].StartDelay = Duration(150 * time.Millisecond)
	s, clock := newManualServer(t, cfg)
	started := runStarts(s)
	tok := login(t, s, "admin", "Admin@123")
	if r := call(t, "POST", s.URL()+"/scheduled-jobs/1/runs", tok, `{}`); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := call(t, "POST", s.URL()+"/scheduled-jobs/1/runs", tok, `{"args":"second"}`); r.status != 200 {
		t.Fatal(r.status)
	}
	clock.Advance(149 * time.Millisecond)
	if n := len(s.Runs(1)); n != 5 {
		t.Fatalf("%d runs before the start delay, want 5", n)
	}
	// The second trigger replaced the first, still queued: only the second becomes a run,
	// 150 ms after it.
	clock.Advance(time.Millisecond)
	runs := s.Runs(1)
	if len(runs) != 6 || runs[0].RtArgs == nil || *runs[0].RtArgs != "second" || !runs[0].StartedAt.Equal(clockStart.Add(150*time.Millisecond)) {
		t.Fatalf("runs after the start delay: %+v", runs)
	}
	select {
	case r := <-started: // the hook ran within Advance
		if r.ID != runs[0].ID || len(started) != 0 {
			t.Errorf("run start hook: %+v, then %d more", r, len(started))
		}
	default:
		t.Error("the run start hook was not called within Advance")
	}

	// Close cancels a queued start.
	clock2 := NewManualClock(clockStart)
	cfg.Clock = clock2
	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	call(t, "POST", s2.URL()+"/scheduled-jobs/1/runs", "basic:admin:Admin@123", `{}`)
	s2.Close()
	s2.Close() // twice is fine
	clock2.Advance(time.Hour)
	if n := len(s2.Runs(1)); n != 5 {
		t.Errorf("a start queued before Close ran after it: %d runs", n)
	}
}

func TestRunLifecycle(t *testing.T) {
	s, clock := newManualServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	for _, c := range []struct {
		job     int64
		dur     time.Duration
		status  string
		message *string
		logFile bool
	}{
		{1, 100 * time.Millisecond, StatusSucceeded, nil, true},
		{2, 50 * time.Millisecond, StatusFailed, ptr("Query failed: timeout"), false},
	} {
		run, err := s.StartRunAs("admin", c.job, "")
		if err != nil {
			t.Fatal(err)
		}
		url := fmt.Sprintf("%s/scheduled-jobs/%d/runs/%d", s.URL(), c.job, run.ID)
		var got runOut
		clock.Advance(c.dur - time.Millisecond)
		call(t, "GET", url, tok, "").decode(t, &got)
		if got.Status != StatusInProgress || got.FinishedAt != nil || got.Message != nil || got.LogFilePath != nil {
			t.Errorf("job %d just before its end: %+v, want IN_PROGRESS without finish fields", c.job, got)
		}
		clock.Advance(time.Millisecond)
		call(t, "GET", url, tok, "").decode(t, &got)
		if got.Status != c.status || got.FinishedAt == nil || *got.FinishedAt != run.StartedAt.Add(c.dur).UnixMilli() {
			t.Errorf("job %d finished as %+v, want %s at startedAt+%s", c.job, got, c.status, c.dur)
		}
		if !reflect.DeepEqual(got.Message, c.message) || (got.LogFilePath != nil) != c.logFile {
			t.Errorf("job %d: message %v logFilePath %v", c.job, got.Message, got.LogFilePath)
		}
		snap := s.Runs(c.job)[0]
		if snap.Status != c.status || !snap.FinishedAt.Equal(run.StartedAt.Add(c.dur)) {
			t.Errorf("Runs snapshot: %+v", snap)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestStartRunAs(t *testing.T) {
	s := newTestServer(t, testConfig())
	run, err := s.StartRunAs("alice", 4, "nightly")
	if err != nil || run.ID != 21 || run.Status != StatusInProgress || run.RunBy != "alice" || *run.RtArgs != "nightly" {
		t.Fatalf("StartRunAs: %+v %v", run, err)
	}
	for _, c := range []struct {
		user string
		job  int64
		want error
	}{
		{"alice", 4, errJobBusy},
		{"alice", 6, errJobBusy},
		{"alice", 3, errJobInactive},
		{"alice", 99, errJobNotFound},
	} {
		if _, err := s.StartRunAs(c.user, c.job, ""); !errors.Is(err, c.want) {
			t.Errorf("job %d: %v, want %v", c.job, err, c.want)
		}
	}
	if _, err := s.StartRunAs("nobody", 1, ""); err == nil {
		t.Error("unknown user accepted")
	}
}

func TestGetRun(t *testing.T) {
	s := newTestServer(t, sharedWith(testConfig(), "alice")) // a run needs read access to its job (TestAccessControl)
	admin := login(t, s, "admin", "Admin@123")
	alice := login(t, s, "alice", "Alice@123")
	cases := []struct {
		name, auth, path string
		wantID           int64
		code             string
	}{
		{"admin", admin, "/scheduled-jobs/1/runs/10", 10, ""},
		{"jobId is not checked", admin, "/scheduled-jobs/999/runs/20", 20, ""},
		{"own run", alice, "/scheduled-jobs/1/runs/12", 12, ""},
		{"another's run", alice, "/scheduled-jobs/1/runs/10", 0, "SCHEDULED_JOB_OP_NOT_ALLOWED"},
		{"unknown run", admin, "/scheduled-jobs/1/runs/9999", 0, "SCHEDULED_JOB_JOB_RUN_NOT_FOUND"},
		{"non-numeric run", admin, "/scheduled-jobs/1/runs/abc", 0, "INVALID_REQUEST"},
		{"non-numeric job", admin, "/scheduled-jobs/abc/runs/10", 0, "INVALID_REQUEST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := call(t, "GET", s.URL()+c.path, c.auth, "")
			if c.code != "" {
				if r.status != 400 || r.apiCode() != c.code {
					t.Fatalf("%d %s, want 400 %s", r.status, r.body, c.code)
				}
				return
			}
			var run runOut
			r.decode(t, &run)
			if r.status != 200 || run.ID != c.wantID {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	var run runOut
	call(t, "GET", s.URL()+"/scheduled-jobs/1/runs/10", admin, "").decode(t, &run)
	if run.JobID != 1 || run.RtArgs == nil || *run.RtArgs != "a b" || run.RunBy.LoginName != "admin" || run.RunBy.Domain != "openspecimen" ||
		run.LogFilePath == nil || !strings.HasSuffix(*run.LogFilePath, "/old.csv") || run.Message != nil {
		t.Errorf("run 10: %+v", run)
	}
}

// TestFaults runs its subtests in order on one server: each counts the runs the ones before
// made.
func TestFaults(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	job := s.URL() + "/scheduled-jobs/1"

	t.Run("errorRate", func(t *testing.T) { faultErrorRate(t, s, tok, job) })

	t.Run("errorRate is seeded", func(t *testing.T) { faultErrorRateSeeded(t, s, tok, job) })

	t.Run("dropResponseRate", func(t *testing.T) { faultDropResponse(t, s, tok, job) })

	t.Run("dropResponseRate without a listener", func(t *testing.T) { faultDropResponseNoListener(t, s, tok) })

	t.Run("latency", func(t *testing.T) { faultLatency(t, s, tok, job) })
}

func faultErrorRate(t *testing.T, s *Server, tok, job string) {
	s.SetFaults(FaultConfig{ErrorRate: 1})
	before := s.RequestCount("GET", "/scheduled-jobs/{jobId}")
	r := call(t, "GET", job, tok, "")
	if r.status != 503 || r.apiCode() != "INTERNAL_ERROR" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := call(t, "POST", job+"/runs", tok, `{}`); r.status != 503 {
		t.Fatalf("trigger: %d", r.status)
	}
	if got := s.RequestCount("GET", "/scheduled-jobs/{jobId}"); got != before {
		t.Errorf("a 503 reached the handler")
	}
	if n := len(s.Runs(1)); n != 5 {
		t.Errorf("a 503 trigger was carried out: %d runs", n)
	}
	s.SetFaults(FaultConfig{})
	if r := call(t, "GET", job, tok, ""); r.status != 200 {
		t.Fatalf("after clearing faults: %d", r.status)
	}
}

func faultErrorRateSeeded(t *testing.T, s *Server, tok, job string) {
	pattern := func() string {
		s.SetFaults(FaultConfig{ErrorRate: 0.5, Seed: 42})
		var b strings.Builder
		for i := 0; i < 20; i++ {
			fmt.Fprint(&b, call(t, "GET", job, tok, "").status/100)
		}
		return b.String()
	}
	p1, p2 := pattern(), pattern()
	if p1 != p2 || !strings.Contains(p1, "2") || !strings.Contains(p1, "5") {
		t.Errorf("patterns %s and %s", p1, p2)
	}
	s.SetFaults(FaultConfig{})
}

func faultDropResponse(t *testing.T, s *Server, tok, job string) {
	s.SetFaults(FaultConfig{DropResponseRate: 1})
	defer s.SetFaults(FaultConfig{})
	if _, err := send("POST", job+"/runs", tok, `{"args":"dropped"}`); err == nil {
		t.Fatal("the dropped trigger got an answer")
	}
	runs := s.Runs(1)
	if len(runs) != 6 || runs[0].RtArgs == nil || *runs[0].RtArgs != "dropped" {
		t.Fatalf("the dropped trigger was not carried out: %+v", runs)
	}
	// Only triggers are dropped.
	if r := call(t, "GET", job, tok, ""); r.status != 200 {
		t.Fatalf("GET with dropResponseRate: %d", r.status)
	}
}

func faultDropResponseNoListener(t *testing.T, s *Server, tok string) {
	s.SetFaults(FaultConfig{DropResponseRate: 1})
	defer s.SetFaults(FaultConfig{})
	if n := len(s.Runs(2)); n != 0 {
		t.Fatalf("job 2 has %d runs before its trigger", n)
	}
	req := httptest.NewRequest("POST", BasePath+"/scheduled-jobs/2/runs", strings.NewReader(`{}`))
	req.Header.Set("X-OS-API-TOKEN", tok)
	req.Header.Set("Content-Type", "application/json")
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}()
	if n := len(s.Runs(2)); n != 1 {
		t.Errorf("job 2 has %d runs", n)
	}
}

func faultLatency(t *testing.T, s *Server, tok, job string) {
	s.SetFaults(FaultConfig{Latency: Duration(time.Hour)})
	defer s.SetFaults(FaultConfig{})
	arrived := requestsTo(s, "GET", "/scheduled-jobs/1")
	defer s.SetRequestHook(nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	answered := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", job, nil)
		req.Header.Set("X-OS-API-TOKEN", tok)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		answered <- resp
	}()
	within(t, "the request to arrive", arrived)
	cancel() // the request is in flight, within the latency (or just before it): no answer
	if resp := within(t, "the cancelled request to end", answered); resp != nil {
		t.Fatalf("answered %d within the latency", resp.StatusCode)
	}
	s.SetFaults(FaultConfig{Latency: Duration(50 * time.Millisecond)})
	if r := call(t, "GET", job, tok, ""); r.status != 200 {
		t.Fatalf("with latency: %d", r.status)
	}
}

func TestCloseDoesNotWaitForLatency(t *testing.T) {
	s, err := New(Config{Faults: FaultConfig{Latency: Duration(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	arrived := requestsTo(s, "GET", "/scheduled-jobs/1")
	answered := make(chan error, 1)
	go func() {
		_, err := send("GET", s.URL()+"/scheduled-jobs/1", "basic:admin:Admin@123", "")
		answered <- err
	}()
	within(t, "the request to arrive", arrived)
	within(t, "Close to return", inBackground(s.Close))
	if err := within(t, "the request in flight to end", answered); err == nil {
		t.Fatal("the request in flight got an answer from a closed server")
	}
}

func TestRequestCountAndHandler(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	call(t, "GET", s.URL()+"/scheduled-jobs/1/runs/10", tok, "")
	call(t, "GET", s.URL()+"/scheduled-jobs/2/runs/11", "bad", "")
	// The handler works without the listener.
	req := httptest.NewRequest("GET", BasePath+"/scheduled-jobs/1/runs/10", nil)
	req.Header.Set("X-OS-API-TOKEN", tok)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"id":10`) {
		t.Fatalf("Handler: %d %s", rec.Code, rec.Body)
	}
	if got := s.RequestCount("GET", "/scheduled-jobs/{jobId}/runs/{runId}"); got != 3 {
		t.Errorf("RequestCount = %d, want 3", got)
	}
	if got := s.RequestCount("POST", "/sessions"); got != 1 {
		t.Errorf("POST /sessions count = %d", got)
	}
}

func TestLogger(t *testing.T) {
	var buf syncBuffer
	cfg := testConfig()
	cfg.Logger = log.New(&buf, "", 0)
	s := newTestServer(t, cfg)
	tok := login(t, s, "admin", "Admin@123")
	call(t, "GET", s.URL()+"/scheduled-jobs/1?x=secret", tok, "")
	call(t, "GET", s.URL()+"/scheduled-jobs/1", "basic:alice:Alice@123", "")
	s.Close()
	out := buf.String()
	for _, secret := range []string{"Admin@123", "Alice@123", tok, "secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds a secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "POST "+BasePath+"/sessions 200") || !strings.Contains(out, "GET "+BasePath+"/scheduled-jobs/1 200") {
		t.Errorf("log:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestConcurrency hammers one server from 50 goroutines (run it with -race) and checks the
// invariants: at most one IN_PROGRESS run per job at any moment, and unique run ids.
func TestConcurrency(t *testing.T) {
	cfg := testConfig()
	cfg.Jobs[0].Duration = Duration(10 * time.Millisecond)
	cfg.Jobs[1].Duration = Duration(5 * time.Millisecond)
	cfg.Jobs = append(cfg.Jobs, JobConfig{ID: 9, Name: "Delayed", Duration: Duration(3 * time.Millisecond), StartDelay: Duration(2 * time.Millisecond)})
	s := newTestServer(t, sharedWith(cfg, "alice"))
	tokens := []string{login(t, s, "admin", "Admin@123"), login(t, s, "alice", "Alice@123")}
	jobs := []int64{1, 2, 3, 9}

	stop := make(chan struct{})
	checkerDone, violations := watchInProgress(s, jobs, stop)

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if err := concurrentOp(s, tokens[g%2], jobs[(g+i)%len(jobs)], g, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-checkerDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, v := range *violations {
		t.Error(v)
	}
	checkRunIDsUnique(t, s, []int64{1, 2, 3, 4, 5, 6, 9})
	if len(s.Runs(3)) != 0 {
		t.Error("the disabled job ran")
	}
}

// watchInProgress checks, until stop is closed, that no job of jobs has more than one run
// in progress. It answers a channel closed when it has stopped and the violations it saw,
// to read only then.
func watchInProgress(s *Server, jobs []int64, stop <-chan struct{}) (<-chan struct{}, *[]string) {
	checkerDone := make(chan struct{})
	var violations []string
	go func() {
		defer close(checkerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, j := range jobs {
				n := 0
				for _, r := range s.Runs(j) {
					if r.Status == StatusInProgress {
						n++
					}
				}
				if n > 1 {
					violations = append(violations, fmt.Sprintf("job %d has %d runs in progress", j, n))
				}
			}
		}
	}()
	return checkerDone, &violations
}

// concurrentOp is request i of client g on job: by turns a trigger, a list then a read of
// the newest run, and a StartRunAs.
func concurrentOp(s *Server, tok string, job int64, g, i int) error {
	base := fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), job)
	var err error
	switch i % 3 {
	case 0:
		var r response
		if r, err = send("POST", base+"/runs", tok, fmt.Sprintf(`{"args":"g%d i%d"}`, g, i)); err == nil && r.status != 200 {
			err = fmt.Errorf("trigger: %d %s", r.status, r.body)
		}
	case 1:
		var r response
		if r, err = send("GET", base+"/runs?maxResults=5", tok, ""); err == nil {
			var runs []runOut
			if r.status != 200 || json.Unmarshal(r.body, &runs) != nil {
				err = fmt.Errorf("list: %d %s", r.status, r.body)
			} else if len(runs) > 0 {
				r, err = send("GET", fmt.Sprintf("%s/runs/%d", base, runs[0].ID), tok, "")
				if err == nil && r.status != 200 {
					err = fmt.Errorf("get: %d %s", r.status, r.body)
				}
			}
		}
	case 2:
		if _, e := s.StartRunAs("alice", job, "direct"); e != nil && !errors.Is(e, errJobBusy) && !errors.Is(e, errJobInactive) {
			err = e
		}
	}
	return err
}

// checkRunIDsUnique checks that no two runs of jobs share an id.
func checkRunIDsUnique(t *testing.T, s *Server, jobs []int64) {
	t.Helper()
	seen := map[int64]bool{}
	total := 0
	for _, j := range jobs {
		for _, r := range s.Runs(j) {
			if seen[r.ID] {
				t.Errorf("duplicate run id %d", r.ID)
			}
			seen[r.ID] = true
			total++
		}
	}
	t.Logf("%d runs in all", total)
}

func TestStopRestart(t *testing.T) {
	s, _ := newManualServer(t, testConfig()) // the clock stands still: run 21 stays in progress
	started := runStarts(s)
	url := s.URL()
	tok := login(t, s, "admin", "Admin@123")
	if r := call(t, "POST", url+"/scheduled-jobs/1/runs", tok, `{"args":"before"}`); r.status != 200 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	within(t, "the run", started)

	stopWithRequestInFlight(t, s, tok)
	if _, err := send("GET", url+"/scheduled-jobs/1", tok, ""); err == nil {
		t.Fatal("a stopped server answered")
	}
	if s.URL() != url {
		t.Fatalf("URL changed to %s", s.URL())
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err == nil {
		t.Fatal("Restart of a running server succeeded")
	}
	if s.URL() != url {
		t.Fatalf("URL changed to %s", s.URL())
	}
	// Same state: the session is still valid and the run still in progress.
	var runs []runOut
	r := call(t, "GET", url+"/scheduled-jobs/1/runs?maxResults=1", tok, "")
	r.decode(t, &runs)
	if r.status != 200 || len(runs) != 1 || runs[0].Status != StatusInProgress || *runs[0].RtArgs != "before" {
		t.Fatalf("after Restart: %d %s", r.status, r.body)
	}
	if s.LoginCount() != 1 {
		t.Errorf("LoginCount = %d", s.LoginCount())
	}

	// Stop and Restart again, then Close; Restart after Close fails.
	s.Stop()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if err := s.Restart(); err == nil {
		t.Fatal("Restart after Close succeeded")
	}
}

// stopWithRequestInFlight stops s while a GET of job 1 waits in an hour's latency, and
// checks that Stop returns at once, a second Stop does nothing and the request gets no
// answer; then it clears the latency and the request hook.
func stopWithRequestInFlight(t *testing.T, s *Server, tok string) {
	t.Helper()
	url := s.URL()
	// A request in flight when the server stops gets no answer, and Stop does not wait
	// for its latency.
	s.SetFaults(FaultConfig{Latency: Duration(time.Hour)})
	arrived := requestsTo(s, "GET", "/scheduled-jobs/1")
	inFlight := make(chan error, 1)
	go func() {
		_, err := send("GET", url+"/scheduled-jobs/1", tok, "")
		inFlight <- err
	}()
	within(t, "the request to arrive", arrived)
	within(t, "Stop to return", inBackground(s.Stop))
	s.Stop() // a second Stop does nothing
	if err := within(t, "the request in flight to end", inFlight); err == nil {
		t.Fatal("the request in flight got an answer from a stopped server")
	}
	s.SetFaults(FaultConfig{})
	s.SetRequestHook(nil)
}

// Stop, Close and Shutdown end at once the requests that wait, in injected latency or for
// a hook, and return; the requests get no answer. (Before the listener's stopped channel,
// a POST waiting in latency kept Stop waiting: its context is not cancelled when its
// connection is closed before its body is read.)
func TestEndWaitingRequests(t *testing.T) {
	ends := []struct {
		name string
		end  func(*Server)
	}{
		{"Stop", (*Server).Stop},
		{"Close", (*Server).Close},
		{"Shutdown", func(s *Server) {
			if err := s.Shutdown(t.Context()); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		}},
	}
	for _, e := range ends {
		for _, w := range waitingRequests {
			t.Run(e.name+", "+w.name, func(t *testing.T) { checkEndWaiting(t, e.name, e.end, w) })
		}
	}
}

type waitingRequest struct {
	name, method, path string
	set                func(s *Server, arrived chan<- struct{}, release <-chan struct{})
}

// waitingRequests are the ways a request waits in the server: each sets s so that a request
// to method and path reports on arrived that it waits, and waits until release is closed.
var waitingRequests = []waitingRequest{
	{"latency, GET", "GET", "/scheduled-jobs/1", setLatency},
	{"latency, POST", "POST", "/scheduled-jobs/1/runs", setLatency},
	{"request hook", "GET", "/scheduled-jobs/1/runs", func(s *Server, arrived chan<- struct{}, release <-chan struct{}) {
		s.SetRequestHook(func(string, string) {
			arrived <- struct{}{}
			<-release
		})
	}},
	{"trigger hook", "POST", "/scheduled-jobs/1/runs", func(s *Server, arrived chan<- struct{}, release <-chan struct{}) {
		s.SetTriggerHook(func(int64, string) {
			arrived <- struct{}{}
			<-release
		})
	}},
	{"response hook", "POST", "/scheduled-jobs/1/runs", func(s *Server, arrived chan<- struct{}, release <-chan struct{}) {
		s.SetResponseHook(func(req Request) (Reply, bool) {
			if req.Path != "/sessions" {
				arrived <- struct{}{}
				<-release
			}
			return Reply{}, false
		})
	}},
}

// checkEndWaiting sends a request that waits as w says, ends s with end, and checks that
// end returns, the request gets no answer and an abandoned trigger starts no run.
func checkEndWaiting(t *testing.T, endName string, end func(*Server), w waitingRequest) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	w.set(s, arrived, release)
	answered := make(chan error, 1)
	go func() {
		r, err := send(w.method, s.URL()+w.path, tok, `{}`)
		if err == nil {
			err = fmt.Errorf("answered %d %s", r.status, r.body)
		} else {
			err = nil
		}
		answered <- err
	}()
	within(t, "the request to arrive", arrived)
	within(t, endName+" to return", inBackground(func() { end(s) }))
	if err := within(t, "the request in flight to end", answered); err != nil {
		t.Errorf("the request in flight: %v, want no answer", err)
	}
	if w.method == "POST" && len(s.Runs(1)) != 5 {
		t.Errorf("the abandoned trigger was carried out: %+v", s.Runs(1))
	}
}

// setLatency delays every answer by an hour and reports each request as it arrives.
func setLatency(s *Server, arrived chan<- struct{}, _ <-chan struct{}) {
	s.SetFaults(FaultConfig{Latency: Duration(time.Hour)})
	s.SetRequestHook(func(method, path string) {
		if path != "/sessions" {
			arrived <- struct{}{}
		}
	})
}

// A trigger's handler that waits for the run start hook after its answer was sent does not
// hold Shutdown up either.
func TestShutdownEndsRunStartHookWait(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	// A run start hook called after the answer: the handler still runs, the answer is sent.
	s.SetRunStartHook(func(Run) {
		arrived <- struct{}{}
		<-release
	})
	answered := make(chan response, 1)
	go func() {
		r, _ := send("POST", s.URL()+"/scheduled-jobs/1/runs", tok, `{}`)
		answered <- r
	}()
	within(t, "the run", arrived)
	if r := within(t, "the trigger's answer", answered); r.status != 200 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	// The handler still waits for the hook: Shutdown ends that wait and returns.
	within(t, "Shutdown to return", inBackground(func() {
		if err := s.Shutdown(t.Context()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}))
	close(release)
}

// Stop, Restart and requests race each other without data races (go test -race).
func TestStopRestartConcurrent(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	arrived := make(chan struct{}, 1)
	s.SetRequestHook(func(string, string) {
		select {
		case arrived <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	firstOK := make(chan struct{})
	var once sync.Once
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if r, err := send("GET", fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), 1+g%2), tok, ""); err == nil && r.status == 200 {
					once.Do(func() { close(firstOK) })
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		select {
		case <-arrived: // a report from before the last Restart
		default:
		}
		within(t, "a request to arrive", arrived)
		s.Stop()
		if err := s.Restart(); err != nil {
			t.Error(err)
			break
		}
	}
	within(t, "a request to succeed", firstOK)
	cancel()
	wg.Wait()
}

func TestExpireTokens(t *testing.T) {
	s := newTestServer(t, testConfig())
	a, b := login(t, s, "admin", "Admin@123"), login(t, s, "alice", "Alice@123")
	if n := s.ExpireTokens(); n != 2 {
		t.Errorf("ExpireTokens = %d, want 2", n)
	}
	for _, tok := range []string{a, b} {
		r := call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, "")
		if r.status != 401 || r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("expired token: %d %v", r.status, r.header)
		}
	}
	c := login(t, s, "admin", "Admin@123")
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/1", c, ""); r.status != 200 {
		t.Errorf("new token: %d", r.status)
	}
	if s.LoginCount() != 3 {
		t.Errorf("LoginCount = %d", s.LoginCount())
	}
}

// The trigger hook runs before the trigger is carried out: a run started there makes the
// trigger a silent drop, as when another user's run wins the race.
func TestTriggerHook(t *testing.T) {
	cfg := testConfig()
	cfg.Jobs[0].Duration = Duration(time.Hour)
	s := newTestServer(t, cfg)
	tok := login(t, s, "admin", "Admin@123")
	var calls []string
	s.SetTriggerHook(func(jobID int64, loginName string) {
		calls = append(calls, fmt.Sprintf("%d %s", jobID, loginName))
		if _, err := s.StartRunAs("alice", jobID, "alice's"); err != nil {
			t.Errorf("StartRunAs in the hook: %v", err)
		}
	})
	before := len(s.Runs(1))
	if r := call(t, "POST", s.URL()+"/scheduled-jobs/1/runs", tok, `{"args":"mine"}`); r.status != 200 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	call(t, "POST", s.URL()+"/scheduled-jobs/999/runs", tok, `{}`) // unknown job: no hook
	s.SetTriggerHook(nil)
	runs := s.Runs(1)
	if len(runs) != before+1 || runs[0].RunBy != "alice" {
		t.Fatalf("runs after a hooked trigger: %+v", runs)
	}
	if len(calls) != 1 || calls[0] != "1 admin" {
		t.Errorf("hook calls %q", calls)
	}
}

// The request hook sees every request that reaches the handler, before faults and
// authentication, with its path relative to BasePath.
func TestRequestHook(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	var mu sync.Mutex // guards got
	var got []string
	s.SetRequestHook(func(method, path string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, method+" "+path)
	})
	s.SetFaults(FaultConfig{ErrorRate: 1})
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, ""); r.status != 503 {
		t.Fatalf("injected fault: %d", r.status)
	}
	s.SetFaults(FaultConfig{})
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/1/runs?status=FAILED", "bad token", ""); r.status != 401 {
		t.Fatalf("bad token: %d", r.status)
	}
	root := strings.TrimSuffix(s.URL(), BasePath)
	call(t, "GET", root+"/outside", "", "")
	call(t, "GET", s.URL(), tok, "")
	call(t, "GET", root+BasePath+"x", tok, "")
	s.SetRequestHook(nil)
	call(t, "GET", s.URL()+"/scheduled-jobs/2", tok, "")
	mu.Lock()
	want := []string{"GET /scheduled-jobs/1", "GET /scheduled-jobs/1/runs", "GET /outside", "GET ", "GET " + BasePath + "x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hook calls %q, want %q", got, want)
	}
	mu.Unlock()

	// A panic in the hook is the request's: 500 INTERNAL_ERROR.
	s.SetRequestHook(func(string, string) { panic("hook failed") })
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, ""); r.status != 500 || r.apiCode() != "INTERNAL_ERROR" {
		t.Errorf("panicking hook: %d %s", r.status, r.body)
	}
}

// The run start hook reports every run created, by a trigger (after its answer, or after
// its start delay within the manual clock's Advance) or by StartRunAs, and nothing for a
// dropped trigger.
func TestRunStartHook(t *testing.T) {
	cfg := testConfig()
	cfg.Jobs = append(cfg.Jobs, JobConfig{ID: 9, Name: "Delayed", StartDelay: Duration(time.Second)})
	s, clock := newManualServer(t, cfg)
	started := runStarts(s)
	tok := login(t, s, "admin", "Admin@123")
	none := func(what string) {
		t.Helper()
		select {
		case r := <-started:
			t.Fatalf("%s: run %+v reported", what, r)
		default:
		}
	}
	// StartRunAs: before it returns.
	run, err := s.StartRunAs("alice", 4, "x")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-started:
		if !reflect.DeepEqual(r, run) {
			t.Errorf("hook got %+v, StartRunAs answered %+v", r, run)
		}
	default:
		t.Fatal("StartRunAs returned before the hook was called")
	}
	// A trigger: right after its answer.
	call(t, "POST", s.URL()+"/scheduled-jobs/1/runs", tok, `{"args":"t"}`)
	if r := within(t, "the triggered run", started); r.JobID != 1 || r.RunBy != "admin" || *r.RtArgs != "t" || r.Status != StatusInProgress {
		t.Errorf("triggered run: %+v", r)
	}
	// A dropped trigger (job 4 is busy): nothing.
	postDirect(t, s, "/scheduled-jobs/4/runs", tok, `{}`)
	none("a dropped trigger")
	// A delayed start: within Advance.
	call(t, "POST", s.URL()+"/scheduled-jobs/9/runs", tok, `{}`)
	clock.Advance(999 * time.Millisecond)
	none("before the start delay")
	clock.Advance(time.Millisecond)
	select {
	case r := <-started:
		if r.JobID != 9 || !r.StartedAt.Equal(clockStart.Add(time.Second)) {
			t.Errorf("delayed run: %+v", r)
		}
	default:
		t.Fatal("the delayed start was not reported within Advance")
	}
	s.SetRunStartHook(nil)
	if _, err := s.StartRunAs("alice", 2, ""); err != nil {
		t.Fatal(err)
	}
	none("after the hook was removed")
}

// With the real clock, a delayed start is reported from the timer's goroutine.
func TestRunStartHook_realClock(t *testing.T) {
	s2 := newTestServer(t, Config{Jobs: []JobConfig{{ID: 1, StartDelay: Duration(time.Millisecond)}}})
	started2 := runStarts(s2)
	call(t, "POST", s2.URL()+"/scheduled-jobs/1/runs", "basic:admin:Admin@123", `{}`)
	if r := within(t, "the delayed run", started2); r.JobID != 1 || r.RunBy != "admin" {
		t.Errorf("delayed run with the real clock: %+v", r)
	}
}

// A finished run's message is the job's error text when it FAILED, and null when it
// SUCCEEDED, as on the real server, whatever the job's message says.
func TestRunMessageOnlyWhenFailed(t *testing.T) {
	s, clock := newManualServer(t, Config{Jobs: []JobConfig{
		{ID: 1, Duration: Duration(time.Second), Message: "not shown"},
		{ID: 2, Duration: Duration(time.Second), Outcome: StatusFailed, Message: "Query failed"},
	}})
	for _, id := range []int64{1, 2} {
		if _, err := s.StartRunAs("admin", id, ""); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	if ok, failed := s.Runs(1)[0], s.Runs(2)[0]; ok.Message != nil || failed.Message == nil || *failed.Message != "Query failed" {
		t.Fatalf("messages %v (SUCCEEDED) and %v (FAILED)", ok.Message, failed.Message)
	}
}

// firingClock is the wall clock, but calls its first AfterFunc at once, in a goroutine of
// its own, as the wall clock does when a schedule comes due while the server is being built;
// it never calls the others, which stop cancels.
type firingClock struct {
	calls *atomic.Int32
	fired chan struct{}
}

func (firingClock) Now() time.Time { return time.Now() }

func (c firingClock) AfterFunc(_ time.Duration, f func()) func() bool {
	if c.calls.Add(1) > 1 {
		return func() bool { return true } // never called: stopping cancels it
	}
	go func() { f(); close(c.fired) }()
	return func() bool { return false }
}

// A schedule that fires while the server is being built waits for its seeded runs: its run
// is numbered after them (and the race detector finds nothing).
func TestNew_scheduleFiresWhileBuilt(t *testing.T) {
	clock := firingClock{calls: new(atomic.Int32), fired: make(chan struct{})}
	s, err := New(Config{
		Clock: clock,
		Jobs:  []JobConfig{{ID: 1, Name: "Every minute", RepeatSchedule: "MINUTELY"}},
		Runs:  []RunConfig{{ID: 7, JobID: 1, Status: StatusSucceeded}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-clock.fired
	runs := s.Runs(1)
	if len(runs) != 2 || runs[0].ID != 8 || runs[0].RunBy != SystemLoginName || runs[1].ID != 7 {
		t.Fatalf("runs of job 1, newest first: %+v, want the scheduled run 8, after the seeded run 7", runs)
	}
}
