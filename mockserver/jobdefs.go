package mockserver

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// userRefJSON names a user in a job's JSON: by id, or by loginName when id is null.
type userRefJSON struct {
	ID        *int64 `json:"id"`
	LoginName string `json:"loginName"`
}

// jobInputJSON is the job JSON of POST /scheduled-jobs and PUT /scheduled-jobs/{id}; the
// fields the server computes (id, createdBy, nextRunOn, ...) are ignored.
type jobInputJSON struct {
	Name                string  `json:"name"`
	Type                string  `json:"type"`
	RepeatSchedule      string  `json:"repeatSchedule"`
	ScheduledHour       *int    `json:"scheduledHour"`
	ScheduledMinute     *int    `json:"scheduledMinute"`
	ScheduledDayOfWeek  *string `json:"scheduledDayOfWeek"`
	ScheduledDayOfMonth *int    `json:"scheduledDayOfMonth"`
	HourlyInterval      *int    `json:"hourlyInterval"`
	MinutelyInterval    *int    `json:"minutelyInterval"`
	StartDate           *int64  `json:"startDate"`
	EndDate             *int64  `json:"endDate"`
	ActivityStatus      *string `json:"activityStatus"`
	TaskImplFqn         *string `json:"taskImplFqn"`
	Command             *string `json:"command"`
	FixedArgs           *string `json:"fixedArgs"`
	SavedQuery          *struct {
		ID *int64 `json:"id"`
	} `json:"savedQuery"`
	RunAs          *userRefJSON  `json:"runAs"`
	Recipients     []userRefJSON `json:"recipients"`
	SharedWith     []userRefJSON `json:"sharedWith"`
	RtArgsProvided *bool         `json:"rtArgsProvided"`
	RtArgsHelpText *string       `json:"rtArgsHelpText"`
}

// createJob is POST /scheduled-jobs: a new job, created by the caller, with the next id
// above every job's.
func (s *Server) createJob(w http.ResponseWriter, r *http.Request, u *user) {
	var in jobInputJSON
	if !readBody(w, r, &in) {
		return
	}
	if denied := jobRight(u, OpCreate); denied != nil {
		writeError(w, http.StatusBadRequest, denied.Code, denied.Message)
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	jc, errs := s.jobFromInputLocked(in, 0, now) // without startDate, the job starts now
	var out jobJSON
	if len(errs) == 0 {
		jc.ID = s.nextJobIDLocked()
		jc.CreatedBy = u.cfg.LoginName
		jc.Outcome = StatusSucceeded
		j := &job{cfg: jc, createdBy: u, lengths: newRunLengths(jc), anchor: now, created: true}
		s.replaceJobLocked(j, jc)
		s.jobs[jc.ID] = j
		out = s.jobJSON(j, now)
	}
	s.mu.Unlock()
	writeJobAnswer(w, out, errs)
}

// updateJob is PUT /scheduled-jobs/{jobId}: the job is replaced by the body, keeping its
// id, creator, runs, the mock's run behaviour (duration, outcome, file, start delay) and,
// when the body has none, its startDate. As on the server, a deleted job is replaced too:
// it comes back under the body's name and activityStatus, in lists again.
func (s *Server) updateJob(w http.ResponseWriter, r *http.Request, u *user) {
	jobID, ok := pathID(w, r, "jobId")
	if !ok {
		return
	}
	var in jobInputJSON
	if !readBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	j, errs := s.managedJobLocked(jobID, u, OpUpdate)
	var jc JobConfig
	var ev events
	if len(errs) == 0 {
		jc, errs = s.jobFromInputLocked(in, jobID, startOr(j.cfg.StartDate, now))
	}
	var out jobJSON
	if len(errs) == 0 {
		old := j.cfg
		jc.ID, jc.CreatedBy = old.ID, old.CreatedBy
		jc.Duration, jc.Spread, jc.Outcome, jc.Message, jc.StartDelay = old.Duration, old.Spread, old.Outcome, old.Message, old.StartDelay
		jc.Result = old.Result.forJob(jc.queryID())
		j.anchor = now
		s.replaceJobLocked(j, jc)
		ev = s.cancelQueuedLocked(j) // taskMgr.schedule cancels the job's queued future
		out = s.jobJSON(j, now)
	}
	s.mu.Unlock()
	ev.call()
	writeJobAnswer(w, out, errs)
}

// deleteJob is DELETE /scheduled-jobs/{jobId}, the server's soft delete: the job is
// Disabled and renamed <name>_<epochMillis>, left out of lists, still readable by id.
func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request, u *user) {
	jobID, ok := pathID(w, r, "jobId")
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	j, errs := s.managedJobLocked(jobID, u, OpDelete)
	var out jobJSON
	var ev events
	if len(errs) == 0 {
		ev = s.cancelQueuedLocked(j) // taskMgr.cancel
		s.softDeleteLocked(j, now)
		out = s.jobJSON(j, now)
	}
	s.mu.Unlock()
	ev.call()
	writeJobAnswer(w, out, errs)
}

