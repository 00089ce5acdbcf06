package client

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Polling of WaitForRun. Without history a run is read at gaps of waitPollGrowth of the time
// it has run (so the end is seen within that share of the run's length), between
// waitPollMin and waitPollMax. History (durations of the job's recent finished runs) only
// spaces out the reads before the earliest expected end, and adds dense reads around the
// predicted end:
//   - before the window (the span of the history's central durations, widened by a margin),
//     gaps of preWindowParts of the predicted length, at most earlyGrowth of the time the run
//     has run and at most preWindowMax, so an early end is still seen within half its age;
//   - in the window, reads on a grid aligned on the predicted end;
//   - past the window, gaps of half the delay.
//
// From the window's start on, no gap is longer than the gap without history: a run that
// ends there is seen at least as soon as without history, and within waitPollMax past its
// predicted end, whatever outliers the history holds.
const (
	waitPollMin    = 100 * time.Millisecond
	waitPollMax    = 5 * time.Second
	waitPollDense  = 50 * time.Millisecond // the grid around the predicted end
	waitPollGrowth = 0.2
	earlyGrowth    = 0.5              // before the window: gaps of at most half the run's age
	lateGrowth     = 0.5              // past the window: gaps of half the delay
	preWindowParts = 5                // reads before the window: one every 1/preWindowParts of the prediction
	preWindowMax   = 60 * time.Second // longest gap before the window
	gridOffset     = 5 * time.Millisecond
	historyRuns    = 10              // finished runs the prediction is made from
	trimShare      = 10              // the window leaves out the shortest and longest 1/trimShare of them
	historyTTL     = 5 * time.Minute // how long runs listed by StartRun serve as history
)

// history is the durations of a job's recent finished runs, newest first.
type history struct {
	at    time.Time
	durs  []time.Duration
	runID map[int64]bool
}

// noteHistory remembers the durations of the finished runs in runs (a run list, newest
// first), so that a WaitForRun soon after needs no list of its own.
func (c *Client) noteHistory(jobID int64, runs []Run) {
	h := &history{at: c.now(), runID: map[int64]bool{}}
	for i := range runs {
		if d, ok := runs[i].duration(); ok && runs[i].Status.Finished() && len(h.durs) < historyRuns {
			h.durs = append(h.durs, d)
			h.runID[runs[i].ID] = true
		}
	}
	c.histMu.Lock()
	defer c.histMu.Unlock()
	if c.hist == nil {
		c.hist = map[int64]*history{}
	}
	c.hist[jobID] = h
}

// addHistory adds a run just seen finished to the job's known history, if any is known.
func (c *Client) addHistory(jobID int64, run *Run) {
	d, ok := run.duration()
	if !ok {
		return
	}
	c.histMu.Lock()
	defer c.histMu.Unlock()
	h := c.hist[jobID]
	if h == nil || h.runID[run.ID] {
		return
	}
	durs := append([]time.Duration{d}, h.durs...)
	ids := map[int64]bool{run.ID: true}
	for id := range h.runID {
		ids[id] = true
	}
	c.hist[jobID] = &history{at: c.now(), durs: durs[:min(len(durs), historyRuns)], runID: ids}
}

// durations answers the durations of the job's recent finished runs other than runID: known
// ones if fresh, else from a run list.
func (c *Client) durations(ctx context.Context, jobID, runID int64) ([]time.Duration, error) {
	c.histMu.Lock()
	h := c.hist[jobID]
	c.histMu.Unlock()
	if h == nil || c.now().Sub(h.at) > historyTTL {
		runs, err := c.ListRuns(ctx, jobID, RunFilter{MaxResults: historyRuns + 1})
		if err != nil {
			return nil, err
		}
		c.noteHistory(jobID, runs)
		c.histMu.Lock()
		h = c.hist[jobID]
		c.histMu.Unlock()
	}
	if h.runID[runID] { // the run itself, already finished: no prediction needed
		return nil, nil
	}
	return h.durs, nil
}

// waitPlan decides when to read a run next.
type waitPlan struct {
	origin time.Time // the run's start
	pred   bool      // whether an end is predicted
	// Predicted end, and the window of dense reads around it with its grid.
	end, winStart, winEnd time.Time
	grid, preGap          time.Duration
	min, max, dense       time.Duration
}

