package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// waitersOf answers how many callers share the poll loop of a run (0 when there is none).
func (c *Client) waitersOf(r mockserver.Run) int {
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	n := 0
	if w := c.waits[runKey{r.JobID, r.ID}]; w != nil {
		for _, k := range w.waiters {
			n += k
		}
	}
	return n
}

// awaitWaiters returns once the shared wait of run r has n waiters, as its log says when a
// waiter comes or goes.
func awaitWaiters(t *testing.T, e *testEnv, r mockserver.Run, n int) {
	t.Helper()
	reached := make(chan struct{}, 1)
	want := fmt.Sprintf("waiters:%d", n)
	e.log.setOnRecord(func(line string) {
		if strings.Contains(line, "waiting for the run") && strings.Contains(line, want) {
			select {
			case reached <- struct{}{}:
			default:
			}
		}
	})
	defer e.log.setOnRecord(nil)
	if e.c.waitersOf(r) == n {
		return
	}
	mocktest.Within(t, want, reached)
}

// holdFirstRead makes s hold the first read of the run until the channel answered is closed.
func holdFirstRead(s *mockserver.Server, run mockserver.Run) (gate chan struct{}) {
	gate = make(chan struct{})
	path := "/scheduled-jobs/" + strconv.FormatInt(run.JobID, 10) + "/runs/" + strconv.FormatInt(run.ID, 10)
	var reads atomic.Int32
	s.SetRequestHook(func(method, p string) {
		if method == "GET" && p == path && reads.Add(1) == 1 {
			<-gate
		}
	})
	return gate
}

func TestWaitForRunSharesOnePollLoop(t *testing.T) {
	e := newEnvOn(t, withJob7(250*time.Millisecond), nil) // read at +0, +100ms, +200ms, +300ms
	r := e.startRun(t, "alice", "")
	gate := holdFirstRead(e.s, r)
	type result struct {
		run *Run
		err error
	}
	results := make(chan result, 3)
	wait := func(ctx context.Context) {
		run, err := e.c.WaitForRun(ctx, 7, r.ID)
		results <- result{run, err}
	}
	go wait(t.Context())
	awaitWaiters(t, e, r, 1)
	go wait(t.Context())
	ctx, cancel := context.WithCancel(t.Context())
	go wait(ctx)
	awaitWaiters(t, e, r, 3)
	// One waiter gives up: it gets its context's error, the others wait on.
	cancel()
	res := mocktest.Within(t, "the cancelled waiter", results)
	if !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, %v", res.run, res.err)
	}
	awaitWaiters(t, e, r, 2)
	close(gate)
	for i := 0; i < 2; i++ {
		res := mocktest.Within(t, "a waiter", results)
		if res.err != nil || res.run.Status != StatusSucceeded {
			t.Fatalf("waiter %d: %v, %v", i, res.run, res.err)
		}
		res.run.Status = "CHANGED" // each caller has its own copy
	}
	if n := e.runReads(); n != 4 {
		t.Fatalf("%d reads of the run for three waiters, want 4 (one loop)", n)
	}
	if e.c.waitersOf(r) != 0 {
		t.Fatal("poll loop left behind")
	}
}

func TestWaitForRunAllWaitersGone(t *testing.T) {
	e := newEnv(t, nil)
	r := e.startRun(t, "alice", "")
	ctx, cancel := context.WithCancel(t.Context())
	var once sync.Once
	e.sleeps.reset(func(n int, _ time.Duration) {
		if n == 2 {
			once.Do(cancel)
		}
	})
	run, err := e.c.WaitForRun(ctx, 7, r.ID)
	if !errors.Is(err, context.Canceled) || run == nil || run.Status != StatusInProgress {
		t.Fatalf("run %v err %v", run, err)
	}
	// The loop stopped with its last waiter, before WaitForRun returned.
	if e.c.waitersOf(r) != 0 {
		t.Fatal("poll loop left behind")
	}
}

