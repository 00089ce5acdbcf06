package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

var quick = StartOptions{AppearTimeout: time.Second}

// withJob7 is serverConfig with job 7 lasting d.
func withJob7(d time.Duration) mockserver.Config {
	sc := serverConfig()
	sc.Jobs[0].Duration = mockserver.Duration(d)
	return sc
}

// onTrigger makes s call f before it carries out each trigger, with the number of
// triggers so far (1 for the first) and the job.
func onTrigger(s *mockserver.Server, f func(n int, jobID int64)) {
	var n atomic.Int32
	s.SetTriggerHook(func(jobID int64, _ string) { f(int(n.Add(1)), jobID) })
}

// startAs starts a run as user from a hook: errors fail the test without stopping it.
func startAs(t *testing.T, s *mockserver.Server, user string, jobID int64, args string) mockserver.Run {
	r, err := s.StartRunAs(user, jobID, args)
	if err != nil {
		t.Errorf("StartRunAs(%s, %d): %v", user, jobID, err)
	}
	return r
}

// dropped is the answer to a trigger that the server drops: the job, and no run ever.
var dropped = mockserver.Reply{Body: []byte(`{"id":7,"name":"Export","activityStatus":"Active"}`)}

func TestStartRunHappyPath(t *testing.T) {
	sc := serverConfig()
	sc.Runs = []mockserver.RunConfig{pastRun(1, 7, "alice", "a b", mockserver.StatusSucceeded, 10*time.Second)} // same user and args, but older
	e := newEnvOn(t, sc, nil)
	run, err := e.c.StartRun(t.Context(), 7, "a b", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.ID <= 1 || run.RunByLogin() != "alice" || run.Args() != "a b" || run.Status != StatusInProgress {
		t.Fatalf("run %+v", run)
	}
	if e.triggers() != 1 {
		t.Fatalf("triggers = %d", e.triggers())
	}
}

func TestStartRunAppearsLate(t *testing.T) {
	sc := serverConfig()
	sc.Jobs[0].StartDelay = mockserver.Duration(200 * time.Millisecond) // the worker pool is busy
	e := newEnvOn(t, sc, nil)
	run, err := e.c.StartRun(t.Context(), 7, "", quick)
	if err != nil || run.RunByLogin() != "alice" {
		t.Fatal(run, err)
	}
	// Polling starts quickly and grows: 50ms, 75ms, 112.5ms (the run starts during it)...
	s := e.sleeps.all()
	if len(s) != 3 || s[0] != 50*time.Millisecond || s[1] != 75*time.Millisecond {
		t.Fatalf("sleeps %v", s)
	}
}

func TestStartRunDroppedTriggers(t *testing.T) {
	sc := serverConfig()
	sc.Runs = []mockserver.RunConfig{pastRun(1, 7, "alice", "", mockserver.StatusSucceeded, 10*time.Second)}
	e := newEnvOn(t, sc, nil)
	replyTo(e.s, "POST", routeRuns, always(dropped)) // the server drops every trigger
	_, err := e.c.StartRun(t.Context(), 7, "", quick)
	var ni *RunNotIdentifiedError
	if !errors.As(err, &ni) || ni.Triggers != 3 || ni.JobID != 7 || e.triggers() != 3 {
		t.Fatalf("err %v, triggers %d", err, e.triggers())
	}
	var total time.Duration
	for _, d := range e.sleeps.all() {
		if d > 500*time.Millisecond {
			t.Fatalf("a poll sleep of %s", d)
		}
		total += d
	}
	if total != 3*time.Second {
		t.Fatalf("waited %s in all, want 3 x AppearTimeout", total)
	}
	// MaxTriggers is honoured.
	before := e.triggers()
	_, err = e.c.StartRun(t.Context(), 7, "", StartOptions{AppearTimeout: time.Second, MaxTriggers: 1})
	if !errors.As(err, &ni) || ni.Triggers != 1 || e.triggers()-before != 1 {
		t.Fatalf("err %v, triggers %d", err, e.triggers()-before)
	}
}

// A job the server would not run is refused before any trigger, naming why, on both lines:
// disabled, a saved query deleted, or (older line) outside its start and end dates.
func TestStartRunInactiveJob(t *testing.T) {
	past := envStart.Add(-48 * time.Hour)
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			sc := serverConfig()
			sc.Line = line
			sc.Jobs = append(sc.Jobs,
				mockserver.JobConfig{ID: 10, Name: "Orphan", Type: "QUERY", SavedQueryDeleted: true},
				mockserver.JobConfig{ID: 11, Name: "Ended", Type: "INTERNAL", RepeatSchedule: "DAILY", EndDate: &past})
			e := newEnvOn(t, sc, nil)
			cases := []struct {
				jobID int64
				why   string
			}{{9, "it is Disabled"}, {10, "it is Disabled"}} // deleting its saved query deleted job 10 too
			if line == mockserver.LineOlder {
				cases = append(cases, struct {
					jobID int64
					why   string
				}{11, "not active"})
			}
			for _, tc := range cases {
				_, err := e.c.StartRun(t.Context(), tc.jobID, "", quick)
				var ie *JobInactiveError
				if !errors.As(err, &ie) || ie.JobID != tc.jobID || !strings.Contains(err.Error(), tc.why) ||
					!strings.Contains(err.Error(), "make it active") {
					t.Errorf("job %d: err %v", tc.jobID, err)
				}
			}
			if e.triggers() != 0 || len(e.sleeps.all()) != 0 {
				t.Fatalf("%d triggers, %d sleeps: want none", e.triggers(), len(e.sleeps.all()))
			}
		})
	}
}

