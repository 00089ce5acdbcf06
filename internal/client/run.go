package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// IfRunning says what StartRun does when the job already has a run in progress, during which
// the server would silently drop a trigger.
type IfRunning string

// The policies of StartOptions.IfRunning.
const (
	IfRunningWait  IfRunning = "wait"  // wait for that run to finish, then trigger
	IfRunningFail  IfRunning = "fail"  // return a *JobRunningError naming that run
	IfRunningAdopt IfRunning = "adopt" // take that run when it is this user's with the same args and not started here; else wait
	// IfRunningIgnore triggers past the runs in progress when StartRun begins, for a run that
	// is stale (left IN_PROGRESS by a restart of the server): on the newest line such a run
	// does not block, and the trigger starts a run; on the older line, or past a live run,
	// the server drops the trigger, which nothing on the server shows, and StartRun ends with
	// a *RunPendingError naming the ignored run. A run that starts after the trigger is
	// waited for, as with IfRunningWait.
	IfRunningIgnore IfRunning = "ignore"
)

// StartOptions tunes StartRun.
type StartOptions struct {
	// IfRunning is the policy when the job is busy; "" means IfRunningWait. A run in progress
	// that this client started is always waited for, whatever the policy.
	IfRunning IfRunning
	// Resume is a trigger sent earlier of the same job and args, which FindRun or AwaitRun
	// showed dropped (a *TriggerDroppedError): StartRun takes a late run of it, if one has
	// appeared since, instead of triggering again, and counts its triggers on.
	Resume *Trigger
}

// Trigger is a trigger of a job that StartRun sent and that may have queued a run: its run
// is the oldest run of the job by LoginName with Args newer than AfterRunID.
type Trigger struct {
	JobID     int64
	JobName   string
	Args      string
	LoginName string
	// SentAt is when the first trigger was sent, on this machine's clock. Sent counts the
	// triggers: each one after the server had shown that the one before was dropped.
	SentAt time.Time
	Sent   int
	// AfterRunID is the newest run of the job before the first trigger, LastAfterRunID before
	// the last one: a run newer than LastAfterRunID that is not the trigger's took the job
	// after it, so the server dropped it (see TriggerDroppedError).
	AfterRunID, LastAfterRunID int64
}

// Started is a run that StartRun started (or adopted), with the history of the job it read.
type Started struct {
	Run     *Run
	Trigger *Trigger // the trigger that started Run; nil for a run adopted (IfRunningAdopt)
	History History  // the job's recent finished runs, for WaitForRun
}

// recentRuns is how many of the job's newest runs StartRun reads at least.
const recentRuns = 25

// runStart is one StartRun: what it looks for, and what it has learnt.
type runStart struct {
	job     *Job
	args    string
	me      string // the user whose runs are ours
	policy  IfRunning
	trig    *Trigger // the trigger sent, once one may have been queued
	ignored *Run     // the run in progress that IfRunningIgnore triggered past, if any
	hist    History  // from the last run list read
}

// StartRun triggers a run of the job with args and answers the run that this trigger
// created, in the order of what happens:
//
//  1. it reads the job: a job the server would not run (Job.InactiveReason) is a
//     *JobInactiveError, and a missing one an error for which IsNotFound is true;
//  2. it reads the job's newest runs (the baseline) and applies opts.IfRunning to a run in
//     progress, whose end it waits for by default;
//  3. it triggers once; an answer that says the server did not take the trigger (429, 502,
//     503, 504, or a connection that was never made) is followed by another trigger, a few
//     times; any other failure may have queued it;
//  4. it reads the job's runs until the trigger's run appears (the oldest run newer than the
//     baseline by this user with these args), however long the server's queue holds it,
//     until ctx ends. Only a proof that the server dropped the trigger (a run that is not
//     ours started after it and took the job) leads back to step 2, which first looks for a
//     late run of ours. When ctx ends first, or the runs cannot be read, the answer is a
//     *RunPendingError holding the Trigger, whose run FindRun and AwaitRun find later.
//
// Starts of one job through this client take turns (DESIGN.md tells why a trigger is never
// repeated blindly).
func (c *Client) StartRun(ctx context.Context, jobID int64, args string, opts StartOptions) (*Started, error) {
	policy, err := opts.IfRunning.orDefault()
	if err != nil {
		return nil, err
	}
	me, err := c.CurrentLoginName(ctx)
	if err != nil {
		return nil, err
	}
	// One start of a job at a time through this client: concurrent ones would trigger while
	// another's run is in progress, or replace another's trigger in the server's queue.
	release, err := c.lockJobStart(ctx, jobID)
	if err != nil {
		return nil, fmt.Errorf("waiting for another start of job %d through this client: %w", jobID, err)
	}
	defer release()
	job, err := c.runnableJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	s := &runStart{job: job, args: args, me: me, policy: policy}
	if t := opts.Resume; t != nil {
		resumed := *t
		s.trig = &resumed
	}
	return c.start(ctx, s)
}

