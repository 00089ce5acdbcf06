package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

var quick = StartOptions{AppearTimeout: time.Second}

// dropTrigger makes the server drop every trigger, as for a disabled job.
func dropTrigger(*fakeServer, int64, string, string) (*http.Response, error) { return nil, nil }

func TestStartRunHappyPath(t *testing.T) {
	e := newEnv(t, nil)
	old := e.fs.addRun(7, "alice", "a b", StatusSucceeded) // same user and args, but older
	run, err := e.c.StartRun(t.Context(), 7, "a b", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.ID <= old.ID || run.RunByLogin() != "alice" || run.Args() != "a b" || run.Status != StatusInProgress {
		t.Fatalf("run %+v", run)
	}
	if e.fs.triggers != 1 {
		t.Fatalf("triggers = %d", e.fs.triggers)
	}
}

func TestStartRunAppearsLate(t *testing.T) {
	e := newEnv(t, nil)
	var pending []string
	e.fs.onTrigger = func(f *fakeServer, _ int64, args, user string) (*http.Response, error) {
		pending = append(pending, user, args)
		return nil, nil
	}
	e.fs.onList = func(f *fakeServer, id int64) {
		if f.lists == 5 && pending != nil { // the worker pool was busy
			f.addRun(id, pending[0], pending[1], StatusInProgress)
		}
	}
	run, err := e.c.StartRun(t.Context(), 7, "", quick)
	if err != nil || run.RunByLogin() != "alice" {
		t.Fatal(run, err)
	}
	// Polling starts quickly and grows: 50ms, 75ms, 112.5ms...
	s := e.clock.sleeps()
	if len(s) != 3 || s[0] != 50*time.Millisecond || s[1] != 75*time.Millisecond {
		t.Fatalf("sleeps %v", s)
	}
}

func TestStartRunDroppedTriggers(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.addRun(7, "alice", "", StatusSucceeded)
	e.fs.onTrigger = dropTrigger
	_, err := e.c.StartRun(t.Context(), 7, "", quick)
	var ni *RunNotIdentifiedError
	if !errors.As(err, &ni) || ni.Triggers != 3 || ni.JobID != 7 || e.fs.triggers != 3 {
		t.Fatalf("err %v, triggers %d", err, e.fs.triggers)
	}
	var total time.Duration
	for _, d := range e.clock.sleeps() {
		if d > 500*time.Millisecond {
			t.Fatalf("a poll sleep of %s", d)
		}
		total += d
	}
	if total != 3*time.Second {
		t.Fatalf("waited %s in all, want 3 x AppearTimeout", total)
	}
	// MaxTriggers is honoured.
	e.fs.triggers = 0
	_, err = e.c.StartRun(t.Context(), 7, "", StartOptions{AppearTimeout: time.Second, MaxTriggers: 1})
	if !errors.As(err, &ni) || ni.Triggers != 1 || e.fs.triggers != 1 {
		t.Fatalf("err %v, triggers %d", err, e.fs.triggers)
	}
}

func TestStartRunDroppedThenStarted(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		if f.triggers > 1 {
			f.addRun(id, user, args, StatusInProgress)
		}
		return nil, nil
	}
	run, err := e.c.StartRun(t.Context(), 7, "x", quick)
	if err != nil || run.Args() != "x" || e.fs.triggers != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
	}
}

func TestStartRunAlreadyRunningFail(t *testing.T) {
	e := newEnv(t, nil)
	busy := e.fs.addRun(7, "bob", "", StatusInProgress)
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningFail})
	var jr *JobRunningError
	if !errors.As(err, &jr) || jr.Run.ID != busy.ID || jr.JobID != 7 || !strings.Contains(err.Error(), "started by bob") {
		t.Fatalf("err = %v", err)
	}
	if e.fs.triggers != 0 {
		t.Fatal("triggered a busy job")
	}
}

func TestStartRunAlreadyRunningWait(t *testing.T) {
	e := newEnv(t, nil)
	busy := e.fs.addRun(7, "bob", "", StatusInProgress)
	e.fs.finishAfter = 3
	run, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	if err != nil || run.ID <= busy.ID || run.RunByLogin() != "alice" {
		t.Fatal(run, err)
	}
	if e.fs.gets[busy.ID] != 3 || e.fs.triggers != 1 || !strings.Contains(e.log.all(), "waiting for that run") {
		t.Fatalf("gets %d, triggers %d", e.fs.gets[busy.ID], e.fs.triggers)
	}
}

