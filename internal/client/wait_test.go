package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// WaitForRun predicts the end from the history handed to it, and reads no run list then;
// without one it reads one list itself, leaving out the run it waits for.
func TestWaitForRunHistory(t *testing.T) {
	sc := withJob7(10 * time.Second)
	for i := range 3 {
		sc.Runs = append(sc.Runs, pastRun(int64(i+1), 7, "bob", "", mockserver.StatusSucceeded, 10*time.Second))
	}
	e := newEnvOn(t, sc, nil)
	st := e.start(t, t.Context(), "--x", "")
	lists := e.lists()
	if _, err := e.c.WaitForRun(t.Context(), 7, st.Run.ID, &st.History); err != nil {
		t.Fatal(err)
	}
	if n := e.lists(); n != lists || !strings.Contains(e.log.all(), "runs:3") {
		t.Fatalf("WaitForRun listed runs %d times after StartRun had; log:\n%s", n-lists, e.log.all())
	}
	r := e.startRun(t, "alice", "")
	if _, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.lists(); n != lists+1 || !strings.Contains(e.log.all(), "runs:4") {
		t.Fatalf("WaitForRun without history listed runs %d times, want 1; log:\n%s", n-lists, e.log.all())
	}
}

func TestWaitPlanGrid(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &waitPlan{end: base, grid: 50 * time.Millisecond}
	for _, off := range []time.Duration{-time.Second, -46 * time.Millisecond, -45 * time.Millisecond, 0, 5 * time.Millisecond, 54 * time.Millisecond} {
		at := p.gridAfter(base.Add(off))
		if !at.After(base.Add(off)) || at.Sub(base.Add(off)) > p.grid || (at.Sub(base)-gridOffset)%p.grid != 0 {
			t.Fatalf("gridAfter(%s) = %s", off, at.Sub(base))
		}
	}
}

// The reads a wait costs are fixed by design once time is: on the mock's manual clock, which
// the client's sleeps move, a 1 s job is read at most 10 times while waiting without
// history, and fewer times once the job has runs of history; one login serves every start.
// (make bench measures the same on the real clock, with the lag.)
func TestWaitForRunReadsOnManualClock(t *testing.T) {
	clock := mockserver.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	s := mocktest.New(t, mockserver.Config{
		Clock: clock,
		// The run starts within the client's first sleep after the trigger (see serverConfig).
		Jobs: []mockserver.JobConfig{{ID: 1, Name: "One second", Duration: mockserver.Duration(time.Second), StartDelay: startDelay}},
	})
	c, err := New(Config{URL: s.URL(), Username: "admin", Password: "Admin@123"})
	if err != nil {
		t.Fatal(err)
	}
	c.now = clock.Now
	c.sleep = func(ctx context.Context, d time.Duration) error {
		clock.Advance(d)
		return ctx.Err()
	}
	const reads = "/scheduled-jobs/{jobId}/runs/{runId}"
	var readsPerRun []int
	for i := range 4 {
		st, err := c.StartRun(t.Context(), 1, "--n "+strconv.Itoa(i), StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		run := st.Run
		r0 := s.RequestCount("GET", reads)
		if _, err := c.WaitForRun(t.Context(), 1, run.ID, &st.History); err != nil {
			t.Fatal(err)
		}
		readsPerRun = append(readsPerRun, s.RequestCount("GET", reads)-r0)
	}
	t.Logf("reads of the run per run: %v", readsPerRun)
	if readsPerRun[0] > 10 || readsPerRun[3] >= readsPerRun[0] {
		t.Errorf("reads per run %v: want at most 10 without history, and fewer with three runs of history", readsPerRun)
	}
	if n := s.LoginCount(); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
}

func TestWaitForRun(t *testing.T) {
	// The run ends after the 10th gap and before the 11th ends (at +1.244s and +1.493s).
	e := newEnvOn(t, withJob7(1400*time.Millisecond), nil)
	r := e.startRun(t, "alice", "")
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil)
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
	if run, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil); err != nil || !run.Status.Finished() || len(e.sleeps.all()) != 0 {
		t.Fatal(run, err)
	}
}