// softDeleteLocked deletes j as ScheduledJob.delete does: Disabled, renamed
// <name>_<epochMillis>; its schedule ends. s.mu must be held.
func (s *Server) softDeleteLocked(j *job, now time.Time) {
	j.cfg.Name = disabledName(j.cfg.Name, now)
	j.cfg.ActivityStatus, j.cfg.Deleted = "Disabled", true
	s.scheduleLocked(j) // a Disabled job has no next run: this ends its schedule
}

// maxJobName is the length of the job name's column: the longest name a deleted job keeps.
const maxJobName = 255

// disabledName is Utility.getDisabledValue(name, 255): the name, cut to 255 - 14 characters
// (Java's, UTF-16 units, a character never split) so that the suffix fits, then
// "_<epochMillis>" of now.
func disabledName(name string, now time.Time) string {
	keep, units := 0, 0
	for i, r := range name {
		if units += utf16.RuneLen(r); units > maxJobName-14 {
			break
		}
		keep = i + utf8.RuneLen(r)
	}
	return fmt.Sprintf("%s_%d", name[:keep], now.UnixMilli())
}

// writeJobAnswer answers the job, or 400 with errs when there are any.
func writeJobAnswer(w http.ResponseWriter, out jobJSON, errs []apiError) {
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, errs)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// managedJobLocked answers the job u may replace (op OpUpdate) or delete (OpDelete), or the
// error to write: an unknown job is not found before any right is checked. s.mu must be held.
func (s *Server) managedJobLocked(jobID int64, u *user, op string) (*job, []apiError) {
	j := s.jobs[jobID]
	if j == nil {
		return nil, []apiError{*jobNotFound()}
	}
	if denied := jobManageAccess(u, j, op); denied != nil {
		return nil, []apiError{*denied}
	}
	return j, nil
}

// replaceJobLocked gives j the configuration jc (its users resolved, a created job's file
// its saved query's export) and sets its schedule again. s.mu must be held.
func (s *Server) replaceJobLocked(j *job, jc JobConfig) {
	if j.created {
		jc.Result = nil
		if q, ok := s.savedQueries[jc.SavedQueryID]; ok && jc.Type == "QUERY" {
			jc.Result = (&ResultConfig{Export: true, Content: q.Content}).forJob(q.ID)
		}
	}
	j.cfg = jc
	j.setUsers(s.users, jc)
	s.scheduleLocked(j)
}

// nextJobIDLocked answers the id above every job's. s.mu must be held.
func (s *Server) nextJobIDLocked() int64 {
	var top int64
	for id := range s.jobs {
		top = max(top, id)
	}
	return top + 1
}

// startOr answers *start, or now when it is nil.
func startOr(start *time.Time, now time.Time) time.Time {
	if start == nil {
		return now
	}
	return *start
}

