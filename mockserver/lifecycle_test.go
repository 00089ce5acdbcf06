package mockserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStopRestart(t *testing.T) {
	s, _ := newManualServer(t, testConfig()) // the clock stands still: run 21 stays in progress
	started := runStarts(s)
	url := s.URL()
	tok := login(t, s, "admin", "Admin@123")
	if r := call(t, "POST", url+"/scheduled-jobs/1/runs", tok, `{"args":"before"}`); r.status != 200 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	within(t, "the run", started)

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
	waits := []struct {
		name, method, path string
		set                func(s *Server, arrived chan<- struct{}, release <-chan struct{})
	}{
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
	for _, e := range ends {
		for _, w := range waits {
			t.Run(e.name+", "+w.name, func(t *testing.T) {
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
				within(t, e.name+" to return", inBackground(func() { e.end(s) }))
				if err := within(t, "the request in flight to end", answered); err != nil {
					t.Errorf("the request in flight: %v, want no answer", err)
				}
				if w.method == "POST" && len(s.Runs(1)) != 5 {
					t.Errorf("the abandoned trigger was carried out: %+v", s.Runs(1))
				}
			})
		}
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
	serveDirect(t, s, "POST", "/scheduled-jobs/4/runs", tok, `{}`)
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

	// With the real clock, a delayed start is reported from the timer's goroutine.
	s2 := newTestServer(t, Config{Jobs: []JobConfig{{ID: 1, StartDelay: Duration(time.Millisecond)}}})
	started2 := runStarts(s2)
	call(t, "POST", s2.URL()+"/scheduled-jobs/1/runs", "basic:admin:Admin@123", `{}`)
	if r := within(t, "the delayed run", started2); r.JobID != 1 || r.RunBy != "admin" {
		t.Errorf("delayed run with the real clock: %+v", r)
	}
}

// The response hook sees each request of a route (counted, before authentication) and may
// answer it instead of the server; the route's handler then does nothing.
func TestResponseHook(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	started := runStarts(s)
	var mu sync.Mutex // guards seen
	var seen []Request
	s.SetResponseHook(func(req Request) (Reply, bool) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, req)
		return Reply{}, false
	})
	if r := call(t, "POST", s.URL()+"/scheduled-jobs/1/runs?x=1", tok, `{"args":"mine"}`); r.status != 200 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	call(t, "GET", s.URL()+"/nowhere", tok, "") // no route: no hook
	mu.Lock()
	if len(seen) != 1 {
		t.Fatalf("hook calls %+v, want the trigger's only", seen)
	}
	req := seen[0]
	mu.Unlock()
	if req.Method != "POST" || req.Path != "/scheduled-jobs/1/runs" || req.Pattern != "/scheduled-jobs/{jobId}/runs" ||
		req.Query.Get("x") != "1" || req.Header.Get("X-OS-API-TOKEN") != tok || string(req.Body) != `{"args":"mine"}` {
		t.Errorf("hook saw %+v", req)
	}
	// Not answered by the hook: the handler read the body too.
	if run := within(t, "the trigger's run", started); run.RtArgs == nil || *run.RtArgs != "mine" {
		t.Errorf("run %+v", run)
	}

	// Answered by the hook: the server's own error and HTML bodies, byte for byte; the
	// request is counted and does nothing.
	wantErr := call(t, "GET", s.URL()+"/scheduled-jobs/999", tok, "")
	want401 := call(t, "GET", s.URL()+"/scheduled-jobs/1", "bad token", "")
	replies := map[string]Reply{
		"/sessions":              ErrorReply(400, codeJobNotFound, "Job does not exist."),
		"/scheduled-jobs/1":      HTMLReply(401),
		"/scheduled-jobs/1/runs": {Status: 503},
		"/scheduled-jobs/2":      {Status: 302, Header: http.Header{"Location": {"https://sso.test/login"}}},
		"/scheduled-jobs/3":      {Body: []byte(`{"id":3}`)},
		"/scheduled-jobs/4":      {Drop: true},
	}
	s.SetResponseHook(func(req Request) (Reply, bool) {
		r, ok := replies[req.Path]
		return r, ok
	})
	runs, logins, triggers := len(s.Runs(1)), s.LoginCount(), s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs")
	r := call(t, "POST", s.URL()+"/sessions", "", `{"loginName":"admin","password":"Admin@123"}`)
	if r.status != 400 || r.header.Get("Content-Type") != "application/json" || !bytes.Equal(r.body, wantErr.body) {
		t.Errorf("ErrorReply: %d %q %s, want %s", r.status, r.header.Get("Content-Type"), r.body, wantErr.body)
	}
	r = call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, "")
	if r.status != 401 || r.header.Get("Content-Type") != want401.header.Get("Content-Type") || !bytes.Equal(r.body, want401.body) {
		t.Errorf("HTMLReply: %d %q %s, want %s", r.status, r.header.Get("Content-Type"), r.body, want401.body)
	}
	r = call(t, "POST", s.URL()+"/scheduled-jobs/1/runs", tok, `{}`)
	if r.status != 503 || len(r.body) != 0 || r.header.Get("Content-Type") != "" || r.header.Get("Content-Length") != "0" {
		t.Errorf("empty reply: %d %v %q", r.status, r.header, r.body)
	}
	if len(s.Runs(1)) != runs || s.LoginCount() != logins || s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs") != triggers+1 {
		t.Errorf("replaced requests had effects: runs %d, logins %d; or were not counted", len(s.Runs(1))-runs, s.LoginCount()-logins)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req302, _ := http.NewRequest("GET", s.URL()+"/scheduled-jobs/2", nil)
	resp, err := noRedirect.Do(req302)
	if err != nil || resp.StatusCode != 302 || resp.Header.Get("Location") != "https://sso.test/login" {
		t.Fatalf("redirect reply: %v %v", resp, err)
	}
	resp.Body.Close()
	r = call(t, "GET", s.URL()+"/scheduled-jobs/3", tok, "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" || string(r.body) != `{"id":3}` {
		t.Errorf("200 reply: %d %v %s", r.status, r.header, r.body)
	}
	if r, err := send("GET", s.URL()+"/scheduled-jobs/4", tok, ""); err == nil {
		t.Errorf("dropped: answered %d %s", r.status, r.body)
	}

	// nil removes the hook.
	s.SetResponseHook(nil)
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/4", tok, ""); r.status != 200 {
		t.Errorf("after the hook was removed: %d %s", r.status, r.body)
	}
}