// next answers how long to sleep at now before the next read.
func (p *waitPlan) next(now time.Time) time.Duration {
	elapsed := now.Sub(p.origin)
	plain := clampDur(time.Duration(float64(elapsed)*waitPollGrowth), p.min, p.max)
	switch {
	case !p.pred:
		return plain
	case now.Before(p.winStart):
		// Sparse reads for an early end, within half the run's age; wake at the window's start.
		early := max(p.min, min(p.preGap, time.Duration(float64(elapsed)*earlyGrowth)))
		return min(early, p.winStart.Sub(now))
	case now.Before(p.winEnd):
		if at := p.gridAfter(now); at.Before(p.winEnd) {
			return min(at.Sub(now), plain)
		}
		fallthrough
	default:
		// Late: gaps growing with the delay, never longer than without a prediction.
		late := now.Sub(p.winEnd)
		return clampDur(time.Duration(float64(late)*lateGrowth), p.dense, plain)
	}
}

// gridAfter answers the first grid point strictly after t.
func (p *waitPlan) gridAfter(t time.Time) time.Time {
	base := p.end.Add(gridOffset)
	since := t.Sub(base)
	at := base.Add(since - since%p.grid) // a whole number of grid steps from base, next to t
	for !at.After(t) {
		at = at.Add(p.grid)
	}
	for at.Add(-p.grid).After(t) {
		at = at.Add(-p.grid)
	}
	return at
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// newWaitPlan plans the reads of a run started at origin, from the durations of the job's
// recent finished runs (none: no prediction). The predicted end is their median; the window
// spans them but for the shortest and longest tenth, so that one outlier does not spread it.
func newWaitPlan(origin time.Time, durs []time.Duration, minGap, maxGap, dense time.Duration) *waitPlan {
	p := &waitPlan{origin: origin, min: minGap, max: maxGap, dense: dense}
	if len(durs) == 0 {
		return p
	}
	ds := append([]time.Duration(nil), durs...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	median := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		median = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	trim := len(ds) / trimShare
	lo, hi := ds[trim], ds[len(ds)-1-trim]
	margin := max(dense, (hi-lo)/4)
	p.pred = true
	p.end = origin.Add(median)
	p.grid = max(dense, (hi-lo+2*margin)/8)
	p.winEnd = origin.Add(hi + margin)
	p.winStart = p.gridAfter(origin.Add(lo - margin)).Add(-p.grid) // on the grid
	p.preGap = clampDur(median/preWindowParts, minGap, preWindowMax)
	return p
}

// planWait makes the plan for run, read in progress at now.
func (c *Client) planWait(ctx context.Context, jobID int64, run *Run, now time.Time) *waitPlan {
	if run.StartedAt == nil {
		return newWaitPlan(now, nil, waitPollMin, waitPollMax, waitPollDense)
	}
	ds, err := c.durations(ctx, jobID, run.ID)
	if err != nil {
		c.logger.DebugContext(ctx, "cannot read past runs to predict the end of the run", "job_id", jobID, "error", err.Error())
		ds = nil
	}
	p := newWaitPlan(run.StartedAt.Time, ds, waitPollMin, waitPollMax, waitPollDense)
	if p.pred {
		c.logger.DebugContext(ctx, "predicted end of the run", "job_id", jobID, "run_id", run.ID, "runs", len(ds),
			"predicted_end", p.end.Format(time.RFC3339Nano),
			"window_start", p.winStart.Format(time.RFC3339Nano), "window_end", p.winEnd.Format(time.RFC3339Nano))
	}
	return p
}

// waitCall is one poll loop shared by every concurrent WaitForRun of a run.
type waitCall struct {
	done    chan struct{}
	run     *Run // the result, once done
	err     error
	last    *Run                    // the last run seen, under Client.waitMu
	waiters map[context.Context]int // the waiters' contexts, under Client.waitMu
	cancel  context.CancelFunc
}

// count answers how many callers wait. Client.waitMu must be held.
func (w *waitCall) count() int {
	n := 0
	for _, k := range w.waiters {
		n += k
	}
	return n
}

// waitCallKey is the context key under which a poll loop's context carries its waitCall, so
// that its log lines reach every waiter (see waiterLogs).
type waitCallKey struct{}

// waiterLogs is the client's slog handler: a record logged on a shared poll loop's context
// is handled once per waiter, with that waiter's context (which carries, for the provider,
// the resource's log fields); any other record goes through as it is.
type waiterLogs struct {
	next slog.Handler
	mu   *sync.Mutex // Client.waitMu, which guards each waitCall's waiters
}

func (h waiterLogs) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h waiterLogs) Handle(ctx context.Context, r slog.Record) error {
	call, ok := ctx.Value(waitCallKey{}).(*waitCall)
	if !ok {
		return h.next.Handle(ctx, r)
	}
	h.mu.Lock()
	ctxs := make([]context.Context, 0, len(call.waiters))
	for wctx := range call.waiters {
		ctxs = append(ctxs, wctx)
	}
	h.mu.Unlock()
	if len(ctxs) == 0 {
		ctxs = append(ctxs, ctx)
	}
	for _, wctx := range ctxs {
		if err := h.next.Handle(wctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (h waiterLogs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return waiterLogs{next: h.next.WithAttrs(attrs), mu: h.mu}
}

func (h waiterLogs) WithGroup(name string) slog.Handler {
	return waiterLogs{next: h.next.WithGroup(name), mu: h.mu}
}

// WaitForRun polls the run until it has finished (SUCCEEDED or FAILED) or ctx ends, and
// returns it. On cancellation it returns the last run seen with the context's error. Up to
// maxTransientFailures consecutive read errors that may pass (isTransient: a busy server, no
// answer, a session that another login ended right after a new login) are tolerated. An
// unknown status is an error.
//
// Concurrent calls for the same run share one poll loop. Polling is adaptive: without
// history, the run is read at gaps of a fifth of the time it has run (from 100ms to 5s), so
// its end is seen within a fifth of its length; with the durations of the job's recent
// finished runs, it is read less often before their usual span (within half the run's age)
// and densely around the predicted end, and never less often than without history from
// that span on, so an outlier in the history cannot delay the wait. The prediction compares
// the server's startedAt with this machine's clock.
func (c *Client) WaitForRun(ctx context.Context, jobID, runID int64) (*Run, error) {
	key := runKey{jobID, runID}
	c.waitMu.Lock()
	if c.waits == nil {
		c.waits = map[runKey]*waitCall{}
	}
	call := c.waits[key]
	if call == nil {
		call = &waitCall{done: make(chan struct{}), waiters: map[context.Context]int{}}
		pctx, cancel := context.WithCancel(context.WithValue(context.WithoutCancel(ctx), waitCallKey{}, call))
		call.cancel = cancel
		c.waits[key] = call
		go func() {
			run, err := c.pollRun(pctx, jobID, runID, call)
			c.waitMu.Lock()
			call.run, call.err = run, err
			if c.waits[key] == call {
				delete(c.waits, key)
			}
			c.waitMu.Unlock()
			cancel()
			close(call.done)
		}()
	}
	call.waiters[ctx]++
	n := call.count()
	c.waitMu.Unlock()
	c.logger.DebugContext(ctx, "waiting for the run", "job_id", jobID, "run_id", runID, "waiters", n)

	select {
	case <-call.done:
		return copyRun(call.run), call.err
	case <-ctx.Done():
		c.waitMu.Lock()
		if call.waiters[ctx]--; call.waiters[ctx] == 0 {
			delete(call.waiters, ctx)
		}
		last := copyRun(call.last)
		left := call.count()
		stop := left == 0
		if stop {
			// The last waiter stops the loop, and waits for it: nothing is left running.
			call.cancel()
			if c.waits[key] == call {
				delete(c.waits, key)
			}
		}
		c.waitMu.Unlock()
		c.logger.DebugContext(ctx, "stopped waiting for the run", "job_id", jobID, "run_id", runID, "waiters", left)
		if stop {
			<-call.done
		}
		return last, fmt.Errorf("waiting for run %d of job %d: %w", runID, jobID, ctx.Err())
	}
}

func copyRun(r *Run) *Run {
	if r == nil {
		return nil
	}
	cp := *r
	return &cp
}

// pollRun is the poll loop of WaitForRun.
func (c *Client) pollRun(ctx context.Context, jobID, runID int64, call *waitCall) (*Run, error) {
	var last *Run
	failures := 0
	var plan *waitPlan
	for {
		run, err := c.GetRun(ctx, jobID, runID)
		now := c.now()
		switch {
		case err == nil:
			failures = 0
			last = run
			c.waitMu.Lock()
			call.last = run
			c.waitMu.Unlock()
			if run.Status.Finished() {
				c.addHistory(jobID, run)
				return run, nil
			}
			if plan == nil {
				plan = c.planWait(ctx, jobID, run, now)
				now = c.now()
			}
		case ctx.Err() != nil:
			return last, fmt.Errorf("waiting for run %d of job %d: %w", runID, jobID, ctx.Err())
		case isTransient(err):
			if failures++; failures > maxTransientFailures {
				return last, fmt.Errorf("waiting for run %d of job %d: %d reads failed in a row: %w", runID, jobID, failures, err)
			}
			c.logger.DebugContext(ctx, "reading the run failed: trying again", "job_id", jobID, "run_id", runID, "error", err.Error())
		default:
			return last, err
		}
		d := waitPollMin
		if plan != nil {
			d = plan.next(now)
		}
		if err := c.sleep(ctx, d); err != nil {
			return last, fmt.Errorf("waiting for run %d of job %d: %w", runID, jobID, err)
		}
	}
}