// jobFromInputLocked checks a job's JSON as the server does, for the job selfID (0 for a
// new job), and answers its configuration or every error found; defaultStart is its
// startDate when the JSON has none. s.mu must be held.
func (s *Server) jobFromInputLocked(in jobInputJSON, selfID int64, defaultStart time.Time) (JobConfig, []apiError) {
	var errs []apiError
	bad := func(code, format string, args ...any) {
		errs = append(errs, apiError{code, fmt.Sprintf(format, args...)})
	}
	jc := JobConfig{Name: in.Name, Type: in.Type, ActivityStatus: "Active", RtArgsProvided: in.RtArgsProvided != nil && *in.RtArgsProvided,
		RtArgsHelpText: deref(in.RtArgsHelpText), TaskImplFqn: deref(in.TaskImplFqn), Command: deref(in.Command), FixedArgs: deref(in.FixedArgs)}
	// In the server's order of checks (ScheduledJobFactoryImpl), the unique name last, for
	// a job without other errors.
	if strings.TrimSpace(in.Name) == "" {
		bad(codeJobNameRequired, "Job name is required.")
	}
	sc := schedule{repeat: in.RepeatSchedule, hour: in.ScheduledHour, minute: in.ScheduledMinute, dayOfWeek: deref(in.ScheduledDayOfWeek),
		dayOfMonth: in.ScheduledDayOfMonth, hourlyInterval: in.HourlyInterval, minutelyInterval: in.MinutelyInterval}
	sc.keepUsed()
	sc.defaultIntervals()
	errs = append(errs, sc.check()...)
	jc.setSchedule(sc)
	setDates(in, &jc, defaultStart, bad)
	if st := deref(in.ActivityStatus); st != "" {
		jc.ActivityStatus = st
		if st != "Active" && st != "Disabled" {
			bad(codeActivityStatus, "activityStatus %q is not Active or Disabled.", st)
		}
	}
	jc.SavedQueryID = s.checkType(in, bad)
	s.resolveUsers(in, &jc, bad)
	if len(errs) == 0 {
		s.checkUniqueName(in.Name, selfID, bad)
	}
	return jc, errs
}

// setDates sets the job's start date (defaultStart when the JSON has none) and end date,
// reporting an end date before the start date.
func setDates(in jobInputJSON, jc *JobConfig, defaultStart time.Time, bad func(code, format string, args ...any)) {
	jc.StartDate = epochMillis(in.StartDate)
	if jc.StartDate == nil {
		jc.StartDate = &defaultStart
	}
	jc.EndDate = epochMillis(in.EndDate)
	if jc.EndDate != nil && jc.EndDate.Before(*jc.StartDate) {
		bad(codeJobEndBeforeStart, "endDate %s is before startDate %s.", jc.EndDate.UTC().Format(time.RFC3339), jc.StartDate.UTC().Format(time.RFC3339))
	}
}

// checkUniqueName reports a name a job not Disabled has (case-insensitive, as the server's
// database compares; a Disabled job, deleted or not, is out of the server's name look-up). As on the server, an update checks only a name that changed (exact
// comparison), and the job itself is not left out: a rename that changes only the case
// collides with the job's own name.
func (s *Server) checkUniqueName(name string, selfID int64, bad func(code, format string, args ...any)) {
	if self := s.jobs[selfID]; self != nil && self.cfg.Name == name {
		return
	}
	for id, j := range s.jobs {
		if !j.disabled() && strings.EqualFold(j.cfg.Name, name) {
			bad(codeJobDupName, "A job with the name %q already exists (job %d).", name, id)
			return
		}
	}
}

// externalForbidden is the mock's words for SCHEDULED_JOB_EXT_TASK_FORBIDDEN, the refusal of
// an EXTERNAL job on the newest line (also the message of each of its runs there).
const externalForbidden = "External jobs are not allowed: OpenSpecimen does not run commands of its own process; use an INTERNAL or QUERY job."

