package client

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Look-up of a trigger's run: the gaps between reads of the run list grow with the time
// since the trigger (a fifth of it, as a wait without history does), from findPollMin to
// findPollMax; the job is read every jobRecheck, in case it was made inactive; once the
// caller's context has ended, one last read, bounded by lastLook, may still find the run.
const (
	findPollMin = 50 * time.Millisecond
	findPollMax = 5 * time.Second
	jobRecheck  = 30 * time.Second
	lastLook    = 5 * time.Second
)

// FindRun looks once at the job's runs for the run of a trigger that StartRun sent and left
// pending (the Trigger of its *RunPendingError). It answers the run; or a
// *TriggerDroppedError when what the server shows proves that it dropped the trigger (a run
// that is not the trigger's started after it and took the job, or the job is not active);
// or, when neither shows yet, a *RunPendingError: the trigger may still be queued. It never
// triggers.
func (c *Client) FindRun(ctx context.Context, t Trigger) (*Run, error) {
	run, _, err := c.look(ctx, &t)
	if run != nil || err != nil {
		return run, err
	}
	if err := c.jobDrops(ctx, &t); err != nil {
		return nil, err
	}
	return nil, &RunPendingError{Trigger: t}
}

// AwaitRun reads the job's runs, as FindRun does, until the trigger's run appears, the
// server shows that it dropped the trigger (a *TriggerDroppedError), or ctx ends (a
// *RunPendingError). It never triggers.
func (c *Client) AwaitRun(ctx context.Context, t Trigger) (*Started, error) {
	run, runs, err := c.await(ctx, &t)
	if err != nil {
		return nil, err
	}
	return &Started{Run: run, Trigger: &t, History: historyOf(runs, run.ID)}, nil
}

// await reads the job's runs until the trigger's run appears, and answers it with the last
// list read. Whatever else ends it is an error: a *TriggerDroppedError when the server shows
// that it dropped the trigger; otherwise, since the trigger may still be queued, a
// *RunPendingError whose cause is ctx's end (after one last look) or the reads that failed
// (up to maxTransientFailures in a row of those that may pass).
func (c *Client) await(ctx context.Context, t *Trigger) (*Run, []Run, error) {
	failures := 0
	nextJobCheck := c.now().Add(jobRecheck)
	for {
		run, runs, err := c.look(ctx, t)
		var dropped *TriggerDroppedError
		switch {
		case run != nil || errors.As(err, &dropped):
			return run, runs, err
		case err == nil:
			failures = 0
		case ctx.Err() != nil:
		case !isTransient(err) || failures == maxTransientFailures:
			return nil, nil, &RunPendingError{Trigger: *t, Err: fmt.Errorf("looking for the run: %w", err)}
		default:
			failures++
			c.logger.DebugContext(ctx, "reading the job's runs failed: trying again", "job_id", t.JobID, "error", err.Error())
		}
		if now := c.now(); err == nil && !now.Before(nextJobCheck) {
			nextJobCheck = now.Add(jobRecheck)
			if err := c.jobDrops(ctx, t); errors.As(err, &dropped) {
				return nil, nil, err
			} else if err != nil {
				c.logger.DebugContext(ctx, "reading the job failed", "job_id", t.JobID, "error", err.Error())
			}
		}
		if err := c.sleep(ctx, clampDur((c.now().Sub(t.SentAt))/5, findPollMin, findPollMax)); err != nil {
			return c.lastLook(ctx, t)
		}
	}
}

// lastLook reads the job's runs once more after ctx has ended, within lastLook: a run that
// has appeared is answered, else a *RunPendingError with ctx's error.
func (c *Client) lastLook(ctx context.Context, t *Trigger) (*Run, []Run, error) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lastLook)
	defer cancel()
	if run, runs, _ := c.look(lctx, t); run != nil {
		return run, runs, nil
	}
	return nil, nil, &RunPendingError{Trigger: *t, Err: ctx.Err()}
}

// look reads the job's runs once: it answers the trigger's run, or a *TriggerDroppedError
// naming the oldest run that is not the trigger's and is newer than the last trigger's
// baseline: that run's trigger got a thread after ours was sent (a run whose thread took it
// earlier is in the baseline), so it replaced ours in the queue, or ours met it in progress
// when it got its thread; either way, the server dropped ours.
func (c *Client) look(ctx context.Context, t *Trigger) (*Run, []Run, error) {
	runs, err := c.recentRuns(ctx, t.JobID, t.AfterRunID)
	if err != nil {
		return nil, nil, err
	}
	if r := findOurs(runs, t.AfterRunID, t.LoginName, t.Args); r != nil {
		return r, runs, nil
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if r := runs[i]; r.ID > t.LastAfterRunID {
			return nil, runs, &TriggerDroppedError{Trigger: *t, Run: &r}
		}
	}
	return nil, runs, nil
}

// jobDrops reads the job and answers a *TriggerDroppedError when it is not active: the
// server drops the trigger when it gets a thread, if it has not already.
func (c *Client) jobDrops(ctx context.Context, t *Trigger) error {
	job, err := c.GetJob(ctx, t.JobID)
	if err != nil {
		return fmt.Errorf("reading job %d: %w", t.JobID, err)
	}
	if ie := c.inactiveError(job); ie != nil {
		return &TriggerDroppedError{Trigger: *t, Inactive: ie}
	}
	return nil
}

// recentRuns answers the job's newest runs, newest first: at least recentRuns of them, and
// every run newer than after.
func (c *Client) recentRuns(ctx context.Context, jobID, after int64) ([]Run, error) {
	for n := recentRuns; ; n = min(2*n, maxListedRuns) {
		runs, err := c.ListRuns(ctx, jobID, RunFilter{MaxResults: n})
		if err != nil || len(runs) < n || runs[len(runs)-1].ID <= after || n == maxListedRuns {
			return runs, err
		}
	}
}

// findOurs answers the oldest run newer than after that our trigger could have created.
func findOurs(runs []Run, after int64, me, args string) *Run {
	// Newest first: the last match is the oldest run newer than after.
	for i := len(runs) - 1; i >= 0; i-- {
		if r := runs[i]; r.ID > after && isOurs(&r, me, args) {
			return &r
		}
	}
	return nil
}