func TestStartRunWaitFails(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	busy := e.fs.addRun(7, "bob", "", StatusInProgress)
	e.fs.onRunGet = func(*fakeServer, *Run) (*http.Response, error) { return osError("RBAC_ACCESS_DENIED", "no"), nil }
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	if !IsCode(err, "RBAC_ACCESS_DENIED") || !strings.Contains(err.Error(), "before triggering") || e.fs.triggers != 0 {
		t.Fatalf("err %v (run %d)", err, busy.ID)
	}
}

// The server runs someone else's trigger first and drops ours: their run must not be taken.
func TestStartRunForeignRunWinsRace(t *testing.T) {
	for name, foreign := range map[string][2]string{
		"other user":              {"bob", "a"},
		"same user, other args":   {"alice", "other"},
		"same user, args vs null": {"alice", ""},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.fs.finishAfter = 2
			e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
				if f.triggers == 1 {
					f.addRun(id, foreign[0], foreign[1], StatusInProgress)
				} else if f.inProgress(id) == nil {
					f.addRun(id, user, args, StatusInProgress)
				}
				return nil, nil
			}
			run, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{AppearTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if run.RunByLogin() != "alice" || run.Args() != "a" || e.fs.triggers != 2 {
				t.Fatalf("took run %+v after %d triggers", run, e.fs.triggers)
			}
			if !strings.Contains(e.log.all(), "another run of the job started first") {
				t.Fatalf("the lost race is not logged:\n%s", e.log.all())
			}
		})
	}
	// With IfRunningFail, the race is reported.
	e := newEnv(t, nil)
	e.fs.onTrigger = func(f *fakeServer, id int64, _, _ string) (*http.Response, error) {
		f.addRun(id, "bob", "", StatusInProgress)
		return nil, nil
	}
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningFail, AppearTimeout: time.Second})
	var jr *JobRunningError
	if !errors.As(err, &jr) || jr.Run.RunByLogin() != "bob" || e.fs.triggers != 1 {
		t.Fatalf("err %v, triggers %d", err, e.fs.triggers)
	}
}

func TestStartRunTakesOldestMatch(t *testing.T) {
	e := newEnv(t, nil)
	var first *Run
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		first = f.addRun(id, user, args, StatusSucceeded)
		f.addRun(id, user, args, StatusInProgress)
		return nil, nil
	}
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.ID != first.ID {
		t.Fatalf("run %v err %v, want %d", run, err, first.ID)
	}
}

func TestStartRunWithToken(t *testing.T) {
	e := newEnv(t, withToken)
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		if f.triggers == 1 {
			f.addRun(id, "bob", "other", StatusSucceeded) // other args: not ours even with a token
			return nil, nil
		}
		f.addRun(id, user, args, StatusInProgress)
		return nil, nil
	}
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.RunByLogin() != "apiuser" || e.fs.triggers != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
	}
}

func TestStartRunAmbiguousTrigger(t *testing.T) {
	// The trigger reached the server but the answer was lost: no second trigger.
	e := newEnv(t, nil)
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		f.addRun(id, user, args, StatusInProgress)
		return nil, errors.New("connection reset by peer")
	}
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.Args() != "a" || e.fs.triggers != 1 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
	}
	if !strings.Contains(e.log.all(), "no clear answer") {
		t.Fatal("not logged")
	}

	// A 502 that did not reach the job: looked for, then triggered again.
	e = newEnv(t, nil)
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		if f.triggers == 1 {
			return httpmock.NewStringResponse(502, "<html>Bad Gateway</html>"), nil
		}
		f.addRun(id, user, args, StatusInProgress)
		return nil, nil
	}
	run, err = e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || e.fs.triggers != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
	}

	// Answered 503 more often than MaxTriggers, but fewer than twice that: each refusal was
	// looked after and created no run, so the trigger is repeated.
	e = newEnv(t, nil)
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		if f.triggers <= 5 {
			return jsonResp(503, []map[string]string{{"code": "INTERNAL_ERROR", "message": "busy"}}), nil
		}
		f.addRun(id, user, args, StatusInProgress)
		return nil, nil
	}
	run, err = e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || e.fs.triggers != 6 || !strings.Contains(e.log.all(), "refused the trigger") {
		t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
	}
	// ...but not forever: 503s count toward MaxTriggers once as many were free.
	e = newEnv(t, nil)
	e.fs.onTrigger = func(*fakeServer, int64, string, string) (*http.Response, error) {
		return jsonResp(503, []map[string]string{{"code": "INTERNAL_ERROR", "message": "busy"}}), nil
	}
	_, err = e.c.StartRun(t.Context(), 7, "a", quick)
	if !errors.As(err, new(*RunNotIdentifiedError)) || e.fs.triggers != 2*defaultMaxTriggers {
		t.Fatalf("err %v triggers %d", err, e.fs.triggers)
	}

	// Always failing: the error of the last trigger is kept.
	e = newEnv(t, nil)
	e.fs.onTrigger = func(*fakeServer, int64, string, string) (*http.Response, error) {
		return nil, errors.New("connection refused")
	}
	_, err = e.c.StartRun(t.Context(), 7, "a", quick)
	var ni *RunNotIdentifiedError
	if !errors.As(err, &ni) || !strings.Contains(err.Error(), "connection refused") || e.fs.triggers != 3 {
		t.Fatalf("err %v triggers %d", err, e.fs.triggers)
	}
}

