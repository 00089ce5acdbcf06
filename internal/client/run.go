package client

import (
	"context"
	"errors"
	"fmt"
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
	// IfRunningIgnore triggers anyway, for a run in progress that is stale (left IN_PROGRESS
	// by a server restart): on the newest line such a run does not block, and the trigger
	// starts a run. A run that started after the trigger and took the job is a
	// *TriggerDroppedError naming it; when no run of ours appears and only the ignored run is
	// in progress (it is live, stale on the older line, or our trigger still waits for a
	// thread), StartRun triggers again within its budget and ends with a
	// *RunNotIdentifiedError naming the ignored run.
	IfRunningIgnore IfRunning = "ignore"
)

// StartOptions tunes StartRun.
type StartOptions struct {
	// IfRunning is the policy when the job is busy; "" means IfRunningWait. A run in progress
	// that this client started is always waited for, whatever the policy.
	IfRunning IfRunning
	// AppearTimeout is how long the run record of a trigger may take to appear (the server
	// creates it when a worker starts it); default 10s.
	AppearTimeout time.Duration
	// MaxTriggers bounds the triggers sent; default 3. Triggers that the server refused as
	// busy (429, 5xx) and after which no run appeared are not counted, up to MaxTriggers more.
	MaxTriggers int
}

// Number of newest runs read to find the run of a trigger.
const recentRuns = 25

// Defaults of StartOptions.
const (
	defaultAppearTimeout = 10 * time.Second
	defaultMaxTriggers   = 3
)

// runStart is one StartRun: what it looks for and the triggers it has spent.
type runStart struct {
	jobID     int64
	args      string
	loginName string // the user whose runs are ours
	opts      StartOptions
	budget    triggerBudget
	sentAt    []time.Time // when each trigger was sent
	lastErr   error       // the error of the last trigger, if it failed
	// ignored is the run in progress that IfRunningIgnore last triggered past, if any.
	ignored *Run
	// firstBaseline is the newest run id before the first trigger: a run of ours newer than
	// it is that trigger's or a later one's, however late it appears.
	firstBaseline int64
}

// triggerBudget bounds the triggers of one StartRun whose runs did not appear: each counts
// toward max, except that as many as max that the server refused as busy are free.
type triggerBudget struct {
	max     int // StartOptions.MaxTriggers
	counted int // triggers counted toward max
	free    int // busy refusals not counted
}

// spend books a trigger whose run did not appear and reports whether another may be sent.
func (b *triggerBudget) spend(o triggerOutcome) bool {
	if o == outcomeBusy && b.free < b.max {
		b.free++
	} else {
		b.counted++
	}
	return b.counted < b.max
}

// StartRun triggers a run of the job with args and returns the run that this trigger created.
//
// It reads the job first: a job the server would not run (Job.InactiveReason) is a
// *JobInactiveError, before any trigger. It reads the job's runs (the baseline), applies opts.IfRunning to a run in progress,
// triggers once, then looks for the run: the oldest one newer than the baseline, run by this
// user, with these args. Once a trigger may have reached the server, the look-up goes on
// after ctx ends (bounded by opts.AppearTimeout), so that a run that exists is returned, not
// orphaned. When no run appears, it triggers again only while ctx is live and the budget
// allows; otherwise it returns a *RunNotIdentifiedError that says when it triggered.
// DESIGN.md explains why a trigger is never repeated blindly.
func (c *Client) StartRun(ctx context.Context, jobID int64, args string, opts StartOptions) (*Run, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	me, err := c.CurrentLoginName(ctx)
	if err != nil {
		return nil, err
	}
	// One start of a job at a time through this client: concurrent ones would trigger while
	// another's run is in progress and be dropped by the server.
	release, err := c.lockJobStart(ctx, jobID)
	if err != nil {
		return nil, fmt.Errorf("waiting for another start of job %d through this provider: %w", jobID, err)
	}
	defer release()
	if err := c.checkActive(ctx, jobID); err != nil {
		return nil, err
	}
	s := &runStart{jobID: jobID, args: args, loginName: me, opts: opts, budget: triggerBudget{max: opts.MaxTriggers}}
	for {
		baselineRunID, adopted, err := c.baseline(ctx, s)
		if err != nil || adopted != nil {
			return adopted, err
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("starting a run of job %d: %w", jobID, err)
		}
		if len(s.sentAt) == 0 {
			s.firstBaseline = baselineRunID
		}
		o, run, err := c.triggerOnce(ctx, s, baselineRunID)
		if o == outcomeFound || err != nil {
			return run, err
		}
		if err := c.afterMiss(ctx, s, o, run); err != nil {
			return nil, err
		}
	}
}