// A job disabled after StartRun read it: the first dropped trigger leads to a read of the
// job, which names why, instead of two more triggers.
func TestStartRunJobDisabledMeanwhile(t *testing.T) {
	e := newEnv(t, nil)
	var disabled atomic.Bool
	e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		switch {
		case req.Method == "POST" && req.Pattern == routeRuns:
			disabled.Store(true)
			return dropped, true
		case req.Method == "GET" && req.Pattern == routeJob && disabled.Load():
			return mockserver.Reply{Body: []byte(`{"id":7,"name":"Export","activityStatus":"Disabled"}`)}, true
		}
		return mockserver.Reply{}, false
	})
	_, err := e.c.StartRun(t.Context(), 7, "", quick)
	var ie *JobInactiveError
	if !errors.As(err, &ie) || e.triggers() != 1 || !strings.Contains(err.Error(), "it is Disabled") {
		t.Fatalf("err %v, %d triggers", err, e.triggers())
	}
}

func TestStartRunDroppedThenStarted(t *testing.T) {
	e := newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, firstN(1, dropped))
	run, err := e.c.StartRun(t.Context(), 7, "x", quick)
	if err != nil || run.Args() != "x" || e.triggers() != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}
}

func TestStartRunAlreadyRunningFail(t *testing.T) {
	e := newEnv(t, nil)
	busy := e.startRun(t, "bob", "")
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningFail})
	var jr *JobRunningError
	if !errors.As(err, &jr) || jr.Run.ID != busy.ID || jr.JobID != 7 || !strings.Contains(err.Error(), "started by bob") {
		t.Fatalf("err = %v", err)
	}
	if e.triggers() != 0 {
		t.Fatal("triggered a busy job")
	}
}

func TestStartRunAlreadyRunningWait(t *testing.T) {
	e := newEnvOn(t, withJob7(150*time.Millisecond), nil) // read at +0, +100ms, +200ms
	busy := e.startRun(t, "bob", "")
	run, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	if err != nil || run.ID <= busy.ID || run.RunByLogin() != "alice" {
		t.Fatal(run, err)
	}
	if e.runReads() != 3 || e.triggers() != 1 || !strings.Contains(e.log.all(), "waiting for that run") {
		t.Fatalf("reads of the busy run %d, triggers %d", e.runReads(), e.triggers())
	}
}

func TestStartRunWaitFails(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	busy := e.startRun(t, "bob", "")
	replyTo(e.s, "GET", routeRun, always(mockserver.ErrorReply(400, "RBAC_ACCESS_DENIED", "no")))
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	if !IsCode(err, "RBAC_ACCESS_DENIED") || !strings.Contains(err.Error(), "before triggering") || e.triggers() != 0 {
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
			e := newEnvOn(t, withJob7(5*time.Second), nil) // longer than the appear timeout
			onTrigger(e.s, func(n int, jobID int64) {
				if n == 1 {
					startAs(t, e.s, foreign[0], jobID, foreign[1])
				}
			})
			run, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{AppearTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if run.RunByLogin() != "alice" || run.Args() != "a" || e.triggers() != 2 {
				t.Fatalf("took run %+v after %d triggers", run, e.triggers())
			}
			if !strings.Contains(e.log.all(), "another run of the job started first") {
				t.Fatalf("the lost race is not logged:\n%s", e.log.all())
			}
		})
	}
	// With IfRunningFail, the race is reported.
	e := newEnv(t, nil)
	onTrigger(e.s, func(_ int, jobID int64) { startAs(t, e.s, "bob", jobID, "") })
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningFail, AppearTimeout: time.Second})
	var jr *JobRunningError
	if !errors.As(err, &jr) || jr.Run.RunByLogin() != "bob" || e.triggers() != 1 {
		t.Fatalf("err %v, triggers %d", err, e.triggers())
	}
}

// Two runs of this user with these args start as the trigger arrives: the older is taken.
func TestStartRunTakesOldestMatch(t *testing.T) {
	e := newEnvOn(t, withJob7(0), nil) // runs end as they start: one does not block the next
	runs := make(chan [2]int64, 1)
	onTrigger(e.s, func(_ int, jobID int64) {
		runs <- [2]int64{startAs(t, e.s, "alice", jobID, "a").ID, startAs(t, e.s, "alice", jobID, "a").ID}
	})
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	both := mocktest.Within(t, "the two runs", runs)
	if err != nil || run.ID != both[0] || both[1] <= both[0] {
		t.Fatalf("run %v err %v, want %d, the older of %v", run, err, both[0], both)
	}
}