// start is StartRun once the job is read: baseline, trigger and look-up, again after each
// proof that the server dropped the trigger.
func (c *Client) start(ctx context.Context, s *runStart) (*Started, error) {
	for {
		after, found, err := c.baseline(ctx, s)
		if err != nil && s.trig != nil && !errors.As(err, new(*JobRunningError)) {
			// The server showed an earlier trigger dropped, but what ended the start came before
			// the look for a late run of it: it is kept, pending, for a later look.
			err = s.pending(&RunPendingError{Trigger: *s.trig, Err: err})
		}
		if err != nil || found != nil {
			return s.started(found), err
		}
		if err := c.trigger(ctx, s, after); err != nil {
			return nil, err
		}
		run, runs, err := c.await(ctx, s.trig)
		var dropped *TriggerDroppedError
		switch {
		case errors.As(err, &dropped) && dropped.Run != nil:
			c.logger.InfoContext(ctx, "another run of the job started after the trigger: the server dropped the trigger",
				runFields(s.job, dropped.Run, c.now())...)
			continue // the baseline applies the policy to that run, and looks for a late run of ours
		case err != nil:
			return nil, s.pending(err)
		}
		s.hist = historyOf(runs, run.ID)
		c.logger.InfoContext(ctx, "job run started", "job_id", s.job.ID, "run_id", run.ID, "triggers", s.trig.Sent)
		c.noteStarted(s.job.ID, run.ID)
		return s.started(run), nil
	}
}

func (p IfRunning) orDefault() (IfRunning, error) {
	switch p {
	case "":
		return IfRunningWait, nil
	case IfRunningWait, IfRunningFail, IfRunningAdopt, IfRunningIgnore:
		return p, nil
	}
	return "", fmt.Errorf("unknown policy %q for a job already running: expected %q, %q, %q or %q",
		p, IfRunningWait, IfRunningFail, IfRunningAdopt, IfRunningIgnore)
}

// runnableJob reads the job afresh and answers a *JobInactiveError when the server would
// drop its triggers.
func (c *Client) runnableJob(ctx context.Context, jobID int64) (*Job, error) {
	job, err := c.GetJob(ctx, jobID)
	if err != nil {
		return nil, fmt.Errorf("reading job %d before triggering it: %w", jobID, err)
	}
	if ie := c.inactiveError(job); ie != nil {
		return nil, ie
	}
	return job, nil
}

// started is the answer of a StartRun that found run (nil: none).
func (s *runStart) started(run *Run) *Started {
	if run == nil {
		return nil
	}
	return &Started{Run: run, Trigger: s.trig, History: s.hist}
}

// pending is the error of a StartRun whose trigger may have been queued and whose run was
// not found: a *RunPendingError, unless err is one of the job's (inactive, dropped).
func (s *runStart) pending(err error) error {
	var pe *RunPendingError
	if errors.As(err, &pe) {
		pe.Ignored = s.ignored
	}
	return err
}