func TestWaitForRunBackoffCap(t *testing.T) {
	e := newEnvOn(t, withJob7(time.Minute), nil)
	r := e.startRun(t, "alice", "")
	if _, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil); err != nil {
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
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil)
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
			run, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil)
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
	run, err := e.c.WaitForRun(ctx, 7, r.ID, nil)
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
	if _, err := e.c.WaitForRun(reqCtx, 7, r.ID, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	// A deadline.
	dlCtx, dlCancel := context.WithTimeout(t.Context(), time.Hour)
	defer dlCancel()
	e.s.SetResponseHook(nil)
	e.sleeps.reset(func(int, time.Duration) { dlCancel() })
	if _, err := e.c.WaitForRun(dlCtx, 7, r.ID, nil); !errors.Is(err, context.Canceled) {
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
		run, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil)
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
	run, err := e.c.WaitForRun(t.Context(), 7, r.ID, nil)
	if err == nil || !strings.Contains(err.Error(), "CANCELLED") || run == nil || run.Status != StatusInProgress {
		t.Fatalf("run %v err %v", run, err)
	}
	// A run of another job, or a missing run: at once.
	if _, err := e.c.WaitForRun(t.Context(), 8, r.ID, nil); !IsNotFound(err) {
		t.Fatalf("err %v", err)
	}
	if _, err := e.c.WaitForRun(t.Context(), 7, 424242, nil); !IsNotFound(err) {
		t.Fatalf("err %v", err)
	}
}

// simulateWait answers how late a run of the given length, started at the plan's origin and
// first read 50ms after it, is seen finished when read as p plans, and with how many reads.
func simulateWait(p *waitPlan, length time.Duration) (lag time.Duration, reads int) {
	end := p.origin.Add(length)
	at := p.origin.Add(50 * time.Millisecond)
	for reads = 1; at.Before(end); reads++ {
		at = at.Add(p.next(at))
	}
	return at.Sub(end), reads
}

func secs(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

// Uneven histories, outliers among them: the run is seen finished no later than
// the wait without history allows, whatever outliers the history holds.
func TestWaitPlanUnevenHistories(t *testing.T) {
	origin := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	nineAndOne := secs(60, 60, 60, 60, 60, 60, 60, 60, 60, 7200)
	cases := []struct {
		name    string
		history []time.Duration
		length  time.Duration
	}{
		{"2 s job, history 60 s, 2 min, 40 min, 5 s ×3", secs(60, 120, 2400, 5, 5, 5), 2 * time.Second},
		{"3 s job, history 1 s ×3 and 1 h", secs(1, 1, 1, 3600), 3 * time.Second},
		{"65 s job, history nine of 60 s and one of 2 h", nineAndOne, 65 * time.Second},
		{"60 s job, history nine of 60 s and one of 2 h", nineAndOne, 60 * time.Second},
		{"2 h job, history nine of 60 s and one of 2 h", nineAndOne, 2 * time.Hour},
		{"40 min job, history 5 s ×10", secs(5, 5, 5, 5, 5, 5, 5, 5, 5, 5), 40 * time.Minute},
	}
	for _, c := range cases {
		p := newWaitPlan(origin, c.history)
		lag, reads := simulateWait(p, c.length)
		bound := clampDur(time.Duration(float64(c.length+lag)*waitPollGrowth), waitPollMin, waitPollMax)
		t.Logf("%s: seen %s late, %d reads", c.name, lag, reads)
		if lag > bound {
			t.Errorf("%s: seen %s after its end, later than the %s a wait without history allows", c.name, lag, bound)
		}
	}
}

// For any history, a run is seen finished within half its age, and within the gap without
// history (at most waitPollMax) once it ends inside or past the predicted window. With a
// steady history, the wait reads less than without one.
func TestWaitPlanBounds(t *testing.T) {
	origin := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		base := time.Duration(rng.Int64N(int64(10*time.Minute))) + 100*time.Millisecond
		jitter, outliers := rng.Float64()*0.9, rng.Float64()*0.3
		var hist []time.Duration
		for range 1 + rng.IntN(historyRuns) {
			d := time.Duration(float64(base) * (1 + jitter*(2*rng.Float64()-1)))
			if rng.Float64() < outliers {
				d = time.Duration(rng.Int64N(int64(2 * time.Hour)))
			}
			hist = append(hist, d)
		}
		length := time.Duration(float64(base) * 3 * rng.Float64())
		if rng.IntN(10) == 0 {
			length = time.Duration(rng.Int64N(int64(2 * time.Hour)))
		}
		p := newWaitPlan(origin, hist)
		lag, _ := simulateWait(p, length)
		if early := max(waitPollMin, time.Duration(float64(length)*earlyGrowth)); lag > early {
			t.Fatalf("case %d: history %v, run of %s seen %s late: more than half its age", i, hist, length, lag)
		}
		plain := clampDur(time.Duration(float64(length+lag)*waitPollGrowth), waitPollMin, waitPollMax)
		if !p.origin.Add(length).Before(p.winStart) && lag > plain {
			t.Fatalf("case %d: history %v, run of %s seen %s late: later than the %s without history", i, hist, length, lag, plain)
		}
	}
	for _, length := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute} {
		steady := []time.Duration{length * 98 / 100, length, length * 102 / 100}
		_, withHistory := simulateWait(newWaitPlan(origin, steady), length)
		_, without := simulateWait(newWaitPlan(origin, nil), length)
		t.Logf("%s job: %d reads with a steady history, %d without", length, withHistory, without)
		if length >= 10*time.Second && withHistory >= without {
			t.Errorf("%s job: %d reads with a steady history, not fewer than %d without", length, withHistory, without)
		}
	}
}