func TestStartRunWithToken(t *testing.T) {
	e := newEnvOn(t, withJob7(5*time.Second), withToken)
	onTrigger(e.s, func(n int, jobID int64) {
		if n == 1 {
			startAs(t, e.s, "bob", jobID, "other") // other args: not ours even with a token
		}
	})
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.RunByLogin() != "apiuser" || e.triggers() != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}
}

func TestStartRunAmbiguousTrigger(t *testing.T) {
	// The trigger reached the server but the answer was lost: no second trigger.
	e := newEnv(t, nil)
	e.s.SetFaults(mockserver.FaultConfig{DropResponseRate: 1})
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.Args() != "a" || e.triggers() != 1 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}
	if !strings.Contains(e.log.all(), "no clear answer") {
		t.Fatal("not logged")
	}

	// A 502 that did not reach the job: looked for, then triggered again.
	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, firstN(1, mockserver.HTMLReply(502)))
	run, err = e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || e.triggers() != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}

	// Answered 503 more often than MaxTriggers, but fewer than twice that: each refusal was
	// looked after and created no run, so the trigger is repeated.
	busy := mockserver.ErrorReply(503, "INTERNAL_ERROR", "busy")
	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, firstN(5, busy))
	run, err = e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || e.triggers() != 6 || !strings.Contains(e.log.all(), "refused the trigger") {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}
	// ...but not forever: 503s count toward MaxTriggers once as many were free.
	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, always(busy))
	_, err = e.c.StartRun(t.Context(), 7, "a", quick)
	if !errors.As(err, new(*RunNotIdentifiedError)) || e.triggers() != 2*defaultMaxTriggers {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}

	// Never answered (and never carried out): the error of the last trigger is kept.
	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, always(mockserver.Reply{Drop: true}))
	_, err = e.c.StartRun(t.Context(), 7, "a", quick)
	var ni *RunNotIdentifiedError
	if !errors.As(err, &ni) || !strings.Contains(err.Error(), "the last trigger failed: POST /scheduled-jobs/7/runs: no answer from OpenSpecimen") ||
		e.triggers() != 3 {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}
}

func TestStartRunClearRefusal(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.c.StartRun(t.Context(), 99, "", quick)
	if !IsNotFound(err) || e.triggers() != 0 {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}
	replyTo(e.s, "POST", routeRuns, always(mockserver.ErrorReply(400, "SCHEDULED_JOB_OP_NOT_ALLOWED", "Not allowed.")))
	_, err = e.c.StartRun(t.Context(), 7, "", quick)
	if !IsCode(err, "SCHEDULED_JOB_OP_NOT_ALLOWED") || e.triggers() != 1 {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}
	if len(e.sleeps.all()) != 0 {
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
	replyTo(e.s, "GET", routeRuns, always(mockserver.ErrorReply(400, "RBAC_ACCESS_DENIED", "Access denied.")))
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
		replyTo(e.s, "GET", routeRuns, func(n int) (mockserver.Reply, bool) {
			// The first list (before the trigger) succeeds.
			return mockserver.Reply{Status: 503, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("busy")},
				n > 1 && n <= 1+tc.failures
		})
		run, err := e.c.StartRun(t.Context(), 7, "", quick)
		if tc.ok != (err == nil) {
			t.Fatalf("%d failures: run %v err %v", tc.failures, run, err)
		}
		if e.triggers() != 1 {
			t.Fatalf("triggers %d", e.triggers())
		}
	}
}

func TestStartRunCancelled(t *testing.T) {
	e := newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, always(dropped))
	ctx, cancel := context.WithCancel(t.Context())
	e.sleeps.reset(func(n int, _ time.Duration) {
		if n == 2 {
			cancel()
		}
	})
	_, err := e.c.StartRun(ctx, 7, "", quick)
	if !errors.Is(err, context.Canceled) || e.triggers() != 1 {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}
}

func TestWaitForRun(t *testing.T) {
	// The run ends after the 10th gap and before the 11th ends (at +1.244s and +1.493s).
	e := newEnvOn(t, withJob7(1400*time.Millisecond), nil)
	r := e.startRun(t, "alice", "")
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
	if err != nil || run.Status != StatusSucceeded || run.FinishedAt == nil {
		t.Fatal(run, err)
	}
	// No past runs: each gap is a fifth of the time the run has run, from 100ms up.
	s := e.sleeps.all()
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
	e.sleeps.reset(nil)
	if run, err := e.c.WaitForRun(t.Context(), 7, r.ID); err != nil || !run.Status.Finished() || len(e.sleeps.all()) != 0 {
		t.Fatal(run, err)
	}
}