func (o StartOptions) withDefaults() (StartOptions, error) {
	switch o.IfRunning {
	case "":
		o.IfRunning = IfRunningWait
	case IfRunningWait, IfRunningFail, IfRunningAdopt, IfRunningIgnore:
	default:
		return o, fmt.Errorf("unknown if_running policy %q: expected %q, %q, %q or %q",
			o.IfRunning, IfRunningWait, IfRunningFail, IfRunningAdopt, IfRunningIgnore)
	}
	if o.AppearTimeout <= 0 {
		o.AppearTimeout = defaultAppearTimeout
	}
	if o.MaxTriggers <= 0 {
		o.MaxTriggers = defaultMaxTriggers
	}
	return o, nil
}

// baseline reads the job's newest runs until none is in progress, applying the IfRunning
// policy to each run in progress, and answers the newest run id. With IfRunningAdopt, a run
// in progress that is this user's with the same args, and that this client did not start
// (that one is another caller's), is answered as adopted instead.
func (c *Client) baseline(ctx context.Context, s *runStart) (baselineRunID int64, adopted *Run, err error) {
	for {
		runs, err := c.ListRuns(ctx, s.jobID, RunFilter{MaxResults: recentRuns})
		if err != nil {
			return 0, nil, fmt.Errorf("listing the runs of job %d before triggering it: %w", s.jobID, err)
		}
		c.noteHistory(s.jobID, runs)
		if late := findOurs(runs, s.firstBaseline, s.loginName, s.args); late != nil && len(s.sentAt) > 0 {
			// An earlier trigger's run appeared after its look-up gave up: it is ours.
			c.logger.InfoContext(ctx, "the run of an earlier trigger appeared late", "job_id", s.jobID, "run_id", late.ID)
			c.noteStarted(s.jobID, late.ID)
			return 0, late, nil
		}
		running := inProgress(runs, 0)
		if running == nil {
			return newestID(runs), nil, nil
		}
		if s.opts.IfRunning == IfRunningAdopt && isOurs(running, s.loginName, s.args) && !c.startedHere(s.jobID, running.ID) {
			c.logger.InfoContext(ctx, "adopting the run in progress of this user with the same args", "job_id", s.jobID, "run_id", running.ID)
			c.noteStarted(s.jobID, running.ID)
			return 0, running, nil
		}
		if s.opts.IfRunning == IfRunningIgnore && !c.startedHere(s.jobID, running.ID) {
			c.logger.WarnContext(ctx, "job already running: triggering anyway (if_running ignore)", runFields(s.jobID, running, c.now())...)
			s.ignored = running
			return newestID(runs), nil, nil
		}
		if err := c.waitRunning(ctx, s, *running); err != nil {
			return 0, nil, err
		}
	}
}

// runFields are the log fields of a run in progress of the job at now: which, by whom,
// since when.
func runFields(jobID int64, r *Run, now time.Time) []any {
	f := []any{"job_id", jobID, "running_run_id", r.ID, "run_by", orUnknown(r.RunByLogin())}
	if r.StartedAt != nil {
		f = append(f, "started_at", r.StartedAt.UTC().Format(time.RFC3339),
			"in_progress_for", now.Sub(r.StartedAt.Time).Round(time.Second).String())
	}
	return f
}

// triggerOutcome is what one trigger led to.
type triggerOutcome int

const (
	outcomeFound   triggerOutcome = iota // the trigger's run was found
	outcomeRefused                       // the server refused it clearly: no run was started
	outcomeBusy                          // the server answered busy (429, 5xx) and no run appeared
	outcomeLost                          // no run of ours, but another run in progress newer than the baseline: ours was dropped
	outcomeDropped                       // answered, and no run appeared: the server dropped it
	outcomeUnclear                       // no clear answer, and no run appeared
)

