package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Job is a scheduled job as GET /scheduled-jobs/{id}, the job list and the trigger answer
// describe it. Fields this client does not use are ignored.
type Job struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Type           string `json:"type"` // INTERNAL, EXTERNAL or QUERY
	ActivityStatus string `json:"activityStatus"`
	// IsActiveJob is the server's own verdict: Active, and for a QUERY job its saved query
	// exists (on the older line also within its start and end dates). nil: not sent.
	IsActiveJob    *bool        `json:"isActiveJob"`
	RepeatSchedule string       `json:"repeatSchedule"`
	NextRunOn      *EpochMillis `json:"nextRunOn"`
	LastRunOn      *EpochMillis `json:"lastRunOn"` // filled in job lists only
	RtArgsProvided *bool        `json:"rtArgsProvided"`
	RtArgsHelpText *string      `json:"rtArgsHelpText"`
	CreatedBy      *User        `json:"createdBy"`
	RunAs          *User        `json:"runAs"`

	// The job's definition, as JobSpec writes it. A schedule field the repeatSchedule does
	// not use may still hold a value (a minute of 0, an interval the server defaulted to 1):
	// readers use only the fields the repeatSchedule uses. TaskImplFqn is an INTERNAL job's
	// task class, Command an EXTERNAL job's command line.
	Schedule
	StartDate   *EpochMillis `json:"startDate"`
	EndDate     *EpochMillis `json:"endDate"`
	TaskImplFqn *string      `json:"taskImplFqn"`
	Command     *string      `json:"command"`
	FixedArgs   *string      `json:"fixedArgs"`
	SavedQuery  *SavedQuery  `json:"savedQuery"`
	Recipients  []User       `json:"recipients"`
	SharedWith  []User       `json:"sharedWith"`
}

// Schedule is when a job runs, beside its repeatSchedule: the fields each kind of schedule
// uses (nil for the others), as the job JSON carries them.
type Schedule struct {
	ScheduledHour       *int    `json:"scheduledHour"`
	ScheduledMinute     *int    `json:"scheduledMinute"`
	ScheduledDayOfWeek  *string `json:"scheduledDayOfWeek"` // SUNDAY..SATURDAY
	ScheduledDayOfMonth *int    `json:"scheduledDayOfMonth"`
	HourlyInterval      *int    `json:"hourlyInterval"`
	MinutelyInterval    *int    `json:"minutelyInterval"`
}

// SavedQuery is the saved query a QUERY job exports.
type SavedQuery struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// label names the job in messages: its id and name.
func (j *Job) label() string { return jobLabel(j.ID, j.Name) }

// Disabled reports whether the job's activityStatus is Disabled (in any case): disabled in
// OpenSpecimen's Jobs view, or deleted.
func (j *Job) Disabled() bool { return strings.EqualFold(j.ActivityStatus, "Disabled") }

// Active reports whether the server would run a trigger of the job now: its activityStatus
// is "Active" (in any case; an empty status counts as active, older servers may leave it
// out), and the server's isActiveJob is not false. InactiveReason tells why not.
func (j *Job) Active() bool {
	return (j.ActivityStatus == "" || strings.EqualFold(j.ActivityStatus, "Active")) && (j.IsActiveJob == nil || *j.IsActiveJob)
}

// InactiveReason answers why OpenSpecimen would silently drop a trigger of the job at now,
// "" when it would run it (Active): it was deleted (DeletedSince: disabled and renamed), it is
// disabled, or the server's isActiveJob is false, and then, as far as the job tells, why: on
// the older line a job outside its start and end dates, a QUERY job whose saved query is gone.
func (j *Job) InactiveReason(now time.Time) string {
	switch {
	case j.Active():
		return ""
	case j.DeletedSince(""):
		return fmt.Sprintf("it was deleted in OpenSpecimen (disabled and renamed %q)", j.Name)
	case j.ActivityStatus != "" && !strings.EqualFold(j.ActivityStatus, "Active"):
		return "it is " + j.ActivityStatus
	case j.EndDate != nil && j.EndDate.Before(now):
		return fmt.Sprintf("its end date, %s, has passed, and OpenSpecimen's older line runs a job only between its "+
			"start and end dates", j.EndDate.UTC().Format(time.RFC3339))
	case j.StartDate != nil && j.StartDate.After(now):
		return fmt.Sprintf("its start date, %s, is still to come, and OpenSpecimen's older line runs a job only between "+
			"its start and end dates", j.StartDate.UTC().Format(time.RFC3339))
	case strings.EqualFold(j.Type, "QUERY") && j.SavedQuery == nil:
		return "the server reports it not active, and it exports no saved query: its query was deleted"
	}
	return "the server reports it not active: a saved-query job whose query was deleted, or a job outside its start and end dates"
}