func TestWaitForRunBackoffCap(t *testing.T) {
	e := newEnvOn(t, withJob7(time.Minute), nil)
	r := e.startRun(t, "alice", "")
	if _, err := e.c.WaitForRun(t.Context(), 7, r.ID); err != nil {
		t.Fatal(err)
	}
	s := e.sleeps.all()
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
func predictEnv(t *testing.T, durs []time.Duration, end time.Duration) (e *testEnv, r mockserver.Run, start, finishAt time.Time) {
	sc := withJob7(end)
	sc.Jobs[0].Outcome = mockserver.StatusFailed
	for i := range 3 {
		d := 10 * time.Second
		if durs != nil {
			d = durs[i]
		}
		sc.Runs = append(sc.Runs, pastRun(int64(i+1), 7, "bob", "", mockserver.StatusSucceeded, d))
	}
	e = newEnvOn(t, sc, nil)
	r = e.startRun(t, "alice", "")
	return e, r, r.StartedAt, r.StartedAt.Add(end)
}

func TestWaitForRunPredictsEnd(t *testing.T) {
	e, r, start, finishAt := predictEnv(t, nil, 10*time.Second)
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
	if err != nil || run.Status != StatusFailed {
		t.Fatal(run, err)
	}
	// Past runs all took 10s: reads at gaps of half the run's age, at most 2s (a fifth of the
	// prediction), then on a 50ms grid aligned 5ms past the predicted end, in a window of
	// +/-50ms (its start on the grid); the end is seen 5ms after it.
	winStart := start.Add(10*time.Second - 45*time.Millisecond)
	at := start
	for i, d := range e.sleeps.all() {
		if at.Before(winStart) && (d > 2*time.Second || d > max(100*time.Millisecond, at.Sub(start)/2)) {
			t.Fatalf("sleep %d of %s at +%s: longer than a fifth of the prediction or half the run's age", i, d, at.Sub(start))
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
	// Fewer reads than the 22 a wait without history costs.
	if n := len(e.sleeps.all()); n > 16 {
		t.Fatalf("%d sleeps for a 10s run (%v)", n, e.sleeps.all())
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
		// Before the window, gaps of at most half the run's age: an early end is seen within
		// half its age, at the cost of more reads early on than one every fifth of the prediction.
		{"early failure", nil, 3 * time.Second, 1500 * time.Millisecond, 10},
		{"late by 700ms", nil, 10*time.Second + 700*time.Millisecond, 350 * time.Millisecond, 24},
		{"late by a minute", nil, 70 * time.Second, 5 * time.Second, 45},
		// Spread history 9s..12s: window 8.25s..12.75s, grid of 562.5ms.
		{"spread history", []time.Duration{9 * time.Second, 10 * time.Second, 12 * time.Second}, 11 * time.Second, 563 * time.Millisecond, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, r, start, finishAt := predictEnv(t, tc.durs, tc.end)
			run, err := e.c.WaitForRun(t.Context(), 7, r.ID)
			if err != nil || run.Status != StatusFailed {
				t.Fatal(run, err)
			}
			end := start
			for _, d := range e.sleeps.all() {
				end = end.Add(d)
			}
			if lag := end.Sub(finishAt); lag < 0 || lag > tc.lag {
				t.Fatalf("seen %s after the end (sleeps %v)", lag, e.sleeps.all())
			}
			if n := len(e.sleeps.all()) + 1; n > tc.maxReads {
				t.Fatalf("%d reads (sleeps %v)", n, e.sleeps.all())
			}
		})
	}
}

func TestWaitForRunCancelled(t *testing.T) {
	e := newEnv(t, nil)
	r := e.startRun(t, "alice", "")
	ctx, cancel := context.WithCancel(t.Context())
	e.sleeps.reset(func(n int, _ time.Duration) {
		if n == 3 {
			cancel()
		}
	})
	run, err := e.c.WaitForRun(ctx, 7, r.ID)
	if !errors.Is(err, context.Canceled) || run == nil || run.ID != r.ID || run.Status != StatusInProgress {
		t.Fatalf("run %v err %v", run, err)
	}
	// Cancelled during a request, which then gets no answer.
	reqCtx, reqCancel := context.WithCancel(t.Context())
	e.sleeps.reset(nil)
	replyTo(e.s, "GET", routeRun, func(int) (mockserver.Reply, bool) {
		reqCancel()
		return mockserver.Reply{Drop: true}, true
	})
	if _, err := e.c.WaitForRun(reqCtx, 7, r.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	// A deadline.
	dlCtx, dlCancel := context.WithTimeout(t.Context(), time.Hour)
	defer dlCancel()
	e.s.SetResponseHook(nil)
	e.sleeps.reset(func(int, time.Duration) { dlCancel() })
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
		r := e.startRun(t, "alice", "")
		replyTo(e.s, "GET", routeRun, func(n int) (mockserver.Reply, bool) {
			switch {
			case n >= 2 && n <= 1+tc.failures:
				if n%2 == 0 {
					return mockserver.Reply{Drop: true}, true // connection reset
				}
				return mockserver.Reply{Status: 503, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>busy</html>")}, true
			case n == 2+tc.failures: // the run ends now
				e.clock.Advance(r.StartedAt.Add(10 * time.Minute).Sub(e.clock.Now()))
			}
			return mockserver.Reply{}, false
		})
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
	r := e.startRun(t, "alice", "")
	cancelled, err := json.Marshal(Run{ID: r.ID, JobID: 7, Status: "CANCELLED", StartedAt: &EpochMillis{r.StartedAt}})
	if err != nil {
		t.Fatal(err)
	}
	replyTo(e.s, "GET", routeRun, func(n int) (mockserver.Reply, bool) { // a newer server's status
		return mockserver.Reply{Body: cancelled}, n == 2
	})
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
	sc := serverConfig()
	sc.Jobs[0].StartDelay = mockserver.Duration(50 * time.Millisecond) // the run appears at the second read after the trigger
	e := newEnvOn(t, sc, nil)
	ctx, cancel := context.WithCancel(t.Context())
	onTrigger(e.s, func(int, int64) { cancel() }) // SIGINT while the trigger is on its way
	run, err := e.c.StartRun(ctx, 7, "a", quick)
	if err != nil || run == nil || run.Args() != "a" {
		t.Fatalf("run %v err %v; want the run despite the interrupt", run, err)
	}
	if n := e.triggers(); n != 1 {
		t.Fatalf("%d triggers, want 1", n)
	}
}

// Interrupted after the trigger, with no run appearing: no second trigger, and an error that
// says when and how the job was triggered, for a search by hand.
func TestStartRunInterruptedNoRun(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	replyTo(e.s, "POST", routeRuns, func(int) (mockserver.Reply, bool) { cancel(); return dropped, true })
	_, err := e.c.StartRun(ctx, 7, "--cp X", quick)
	var ni *RunNotIdentifiedError
	if !errors.As(err, &ni) || !errors.Is(err, context.Canceled) || ni.Triggers != 1 || ni.Args != "--cp X" ||
		ni.FirstTrigger.IsZero() || !strings.Contains(err.Error(), "2024-01-01T00:00:00Z") {
		t.Fatalf("err %v", err)
	}
	if n := e.triggers(); n != 1 {
		t.Fatalf("%d triggers, want 1", n)
	}
}

// Cancelled before the trigger: nothing is sent.
func TestStartRunCancelledBeforeTrigger(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	e.s.SetRequestHook(func(method, path string) {
		if method == "GET" && path == "/scheduled-jobs/7/runs" {
			cancel()
		}
	})
	_, err := e.c.StartRun(ctx, 7, "a", quick)
	if !errors.Is(err, context.Canceled) || e.triggers() != 0 {
		t.Fatalf("err %v, %d triggers; want no trigger", err, e.triggers())
	}
}

// IfRunningAdopt takes a run in progress of this user with the same args, and waits for any
// other run before triggering.
func TestStartRunAdopt(t *testing.T) {
	e := newEnv(t, nil)
	mine := e.startRun(t, "alice", "a")
	run, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningAdopt})
	if err != nil || run.ID != mine.ID || e.triggers() != 0 {
		t.Fatalf("run %v err %v triggers %d; want run %d adopted", run, err, e.triggers(), mine.ID)
	}
	for name, other := range map[string][2]string{"other user": {"bob", "a"}, "other args": {"alice", "b"}} {
		t.Run(name, func(t *testing.T) {
			e := newEnvOn(t, withJob7(time.Second), nil)
			busy := e.startRun(t, other[0], other[1])
			run, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningAdopt})
			if err != nil || run.ID == busy.ID || e.triggers() != 1 {
				t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
			}
		})
	}
}

