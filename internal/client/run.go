package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// IfRunning says what StartRun does when the job already has a run in progress, during which
// the server would silently drop a trigger.
type IfRunning string

// The policies of StartOptions.IfRunning.
const (
	IfRunningWait IfRunning = "wait" // wait for that run to finish, then trigger
	IfRunningFail IfRunning = "fail" // return a *JobRunningError naming that run
)

// StartOptions tunes StartRun.
type StartOptions struct {
	// IfRunning is the policy when the job is busy; "" means IfRunningWait.
	IfRunning IfRunning
	// AppearTimeout is how long the run record of a trigger may take to appear (the server
	// creates it when a worker starts it); default 10s.
	AppearTimeout time.Duration
	// MaxTriggers bounds the triggers sent; default 3.
	MaxTriggers int
	// OnRunningWait, if set, is called before waiting for a run started by someone else.
	OnRunningWait func(run Run)
	// BeforeTrigger, if set, runs beside the first list of the job's runs (so that a check
	// of the job costs no round trip of its own); its error is returned before any trigger.
	BeforeTrigger func(ctx context.Context) error
}

// Number of newest runs read to find the run of a trigger.
const recentRuns = 25

// StartRun triggers a run of the job with args and returns the run that this trigger created.
//
// The trigger's answer does not name the run, and the server drops a trigger while the job
// has a run in progress. So StartRun notes the newest run first (waiting for a run in
// progress, or failing, per opts.IfRunning), triggers, and then polls the run list for the
// first run newer than the noted one that was run by this user (unless the login name is
// unknown, as with an API token) with these args. Someone else's run is never taken. If no
// such run appears within opts.AppearTimeout, it waits for a run in progress that won the
// race, if any, and triggers again, at most opts.MaxTriggers times in all, then returns a
// *RunNotIdentifiedError. A trigger without a clear answer (no answer, 5xx) is not repeated
// before the run it may have created has been looked for.
func (c *Client) StartRun(ctx context.Context, jobID int64, args string, opts StartOptions) (*Run, error) {
	switch opts.IfRunning {
	case "":
		opts.IfRunning = IfRunningWait
	case IfRunningWait, IfRunningFail:
	default:
		return nil, fmt.Errorf("unknown if_running policy %q: expected %q or %q", opts.IfRunning, IfRunningWait, IfRunningFail)
	}
	if opts.AppearTimeout <= 0 {
		opts.AppearTimeout = 10 * time.Second
	}
	if opts.MaxTriggers <= 0 {
		opts.MaxTriggers = 3
	}
	if err := c.Login(ctx); err != nil {
		return nil, err
	}
	// One start of a job at a time through this client: concurrent ones would trigger while
	// another's run is in progress and be dropped by the server. The next start notes the
	// newest run once this one has found its run, and waits for it (or fails) per IfRunning.
	release, err := c.lockJobStart(ctx, jobID)
	if err != nil {
		return nil, fmt.Errorf("waiting for another start of job %d through this provider: %w", jobID, err)
	}
	defer release()
	me := ""
	if c.token == "" {
		me = c.LoginName()
	}
	fields := func(kv ...any) map[string]any {
		m := map[string]any{"job_id": jobID}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	}

	// 1. Note the newest run; a trigger now would be dropped while a run is in progress.
	// The caller's check runs beside the first list: both must pass before any trigger.
	checked := make(chan error, 1)
	if opts.BeforeTrigger != nil {
		go func() { checked <- opts.BeforeTrigger(ctx) }()
	} else {
		checked <- nil
	}
	var noted int64
	var rtt time.Duration
	for first := true; ; first = false {
		t := c.now()
		runs, err := c.ListRuns(ctx, jobID, RunFilter{MaxResults: recentRuns})
		rtt = c.now().Sub(t) // before the wait for the check, which may take longer
		if first {
			if cerr := <-checked; cerr != nil {
				return nil, cerr
			}
		}
		if err != nil {
			return nil, fmt.Errorf("listing the runs of job %d before triggering it: %w", jobID, err)
		}
		c.noteHistory(jobID, runs)
		running := inProgress(runs)
		if running == nil {
			noted = newestID(runs)
			break
		}
		if err := c.waitForeign(ctx, jobID, *running, opts); err != nil {
			return nil, err
		}
	}
	c.log(ctx, "debug", "triggering job run", fields("newest_run_id", noted, "login_name", me))

	// 2. Trigger, then look for our run. A trigger that the server answered 429 or 5xx and
	// after which no run appeared was refused, not dropped: up to max retries of those are
	// not counted toward MaxTriggers, so that a flaky server does not fail the apply.
	refused := 0
	for triggers := 1; ; triggers++ {
		run, foreign, terr, err := c.triggerAndFind(ctx, jobID, noted, me, args, rtt, opts.AppearTimeout)
		if terr != nil && err == nil && ambiguous(terr) {
			c.log(ctx, "warn", "job trigger got no clear answer: looked for the run it may have created",
				fields("error", terr.Error(), "trigger", triggers, "found", run != nil))
		}
		if err != nil {
			return nil, err
		}
		if run != nil {
			c.log(ctx, "info", "job run started", fields("run_id", run.ID, "trigger", triggers))
			c.noteSeen(jobID, run)
			return run, nil
		}
		if foreign == nil && answeredBusy(terr) && refused < c.http.RetryMax {
			refused++
			triggers--
			c.log(ctx, "warn", "the server refused the trigger and no run appeared: triggering again",
				fields("error", terr.Error(), "refused", refused))
			continue
		}
		if triggers >= opts.MaxTriggers {
			if terr != nil {
				return nil, fmt.Errorf("%w; the last trigger failed: %v", &RunNotIdentifiedError{JobID: jobID, Triggers: triggers}, terr)
			}
			return nil, &RunNotIdentifiedError{JobID: jobID, Triggers: triggers}
		}
		if foreign != nil {
			// Someone else's trigger won the race: ours was dropped.
			c.log(ctx, "info", "another run of the job started first: the trigger was dropped",
				fields("running_run_id", foreign.ID, "run_by", foreign.RunByLogin(), "trigger", triggers))
			if err := c.waitForeign(ctx, jobID, *foreign, opts); err != nil {
				return nil, err
			}
		} else {
			c.log(ctx, "warn", "no run appeared after the trigger: triggering again",
				fields("trigger", triggers, "appear_timeout", opts.AppearTimeout.String()))
		}
	}
}