// baseline reads the job's newest runs until none is in progress, applying the policy to each
// run in progress, and answers the newest run id. It answers a run instead when it finds
// one of ours: a late run of an earlier trigger (newer than the first baseline), or with
// IfRunningAdopt a run in progress of this user with the same args that this client did not
// start (that one is another caller's).
func (c *Client) baseline(ctx context.Context, s *runStart) (after int64, found *Run, err error) {
	for {
		runs, err := c.recentRuns(ctx, s.job.ID, s.afterRunID())
		if err != nil {
			return 0, nil, fmt.Errorf("listing the runs of job %s before triggering it: %w", s.job.label(), err)
		}
		s.hist = historyOf(runs, 0)
		if s.trig != nil {
			if late := findOurs(runs, s.trig.AfterRunID, s.me, s.args); late != nil {
				c.logger.InfoContext(ctx, "the run of an earlier trigger appeared late", "job_id", s.job.ID, "run_id", late.ID)
				c.noteStarted(s.job.ID, late.ID)
				return 0, late, nil
			}
		}
		running := inProgress(runs)
		switch {
		case running == nil:
			return newestID(runs), nil, nil
		case s.policy == IfRunningAdopt && isOurs(running, s.me, s.args) && !c.startedHere(s.job.ID, running.ID):
			c.logger.InfoContext(ctx, "adopting the run in progress of this user with the same args", "job_id", s.job.ID, "run_id", running.ID)
			c.noteStarted(s.job.ID, running.ID)
			return 0, running, nil
		case s.ignores(running) && !c.startedHere(s.job.ID, running.ID):
			c.logger.WarnContext(ctx, "job already running: triggering anyway (policy ignore)", runFields(s.job, running, c.now())...)
			s.ignored = running
			return newestID(runs), nil, nil
		}
		if err := c.waitRunning(ctx, s, *running); err != nil {
			return 0, nil, err
		}
	}
}

// afterRunID is the run id past which every run must be read: the first baseline once a
// trigger was sent (a late run of ours is newer than it), else none.
func (s *runStart) afterRunID() int64 {
	if s.trig == nil {
		return -1
	}
	return s.trig.AfterRunID
}

// ignores reports whether IfRunningIgnore triggers past the run in progress: one that was in
// progress before the first trigger, never one that started after it.
func (s *runStart) ignores(running *Run) bool {
	return s.policy == IfRunningIgnore && (s.trig == nil || running.ID <= s.trig.AfterRunID)
}

// runFields are the log fields of a run in progress of the job at now: which, by whom,
// since when.
func runFields(job *Job, r *Run, now time.Time) []any {
	f := []any{"job_id", job.ID, "running_run_id", r.ID, "run_by", orUnknown(r.RunByLogin())}
	if r.StartedAt != nil {
		f = append(f, "started_at", r.StartedAt.UTC().Format(time.RFC3339), "in_progress", sinceText(r.StartedAt.Time, now))
	}
	return f
}

// waitRunning applies the policy to a run in progress that is not this start's: a run this
// client started is waited for; another one fails the start under IfRunningFail, and is
// waited for otherwise, saying which run, by whom and since when, and whether it may be
// stale (staleHint). A wait that ends before the run is a *JobBusyError.
func (c *Client) waitRunning(ctx context.Context, s *runStart, run Run) error {
	ours := c.startedHere(s.job.ID, run.ID)
	if s.policy == IfRunningFail && !ours {
		return &JobRunningError{JobID: s.job.ID, JobName: s.job.Name, Run: run, Dropped: s.trig}
	}
	fields := runFields(s.job, &run, c.now())
	hint := s.hist.staleHint(&run, c.now())
	if ours {
		hint = ""
	}
	if hint != "" {
		c.logger.WarnContext(ctx, "job already running: waiting for that run before triggering; "+hint, fields...)
	} else {
		c.logger.InfoContext(ctx, "job already running: waiting for that run before triggering", fields...)
	}
	if _, err := c.WaitForRun(ctx, s.job.ID, run.ID, &s.hist); err != nil {
		busy := &JobBusyError{JobID: s.job.ID, JobName: s.job.Name, Run: run, Stale: hint, Dropped: s.trig, Err: err}
		if form, known := lineFormOf(c.Settings().BuildVersion); known {
			busy.Line = map[fromDateForm]string{formInstant: LineNewest, formMinute: LineOlder}[form]
		}
		return busy
	}
	return nil
}