// IfRunningAdopt never takes a run that this client started (another caller's, such as a
// second resource with the same job and args): it waits for it and triggers its own.
func TestStartRunAdoptSkipsOwnRun(t *testing.T) {
	e := newEnvOn(t, withJob7(time.Second), nil)
	first, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningAdopt})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningAdopt})
	if err != nil || second.ID == first.ID || e.triggers() != 2 {
		t.Fatalf("second %v err %v triggers %d; want a run of its own after run %d", second, err, e.triggers(), first.ID)
	}
}

// With IfRunningFail, a run in progress that this client started is its own: a second start
// of the job waits for it instead of failing.
func TestStartRunFailWaitsForOwnRun(t *testing.T) {
	e := newEnvOn(t, withJob7(time.Second), nil)
	first, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningFail})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{IfRunning: IfRunningFail})
	if err != nil || second.ID == first.ID || e.runReads() < 2 {
		t.Fatalf("second %v err %v; want a new run after waiting for run %d", second, err, first.ID)
	}
}

// With an API token, the client learns its user from GET /users/current-user (once), and
// another user's run with the same args is never taken.
func TestStartRunTokenKnowsItsUser(t *testing.T) {
	sc := withJob7(5 * time.Second)
	e := newEnvOn(t, sc, withToken)
	onTrigger(e.s, func(n int, jobID int64) {
		if n == 1 {
			startAs(t, e.s, "bob", jobID, "a") // bob's trigger won: ours was dropped
		}
	})
	run, err := e.c.StartRun(t.Context(), 7, "a", quick)
	if err != nil || run.RunByLogin() != "apiuser" || e.triggers() != 2 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}
	if _, err := e.c.StartRun(t.Context(), 8, "a", quick); err != nil {
		t.Fatal(err)
	}
	if n := e.s.RequestCount("GET", routeMe); n != 1 {
		t.Fatalf("GET /users/current-user %d times, want 1", n)
	}
}