func TestStartRunClearRefusal(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.c.StartRun(t.Context(), 99, "", quick)
	if !IsNotFound(err) || e.fs.triggers != 1 {
		t.Fatalf("err %v triggers %d", err, e.fs.triggers)
	}
	if len(e.clock.sleeps()) != 0 {
		t.Fatal("waited after a clear refusal")
	}
}

func TestStartRunErrors(t *testing.T) {
	ctx := t.Context()
	e := newEnv(t, nil)
	if _, err := e.c.StartRun(ctx, 7, "", StartOptions{IfRunning: "maybe"}); err == nil || !strings.Contains(err.Error(), "maybe") {
		t.Fatalf("err = %v", err)
	}
	e = newEnv(t, func(c *Config) { c.Password = "bad" })
	var le *LoginError
	if _, err := e.c.StartRun(ctx, 7, "", quick); !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	e = newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	e.mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7/runs", httpmock.NewStringResponder(400, "[{\"code\":\"RBAC_ACCESS_DENIED\"}]"))
	if _, err := e.c.StartRun(ctx, 7, "", quick); !IsCode(err, "RBAC_ACCESS_DENIED") || !strings.Contains(err.Error(), "before triggering") {
		t.Fatalf("err = %v", err)
	}
}

func TestStartRunTransientListErrors(t *testing.T) {
	for _, tc := range []struct {
		failures int
		ok       bool
	}{{5, true}, {6, false}} {
		e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
		var mu sync.Mutex
		lists := 0
		e.mt.RegisterResponder("GET", "=~/runs", func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			lists++
			n := lists
			mu.Unlock()
			if n > 1 && n <= 1+tc.failures { // the first list (before the trigger) succeeds
				return httpmock.NewStringResponse(503, "busy"), nil
			}
			return e.fs.handle(r)
		})
		run, err := e.c.StartRun(t.Context(), 7, "", quick)
		if tc.ok != (err == nil) {
			t.Fatalf("%d failures: run %v err %v", tc.failures, run, err)
		}
		if e.fs.triggers != 1 {
			t.Fatalf("triggers %d", e.fs.triggers)
		}
	}
}

func TestStartRunCancelled(t *testing.T) {
	e := newEnv(t, nil)
	e.fs.onTrigger = dropTrigger
	ctx, cancel := context.WithCancel(t.Context())
	e.clock.onSleep = func(n int, _ time.Duration) {
		if n == 2 {
			cancel()
		}
	}
	_, err := e.c.StartRun(ctx, 7, "", quick)
	if !errors.Is(err, context.Canceled) || e.fs.triggers != 1 {
		t.Fatalf("err %v triggers %d", err, e.fs.triggers)
	}
}

func TestWaitForRun(t *testing.T) {
	e := newEnv(t, nil)
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	start := e.clock.now()
	r.StartedAt = &EpochMillis{start}
	e.fs.finishAfter = 12
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
	if err != nil || run.Status != StatusSucceeded || run.FinishedAt == nil {
		t.Fatal(run, err)
	}
	// No past runs: each gap is a fifth of the time the run has run, from 100ms up.
	s := e.clock.sleeps()
	if len(s) != 11 {
		t.Fatalf("sleeps %v", s)
	}
	elapsed := time.Duration(0)
	for i, d := range s {
		want := max(100*time.Millisecond, elapsed/5)
		if d != want {
			t.Fatalf("sleep %d: %s at +%s, want %s (sleeps %v)", i, d, elapsed, want, s)
		}
		elapsed += d
	}
	// Already finished: no sleep.
	e.clock.slept = nil
	if run, err := e.c.WaitForRun(t.Context(), 7, r.ID); err != nil || !run.Status.Finished() || len(e.clock.sleeps()) != 0 {
		t.Fatal(run, err)
	}
}