// RunStatus is the status of a job run: one of the three constants below.
type RunStatus string

// The three statuses OpenSpecimen knows. At most one run of a job is IN_PROGRESS.
const (
	StatusInProgress RunStatus = "IN_PROGRESS"
	StatusSucceeded  RunStatus = "SUCCEEDED"
	StatusFailed     RunStatus = "FAILED"
)

// Finished reports whether the status is final (SUCCEEDED or FAILED).
func (s RunStatus) Finished() bool {
	return s == StatusSucceeded || s == StatusFailed
}

// ParseRunStatus returns the status named by s (case-insensitive, surrounding spaces
// ignored). Anything but the three known statuses is an error, so that an unknown status
// never passes for success.
func ParseRunStatus(s string) (RunStatus, error) {
	switch st := RunStatus(strings.ToUpper(strings.TrimSpace(s))); st {
	case StatusInProgress, StatusSucceeded, StatusFailed:
		return st, nil
	}
	return "", fmt.Errorf("unknown job run status %q: expected IN_PROGRESS, SUCCEEDED or FAILED", s)
}

// AcceptsArgs reports whether the job takes runtime arguments (rtArgsProvided).
func (j *Job) AcceptsArgs() bool { return j.RtArgsProvided != nil && *j.RtArgsProvided }

// ArgsHelpText returns the job's help text for its runtime arguments, "" when null.
func (j *Job) ArgsHelpText() string { return deref(j.RtArgsHelpText) }

// User is a user as the server describes it: who ran a run (runBy), who created a job.
type User struct {
	ID           int64  `json:"id"`
	LoginName    string `json:"loginName"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	EmailAddress string `json:"emailAddress"`
	Domain       string `json:"domain"`
}

// EpochMillis is a time written in JSON as milliseconds since the Unix epoch (UTC).
type EpochMillis struct{ time.Time }

// MarshalJSON writes the time as epoch milliseconds.
func (e EpochMillis) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(e.UnixMilli(), 10)), nil
}

// UnmarshalJSON reads epoch milliseconds: a JSON number (a fraction is truncated) or a string
// of digits. null leaves the value unchanged.
func (e *EpochMillis) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) >= 2 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15*1000 {
			return fmt.Errorf("time %s is not epoch milliseconds", b)
		}
		ms = int64(f)
	}
	e.Time = time.UnixMilli(ms).UTC()
	return nil
}

// Run is one execution of a scheduled job.
type Run struct {
	ID          int64        `json:"id"`
	JobID       int64        `json:"jobId"`
	JobName     string       `json:"jobName"`
	Status      RunStatus    `json:"status"`
	StartedAt   *EpochMillis `json:"startedAt"`
	FinishedAt  *EpochMillis `json:"finishedAt"`
	RtArgs      *string      `json:"rtArgs"`
	Message     *string      `json:"message"`
	LogFilePath *string      `json:"logFilePath"`
	RunBy       *User        `json:"runBy"`
}

// Args returns the run's runtime arguments, "" when null.
func (r *Run) Args() string { return deref(r.RtArgs) }

// HasResultFile reports whether the run has finished with an output file (logFilePath),
// which the server may still have purged since.
func (r *Run) HasResultFile() bool {
	return r.Status.Finished() && r.LogFilePath != nil && *r.LogFilePath != ""
}

// MessageText returns the run's message (the error of a FAILED run), "" when null.
func (r *Run) MessageText() string { return deref(r.Message) }

// RunByLogin returns the login name of the user who ran it, "" when unknown.
func (r *Run) RunByLogin() string { return r.RunBy.Login() }

// Login returns the user's login name, "" for no user (a null in the server's answer).
func (u *User) Login() string {
	if u == nil {
		return ""
	}
	return u.LoginName
}

// duration returns finishedAt - startedAt, and false when either is missing or the
// difference is not positive.
func (r *Run) duration() (time.Duration, bool) {
	if r.StartedAt == nil || r.FinishedAt == nil {
		return 0, false
	}
	d := r.FinishedAt.Sub(r.StartedAt.Time)
	return d, d > 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