// A look-up that meets only failed reads until past the appear timeout (a read that used the
// whole request timeout, as a hung server's) does not take "no run appeared" for an answer:
// it reads on, finds the trigger's run, and the job is triggered once.
func TestStartRunLookUpFailsPastTheDeadline(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	replyTo(e.s, "GET", routeRuns, func(n int) (mockserver.Reply, bool) {
		if n != 2 { // the first list is the baseline, the second the look-up's first read
			return mockserver.Reply{}, false
		}
		e.clock.Advance(quick.AppearTimeout + time.Second) // the run starts meanwhile
		return mockserver.Reply{Status: 503, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("busy")}, true
	})
	run, err := e.c.StartRun(t.Context(), 7, "once", quick)
	if err != nil || run.Args() != "once" || e.triggers() != 1 {
		t.Fatalf("run %v err %v triggers %d", run, err, e.triggers())
	}
}

// A run that appears after its look-up gave up is found by the next baseline as the
// earlier trigger's, not waited for as another run and followed by a second trigger.
func TestStartRunEarlierTriggersRunAppearsLate(t *testing.T) {
	sc := serverConfig()
	sc.Jobs[0].StartDelay = mockserver.Duration(quick.AppearTimeout + 500*time.Millisecond) // a pool busier than the look-up is patient
	e := newEnvOn(t, sc, nil)
	deadline := e.clock.Now().Add(quick.AppearTimeout)
	var late atomic.Bool
	replyTo(e.s, "GET", routeRuns, func(int) (mockserver.Reply, bool) {
		// The look-up's last read finds nothing; the run starts right after it.
		if e.clock.Now().Before(deadline) || late.Swap(true) {
			return mockserver.Reply{}, false
		}
		e.clock.Advance(time.Second)
		return mockserver.Reply{Body: []byte("[]")}, true
	})
	run, err := e.c.StartRun(t.Context(), 7, "late", quick)
	if err != nil || run.Args() != "late" || e.triggers() != 1 {
		t.Fatalf("run %v err %v triggers %d: want the first trigger's run, and no second trigger", run, err, e.triggers())
	}
}

// A run left IN_PROGRESS by a restart of the server's process, on both lines: a wait for it
// says which run, by whom, since when and that it may be stale (it has run longer than any
// of the job's past runs), and its end says what to do; IfRunningIgnore triggers anyway,
// which starts the run on the newest line and is dropped on the older, whose stale run
// blocks the job.
func TestStartRunStaleRun(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			sc := serverConfig()
			sc.Line = line
			for id := int64(1); id <= 3; id++ {
				sc.Runs = append(sc.Runs, pastRun(id, 7, "alice", "", mockserver.StatusSucceeded, 10*time.Minute))
			}
			e := newEnvOn(t, sc, nil)
			stale := e.startRun(t, "bob", "")
			e.s.Stop()
			if err := e.s.RestartProcess(); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Hour)

			ctx, cancel := context.WithCancel(t.Context())
			e.sleeps.reset(func(n int, _ time.Duration) {
				if n == 3 {
					cancel()
				}
			})
			_, err := e.c.StartRun(ctx, 7, "", quick)
			if !errors.Is(err, context.Canceled) || e.triggers() != 0 {
				t.Fatalf("err %v, %d triggers", err, e.triggers())
			}
			for _, want := range []string{
				fmt.Sprintf("waiting for run %d of job 7 (started at 2024-01-01T00:00:00Z by bob)", stale.ID),
				"longer than any of the job's last 3 finished runs took (at most 10m0s): it may be stale",
				`trigger anyway with the if_running policy "ignore"`,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
			logged := e.log.all()
			if !strings.Contains(logged, "WARN job already running: waiting for that run before triggering; run "+itoa(stale.ID)+
				" has been in progress for 2h0m0s") || !strings.Contains(logged, "run_by:bob started_at:2024-01-01T00:00:00Z") {
				t.Errorf("the wait is not explained:\n%s", logged)
			}
			e.sleeps.reset(nil)

			run, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningIgnore, AppearTimeout: time.Second})
			var ni *RunNotIdentifiedError
			switch {
			case line == mockserver.LineNewest && (err != nil || run.ID <= stale.ID || run.RunByLogin() != "alice" || e.triggers() != 1):
				t.Fatalf("run %+v, err %v, %d triggers: want a new run beside the stale one", run, err, e.triggers())
			case line == mockserver.LineOlder && (!errors.As(err, &ni) || ni.Ignored == nil || ni.Ignored.ID != stale.ID ||
				e.triggers() != 3 || !strings.Contains(err.Error(), "stale on the older OpenSpecimen line, the server drops every trigger")):
				t.Fatalf("err %v, %d triggers: want the triggers dropped, naming run %d", err, e.triggers(), stale.ID)
			}
		})
	}
}