// triggerOnce sends one trigger and looks for its run. From the moment the trigger is sent,
// both run on a context that ctx's end does not cancel: a trigger that may have reached the
// server is always followed by the look-up for its run. It answers the run when found, and
// for outcomeLost the run in progress that won.
func (c *Client) triggerOnce(ctx context.Context, s *runStart, baselineRunID int64) (triggerOutcome, *Run, error) {
	detached := context.WithoutCancel(ctx)
	s.sentAt = append(s.sentAt, c.now())
	c.logger.DebugContext(ctx, "triggering job run", "job_id", s.jobID, "baseline_run_id", baselineRunID, "login_name", s.loginName)
	_, terr := c.TriggerRun(detached, s.jobID, s.args)
	s.lastErr = terr
	class := classify(terr)
	if class == classRefused {
		return outcomeRefused, nil, fmt.Errorf("triggering job %d: %w", s.jobID, terr)
	}
	if terr != nil {
		c.logger.WarnContext(ctx, "job trigger got no clear answer: looking for the run it may have created", "job_id", s.jobID, "error", terr.Error())
	}
	mine, foreign, err := c.awaitRun(detached, s, baselineRunID)
	switch {
	case err != nil:
		return outcomeUnclear, nil, s.notIdentified(fmt.Errorf("looking for the run: %w", err))
	case mine != nil:
		c.logger.InfoContext(ctx, "job run started", "job_id", s.jobID, "run_id", mine.ID, "trigger", len(s.sentAt))
		c.noteStarted(s.jobID, mine.ID)
		return outcomeFound, mine, nil
	case foreign != nil:
		return outcomeLost, foreign, nil
	case class == classBusy:
		return outcomeBusy, nil, nil
	case class == classTransient:
		return outcomeUnclear, nil, nil
	}
	return outcomeDropped, nil, nil
}

// checkActive reads the job afresh and answers a *JobInactiveError when the server would
// drop its triggers.
func (c *Client) checkActive(ctx context.Context, jobID int64) error {
	job, err := c.GetJob(ctx, jobID)
	if err != nil {
		return fmt.Errorf("reading job %d before triggering it: %w", jobID, err)
	}
	if why := job.InactiveReason(); why != "" {
		return &JobInactiveError{JobID: jobID, Name: job.Name, Reason: why}
	}
	return nil
}

// afterMiss decides, after a trigger whose run did not appear, whether StartRun may trigger
// again: only while ctx is live and the budget allows. A run in progress that won the race
// is handled by the IfRunning policy first.
func (c *Client) afterMiss(ctx context.Context, s *runStart, o triggerOutcome, foreign *Run) error {
	again := s.budget.spend(o)
	if err := ctx.Err(); err != nil {
		return s.notIdentified(err)
	}
	if o == outcomeDropped { // the job may have become inactive since StartRun read it
		var inactive *JobInactiveError
		if err := c.checkActive(ctx, s.jobID); errors.As(err, &inactive) {
			return err
		}
	}
	if !again {
		return s.notIdentified(nil)
	}
	if o == outcomeBusy {
		c.logger.WarnContext(ctx, "the server refused the trigger as busy and no run appeared: triggering again", "job_id", s.jobID)
	}
	if o == outcomeLost {
		c.logger.InfoContext(ctx, "another run of the job started first: the trigger was dropped", runFields(s.jobID, foreign, c.now())...)
		if s.opts.IfRunning == IfRunningIgnore {
			return &TriggerDroppedError{JobID: s.jobID, Run: *foreign}
		}
		return c.waitRunning(ctx, s, *foreign)
	}
	c.logger.WarnContext(ctx, "no run appeared after the trigger: triggering again", "job_id", s.jobID, "appear_timeout", s.opts.AppearTimeout.String())
	return nil
}

// notIdentified is the error of a StartRun whose triggers led to no run it could find.
func (s *runStart) notIdentified(cause error) error {
	if cause == nil && s.lastErr != nil {
		cause = fmt.Errorf("the last trigger failed: %w", s.lastErr)
	}
	return &RunNotIdentifiedError{JobID: s.jobID, Triggers: len(s.sentAt), FirstTrigger: s.sentAt[0],
		Args: s.args, LoginName: s.loginName, Ignored: s.ignored, Err: cause}
}

// waitRunning applies the IfRunning policy to a run in progress that is not this start's: a
// run this client started is waited for; another one fails the start under IfRunningFail,
// and is waited for otherwise, saying which run, by whom and since when, whether it may be
// stale (staleHint), and at the wait's end what to do.
func (c *Client) waitRunning(ctx context.Context, s *runStart, run Run) error {
	ours := c.startedHere(s.jobID, run.ID)
	if s.opts.IfRunning == IfRunningFail && !ours {
		return &JobRunningError{JobID: s.jobID, Run: run}
	}
	fields := runFields(s.jobID, &run, c.now())
	if hint := c.staleHint(s.jobID, &run); hint != "" && !ours {
		c.logger.WarnContext(ctx, "job already running: waiting for that run before triggering; "+hint, fields...)
	} else {
		c.logger.InfoContext(ctx, "job already running: waiting for that run before triggering", fields...)
	}
	if _, err := c.WaitForRun(ctx, s.jobID, run.ID); err != nil {
		msg := fmt.Sprintf("waiting for run %d of job %d (%s) to finish before triggering", run.ID, s.jobID, runOrigin(&run))
		if !ours {
			msg += c.staleAdvice(s.jobID, &run)
		}
		return fmt.Errorf("%s: %w", msg, err)
	}
	return nil
}

