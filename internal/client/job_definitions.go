package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// JobSpec is what a job is made of, as CreateJob and UpdateJob send it: the whole job, since
// an update replaces it. Pointers and empty values are sent as null.
type JobSpec struct {
	Name           string
	Type           string // QUERY, INTERNAL or EXTERNAL
	SavedQueryID   int64  // QUERY: the saved query to export; 0 for none
	TaskImplFqn    string // INTERNAL: the task's Java class
	Command        string // EXTERNAL: the command line
	RepeatSchedule string // ONDEMAND, MINUTELY, HOURLY, DAILY, WEEKLY or MONTHLY
	Schedule              // the fields RepeatSchedule uses, nil otherwise
	// StartDate nil lets the server start the job now; EndDate nil is no end.
	StartDate, EndDate *time.Time
	Disabled           bool  // activityStatus Disabled rather than Active
	RunAsUserID        int64 // 0: scheduled runs run as the creator
	RecipientIDs       []int64
	SharedWithIDs      []int64
	FixedArgs          string
	AcceptsArgs        bool // rtArgsProvided
	ArgsHelpText       string
}

// jobBody is a job as POST and PUT /scheduled-jobs take it.
type jobBody struct {
	ID             int64   `json:"id,omitempty"`
	Name           string  `json:"name"`
	Type           string  `json:"type"`
	SavedQuery     *idRef  `json:"savedQuery"`
	TaskImplFqn    *string `json:"taskImplFqn"`
	Command        *string `json:"command"`
	RepeatSchedule string  `json:"repeatSchedule"`
	Schedule
	StartDate      *EpochMillis `json:"startDate"`
	EndDate        *EpochMillis `json:"endDate"`
	ActivityStatus string       `json:"activityStatus"`
	RunAs          *idRef       `json:"runAs"`
	Recipients     []idRef      `json:"recipients"`
	SharedWith     []idRef      `json:"sharedWith"`
	FixedArgs      *string      `json:"fixedArgs"`
	RtArgsProvided bool         `json:"rtArgsProvided"`
	RtArgsHelpText *string      `json:"rtArgsHelpText"`
}

// idRef names a saved query or a user by id.
type idRef struct {
	ID int64 `json:"id"`
}