// IfRunningIgnore with a live run of another user, on both lines: the server drops the
// triggers, which StartRun cannot tell from triggers still queued, so it spends its budget
// and its error names the ignored run. A run that starts after the trigger and takes the job
// is a *TriggerDroppedError naming that run, at once.
func TestStartRunIgnoreLiveRun(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			sc := serverConfig()
			sc.Line = line
			e := newEnvOn(t, sc, nil)
			live := e.startRun(t, "bob", "")
			_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningIgnore, AppearTimeout: time.Second})
			var ni *RunNotIdentifiedError
			if !errors.As(err, &ni) || ni.Ignored == nil || ni.Ignored.ID != live.ID || e.triggers() != 3 ||
				!strings.Contains(err.Error(), fmt.Sprintf("run %d in progress (started at 2024-01-01T00:00:00Z by bob) was ignored", live.ID)) {
				t.Fatalf("err %v, %d triggers", err, e.triggers())
			}

			e = newEnvOn(t, sc, nil)
			var took mockserver.Run
			e.s.SetTriggerHook(func(int64, string) {
				if took.ID == 0 {
					took = e.startRun(t, "bob", "")
				}
			})
			_, err = e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningIgnore, AppearTimeout: time.Second})
			var dropped *TriggerDroppedError
			if !errors.As(err, &dropped) || dropped.Run.ID != took.ID || e.triggers() != 1 ||
				!strings.Contains(err.Error(), fmt.Sprintf("job 7 has run %d in progress (started at 2024-01-01T00:00:00Z by bob), "+
					"which started after the trigger", took.ID)) {
				t.Fatalf("err %v, %d triggers", err, e.triggers())
			}
		})
	}
}

// queueConfig is serverConfig on line with a pool of one thread, which a run of job 8
// lasting busy holds (see holdPool).
func queueConfig(line string, busy time.Duration) mockserver.Config {
	sc := serverConfig()
	sc.Line = line
	sc.PoolSize = 1
	sc.Jobs[1].Duration = mockserver.Duration(busy)
	return sc
}

// holdPool starts a run of job 8 through the queue, which takes the pool's one thread.
func holdPool(t *testing.T, e *testEnv) {
	t.Helper()
	if err := e.s.TriggerAs("apiuser", 8, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Duration(startDelay))
	if e.s.BusyThreads() != 1 || len(e.s.QueuedTriggers()) != 0 {
		t.Fatalf("%d busy threads, queue %+v: want job 8 running", e.s.BusyThreads(), e.s.QueuedTriggers())
	}
}

// dropsOf reports the triggers s drops, as "user reason", on the channel it answers. The
// server reports a replaced trigger after its answer to the newer one: a test reads the
// drops it expects from the channel (nextDrops) rather than count them at some moment.
func dropsOf(s *mockserver.Server) <-chan string {
	ch := make(chan string, 100)
	s.SetTriggerDropHook(func(_ int64, user, reason string) { ch <- user + " " + reason })
	return ch
}

// nextDrops reads n drops, joined by commas.
func nextDrops(t *testing.T, drops <-chan string, n int) string {
	t.Helper()
	var got []string
	for range n {
		select {
		case d := <-drops:
			got = append(got, d)
		case <-t.Context().Done():
			t.Fatalf("drops %q, want %d", got, n)
		}
	}
	return strings.Join(got, ",")
}

// runsBy answers the ids of the runs of job 7 by user.
func runsBy(s *mockserver.Server, user string) []int64 {
	var out []int64
	for _, r := range s.Runs(7) {
		if r.RunBy == user {
			out = append(out, r.ID)
		}
	}
	return out
}

// queuedBy reports whether a trigger of job 7 by user waits in the queue.
func queuedBy(s *mockserver.Server, user string) bool {
	for _, q := range s.QueuedTriggers() {
		if q.JobID == 7 && q.LoginName == user {
			return true
		}
	}
	return false
}

// Our trigger waits in the queue for the pool's thread, and another user's trigger of the
// job replaces it: that user's run starts when the thread is free, StartRun waits for it and
// triggers again, and ends with exactly one run of ours, on both lines.
func TestStartRunReplacedByAnotherUser(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			e := newEnvOn(t, queueConfig(line, 3*time.Second), nil)
			holdPool(t, e)
			drops := dropsOf(e.s)
			replaced := false
			e.sleeps.reset(func(int, time.Duration) {
				if !replaced && queuedBy(e.s, "alice") { // our trigger waits: bob's replaces it
					replaced = true
					if err := e.s.TriggerAs("bob", 7, ""); err != nil {
						t.Error(err)
					}
				}
			})
			run, err := e.c.StartRun(t.Context(), 7, "", StartOptions{AppearTimeout: 10 * time.Second})
			if err != nil || run.RunByLogin() != "alice" {
				t.Fatalf("run %+v, err %v", run, err)
			}
			if mine, bobs := runsBy(e.s, "alice"), runsBy(e.s, "bob"); len(mine) != 1 || mine[0] != run.ID || len(bobs) != 1 || bobs[0] > run.ID {
				t.Fatalf("alice's runs %v, bob's %v: want one each, bob's first", mine, bobs)
			}
			if d := nextDrops(t, drops, 1); d != "alice replaced" || e.triggers() != 2 {
				t.Fatalf("drops %q, %d triggers", d, e.triggers())
			}
		})
	}
}