// checkType reports a type the server does not take with what the job says: a QUERY job's
// saved query, an INTERNAL job's task class (required, and one the server has), an
// EXTERNAL job on the newest line, or without a command on the older line. It answers a
// QUERY job's saved query id.
func (s *Server) checkType(in jobInputJSON, bad func(code, format string, args ...any)) int64 {
	switch in.Type {
	case "QUERY":
		if in.SavedQuery == nil || in.SavedQuery.ID == nil {
			bad(codeJobQueryRequired, "A QUERY job needs savedQuery.id.")
			return 0
		}
		if _, ok := s.savedQueries[*in.SavedQuery.ID]; !ok || s.deletedQueries[*in.SavedQuery.ID] {
			bad(codeSavedQueryNotFound, "Saved query %d does not exist.", *in.SavedQuery.ID)
		}
		return *in.SavedQuery.ID
	case "INTERNAL":
		switch fqn := deref(in.TaskImplFqn); {
		case strings.TrimSpace(fqn) == "":
			bad(codeJobTaskImplRequired, "An INTERNAL job needs taskImplFqn, the task's class name.")
		case !oneOf(fqn, s.taskClasses):
			bad(codeJobInvalidTaskImpl, "Task class %q does not exist on the server.", fqn)
		}
	case "EXTERNAL":
		switch {
		case s.line == LineNewest:
			bad(codeJobExternalForbidden, externalForbidden)
		case strings.TrimSpace(deref(in.Command)) == "":
			bad(codeJobCommandRequired, "An EXTERNAL job needs command, the command to run.")
		}
	default:
		bad(codeJobInvalidType, "Job type %q is not one of %s.", in.Type, strings.Join(jobTypes, ", "))
	}
	return 0
}

// resolveUsers sets the job's run-as user, recipients and shared-with users (login names)
// from their references, reporting an unknown runAs, and once per list the list's users
// that do not exist, as the server does.
func (s *Server) resolveUsers(in jobInputJSON, jc *JobConfig, bad func(code, format string, args ...any)) {
	if in.RunAs != nil {
		if u := s.userByRef(*in.RunAs); u != nil {
			jc.RunAs = u.cfg.LoginName
		} else {
			bad(codeUserNotFound, "runAs: %s does not exist.", *in.RunAs)
		}
	}
	jc.Recipients = s.resolveUserList("recipients", in.Recipients, bad)
	jc.SharedWith = s.resolveUserList("sharedWith", in.SharedWith, bad)
}

// resolveUserList answers the login names of a list of user references, each user once (the
// server keeps a set: a user named twice is answered once), reporting in one error those that
// name no user.
func (s *Server) resolveUserList(role string, refs []userRefJSON, bad func(code, format string, args ...any)) []string {
	var logins, missing []string
	for _, ref := range refs {
		switch u := s.userByRef(ref); {
		case u == nil:
			missing = append(missing, ref.String())
		case !slices.Contains(logins, u.cfg.LoginName):
			logins = append(logins, u.cfg.LoginName)
		}
	}
	if len(missing) > 0 {
		bad(codeUsersNotFound, "%s: %s do not exist.", role, strings.Join(missing, ", "))
	}
	return logins
}

// userByRef answers the user ref names: by id (UserConfig.ID), else by loginName; nil
// when none.
func (s *Server) userByRef(ref userRefJSON) *user {
	if ref.ID != nil {
		return s.userByID(*ref.ID)
	}
	return s.users[ref.LoginName]
}

// String names the reference in an error message.
func (ref userRefJSON) String() string {
	if ref.ID != nil {
		return fmt.Sprintf("user %d", *ref.ID)
	}
	return fmt.Sprintf("user %q", ref.LoginName)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// epochMillis answers the time of epoch milliseconds, or nil.
func epochMillis(ms *int64) *time.Time {
	if ms == nil {
		return nil
	}
	t := time.UnixMilli(*ms)
	return &t
}
