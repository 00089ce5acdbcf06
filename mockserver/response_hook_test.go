package mockserver

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
)

// The response hook sees each request of a route (counted, before authentication) and may
// answer it instead of the server; the route's handler then does nothing.
func TestResponseHook(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	started := runStarts(s)
	checkHookSeesRequest(t, s, tok, started)
	checkHookReplies(t, s, tok)

	// nil removes the hook.
	s.SetResponseHook(nil)
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/4", tok, ""); r.status != 200 {
		t.Errorf("after the hook was removed: %d %s", r.status, r.body)
	}
}

// checkHookSeesRequest checks that a response hook that does not answer sees a trigger's
// request whole (and no request without a route), and that the handler still carries it out.
func checkHookSeesRequest(t *testing.T, s *Server, tok string, started <-chan Run) {
	t.Helper()
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
}

// checkHookReplies checks each kind of Reply a response hook answers with.
func checkHookReplies(t *testing.T, s *Server, tok string) {
	t.Helper()
	// Answered by the hook: the server's own error and HTML bodies, byte for byte; the
	// request is counted and does nothing.
	wantErr := call(t, "GET", s.URL()+"/scheduled-jobs/999", tok, "")
	want401 := call(t, "GET", s.URL()+"/scheduled-jobs/1", "bad token", "")
	replies := map[string]Reply{
		"/sessions":              ErrorReply(400, jobNotFound().Code, jobNotFound().Message),
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
}
