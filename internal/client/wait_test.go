package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	run, err := e.c.StartRun(t.Context(), 7, "--x", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
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
		run, err := c.StartRun(t.Context(), 1, "--n "+strconv.Itoa(i), StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
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
