package mockserver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestStopRestart(t *testing.T) {
	cfg := testConfig()
	cfg.Jobs[0].Duration = Duration(time.Hour)
	s := newTestServer(t, cfg)
	url := s.URL()
	tok := login(t, s, "admin", "Admin@123")
	if r := call(t, "POST", url+"/scheduled-jobs/1/runs", tok, `{"args":"before"}`); r.status != 200 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	waitFor(t, "the run", func() bool { r := s.Runs(1); return len(r) > 0 && r[0].Status == StatusInProgress })

	// A request in flight when the server stops gets no answer.
	s.SetFaults(FaultConfig{Latency: Duration(time.Hour)})
	inFlight := make(chan error, 1)
	go func() {
		_, err := send("GET", url+"/scheduled-jobs/1", tok, "")
		inFlight <- err
	}()
	time.Sleep(50 * time.Millisecond) // in flight or not yet sent: either way it must get no answer
	s.Stop()
	s.Stop() // a second Stop does nothing
	if err := <-inFlight; err == nil {
		t.Fatal("the request in flight got an answer from a stopped server")
	}
	s.SetFaults(FaultConfig{})
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

// Stop, Restart and requests race each other without data races (go test -race).
func TestStopRestartConcurrent(t *testing.T) {
	s := newTestServer(t, testConfig())
	tok := login(t, s, "admin", "Admin@123")
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var ok atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if r, err := send("GET", fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), 1+g%2), tok, ""); err == nil && r.status == 200 {
					ok.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		time.Sleep(10 * time.Millisecond)
		s.Stop()
		time.Sleep(5 * time.Millisecond)
		if err := s.Restart(); err != nil {
			t.Error(err)
			break
		}
	}
	time.Sleep(10 * time.Millisecond)
	cancel()
	wg.Wait()
	if ok.Load() == 0 {
		t.Error("no request succeeded")
	}
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