// staleHint answers, for a run in progress, a sentence saying that it may be stale when it
// has been in progress longer than any of the job's known recent finished runs took; ""
// otherwise, or when none is known.
func (c *Client) staleHint(jobID int64, run *Run) string {
	longest, n := c.longestRun(jobID)
	if run.StartedAt == nil || n == 0 {
		return ""
	}
	age := c.now().Sub(run.StartedAt.Time)
	if age <= longest {
		return ""
	}
	return fmt.Sprintf("run %d has been in progress for %s, longer than any of the job's last %d finished runs took "+
		"(at most %s): it may be stale, left IN_PROGRESS by a restart of the server",
		run.ID, age.Round(time.Second), n, longest.Round(time.Second))
}

// staleAdvice is what the error of a wait for another's run that did not end adds: whether
// the run may be stale, and what to do.
func (c *Client) staleAdvice(jobID int64, run *Run) string {
	why := c.staleHint(jobID, run)
	if why == "" {
		why = "if it is stale (left IN_PROGRESS by a restart of the server)"
	} else {
		why += "; if it is"
	}
	return fmt.Sprintf(" (%s, trigger anyway with the if_running policy %q: the newest OpenSpecimen line then starts "+
		"the run, while on the older line a stale run blocks the job until an OpenSpecimen administrator ends it)", why, IfRunningIgnore)
}

// awaitRun polls the run list for up to the appear timeout for the oldest run newer than
// baselineRunID that is ours. When none appears, foreign is a run in progress newer than
// baselineRunID, if any: one that started after the baseline and so took the job from our
// trigger. A run in progress at the baseline (one that IfRunningIgnore triggered past) is no
// such proof: our trigger may still wait for a thread of the server's pool. "None
// appeared" needs a list read at or after the deadline: reads that fail past it go on, up
// to maxTransientFailures in a row, and then the error is answered.
func (c *Client) awaitRun(ctx context.Context, s *runStart, baselineRunID int64) (mine, foreign *Run, err error) {
	deadline := c.now().Add(s.opts.AppearTimeout)
	delay := c.appearPollMin
	failures := 0
	for {
		runs, err := c.ListRuns(ctx, s.jobID, RunFilter{MaxResults: recentRuns})
		readAt := c.now()
		switch {
		case err == nil:
			failures = 0
			if r := findOurs(runs, baselineRunID, s.loginName, s.args); r != nil {
				return r, nil, nil
			}
			foreign = inProgress(runs, baselineRunID)
		case !isTransient(err):
			return nil, nil, err
		default:
			if failures++; failures > maxTransientFailures {
				return nil, nil, err
			}
		}
		if err == nil && !readAt.Before(deadline) {
			return nil, foreign, nil
		}
		wait := delay
		if left := deadline.Sub(c.now()); left > 0 {
			wait = min(delay, left)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
		delay = min(delay*3/2, c.appearPollMax)
	}
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

// findOurs answers the oldest run newer than baselineRunID that our trigger could have created.
func findOurs(runs []Run, baselineRunID int64, me, args string) *Run {
	// Newest first: the last match is the oldest run newer than the baseline.
	for i := len(runs) - 1; i >= 0; i-- {
		if r := runs[i]; r.ID > baselineRunID && isOurs(&r, me, args) {
			return &r
		}
	}
	return nil
}

// isOurs reports whether run is one that our trigger could have created.
func isOurs(r *Run, me, args string) bool {
	return strings.EqualFold(r.RunByLogin(), me) && r.Args() == args
}

// inProgress answers the newest run in progress whose id is above after, if any.
func inProgress(runs []Run, after int64) *Run {
	for i := range runs {
		if runs[i].Status == StatusInProgress && runs[i].ID > after {
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

// isTransient reports whether a read failed in a way that may pass: the server was busy, no
// answer came, or another login ended the session right after ours began (sessionLostError).
func isTransient(err error) bool {
	var lost *sessionLostError
	c := classify(err)
	return c == classBusy || c == classTransient || errors.As(err, &lost)
}