// The pool stays busy past the appear timeout: each new trigger of ours replaces the one
// before in the queue, so one run of ours starts when the thread is free, and StartRun
// answers it; past the trigger budget, the error says that the last trigger may still start
// a run, which is then the only one.
func TestStartRunReplacedByOurRetry(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			e := newEnvOn(t, queueConfig(line, 2500*time.Millisecond), nil)
			holdPool(t, e)
			drops := dropsOf(e.s)
			run, err := e.c.StartRun(t.Context(), 7, "", quick) // triggers at 0s, 1s and 2s; the thread is free at 2.5s
			if err != nil || run.RunByLogin() != "alice" || e.triggers() != 3 {
				t.Fatalf("run %+v, err %v, %d triggers", run, err, e.triggers())
			}
			if mine, d := runsBy(e.s, "alice"), nextDrops(t, drops, 2); len(mine) != 1 || mine[0] != run.ID ||
				d != "alice replaced,alice replaced" {
				t.Fatalf("alice's runs %v, drops %q", mine, d)
			}

			// Busy past the budget: a clear error, and the last trigger alone still waits.
			e = newEnvOn(t, queueConfig(line, time.Hour), nil)
			holdPool(t, e)
			_, err = e.c.StartRun(t.Context(), 7, "", quick)
			var ni *RunNotIdentifiedError
			if !errors.As(err, &ni) || ni.Triggers != 3 || !strings.Contains(err.Error(), "may start a run later") {
				t.Fatalf("err %v", err)
			}
			if q := e.s.QueuedTriggers(); len(q) != 1 || q[0].LoginName != "alice" || len(runsBy(e.s, "alice")) != 0 {
				t.Fatalf("queue %+v, alice's runs %v: want her last trigger alone queued", q, runsBy(e.s, "alice"))
			}
		})
	}
}

// IfRunningIgnore past a stale run while the pool is busy: our trigger waits in the queue
// beyond the appear timeout, and the stale run that the policy ignored is no proof that it
// was dropped. StartRun never answers a *TriggerDroppedError then: it triggers again within
// its budget (each trigger replacing ours in the queue), and ends with exactly one run of
// ours, or a *RunNotIdentifiedError saying that the last trigger may still start a run.
// On the older line the stale run blocks the job, and our last trigger is dropped once it
// gets a thread.
func TestStartRunIgnoreStaleRunPoolBusy(t *testing.T) {
	for _, line := range serverLines {
		for _, busy := range []time.Duration{2500 * time.Millisecond, time.Hour} {
			t.Run(fmt.Sprintf("%s/pool busy %s", line, busy), func(t *testing.T) {
				e := newEnvOn(t, queueConfig(line, busy), nil)
				stale := e.startRun(t, "bob", "")
				e.s.Stop()
				if err := e.s.RestartProcess(); err != nil {
					t.Fatal(err)
				}
				holdPool(t, e)
				run, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningIgnore, AppearTimeout: time.Second})
				var dropped *TriggerDroppedError
				if errors.As(err, &dropped) {
					t.Fatalf("err %v while the queue holds %+v", err, e.s.QueuedTriggers())
				}
				if line == mockserver.LineNewest && busy < time.Hour {
					if err != nil || run.RunByLogin() != "alice" || run.ID <= stale.ID {
						t.Fatalf("run %+v, err %v: want a run of ours beside the stale one", run, err)
					}
				} else {
					var ni *RunNotIdentifiedError
					if !errors.As(err, &ni) || ni.Triggers != 3 || !strings.Contains(err.Error(), "may start a run later") ||
						!strings.Contains(err.Error(), fmt.Sprintf("run %d in progress (started at 2024-01-01T00:00:00Z by bob) was ignored", stale.ID)) {
						t.Fatalf("err %v", err)
					}
				}
				e.clock.Advance(2 * time.Hour) // whatever still waits in the queue gets the thread
				want := 0
				if line == mockserver.LineNewest {
					want = 1
				}
				if mine := runsBy(e.s, "alice"); len(mine) != want || (run != nil && mine[0] != run.ID) {
					t.Fatalf("alice's runs %v, want %d (StartRun answered %+v)", mine, want, run)
				}
			})
		}
	}
}

// Right after the trigger, the look-up's first read meets a session ended by a login
// elsewhere, twice in a row (before the read and before its repeat after the new login):
// the look-up reads again and answers the run, which exists (newest line,
// max_login_sessions = 1).
func TestStartRunSessionEndedAfterLogin(t *testing.T) {
	sc := serverConfig()
	sc.Line = mockserver.LineNewest
	sc.MaxLoginSessions = 1
	e := newEnvOn(t, sc, nil)
	others := newElsewhere(e.s)
	// The first list is the baseline's; the second the look-up's first read, the third its repeat.
	e.s.SetRequestHook(others.sessionEndsAt("/scheduled-jobs/7/runs", false, 2, 3))
	run, err := e.c.StartRun(t.Context(), 7, "", quick)
	others.check(t)
	if err != nil || run.RunByLogin() != "alice" || e.triggers() != 1 {
		t.Fatalf("run %+v, err %v, %d triggers", run, err, e.triggers())
	}
}