func TestWaitForRunBackoffCap(t *testing.T) {
	e := newEnv(t, nil)
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	e.fs.finishAfter = 30
	if _, err := e.c.WaitForRun(t.Context(), 7, r.ID); err != nil {
		t.Fatal(err)
	}
	s := e.clock.sleeps()
	if s[len(s)-1] != 5*time.Second {
		t.Fatalf("sleeps %v", s)
	}
	for _, d := range s {
		if d > 5*time.Second {
			t.Fatalf("sleep %s above the cap", d)
		}
	}
}

// predictEnv has three past runs of job 7 lasting durs (10s each when nil) and a run in
// progress started now that ends (FAILED) at +end.
func predictEnv(t *testing.T, durs []time.Duration, end time.Duration) (e *testEnv, r *Run, start, finishAt time.Time) {
	e = newEnv(t, nil)
	for i := 0; i < 3; i++ {
		h := e.fs.addRun(7, "bob", "", StatusSucceeded)
		if durs != nil {
			h.FinishedAt = &EpochMillis{h.StartedAt.Add(durs[i])}
		}
	}
	r = e.fs.addRun(7, "alice", "", StatusInProgress)
	start = e.clock.now()
	r.StartedAt = &EpochMillis{start}
	finishAt = start.Add(end)
	e.fs.onRunGet = func(f *fakeServer, run *Run) (*http.Response, error) {
		if run.Status == StatusInProgress && !e.clock.now().Before(finishAt) {
			f.finish(run, StatusFailed)
			run.FinishedAt = &EpochMillis{finishAt}
		}
		return nil, nil
	}
	return e, r, start, finishAt
}

func TestWaitForRunPredictsEnd(t *testing.T) {
	e, r, start, finishAt := predictEnv(t, nil, 10*time.Second)
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
	if err != nil || run.Status != StatusFailed {
		t.Fatal(run, err)
	}
	// Past runs all took 10s: reads every 2s (a fifth), then on a 50ms grid aligned 5ms past
	// the predicted end, in a window of +/-50ms; the end is seen 5ms after it.
	winStart := start.Add(10*time.Second - 50*time.Millisecond)
	at := start
	for i, d := range e.clock.sleeps() {
		if at.Before(winStart) && d > 2*time.Second {
			t.Fatalf("sleep %d of %s at +%s: longer than a fifth of the prediction", i, d, at.Sub(start))
		}
		if at.Before(winStart) && at.Add(d).After(winStart.Add(50*time.Millisecond)) {
			t.Fatalf("sleep %d of %s at +%s jumps over the window", i, d, at.Sub(start))
		}
		if !at.Before(winStart) && d != 50*time.Millisecond {
			t.Fatalf("sleep %d of %s at +%s, inside the window", i, d, at.Sub(start))
		}
		at = at.Add(d)
	}
	if at.Sub(finishAt) != 5*time.Millisecond {
		t.Fatalf("ended at +%s", at.Sub(start))
	}
	if n := len(e.clock.sleeps()); n > 7 {
		t.Fatalf("%d sleeps for a 10s run (%v)", n, e.clock.sleeps())
	}
	if !strings.Contains(e.log.all(), "predicted end") {
		t.Fatal("prediction not logged")
	}
}

func TestWaitForRunPredictionMissed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		durs     []time.Duration
		end      time.Duration
		lag      time.Duration // the end is seen at most this late
		maxReads int
	}{
		{"early failure", nil, 3 * time.Second, 2 * time.Second, 4},
		{"late by 700ms", nil, 10*time.Second + 700*time.Millisecond, 350 * time.Millisecond, 16},
		{"late by a minute", nil, 70 * time.Second, 5 * time.Second, 45},
		// Spread history 9s..12s: window 8.25s..12.75s, grid of 562.5ms.
		{"spread history", []time.Duration{9 * time.Second, 10 * time.Second, 12 * time.Second}, 11 * time.Second, 563 * time.Millisecond, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, r, start, finishAt := predictEnv(t, tc.durs, tc.end)
			run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
			if err != nil || run.Status != StatusFailed {
				t.Fatal(run, err)
			}
			end := start
			for _, d := range e.clock.sleeps() {
				end = end.Add(d)
			}
			if lag := end.Sub(finishAt); lag < 0 || lag > tc.lag {
				t.Fatalf("seen %s after the end (sleeps %v)", lag, e.clock.sleeps())
			}
			if n := len(e.clock.sleeps()) + 1; n > tc.maxReads {
				t.Fatalf("%d reads (sleeps %v)", n, e.clock.sleeps())
			}
		})
	}
}

