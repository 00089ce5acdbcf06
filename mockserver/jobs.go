package mockserver

import (
	"cmp"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// jobJSON is the server's job: schedule fields are null for ONDEMAND jobs, lastRunOn is
// filled in job lists only.
type jobJSON struct {
	ID                  int64           `json:"id"`
	Name                string          `json:"name"`
	Type                string          `json:"type"`
	RepeatSchedule      string          `json:"repeatSchedule"`
	ActivityStatus      string          `json:"activityStatus"`
	IsActiveJob         bool            `json:"isActiveJob"`
	RtArgsProvided      bool            `json:"rtArgsProvided"`
	RtArgsHelpText      *string         `json:"rtArgsHelpText"`
	CreatedBy           userJSON        `json:"createdBy"`
	RunAs               *userJSON       `json:"runAs"`
	Recipients          []userJSON      `json:"recipients"`
	SharedWith          []userJSON      `json:"sharedWith"`
	SavedQuery          *savedQueryJSON `json:"savedQuery"`
	TaskImplFqn         *string         `json:"taskImplFqn"`
	Command             *string         `json:"command"`
	FixedArgs           *string         `json:"fixedArgs"`
	StartDate           int64           `json:"startDate"`
	EndDate             *int64          `json:"endDate"`
	ScheduledHour       *int            `json:"scheduledHour"`
	ScheduledMinute     *int            `json:"scheduledMinute"`
	ScheduledDayOfWeek  *string         `json:"scheduledDayOfWeek"`
	ScheduledDayOfMonth *int            `json:"scheduledDayOfMonth"`
	HourlyInterval      *int            `json:"hourlyInterval"`
	MinutelyInterval    *int            `json:"minutelyInterval"`
	NextRunOn           *int64          `json:"nextRunOn"`
	LastRunOn           *int64          `json:"lastRunOn"`
}

type savedQueryJSON struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// jobJSON answers the job's JSON at now. s.mu must be held.
func (s *Server) jobJSON(j *job, now time.Time) jobJSON {
	out := jobJSON{
		ID:             j.cfg.ID,
		Name:           j.cfg.Name,
		Type:           j.cfg.Type,
		RepeatSchedule: j.cfg.RepeatSchedule,
		ActivityStatus: j.cfg.ActivityStatus,
		IsActiveJob:    j.active(s.line, now),
		RtArgsProvided: j.cfg.RtArgsProvided,
		CreatedBy:      j.createdBy.json(),
		Recipients:     usersJSON(j.recipients),
		SharedWith:     usersJSON(j.sharedWith),
		StartDate:      s.startTime.UnixMilli(),
	}
	if j.cfg.StartDate != nil {
		out.StartDate = j.cfg.StartDate.UnixMilli()
	}
	if j.cfg.EndDate != nil {
		ms := j.cfg.EndDate.UnixMilli()
		out.EndDate = &ms
	}
	if j.cfg.RtArgsHelpText != "" {
		h := j.cfg.RtArgsHelpText
		out.RtArgsHelpText = &h
	}
	if j.runAs != nil {
		ra := j.runAs.json()
		out.RunAs = &ra
	}
	if j.cfg.Type == "QUERY" { // a deleted saved query is still shown

		out.SavedQuery = &savedQueryJSON{ID: j.cfg.queryID(), Title: j.cfg.Name}
		if q, ok := s.savedQueries[j.cfg.SavedQueryID]; ok {
			out.SavedQuery.Title = q.Title
		}
	}
	out.TaskImplFqn, out.Command = j.cfg.taskJSON()
	out.FixedArgs = orNull(j.cfg.FixedArgs)
	j.cfg.schedule().setJSON(&out)
	if next, ok := j.cfg.schedule().nextRunOn(now, s.loc); ok {
		ms := next.UnixMilli()
		out.NextRunOn = &ms
	}
	return out
}

// QueryTaskClass is the taskImplFqn of every QUERY job, which the server sets itself
// (ScheduledJobFactoryImpl.setTaskImplFqn).
const QueryTaskClass = "com.krishagni.catissueplus.core.administrative.services.impl.ScheduledQueryTask"

// taskJSON answers the job's taskImplFqn and command as the server's JSON has them: a QUERY
// job's task class is always QueryTaskClass; only an EXTERNAL job has a command (the newest
// line's factory never sets one, and refuses EXTERNAL jobs).
func (j *JobConfig) taskJSON() (taskImplFqn, command *string) {
	switch j.Type {
	case "QUERY":
		return orNull(QueryTaskClass), nil
	case "EXTERNAL":
		return orNull(j.TaskImplFqn), orNull(j.Command)
	}
	return orNull(j.TaskImplFqn), nil
}

// setJSON sets the schedule's fields of out as ScheduledJobDetail.from writes them: all null
// for ONDEMAND; else those the schedule reads, the intervals it does not read as 1 (the
// job's defaults), and a MINUTELY job's scheduledMinute as 0 (the factory sets it).
func (sc schedule) setJSON(out *jobJSON) {
	if sc.repeat == "ONDEMAND" {
		return
	}
	one, zero := 1, 0
	out.ScheduledHour, out.ScheduledMinute = sc.hour, sc.minute
	out.ScheduledDayOfWeek, out.ScheduledDayOfMonth = orNull(sc.dayOfWeek), sc.dayOfMonth
	out.HourlyInterval, out.MinutelyInterval = cmp.Or(sc.hourlyInterval, &one), cmp.Or(sc.minutelyInterval, &one)
	if sc.repeat == "MINUTELY" {
		out.ScheduledMinute = &zero
	}
}

// orNull answers nil for "", else a pointer to a copy of v.
func orNull(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// disabled says whether the job is Disabled (deleted jobs are): the server's activeEntity
// filter (activity_status != 'Disabled') leaves it out of lists, the count and name
// look-ups, the duplicate-name check among them, while GET /scheduled-jobs/{id} reads it.
func (j *job) disabled() bool { return j.cfg.ActivityStatus == "Disabled" }

// withinDates says whether now is within the job's start and end dates (each inclusive;
// one not set is no bound).
func (j *job) withinDates(now time.Time) bool {
	if j.cfg.StartDate != nil && now.Before(*j.cfg.StartDate) {
		return false
	}
	return j.cfg.EndDate == nil || !now.After(*j.cfg.EndDate)
}

func usersJSON(us []*user) []userJSON {
	out := []userJSON{}
	for _, u := range us {
		out = append(out, u.json())
	}
	return out
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, u *user) {
	jobID, ok := pathID(w, r, "jobId")
	if !ok {
		return
	}
	s.mu.Lock()
	j := s.jobs[jobID]
	var denied *apiError
	var out jobJSON
	if j == nil {
		denied = jobNotFound()
	} else if denied = jobAccess(u, j); denied == nil {
		out = s.jobJSON(j, s.clock.Now())
	}
	s.mu.Unlock()
	if denied != nil {
		writeError(w, http.StatusBadRequest, denied.Code, denied.Message)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// jobQuery is the filter of GET /scheduled-jobs and its count.
type jobQuery struct {
	name     *regexp.Regexp // the server's case-insensitive LIKE '%query%', % and _ unescaped
	typ      string
	startAt  int
	maxItems int
}

// jobQueryOf reads the job query of GET /scheduled-jobs and /scheduled-jobs/count; a bad
// parameter is answered 400, naming it, and ok is false.
func jobQueryOf(w http.ResponseWriter, r *http.Request) (q jobQuery, ok bool) {
	q, invalid := parseJobQuery(r)
	if invalid != "" {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, "Invalid request: "+invalid)
		return q, false
	}
	return q, true
}

// parseJobQuery reads query, type, startAt and maxResults; invalid names the bad parameter.
func parseJobQuery(r *http.Request) (q jobQuery, invalid string) {
	v := r.URL.Query()
	q.name = likePattern(v.Get("query"))
	q.typ = v.Get("type")
	if q.typ != "" && !oneOf(q.typ, jobTypes) {
		return q, "type"
	}
	var err error
	if q.startAt, err = intParam(v, "startAt", 0); err != nil || q.startAt < 0 {
		return q, "startAt"
	}
	if q.maxItems, err = intParam(v, "maxResults", 100); err != nil {
		return q, "maxResults"
	}
	if q.maxItems <= 0 {
		q.maxItems = 100
	}
	return q, ""
}

// intParam reads the integer parameter name of v, def when it is absent or empty.
func intParam(v url.Values, name string, def int) (int, error) {
	if v.Get(name) == "" {
		return def, nil
	}
	return strconv.Atoi(v.Get(name))
}

// pageOf answers the window of items a list answers: from start (0 first), at most maxItems.
func pageOf[T any](items []T, start, maxItems int) []T {
	items = items[min(start, len(items)):]
	return items[:min(maxItems, len(items))]
}

// likePattern answers a regexp for SQL's case-insensitive LIKE '%query%', where % matches
// any run of characters and _ any one character, as the server sends query unescaped.
func likePattern(query string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)")
	for _, c := range query {
		switch c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return regexp.MustCompile(b.String())
}

// matchingJobsLocked answers the jobs u sees that q keeps, newest id first, Disabled ones
// (deleted ones among them) left out, as the server's activeEntity filter does. s.mu must
// be held.
func (s *Server) matchingJobsLocked(q jobQuery, u *user) []*job {
	var out []*job
	for _, j := range s.jobs {
		if j.disabled() || !j.visibleTo(u) || (q.typ != "" && j.cfg.Type != q.typ) || !q.name.MatchString(j.cfg.Name) {
			continue
		}
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].cfg.ID > out[b].cfg.ID })
	return out
}

// listJobs is GET /scheduled-jobs: a page of the jobs the user sees, with lastRunOn.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, u *user) {
	q, ok := jobQueryOf(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	jobs := s.matchingJobsLocked(q, u)
	jobs = pageOf(jobs, q.startAt, q.maxItems)
	now := s.clock.Now()
	out := make([]jobJSON, 0, len(jobs))
	for _, j := range jobs {
		jj := s.jobJSON(j, now)
		jj.LastRunOn = s.lastRunOnLocked(j)
		out = append(out, jj)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// countJobs is GET /scheduled-jobs/count.
func (s *Server) countJobs(w http.ResponseWriter, r *http.Request, u *user) {
	q, ok := jobQueryOf(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	n := len(s.matchingJobsLocked(q, u))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
}

// lastRunOnLocked answers when the job's newest run started (epoch ms), or nil. s.mu must
// be held.
func (s *Server) lastRunOnLocked(j *job) *int64 {
	for i := len(s.runs) - 1; i >= 0; i-- {
		if s.runs[i].job == j {
			ms := s.runs[i].startedAt.UnixMilli()
			return &ms
		}
	}
	return nil
}
