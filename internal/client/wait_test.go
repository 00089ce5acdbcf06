package client

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// waiters answers how many callers share the poll loop of a run (0 when there is none).
func (c *Client) waitersOf(r *Run) int {
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

// eventually waits for cond, which another goroutine makes true, yielding meanwhile; the
// minute's bound only turns a hang into a failure.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		runtime.Gosched()
	}
}

func TestWaitForRunSharesOnePollLoop(t *testing.T) {
	e := newEnv(t, nil)
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	e.fs.finishAfter = 4
	gate := make(chan struct{})
	first := true
	e.fs.onRunGet = func(*fakeServer, *Run) (*http.Response, error) {
		if first {
			first = false
			<-gate
		}
		return nil, nil
	}
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
	eventually(t, func() bool { return e.c.waitersOf(r) == 1 })
	go wait(t.Context())
	ctx, cancel := context.WithCancel(t.Context())
	go wait(ctx)
	eventually(t, func() bool { return e.c.waitersOf(r) == 3 })
	// One waiter gives up: it gets its context's error, the others wait on.
	cancel()
	res := <-results
	if !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, %v", res.run, res.err)
	}
	eventually(t, func() bool { return e.c.waitersOf(r) == 2 })
	close(gate)
	for i := 0; i < 2; i++ {
		res := <-results
		if res.err != nil || res.run.Status != StatusSucceeded {
			t.Fatalf("waiter %d: %v, %v", i, res.run, res.err)
		}
		res.run.Status = "CHANGED" // each caller has its own copy
	}
	if n := e.fs.count(&e.fs.runGets); n != 4 {
		t.Fatalf("%d reads of the run for three waiters, want 4 (one loop)", n)
	}
	if e.c.waitersOf(r) != 0 {
		t.Fatal("poll loop left behind")
	}
}

func TestWaitForRunAllWaitersGone(t *testing.T) {
	e := newEnv(t, nil)
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	ctx, cancel := context.WithCancel(t.Context())
	var once sync.Once
	e.clock.onSleep = func(n int, _ time.Duration) {
		if n == 2 {
			once.Do(cancel)
		}
	}
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
	e := newEnv(t, nil)
	for i := 0; i < 3; i++ {
		e.fs.addRun(7, "bob", "", StatusSucceeded) // 10s each
	}
	run, err := e.c.StartRun(t.Context(), 7, "--x", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lists := e.fs.count(&e.fs.lists)
	e.fs.finishAfter = 3
	if _, err := e.c.WaitForRun(t.Context(), 7, run.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.fs.count(&e.fs.lists); n != lists {
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
	e.clock.t = e.clock.t.Add(historyTTL + time.Second)
	if _, err := e.c.durations(t.Context(), 7, 12345); err != nil || e.fs.count(&e.fs.lists) != lists+1 {
		t.Fatalf("%v; lists %d", err, e.fs.count(&e.fs.lists)-lists)
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
	s, err := mockserver.New(mockserver.Config{
		Clock: clock,
		Jobs:  []mockserver.JobConfig{{ID: 1, Name: "One second", Duration: mockserver.Duration(time.Second)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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

// ctxLogs records, per record, the "waiter" value of the context it was handled with.
type ctxLogs struct {
	mu      sync.Mutex
	waiters map[string]int // waiter value: records
}

func (h *ctxLogs) Enabled(context.Context, slog.Level) bool { return true }
func (h *ctxLogs) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	w, _ := ctx.Value(waiterName{}).(string)
	h.waiters[w]++
	return nil
}
func (h *ctxLogs) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ctxLogs) WithGroup(string) slog.Handler      { return h }

type waiterName struct{}

// The lines of a poll loop shared by two waiters are logged with each waiter's context, so
// that each resource's log holds its own wait.
func TestWaitForRunLogsWithEachWaitersContext(t *testing.T) {
	logs := &ctxLogs{waiters: map[string]int{}}
	e := newEnv(t, func(c *Config) { c.Logger = slog.New(logs) })
	r := e.fs.addRun(7, "alice", "", StatusInProgress)
	e.fs.finishAfter = 3
	gate := make(chan struct{})
	e.fs.onRunGet = func(f *fakeServer, _ *Run) (*http.Response, error) {
		if f.gets[r.ID] == 1 {
			<-gate // both waiters join the loop during its first read
		}
		return nil, nil
	}
	if err := e.c.Login(t.Context()); err != nil { // its lines are no waiter's
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
	eventually(t, func() bool { return e.c.waitersOf(r) == 2 })
	close(gate)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if logs.waiters["first"] == 0 || logs.waiters["second"] == 0 || logs.waiters["first"] != logs.waiters["second"] {
		t.Fatalf("records per waiter %v: want the same lines for both", logs.waiters)
	}
}
