package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
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

// JobNameTakenError is a name that another job already has, in any case, found before
// anything changed.
type JobNameTakenError struct {
	Name     string
	Existing Job
}

func (e *JobNameTakenError) Error() string {
	if e.Existing.Name != e.Name {
		return fmt.Sprintf("the job name %q is taken by job %d, named %q: OpenSpecimen compares job names ignoring case",
			e.Name, e.Existing.ID, e.Existing.Name)
	}
	return fmt.Sprintf("the job name %q is taken by job %d", e.Name, e.Existing.ID)
}

// JobsNamed answers the jobs named name in any case among those the user sees, newest first:
// the server's SCHEDULED_JOB_DUP_JOB_NAME check ignores case (its database's collation). A
// non-admin does not see others' jobs: that refusal is the last word on a name.
func (c *Client) JobsNamed(ctx context.Context, name string) ([]Job, error) {
	jobs, err := c.ListJobs(ctx, JobFilter{NameContains: name})
	if err != nil {
		return nil, err
	}
	var named []Job
	for _, j := range jobs {
		if strings.EqualFold(j.Name, name) {
			named = append(named, j)
		}
	}
	return named, nil
}

// checkNameFree answers a *JobNameTakenError when a job other than self (0: none) is named
// name in any case.
func (c *Client) checkNameFree(ctx context.Context, name string, self int64) error {
	jobs, err := c.JobsNamed(ctx, name)
	if err != nil {
		return fmt.Errorf("checking that no job is named %q: %w", name, err)
	}
	for _, j := range jobs {
		if j.ID != self {
			return &JobNameTakenError{Name: name, Existing: j}
		}
	}
	return nil
}

// deletedSuffix is the _<epochMillis> OpenSpecimen's delete appends to a job's name: 13
// digits from 2001 to 2286.
var deletedSuffix = regexp.MustCompile(`_\d{13,}$`)

// JobDeleted reports whether j, as GetJob reads it, is what OpenSpecimen's soft delete
// leaves: Disabled, renamed <name>_<epochMillis>, and left out of the job lists. The lists
// decide, so that a job disabled under such a name of its own (or renamed so in the UI) is
// not taken for a deleted one; they are read only for a disabled job with such a name.
func (c *Client) JobDeleted(ctx context.Context, j *Job) (bool, error) {
	if !strings.EqualFold(j.ActivityStatus, "Disabled") || !deletedSuffix.MatchString(j.Name) {
		return false, nil
	}
	listed, err := c.ListJobs(ctx, JobFilter{NameContains: j.Name})
	if err != nil {
		return false, fmt.Errorf("looking for job %d (%q) in the job list, which leaves deleted jobs out: %w", j.ID, j.Name, err)
	}
	return !slices.ContainsFunc(listed, func(l Job) bool { return l.ID == j.ID }), nil
}

// JobDeletedError is a job that OpenSpecimen's delete left, which UpdateJob does not change:
// the server's PUT would bring it back, silently, under the name it sends.
type JobDeletedError struct{ Job Job }

func (e *JobDeletedError) Error() string {
	return fmt.Sprintf("job %d was deleted (it is Disabled and renamed %q)", e.Job.ID, e.Job.Name)
}

// CreateJob creates a job (POST /scheduled-jobs) after checking that no job the user sees
// has its name (else a *JobNameTakenError, and nothing is sent). The POST is never repeated
// blindly: when its answer is lost (no answer, 429, 5xx), the job is looked up by its name,
// free just before. Found once, it is the job created, read by its id and answered; not
// found, the error says so and to look in OpenSpecimen before creating it again.
func (c *Client) CreateJob(ctx context.Context, spec JobSpec) (*Job, error) {
	if err := c.checkNameFree(ctx, spec.Name, 0); err != nil {
		return nil, err
	}
	o := reqOpts{method: http.MethodPost, path: "/scheduled-jobs", body: spec.body(0)}
	job, err := c.sendJob(ctx, o)
	if err == nil || classify(err) == classRefused {
		return job, err
	}
	c.logger.WarnContext(ctx, "the answer to creating a job was lost: looking it up by name", "name", spec.Name, "error", err.Error())
	found, lookErr := c.JobsNamed(ctx, spec.Name)
	switch {
	case lookErr != nil:
		return nil, fmt.Errorf("creating job %q: %w; and looking it up afterwards failed (%w): a job of that name may have "+
			"been created: look for it in OpenSpecimen's Jobs view before creating it again", spec.Name, err, lookErr)
	case len(found) == 0:
		return nil, fmt.Errorf("creating job %q: %w; no job of that name was found afterwards, so it was most likely not "+
			"created: check OpenSpecimen's Jobs view before applying again", spec.Name, err)
	case len(found) > 1:
		return nil, fmt.Errorf("creating job %q: %w; afterwards %d jobs have that name: keep one, delete the others in OpenSpecimen",
			spec.Name, err, len(found))
	}
	created, getErr := c.GetJob(ctx, found[0].ID)
	if getErr != nil {
		return nil, fmt.Errorf("creating job %q: %w; job %d of that name was found afterwards, but reading it failed (%w): "+
			"import job %d rather than creating it again", spec.Name, err, found[0].ID, getErr, found[0].ID)
	}
	c.logger.InfoContext(ctx, "the job was created despite the lost answer", "name", spec.Name, "job_id", created.ID)
	return created, nil
}