// Triggers that the server refused as busy, in a row, after which StartRun gives up, and the
// first pause between them (doubled each time, up to maxRefusedPause).
const (
	maxRefusedTriggers = 10
	firstRefusedPause  = 500 * time.Millisecond
	maxRefusedPause    = 10 * time.Second
)

// trigger sends a trigger of the job, after is the baseline's newest run id. The transport
// never repeats it: only an answer that says the server did not take it (triggerRefused) is
// followed by another, after a pause, up to maxRefusedTriggers in a row. Any other failure
// but a clear refusal may have queued the trigger, which is then noted as sent.
func (c *Client) trigger(ctx context.Context, s *runStart, after int64) error {
	pause := firstRefusedPause
	for refusals := 1; ; refusals++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("starting a run of job %s: %w", s.job.label(), err)
		}
		sentAt := c.now()
		c.logger.DebugContext(ctx, "triggering job run", "job_id", s.job.ID, "baseline_run_id", after, "login_name", s.me)
		// Once sent, the trigger's answer is awaited whatever ctx does: an answer cut short
		// would leave unknown whether the server queued it.
		err := c.triggerRun(context.WithoutCancel(ctx), s.job.ID, s.args)
		busy := triggerRefused(err)
		switch {
		case err == nil || !busy && classify(err) != classRefused:
			if err != nil {
				c.logger.WarnContext(ctx, "the trigger got no clear answer: it may be queued, looking for its run",
					"job_id", s.job.ID, "error", err.Error())
			}
			s.noteTrigger(sentAt, after)
			return nil
		case !busy:
			return fmt.Errorf("triggering job %s: %w", s.job.label(), err)
		case refusals == maxRefusedTriggers:
			return fmt.Errorf("triggering job %s: the server refused %d triggers in a row, none of which was queued: %w",
				s.job.label(), refusals, err)
		}
		c.logger.WarnContext(ctx, "the server refused the trigger as busy, so none was queued: triggering again",
			"job_id", s.job.ID, "pause", pause.String(), "error", err.Error())
		if err := c.sleep(ctx, pause); err != nil {
			return fmt.Errorf("triggering job %s: %w", s.job.label(), err)
		}
		pause = min(2*pause, maxRefusedPause)
	}
}

// triggerRefused reports whether a trigger's failure says that the server did not take it:
// 429 or 503 (it is busy), 502 or 504 (a proxy in front of it got no answer from it), or a
// connection that was never made. A 500 or a lost answer may have queued it.
func triggerRefused(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return notSent(err)
}

// noteTrigger records a trigger that may have been queued.
func (s *runStart) noteTrigger(sentAt time.Time, after int64) {
	if s.trig == nil {
		s.trig = &Trigger{JobID: s.job.ID, JobName: s.job.Name, Args: s.args, LoginName: s.me, SentAt: sentAt, AfterRunID: after}
	}
	s.trig.Sent++
	s.trig.LastAfterRunID = after
}

// lockJobStart takes the job's start lock, or fails when ctx ends first.
func (c *Client) lockJobStart(ctx context.Context, jobID int64) (release func(), err error) {
	c.startMu.Lock()
	if c.starting == nil {
		c.starting = map[int64]chan struct{}{}
	}
	sem := c.starting[jobID]
	if sem == nil {
		sem = make(chan struct{}, 1)
		c.starting[jobID] = sem
	}
	c.startMu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// noteStarted remembers a run that this client started (or adopted).
func (c *Client) noteStarted(jobID, runID int64) {
	c.startMu.Lock()
	defer c.startMu.Unlock()
	if c.started == nil {
		c.started = map[runKey]bool{}
	}
	c.started[runKey{jobID, runID}] = true
}

// startedHere reports whether this client started (or adopted) the run.
func (c *Client) startedHere(jobID, runID int64) bool {
	c.startMu.Lock()
	defer c.startMu.Unlock()
	return c.started[runKey{jobID, runID}]
}

// inProgress answers the newest run in progress, if any.
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

// isOurs reports whether run is one that our trigger could have created.
func isOurs(r *Run, me, args string) bool {
	return strings.EqualFold(r.RunByLogin(), me) && r.Args() == args
}

// orUnknown names a user in messages: its login name, when known.
func orUnknown(s string) string { return cmp.Or(s, "an unknown user") }