// triggerAndFind triggers the job once and looks for the run that the trigger created. The
// server usually creates the run within milliseconds of the trigger, well inside a round
// trip, so the run list is read once while the trigger's answer is still on its way: when
// the run is there, it is identified one round trip after the trigger instead of two.
// Otherwise, or when the answer comes first, the list is polled after the answer as by
// awaitRun. It returns only once the trigger has been answered, with that answer's error as
// terr; err is set when the trigger was refused clearly (it is then terr) or the search
// failed.
func (c *Client) triggerAndFind(ctx context.Context, jobID, noted int64, me, args string, rtt, timeout time.Duration) (mine, foreign *Run, terr, err error) {
	answered := make(chan error, 1)
	go func() {
		_, err := c.TriggerRun(ctx, jobID, args)
		answered <- err
	}()
	got := false
	if c.appearPollFirst > 0 {
		t := time.NewTimer(c.earlyReadDelay(rtt))
		select {
		case terr = <-answered:
			got = true
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		if !got && ctx.Err() == nil {
			// A failed read here is left to the polls after the answer.
			if runs, lerr := c.ListRuns(ctx, jobID, RunFilter{MaxResults: recentRuns}); lerr == nil {
				r := findOurs(runs, noted, me, args)
				c.noteEarlyRead(r != nil)
				if r != nil {
					// A clear refusal still wins: the run found is then someone else's
					// (the same user and args from another process), not this trigger's.
					if terr = <-answered; terr != nil && ctx.Err() == nil && !ambiguous(terr) {
						return nil, nil, terr, terr
					}
					return r, nil, terr, nil
				}
			}
		}
	}
	if !got {
		terr = <-answered // TriggerRun ends with ctx
	}
	if terr != nil && (ctx.Err() != nil || !ambiguous(terr)) {
		return nil, nil, terr, terr
	}
	mine, foreign, err = c.awaitRun(ctx, jobID, noted, me, args, timeout)
	return mine, foreign, terr, err
}

// earlyReadDelay answers how long after sending a trigger triggerAndFind reads the run list.
// The server's delay from trigger to run record is learnt: the read is sent later after one
// that came too early, earlier after one that found the run. It is never later than half
// of rtt (the round trip of the last list), past which the trigger's answer comes first.
func (c *Client) earlyReadDelay(rtt time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return clampDur(c.earlyRead, c.appearPollFirst, max(c.appearPollFirst, rtt/2))
}

// noteEarlyRead learns from an early read whether it found the run.
func (c *Client) noteEarlyRead(found bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := max(c.earlyRead, c.appearPollFirst)
	if found {
		d = d * 7 / 8
	} else {
		d *= 2
	}
	c.earlyRead = clampDur(d, c.appearPollFirst, c.appearPollMin)
}

// lockJobStart takes the job's start lock, or fails when ctx ends first.
func (c *Client) lockJobStart(ctx context.Context, jobID int64) (release func(), err error) {
	c.mu.Lock()
	if c.starting == nil {
		c.starting = map[int64]chan struct{}{}
	}
	sem := c.starting[jobID]
	if sem == nil {
		sem = make(chan struct{}, 1)
		c.starting[jobID] = sem
	}
	c.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitForeign applies the IfRunning policy to a run in progress that is not ours.
func (c *Client) waitForeign(ctx context.Context, jobID int64, run Run, opts StartOptions) error {
	if opts.IfRunning == IfRunningFail {
		return &JobRunningError{JobID: jobID, Run: run}
	}
	if opts.OnRunningWait != nil {
		opts.OnRunningWait(run)
	}
	c.log(ctx, "info", "job already running: waiting for that run before triggering",
		map[string]any{"job_id": jobID, "running_run_id": run.ID, "run_by": run.RunByLogin()})
	if _, err := c.WaitForRun(ctx, jobID, run.ID); err != nil {
		return fmt.Errorf("waiting for run %d of job %d (started by %s) to finish before triggering: %w",
			run.ID, jobID, orUnknown(run.RunByLogin()), err)
	}
	return nil
}

// awaitRun polls the run list for up to timeout for the first run newer than noted by me (any
// user when me is "") with args. When none appears, foreign is a run in progress that is not
// ours, if any.
func (c *Client) awaitRun(ctx context.Context, jobID, noted int64, me, args string, timeout time.Duration) (mine, foreign *Run, err error) {
	deadline := c.now().Add(timeout)
	delay := c.appearPollMin
	failures := 0
	for {
		runs, err := c.ListRuns(ctx, jobID, RunFilter{MaxResults: recentRuns})
		switch {
		case err == nil:
			failures = 0
			if r := findOurs(runs, noted, me, args); r != nil {
				return r, nil, nil
			}
			foreign = inProgress(runs)
		case ctx.Err() != nil || !isTransient(err):
			return nil, nil, err
		default:
			if failures++; failures > maxTransientFailures {
				return nil, nil, err
			}
		}
		if !c.now().Before(deadline) {
			return nil, foreign, nil
		}
		if err := c.sleep(ctx, min(delay, deadline.Sub(c.now()))); err != nil {
			return nil, nil, fmt.Errorf("looking for the run of job %d: %w", jobID, err)
		}
		delay = min(delay*3/2, c.appearPollMax)
	}
}

// findOurs answers the oldest run newer than noted that our trigger could have created.
func findOurs(runs []Run, noted int64, me, args string) *Run {
	// Newest first: the last match is the oldest run newer than noted.
	for i := len(runs) - 1; i >= 0; i-- {
		if r := runs[i]; r.ID > noted && isOurs(&r, me, args) {
			return &r
		}
	}
	return nil
}

// isOurs reports whether run is one that our trigger could have created.
func isOurs(r *Run, me, args string) bool {
	if me != "" && !strings.EqualFold(r.RunByLogin(), me) {
		return false
	}
	return r.Args() == args
}

func inProgress(runs []Run) *Run {
	for i := range runs {
		if runs[i].Status == StatusInProgress {
			r := runs[i]
			return &r
		}
	}
	return nil
}

func newestID(runs []Run) int64 {
	var id int64
	for _, r := range runs {
		id = max(id, r.ID)
	}
	return id
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown user"
	}
	return s
}

// Consecutive transient read errors that WaitForRun and StartRun tolerate.
const maxTransientFailures = 5

// isTransient reports whether a read failed in a way that may pass: no answer, a broken
// answer, 429 or 5xx.
func isTransient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode == 429 || ae.StatusCode >= 500
	}
	var te *transportError
	var ne net.Error
	var be *badBodyError
	return errors.As(err, &te) || errors.As(err, &ne) || errors.As(err, &be) || errors.Is(err, io.ErrUnexpectedEOF)
}

// ambiguous reports whether a trigger may have reached the server although it failed: all
// but a clear refusal (4xx, login error).
func ambiguous(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode < 400 || ae.StatusCode >= 500 || ae.StatusCode == 429
	}
	var le *LoginError
	return !errors.As(err, &le)
}

// answeredBusy reports whether err is an answer of the server saying it could not work now:
// 429 or 5xx (but 501).
func answeredBusy(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.StatusCode == 429 || ae.StatusCode >= 500 && ae.StatusCode != 501)
}