func TestWaitForRunUsesHistoryOfStartRun(t *testing.T) {
	sc := withJob7(10 * time.Second)
	for i := range 3 {
		sc.Runs = append(sc.Runs, pastRun(int64(i+1), 7, "bob", "", mockserver.StatusSucceeded, 10*time.Second))
	}
	e := newEnvOn(t, sc, nil)
	st, err := e.c.StartRun(t.Context(), 7, "--x", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := st.Run
	lists := e.lists()
	if _, err := e.c.WaitForRun(t.Context(), 7, run.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.lists(); n != lists {
		t.Fatalf("WaitForRun listed runs %d times after StartRun had", n-lists)
	}
	if !strings.Contains(e.log.all(), "predicted end") {
		t.Fatal("no prediction from StartRun's list")
	}
	// The finished run joins the history; a finished run needs no prediction.
	e.c.histMu.Lock()
	h := e.c.hist[7]
	e.c.histMu.Unlock()
	if !h.runID[run.ID] || len(h.durs) != 4 {
		t.Fatalf("history %+v", h)
	}
	if ds, err := e.c.durations(t.Context(), 7, run.ID); err != nil || ds != nil {
		t.Fatal(ds, err)
	}
	// Stale history is listed again.
	e.clock.Advance(historyTTL + time.Second)
	if _, err := e.c.durations(t.Context(), 7, 12345); err != nil || e.lists() != lists+1 {
		t.Fatalf("%v; lists %d", err, e.lists()-lists)
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
		if _, err := c.WaitForRun(t.Context(), 1, run.ID); err != nil {
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

// ctxLogs records, per record, the "waiter" value of the context it was handled with, and
// passes the record on to next.
type ctxLogs struct {
	next    slog.Handler
	mu      sync.Mutex     // guards waiters
	waiters map[string]int // waiter value: records
}

func (h *ctxLogs) Enabled(context.Context, slog.Level) bool { return true }
func (h *ctxLogs) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	w, _ := ctx.Value(waiterName{}).(string)
	h.waiters[w]++
	return h.next.Handle(ctx, r)
}
func (h *ctxLogs) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ctxLogs) WithGroup(string) slog.Handler      { return h }

type waiterName struct{}

// The lines of a poll loop shared by two waiters are logged with each waiter's context, so
// that each resource's log holds its own wait.
func TestWaitForRunLogsWithEachWaitersContext(t *testing.T) {
	logs := &ctxLogs{waiters: map[string]int{}}
	e := newEnvOn(t, withJob7(150*time.Millisecond), func(c *Config) { // 3 reads
		logs.next = c.Logger.Handler()
		c.Logger = slog.New(logs)
	})
	r := e.startRun(t, "alice", "")
	gate := holdFirstRead(e.s, r) // both waiters join the loop during its first read
	// The login's lines are no waiter's.
	if err := e.c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for _, name := range []string{"first", "second"} {
		ctx := context.WithValue(t.Context(), waiterName{}, name)
		go func() {
			_, err := e.c.WaitForRun(ctx, 7, r.ID)
			done <- err
		}()
	}
	awaitWaiters(t, e, r, 2)
	close(gate)
	for range 2 {
		if err := mocktest.Within(t, "a waiter", done); err != nil {
			t.Fatal(err)
		}
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if logs.waiters["first"] == 0 || logs.waiters["second"] == 0 || logs.waiters["first"] != logs.waiters["second"] {
		t.Fatalf("records per waiter %v: want the same lines for both", logs.waiters)
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
		p := newWaitPlan(origin, c.history, 100*time.Millisecond, 5*time.Second, 50*time.Millisecond)
		lag, reads := simulateWait(p, c.length)
		bound := clampDur(time.Duration(float64(c.length+lag)*waitPollGrowth), p.min, p.max)
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
		p := newWaitPlan(origin, hist, 100*time.Millisecond, 5*time.Second, 50*time.Millisecond)
		lag, _ := simulateWait(p, length)
		if early := max(p.min, time.Duration(float64(length)*earlyGrowth)); lag > early {
			t.Fatalf("case %d: history %v, run of %s seen %s late: more than half its age", i, hist, length, lag)
		}
		plain := clampDur(time.Duration(float64(length+lag)*waitPollGrowth), p.min, p.max)
		if !p.origin.Add(length).Before(p.winStart) && lag > plain {
			t.Fatalf("case %d: history %v, run of %s seen %s late: later than the %s without history", i, hist, length, lag, plain)
		}
	}
	for _, length := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute} {
		steady := []time.Duration{length * 98 / 100, length, length * 102 / 100}
		_, withHistory := simulateWait(newWaitPlan(origin, steady, 100*time.Millisecond, 5*time.Second, 50*time.Millisecond), length)
		_, without := simulateWait(newWaitPlan(origin, nil, 100*time.Millisecond, 5*time.Second, 50*time.Millisecond), length)
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
	done, err := c.WaitForRun(t.Context(), 1, st.Run.ID)
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
	done, err := e.c.WaitForRun(t.Context(), 7, run.ID)
	others.check(t)
	if err != nil || done.Status != StatusSucceeded {
		t.Fatalf("run %+v, err %v", done, err)
	}

	run = e.startRun(t, "alice", "")
	path = fmt.Sprintf("/scheduled-jobs/7/runs/%d", run.ID)
	e.s.SetRequestHook(others.sessionEndsAt(path, true))
	_, err = e.c.WaitForRun(t.Context(), 7, run.ID)
	others.check(t)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("waiting for run %d of job 7: %d reads failed in a row", run.ID, maxTransientFailures+1)) ||
		!strings.Contains(err.Error(), `OpenSpecimen refused the session of user "alice" right after a new login`) {
		t.Fatalf("err %v", err)
	}
}