func TestWaitForRunCancelled(t *testing.T) {
	e := newEnv(t, nil)
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	ctx, cancel := context.WithCancel(t.Context())
	e.clock.onSleep = func(n int, _ time.Duration) {
		if n == 3 {
			cancel()
		}
	}
	run, err := e.c.WaitForRun(ctx, 7, r.ID)
	if !errors.Is(err, context.Canceled) || run == nil || run.ID != r.ID || run.Status != StatusInProgress {
		t.Fatalf("run %v err %v", run, err)
	}
	// Cancelled during a request. (The hooks are set under the locks they are read with: a
	// cancelled request's responder may still be running in httpmock.)
	// Each part has its own ctx and cancel: the responder may still run when the next begins.
	reqCtx, reqCancel := context.WithCancel(t.Context())
	e.clock.mu.Lock()
	e.clock.onSleep = nil
	e.clock.mu.Unlock()
	e.fs.mu.Lock()
	e.fs.onRunGet = func(*fakeServer, *Run) (*http.Response, error) { reqCancel(); return nil, errors.New("aborted") }
	e.fs.mu.Unlock()
	if _, err := e.c.WaitForRun(reqCtx, 7, r.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	// A deadline.
	dlCtx, dlCancel := context.WithTimeout(t.Context(), time.Hour)
	defer dlCancel()
	e.fs.mu.Lock()
	e.fs.onRunGet = nil
	e.fs.mu.Unlock()
	e.clock.mu.Lock()
	e.clock.onSleep = func(int, time.Duration) { dlCancel() }
	e.clock.mu.Unlock()
	if _, err := e.c.WaitForRun(dlCtx, 7, r.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

func TestWaitForRunTransientErrors(t *testing.T) {
	for _, tc := range []struct {
		failures int
		ok       bool
	}{{5, true}, {6, false}} {
		e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
		r := e.fs.addRun(7, "alice", "", StatusInProgress)
		e.fs.onRunGet = func(f *fakeServer, run *Run) (*http.Response, error) {
			n := f.gets[run.ID]
			switch {
			case n >= 2 && n <= 1+tc.failures:
				if n%2 == 0 {
					return nil, errors.New("connection reset")
				}
				return httpmock.NewStringResponse(503, "<html>busy</html>"), nil
			case n > 1+tc.failures:
				f.finish(run, StatusSucceeded)
			}
			return nil, nil
		}
		run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
		if tc.ok && (err != nil || run.Status != StatusSucceeded) {
			t.Fatalf("%d failures: run %v err %v", tc.failures, run, err)
		}
		if !tc.ok && (err == nil || run == nil || run.Status != StatusInProgress || !strings.Contains(err.Error(), "in a row")) {
			t.Fatalf("%d failures: run %v err %v", tc.failures, run, err)
		}
	}
}

func TestWaitForRunUnknownStatusAndErrors(t *testing.T) {
	e := newEnv(t, nil)
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	e.fs.onRunGet = func(f *fakeServer, run *Run) (*http.Response, error) {
		if f.gets[run.ID] == 2 {
			run.Status = "CANCELLED"
		}
		return nil, nil
	}
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
	if err == nil || !strings.Contains(err.Error(), "CANCELLED") || run == nil || run.Status != StatusInProgress {
		t.Fatalf("run %v err %v", run, err)
	}
	// A run of another job, or a missing run: at once.
	if _, err := e.c.WaitForRun(t.Context(), 8, r.ID); !IsNotFound(err) {
		t.Fatalf("err %v", err)
	}
	if _, err := e.c.WaitForRun(t.Context(), 7, 424242); !IsNotFound(err) {
		t.Fatalf("err %v", err)
	}
}

// Once the trigger is sent, an interrupt does not abandon its run: the look-up goes on and
// the run is returned with it, so that the caller can record it.
func TestStartRunInterruptedAfterTrigger(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	e.fs.onTrigger = func(*fakeServer, int64, string, string) (*http.Response, error) {
		cancel() // SIGINT while the trigger is on its way
		return nil, nil
	}
	e.fs.onList = func(f *fakeServer, id int64) {
		if f.lists == 3 { // the run appears only at the second read after the trigger
			f.addRun(id, "alice", "a", StatusInProgress)
		}
	}
	run, err := e.c.StartRun(ctx, 7, "a", quick)
	if err != nil || run == nil || run.Args() != "a" {
		t.Fatalf("run %v err %v; want the run despite the interrupt", run, err)
	}
	if n := e.fs.count(&e.fs.triggers); n != 1 {
		t.Fatalf("%d triggers, want 1", n)
	}
}

// Interrupted after the trigger, with no run appearing: no second trigger, and an error that
// says when and how the job was triggered, for a search by hand.
func TestStartRunInterruptedNoRun(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	e.fs.onTrigger = func(*fakeServer, int64, string, string) (*http.Response, error) {
		cancel()
		return nil, nil
	}
	_, err := e.c.StartRun(ctx, 7, "--cp X", quick)
	var ni *RunNotIdentifiedError
	if !errors.As(err, &ni) || !errors.Is(err, context.Canceled) || ni.Triggers != 1 || ni.Args != "--cp X" ||
		ni.FirstTrigger.IsZero() || !strings.Contains(err.Error(), "2024-01-01T00:00:00Z") {
		t.Fatalf("err %v", err)
	}
	if n := e.fs.count(&e.fs.triggers); n != 1 {
		t.Fatalf("%d triggers, want 1", n)
	}
}

// Cancelled before the trigger: nothing is sent.
func TestStartRunCancelledBeforeTrigger(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	e.fs.onList = func(*fakeServer, int64) { cancel() }
	_, err := e.c.StartRun(ctx, 7, "a", quick)
	if !errors.Is(err, context.Canceled) || e.fs.count(&e.fs.triggers) != 0 {
		t.Fatalf("err %v, %d triggers; want no trigger", err, e.fs.count(&e.fs.triggers))
	}
}

// IfRunningAdopt takes a run in progress of this user with the same args, and waits for any
// other run before triggering.
func TestStartRunAdopt(t *testing.T) {
	e := newEnv(t, nil)
	mine := e.fs.addRun(7, "alice", "a", StatusInProgress)
	run, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningAdopt})
	if err != nil || run.ID != mine.ID || e.fs.count(&e.fs.triggers) != 0 {
		t.Fatalf("run %v err %v triggers %d; want run %d adopted", run, err, e.fs.triggers, mine.ID)
	}
	for name, other := range map[string][2]string{"other user": {"bob", "a"}, "other args": {"alice", "b"}} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			busy := e.fs.addRun(7, other[0], other[1], StatusInProgress)
			e.fs.finishAfter = 2
			run, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningAdopt})
			if err != nil || run.ID == busy.ID || e.fs.count(&e.fs.triggers) != 1 {
				t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
			}
		})
	}
}