// A 3 s run of a job whose history holds a 1 h outlier is seen finished within the gap
// without history (on the mock's manual clock, which the client's sleeps move), not minutes
// later.
func TestWaitForRunUnevenHistoryOnManualClock(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := mockserver.NewManualClock(start)
	cfg := mockserver.Config{
		Clock: clock,
		Jobs:  []mockserver.JobConfig{{ID: 1, Name: "Uneven", Duration: mockserver.Duration(3 * time.Second), StartDelay: startDelay}},
	}
	for i, d := range secs(1, 1, 1, 3600) {
		s := start.Add(-time.Duration(i+1) * 2 * time.Hour)
		f := s.Add(d)
		cfg.Runs = append(cfg.Runs, mockserver.RunConfig{ID: int64(i + 1), JobID: 1, StartedAt: &s, FinishedAt: &f})
	}
	s := mocktest.New(t, cfg)
	c, err := New(Config{URL: s.URL(), Username: "admin", Password: "Admin@123"})
	if err != nil {
		t.Fatal(err)
	}
	c.now = clock.Now
	c.sleep = func(ctx context.Context, d time.Duration) error {
		clock.Advance(d)
		return ctx.Err()
	}
	st, err := c.StartRun(t.Context(), 1, "", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.WaitForRun(t.Context(), 1, st.Run.ID, &st.History)
	if err != nil || done.FinishedAt == nil {
		t.Fatal(done, err)
	}
	if lag := clock.Now().Sub(done.FinishedAt.Time); lag > 600*time.Millisecond {
		t.Fatalf("the 3 s run was seen finished %s after its end, want within a fifth of its length", lag)
	}
}

// A wait on a server that keeps one session per user (newest line, max_login_sessions = 1)
// whose user logs in elsewhere twice in a row, before a read and again before its repeat
// after the new login: that read fails like a transient one, and the wait goes on to the
// run's end. A login elsewhere before every read ends the wait after maxTransientFailures
// failed reads in a row, naming the cause.
func TestWaitForRunSessionEndedAfterLogin(t *testing.T) {
	sc := serverConfig()
	sc.Line = mockserver.LineNewest
	sc.MaxLoginSessions = 1
	e := newEnvOn(t, sc, nil)
	run := e.startRun(t, "alice", "")
	others := newElsewhere(e.s)
	path := fmt.Sprintf("/scheduled-jobs/7/runs/%d", run.ID)
	e.s.SetRequestHook(others.sessionEndsAt(path, false, 2, 3))
	done, err := e.c.WaitForRun(t.Context(), 7, run.ID, nil)
	others.check(t)
	if err != nil || done.Status != StatusSucceeded {
		t.Fatalf("run %+v, err %v", done, err)
	}

	run = e.startRun(t, "alice", "")
	path = fmt.Sprintf("/scheduled-jobs/7/runs/%d", run.ID)
	e.s.SetRequestHook(others.sessionEndsAt(path, true))
	_, err = e.c.WaitForRun(t.Context(), 7, run.ID, nil)
	others.check(t)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("waiting for run %d of job 7: %d reads failed in a row", run.ID, maxTransientFailures+1)) ||
		!strings.Contains(err.Error(), `OpenSpecimen refused the session of user "alice" right after a new login`) {
		t.Fatalf("err %v", err)
	}
}
