package client

import (
	"context"
	"fmt"
	"sort"
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
	historyRuns    = 10 // finished runs the prediction is made from
	trimShare      = 10 // the window leaves out the shortest and longest 1/trimShare of them
)

// WaitForRun reads the run until it has finished (SUCCEEDED or FAILED) or ctx ends, and
// answers it. On cancellation it answers the last run seen with the context's error. Up to
// maxTransientFailures consecutive read errors that may pass (isTransient: a busy server, no
// answer, a session that another login ended right after a new login) are tolerated. An
// unknown status is an error.
//
// The reads are spaced by the run's age and the job's history: hist, the job's recent
// finished runs as StartRun or AwaitRun read them (Started.History), or, when nil, one run
// list that WaitForRun reads itself. Without history, the run is read at gaps of a fifth of
// the time it has run (from 100ms to 5s), so its end is seen within a fifth of its length;
// with it, less often before the history's usual span (within half the run's age) and
// densely around the predicted end, and never less often than without history from that
// span on, so an outlier in the history cannot delay the wait. The prediction compares the
// server's startedAt with this machine's clock.
func (c *Client) WaitForRun(ctx context.Context, jobID, runID int64, hist *History) (*Run, error) {
	var last *Run
	var plan *waitPlan
	failures := 0
	for {
		run, err := c.GetRun(ctx, jobID, runID)
		now := c.now()
		switch {
		case err == nil:
			failures = 0
			last = run
			if run.Status.Finished() {
				return run, nil
			}
			if plan == nil {
				plan = c.planWait(ctx, run, hist, now)
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

// planWait makes the plan for run, read in progress at now, from hist, or from one run list
// when hist is nil.
func (c *Client) planWait(ctx context.Context, run *Run, hist *History, now time.Time) *waitPlan {
	if run.StartedAt == nil {
		return newWaitPlan(now, nil)
	}
	if hist == nil {
		runs, err := c.ListRuns(ctx, run.JobID, RunFilter{MaxResults: historyRuns + 1})
		if err != nil {
			c.logger.DebugContext(ctx, "cannot read past runs to predict the end of the run", "job_id", run.JobID, "error", err.Error())
		}
		h := historyOf(runs, run.ID)
		hist = &h
	}
	p := newWaitPlan(run.StartedAt.Time, hist.durs)
	if p.pred {
		c.logger.DebugContext(ctx, "predicted end of the run", "job_id", run.JobID, "run_id", run.ID, "runs", len(hist.durs),
			"predicted_end", p.end.Format(time.RFC3339Nano),
			"window_start", p.winStart.Format(time.RFC3339Nano), "window_end", p.winEnd.Format(time.RFC3339Nano))
	}
	return p
}

// waitPlan decides when to read a run next.
type waitPlan struct {
	origin time.Time // the run's start
	pred   bool      // whether an end is predicted
	// Predicted end, and the window of dense reads around it with its grid.
	end, winStart, winEnd time.Time
	grid, preGap          time.Duration
}

// newWaitPlan plans the reads of a run started at origin, from the durations of the job's
// recent finished runs (none: no prediction). The predicted end is their median; the window
// spans them but for the shortest and longest tenth, so that one outlier does not spread it.
func newWaitPlan(origin time.Time, durs []time.Duration) *waitPlan {
	p := &waitPlan{origin: origin}
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
	margin := max(waitPollDense, (hi-lo)/4)
	p.pred = true
	p.end = origin.Add(median)
	p.grid = max(waitPollDense, (hi-lo+2*margin)/8)
	p.winEnd = origin.Add(hi + margin)
	p.winStart = p.gridAfter(origin.Add(lo - margin)).Add(-p.grid) // on the grid
	p.preGap = clampDur(median/preWindowParts, waitPollMin, preWindowMax)
	return p
}

// next answers how long to sleep at now before the next read.
func (p *waitPlan) next(now time.Time) time.Duration {
	elapsed := now.Sub(p.origin)
	plain := clampDur(time.Duration(float64(elapsed)*waitPollGrowth), waitPollMin, waitPollMax)
	switch {
	case !p.pred:
		return plain
	case now.Before(p.winStart):
		// Sparse reads for an early end, within half the run's age; wake at the window's start.
		early := max(waitPollMin, min(p.preGap, time.Duration(float64(elapsed)*earlyGrowth)))
		return min(early, p.winStart.Sub(now))
	case now.Before(p.winEnd):
		if at := p.gridAfter(now); at.Before(p.winEnd) {
			return min(at.Sub(now), plain)
		}
		fallthrough
	default:
		// Late: gaps growing with the delay, never longer than without a prediction.
		late := now.Sub(p.winEnd)
		return clampDur(time.Duration(float64(late)*lateGrowth), waitPollDense, plain)
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