// With IfRunningFail, a run in progress that this client started is its own: a second start
// of the job waits for it instead of failing.
func TestStartRunFailWaitsForOwnRun(t *testing.T) {
	e := newEnv(t, nil)
	first, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningFail})
	if err != nil {
		t.Fatal(err)
	}
	e.fs.finishAfter = 2
	second, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningFail})
	if err != nil || second.ID == first.ID || e.fs.gets[first.ID] < 2 {
		t.Fatalf("second %v err %v; want a new run after waiting for run %d", second, err, first.ID)
	}
}

// With an API token, the client learns its user from GET /users/current-user (once), and
// another user's run with the same args is never taken.
func TestStartRunTokenKnowsItsUser(t *testing.T) {
	e := newEnv(t, withToken)
	e.fs.onTrigger = func(f *fakeServer, id int64, args, user string) (*http.Response, error) {
		if f.triggers == 1 {
			f.addRun(id, "bob", args, StatusSucceeded) // bob's trigger won: ours was dropped
			return nil, nil
		}
		f.addRun(id, user, args, StatusInProgress)
		return nil, nil
	}
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.RunByLogin() != "apiuser" || e.fs.triggers != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.fs.triggers)
	}
	if _, err := e.c.StartRun(t.Context(), 8, "a", quick); err != nil {
		t.Fatal(err)
	}
	if n := e.fs.count(&e.fs.currentUserGets); n != 1 {
		t.Fatalf("GET /users/current-user %d times, want 1", n)
	}
}