// UpdateJob replaces the job with spec (PUT /scheduled-jobs/{id}). It reads the job first:
// a deleted job is a *JobDeletedError, and nothing is sent (the server's PUT would bring it
// back under spec's name, Active or not as spec says). As the server does, it
// checks the name only on a rename (spec's name differs from the job's, case counting): then
// no other job the user sees may have it in any case (else a *JobNameTakenError, and nothing
// is sent). A rename that changes only case may still be refused by the server, whose check
// ignores case and finds the job itself. The PUT is idempotent and retried as reads are.
func (c *Client) UpdateJob(ctx context.Context, jobID int64, spec JobSpec) (*Job, error) {
	current, err := c.GetJob(ctx, jobID)
	if err != nil {
		return nil, err
	}
	deleted, err := c.JobDeleted(ctx, current)
	switch {
	case err != nil:
		return nil, err
	case deleted:
		return nil, &JobDeletedError{Job: *current}
	}
	if current.Name != spec.Name {
		if err := c.checkNameFree(ctx, spec.Name, jobID); err != nil {
			return nil, err
		}
	}
	o := reqOpts{method: http.MethodPut, path: jobPath(jobID), body: spec.body(jobID), idempotent: true}
	return c.sendJob(ctx, o)
}

// DeleteJob deletes the job (DELETE /scheduled-jobs/{id}): OpenSpecimen's soft delete, which
// disables and renames it <name>_<epochMillis>; its runs and their files stay. It answers
// the job as deleted. The DELETE is not idempotent (sent again, it renames the job again), so
// it is never repeated blindly: when its answer is lost, the job is read and answered if it
// is deleted; else the error says it is not.
func (c *Client) DeleteJob(ctx context.Context, jobID int64) (*Job, error) {
	job, err := c.sendJob(ctx, reqOpts{method: http.MethodDelete, path: jobPath(jobID)})
	if err == nil || classify(err) == classRefused {
		return job, err
	}
	c.logger.WarnContext(ctx, "the answer to deleting a job was lost: reading it", "job_id", jobID, "error", err.Error())
	after, lookErr := c.GetJob(ctx, jobID)
	deleted := false
	if lookErr == nil {
		deleted, lookErr = c.JobDeleted(ctx, after)
	}
	switch {
	case lookErr != nil:
		return nil, fmt.Errorf("deleting job %d: %w; and reading it afterwards failed (%w): it may be deleted: look for it "+
			"in OpenSpecimen's Jobs view before deleting it again", jobID, err, lookErr)
	case !deleted:
		return nil, fmt.Errorf("deleting job %d: %w; the job is not deleted afterwards: delete it again", jobID, err)
	}
	c.logger.InfoContext(ctx, "the job was deleted despite the lost answer", "job_id", jobID, "name", after.Name)
	return after, nil
}

// sendJob sends o and reads the job it answers.
func (c *Client) sendJob(ctx context.Context, o reqOpts) (*Job, error) {
	var job Job
	if err := c.doJSON(ctx, o, &job); err != nil {
		return nil, err
	}
	if job.ID == 0 {
		return nil, &badBodyError{Method: o.method, Path: o.path, StatusCode: http.StatusOK,
			Err: errors.New("the answer has no job id")}
	}
	return &job, nil
}