func (s *JobSpec) body(id int64) jobBody {
	b := jobBody{
		ID: id, Name: s.Name, Type: s.Type, RepeatSchedule: s.RepeatSchedule,
		TaskImplFqn: nonEmpty(s.TaskImplFqn), Command: nonEmpty(s.Command),
		Schedule:  s.Schedule,
		StartDate: epochOf(s.StartDate), EndDate: epochOf(s.EndDate),
		ActivityStatus: "Active", Recipients: idRefs(s.RecipientIDs), SharedWith: idRefs(s.SharedWithIDs),
		FixedArgs: nonEmpty(s.FixedArgs), RtArgsProvided: s.AcceptsArgs, RtArgsHelpText: nonEmpty(s.ArgsHelpText),
	}
	if s.Disabled {
		b.ActivityStatus = "Disabled"
	}
	if s.SavedQueryID != 0 {
		b.SavedQuery = &idRef{ID: s.SavedQueryID}
	}
	if s.RunAsUserID != 0 {
		b.RunAs = &idRef{ID: s.RunAsUserID}
	}
	return b
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func epochOf(t *time.Time) *EpochMillis {
	if t == nil {
		return nil
	}
	return &EpochMillis{Time: *t}
}

func idRefs(ids []int64) []idRef {
	out := []idRef{}
	for _, id := range ids {
		out = append(out, idRef{ID: id})
	}
	return out
}

// JobNameTakenError is a job name that another job holds, in some case: found before the
// POST that would have been refused, or the server's refusal (SCHEDULED_JOB_DUP_JOB_NAME,
// which it unwraps). OpenSpecimen compares job names ignoring case, among the jobs that are
// not Disabled, whoever created them.
type JobNameTakenError struct {
	Name string
	// Holder is the job that holds the name, when this user sees it; nil when only the
	// server's refusal tells (another user's job, not shared with this one).
	Holder *Job
	// Self: the holder is the job being renamed, a rename that changes only case, which the
	// server refuses on finding the job itself.
	Self bool
	// Waited is how long the write waited for the holder to give the name up.
	Waited time.Duration
	Err    error // the server's refusal; nil when found before sending
}

func (e *JobNameTakenError) Error() string {
	var msg string
	switch h := e.Holder; {
	case e.Self:
		msg = fmt.Sprintf("OpenSpecimen refused to rename job %d to %q: it compares job names ignoring case, and finds "+
			"the job itself under its name %q", h.ID, e.Name, h.Name)
	case h == nil:
		msg = fmt.Sprintf("OpenSpecimen refused the job name %q: another job has it, in some case, one this user cannot see", e.Name)
	case h.Name != e.Name:
		msg = fmt.Sprintf("the job name %q is taken by job %d, named %q: OpenSpecimen compares job names ignoring case",
			e.Name, h.ID, h.Name)
	default:
		msg = fmt.Sprintf("the job name %q is taken by job %d", e.Name, h.ID)
	}
	if e.Waited > 0 {
		msg += fmt.Sprintf(" (still after %s of waiting for it to be deleted or renamed)", e.Waited.Round(time.Second))
	}
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Unwrap returns the server's refusal, if any.
func (e *JobNameTakenError) Unwrap() error { return e.Err }

// JobsNamed answers the jobs named name in any case among those the user sees, newest first:
// the server's SCHEDULED_JOB_DUP_JOB_NAME check ignores case (its database's collation).
// Disabled jobs are not among them: the server's lists leave them out, and they hold no name.
func (c *Client) JobsNamed(ctx context.Context, name string) ([]Job, error) {
	jobs, err := c.ListJobs(ctx, JobFilter{NameContains: name})
	if err != nil {
		return nil, err
	}
	return matching(jobs, func(j *Job) bool { return strings.EqualFold(j.Name, name) }), nil
}

// checkNameFree answers a *JobNameTakenError when a job the user sees is named name in any
// case. CreateJob checks before its POST, so that a job of that name found after a lost
// answer is the one it created.
func (c *Client) checkNameFree(ctx context.Context, name string) error {
	jobs, err := c.JobsNamed(ctx, name)
	if err != nil {
		return fmt.Errorf("checking that no job is named %q: %w", name, err)
	}
	if len(jobs) > 0 {
		return &JobNameTakenError{Name: name, Holder: &jobs[0]}
	}
	return nil
}

// nameRefused turns the server's SCHEDULED_JOB_DUP_JOB_NAME refusal of the name for job self
// (0 for a new job) into a *JobNameTakenError naming the holder this user sees, if any.
func (c *Client) nameRefused(ctx context.Context, name string, self int64, refusal error) error {
	taken := &JobNameTakenError{Name: name, Err: refusal}
	jobs, err := c.JobsNamed(ctx, name)
	if err != nil {
		c.logger.WarnContext(ctx, "looking up the job that holds a name failed", "name", name, "error", err.Error())
		return taken
	}
	for i, j := range jobs {
		if j.ID != self {
			taken.Holder = &jobs[i]
			return taken
		}
	}
	if len(jobs) > 0 {
		taken.Holder, taken.Self = &jobs[0], true
	}
	return taken
}

// NameWait is how long a write waits at most for a job that holds the name it wants to give
// it up (see whenNameFree).
const NameWait = 20 * time.Second

// The pauses between reads of the job holding a name, growing from the first to the last.
const (
	nameWaitMin = 250 * time.Millisecond
	nameWaitMax = 2 * time.Second
)

// whenNameFree runs write, the creation or the update of job self (0: a new job). When
// write answers that a job this user sees holds the name, it waits for that job to give the
// name up, as a job that the same apply deletes or renames does (a replacement, an item
// leaving a list), and runs write again; after NameWait it answers the last refusal.
// A refusal by the server whose holder this user does not see is tried once more at once:
// the holder may have left between the refusal and the look-up. The write refused sent
// nothing, or had nothing done by the server.
func (c *Client) whenNameFree(ctx context.Context, self int64, write func() error) error {
	start := c.now()
	unseen := 0
	for {
		err := write()
		var taken *JobNameTakenError
		switch {
		case errors.As(err, &taken) && taken.Holder == nil && unseen == 0:
			unseen++
			continue
		case !errors.As(err, &taken) || taken.Holder == nil || taken.Self || taken.Holder.ID == self:
			return err
		}
		c.logger.InfoContext(ctx, "the job name is taken: waiting for its holder to be deleted or renamed",
			"name", taken.Name, "holder_id", taken.Holder.ID)
		freed, waitErr := c.waitNameGivenUp(ctx, taken, start.Add(NameWait))
		switch {
		case waitErr != nil:
			return waitErr
		case !freed:
			taken.Waited = c.now().Sub(start)
			return taken
		}
	}
}

// waitNameGivenUp reads the job holding taken's name until it no longer holds it (gone,
// Disabled, or renamed), or until deadline. A failed read ends the wait: the name is
// then still taken, as far as this client knows.
func (c *Client) waitNameGivenUp(ctx context.Context, taken *JobNameTakenError, deadline time.Time) (bool, error) {
	pause := nameWaitMin
	for c.now().Before(deadline) {
		if err := c.sleep(ctx, min(pause, deadline.Sub(c.now()))); err != nil {
			return false, err
		}
		pause = min(2*pause, nameWaitMax)
		j, err := c.GetJob(ctx, taken.Holder.ID)
		switch {
		case IsNotFound(err):
			return true, nil
		case err != nil:
			c.logger.WarnContext(ctx, "reading the job that holds a name failed", "job_id", taken.Holder.ID, "error", err.Error())
			return false, nil
		case j.Disabled() || !strings.EqualFold(j.Name, taken.Name):
			return true, nil
		}
	}
	return false, nil
}

// isAnswer reports whether err is the server's error answer.
func isAnswer(err error) bool {
	var ae *APIError
	return errors.As(err, &ae)
}

// isUserError reports whether err is the server's answer 400, its status for every refusal
// of a request it understood (not found, not allowed).
func isUserError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest
}

// deletedSuffix is the _<epochMillis> OpenSpecimen's delete appends to a job's name: 13
// digits from 2001 to 2286.
var deletedSuffix = regexp.MustCompile(`_\d{13,}$`)

// DeletedSince reports whether j, as GetJob reads it, is what OpenSpecimen's soft delete
// leaves of a job last known by the name last ("" when not known): Disabled, and renamed
// since to a name ending in _<epochMillis> (the server cuts a long name before it). Disabled
// jobs leave the job lists whether deleted or not, so the rename is the only sign: a job that
// already had such a name when last known, or that has a name of its own, is not deleted.
func (j *Job) DeletedSince(last string) bool {
	return j.Disabled() && j.Name != last && deletedSuffix.MatchString(j.Name)
}

// JobDeletedError is a job that OpenSpecimen's delete left, which UpdateJob does not change:
// the server's PUT would bring it back, silently, under the name it sends.
type JobDeletedError struct{ Job Job }

func (e *JobDeletedError) Error() string {
	return fmt.Sprintf("job %d was deleted (it is Disabled and renamed %q)", e.Job.ID, e.Job.Name)
}

// answerLost reports whether a write that failed with err may have been carried out: it got
// no complete answer (no answer, 429, 5xx), or its context ended, whether before or after
// the request left. An error answer of the server is a refusal: nothing was done.
func answerLost(ctx context.Context, err error) bool {
	return classify(err) != classRefused || ctx.Err() != nil && !isAnswer(err)
}

// settleTimeout bounds what a write does after its answer was lost or its context ended, to
// learn what the server did: a few reads, on a context of its own.
const settleTimeout = time.Minute

// settleContext is ctx without its end (a Ctrl-C, a timeout), bounded by settleTimeout.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// CreateAttempt is what FindCreatedJob needs to find the job of a POST whose outcome is
// unknown: what the job is called and by whom, and, for a Disabled job, which the name
// look-up cannot see, the newest job id this user saw before the POST.
type CreateAttempt struct {
	Name     string `json:"name"`
	Disabled bool   `json:"disabled"`
	Creator  string `json:"creator"`  // login name of the user who sent it; "" when not known
	AfterID  int64  `json:"after_id"` // Disabled: the newest job id the user saw before the POST
}

// JobCreateUnknownError is a POST whose answer was lost, or whose context ended, after which
// no job it created was found (or looking failed): the server may yet have created it, as a
// server still working on a request that its client gave up creates it afterwards.
// FindCreatedJob with Attempt looks again.
type JobCreateUnknownError struct {
	Attempt CreateAttempt
	Err     error // the POST's failure
	LookErr error // the look-up's failure, if any
}

func (e *JobCreateUnknownError) Error() string {
	looked := "no job it created was found afterwards"
	if e.LookErr != nil {
		looked = fmt.Sprintf("looking for it afterwards failed (%v)", e.LookErr)
	}
	return fmt.Sprintf("creating job %q: %v; %s, but the server may still create it", e.Attempt.Name, e.Err, looked)
}

// Unwrap returns the POST's failure.
func (e *JobCreateUnknownError) Unwrap() error { return e.Err }

// CreateJob creates a job (POST /scheduled-jobs) after checking that no job the user sees
// has its name in any case: a job that holds it is a *JobNameTakenError, after waiting a
// while for it to give the name up (see whenNameFree), and nothing is sent. The POST is
// never repeated blindly: when its answer is lost (no answer, 429, 5xx) or ctx ends, what
// the server did is settled on a context of its own (settleTimeout): the job is looked up
// (FindCreatedJob) and, found, answered. Not found, the error is a *JobCreateUnknownError.
func (c *Client) CreateJob(ctx context.Context, spec JobSpec) (*Job, error) {
	var job *Job
	err := c.whenNameFree(ctx, 0, func() error {
		var err error
		job, err = c.createOnce(ctx, spec)
		return err
	})
	return job, err
}

// createOnce checks the name and sends one POST, settled when cut short (see CreateJob).
func (c *Client) createOnce(ctx context.Context, spec JobSpec) (*Job, error) {
	if err := c.checkNameFree(ctx, spec.Name); err != nil {
		return nil, err
	}
	attempt := CreateAttempt{Name: spec.Name, Disabled: spec.Disabled, Creator: c.LoginName()}
	if spec.Disabled {
		var err error
		if attempt.AfterID, err = c.newestJobID(ctx); err != nil {
			return nil, fmt.Errorf("reading the newest job before creating job %q: %w", spec.Name, err)
		}
	}
	if err := ctx.Err(); err != nil { // not sent: nothing to settle
		return nil, fmt.Errorf("creating job %q: %w", spec.Name, err)
	}
	job, err := c.sendJob(ctx, reqOpts{method: http.MethodPost, path: "/scheduled-jobs", body: spec.body(0)})
	switch {
	case err == nil:
		return job, nil
	case !answerLost(ctx, err) && IsCode(err, CodeDupJobName):
		return nil, c.nameRefused(ctx, spec.Name, 0, err)
	case !answerLost(ctx, err):
		return nil, err
	}
	c.logger.WarnContext(ctx, "the answer to creating a job was lost, or the request was cut short: looking for the job",
		"name", spec.Name, "error", err.Error())
	sctx, cancel := settleContext(ctx)
	defer cancel()
	found, lookErr := c.FindCreatedJob(sctx, attempt)
	if found == nil {
		return nil, &JobCreateUnknownError{Attempt: attempt, Err: err, LookErr: lookErr}
	}
	c.logger.InfoContext(ctx, "the job was created despite the lost answer", "name", spec.Name, "job_id", found.ID)
	return found, nil
}

// newestJobID answers the id of the newest job the user sees, 0 when none.
func (c *Client) newestJobID(ctx context.Context) (int64, error) {
	var jobs []Job
	o := reqOpts{method: http.MethodGet, path: "/scheduled-jobs", query: url.Values{"maxResults": {"1"}}, idempotent: true}
	if err := c.doJSON(ctx, o, &jobs); err != nil || len(jobs) == 0 {
		return 0, err
	}
	return jobs[0].ID, nil
}

// Bounds of FindCreatedJob's reading of ids after a POST of a Disabled job.
const (
	scanGap   = 20  // ids not found in a row after which no newer job exists
	scanReads = 200 // ids read at most
)

// FindCreatedJob answers the job that the attempt's POST created, read whole by its id, or
// nil when there is none (yet). An Active job is found by its name, which was free just
// before the POST: the job of that name by the same creator (several is an error). A
// Disabled one, which name look-ups do not see, is found by reading the ids above the newest
// the user saw before the POST, until scanGap of them in a row do not exist: the newest job of
// that name, Disabled, by the same creator (ids grow; an older one was there before).
func (c *Client) FindCreatedJob(ctx context.Context, a CreateAttempt) (*Job, error) {
	if a.Disabled {
		return c.scanCreated(ctx, a)
	}
	named, err := c.JobsNamed(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, j := range named {
		if createdAs(&j, a) {
			ids = append(ids, j.ID)
		}
	}
	switch len(ids) {
	case 0:
		return nil, nil
	case 1:
		return c.GetJob(ctx, ids[0])
	}
	return nil, fmt.Errorf("jobs %v are all named %q: keep one, and delete the others in OpenSpecimen", ids, a.Name)
}

// createdAs reports whether j may be the job the attempt created.
func createdAs(j *Job, a CreateAttempt) bool {
	return j.Name == a.Name && j.Disabled() == a.Disabled && (a.Creator == "" || j.CreatedBy.Login() == a.Creator)
}

// scanCreated reads the ids above a.AfterID (see FindCreatedJob).
func (c *Client) scanCreated(ctx context.Context, a CreateAttempt) (*Job, error) {
	var found *Job
	missed := 0
	for id := a.AfterID + 1; id <= a.AfterID+scanReads; id++ {
		j, err := c.GetJob(ctx, id)
		switch {
		case IsNotFound(err):
			if missed++; missed == scanGap {
				return found, nil
			}
			continue
		case err != nil && !isUserError(err):
			return nil, err
		}
		missed = 0
		if err == nil && createdAs(j, a) { // a job this user may not read (a 400) is another's
			found = j
		}
	}
	return nil, fmt.Errorf("more than %d job ids follow job %d, the newest this user saw before the POST: "+
		"cannot tell which job, if any, it created", scanReads, a.AfterID)
}

// JobWriteLostError is an update or a delete of a job whose answer was lost, or whose
// context ended, and whose job, read afterwards (on a context of its own), is not as the
// write would leave it, or could not be read: Job is what the server has (nil when the read
// failed).
type JobWriteLostError struct {
	Op      string // "update" or "delete"
	JobID   int64
	Job     *Job
	Err     error // the write's failure
	ReadErr error // the read's failure, if any
}

func (e *JobWriteLostError) Error() string {
	switch {
	case e.ReadErr != nil:
		return fmt.Sprintf("%s of job %d: %v; and reading the job afterwards failed (%v): it may have been done",
			e.Op, e.JobID, e.Err, e.ReadErr)
	case e.Op == "delete":
		return fmt.Sprintf("delete of job %d: %v; the job is not deleted afterwards", e.JobID, e.Err)
	}
	return fmt.Sprintf("update of job %d: %v; whether it was done is unknown: the job was read afterwards", e.JobID, e.Err)
}

// Unwrap returns the write's failure.
func (e *JobWriteLostError) Unwrap() error { return e.Err }

// settleRead reads job jobID after a write of it whose answer was lost or whose context
// ended, on a context of its own.
func (c *Client) settleRead(ctx context.Context, op string, jobID int64, err error) (*Job, error) {
	c.logger.WarnContext(ctx, "the answer to a job's "+op+" was lost, or the request was cut short: reading the job",
		"job_id", jobID, "error", err.Error())
	sctx, cancel := settleContext(ctx)
	defer cancel()
	return c.GetJob(sctx, jobID)
}

// UpdateJob replaces the job with spec (PUT /scheduled-jobs/{id}); last is its name as the
// caller last knew it. It reads the job first: a deleted job (see DeletedSince) is a
// *JobDeletedError, and nothing is sent (the server's PUT would bring it back). The server
// checks a name that changes (case counting) against the other jobs' in any case; its
// refusal is a *JobNameTakenError, after waiting a while for a holder this user sees to give
// the name up (see whenNameFree). The PUT is idempotent and retried as reads are; when its
// answer is still lost, or ctx ends, the job is read on a context of its own and the error
// is a *JobWriteLostError holding it.
func (c *Client) UpdateJob(ctx context.Context, jobID int64, last string, spec JobSpec) (*Job, error) {
	current, err := c.GetJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if current.DeletedSince(last) {
		return nil, &JobDeletedError{Job: *current}
	}
	var job *Job
	err = c.whenNameFree(ctx, jobID, func() error {
		job, err = c.sendJob(ctx, reqOpts{method: http.MethodPut, path: jobPath(jobID), body: spec.body(jobID), idempotent: true})
		switch {
		case err == nil:
			return nil
		case !answerLost(ctx, err) && IsCode(err, CodeDupJobName):
			return c.nameRefused(ctx, spec.Name, jobID, err)
		case !answerLost(ctx, err):
			return err
		}
		after, readErr := c.settleRead(ctx, "update", jobID, err)
		return &JobWriteLostError{Op: "update", JobID: jobID, Job: after, Err: err, ReadErr: readErr}
	})
	return job, err
}

// DeleteJob deletes the job (DELETE /scheduled-jobs/{id}): OpenSpecimen's soft delete, which
// disables and renames it <name>_<epochMillis>; its runs and their files stay. last is its
// name as the caller last knew it. It answers the job as deleted. The DELETE is not
// idempotent (sent again, it renames the job again), so it is never repeated blindly: when
// its answer is lost, or ctx ends, the job is read on a context of its own and answered if
// deleted (see DeletedSince); gone, the error is the read's (IsNotFound); else a
// *JobWriteLostError.
func (c *Client) DeleteJob(ctx context.Context, jobID int64, last string) (*Job, error) {
	job, err := c.sendJob(ctx, reqOpts{method: http.MethodDelete, path: jobPath(jobID)})
	if err == nil || !answerLost(ctx, err) {
		return job, err
	}
	after, readErr := c.settleRead(ctx, "delete", jobID, err)
	switch {
	case IsNotFound(readErr):
		return nil, readErr
	case readErr == nil && after.DeletedSince(last):
		c.logger.InfoContext(ctx, "the job was deleted despite the lost answer", "job_id", jobID, "name", after.Name)
		return after, nil
	}
	return nil, &JobWriteLostError{Op: "delete", JobID: jobID, Job: after, Err: err, ReadErr: readErr}
}

// sendJob sends o and reads the job it answers.
func (c *Client) sendJob(ctx context.Context, o reqOpts) (*Job, error) {
	return sendOne(ctx, c, o, "job", func(j *Job) int64 { return j.ID })
}
