package mockserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// jobDefsConfig: users admin (1), alice (2), bob (3), dave (4, without job rights); saved
// query 7; job 1 by admin, job 2 by alice shared with bob.
func jobDefsConfig(line string) Config {
	return Config{
		Line: line,
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
			{LoginName: "dave", Password: "Dave@123", NoJobRights: true},
		},
		SavedQueries: []SavedQueryConfig{{ID: 7, Title: "Specimens", Content: "id\n${run_id}\n"}},
		Jobs: []JobConfig{
			{ID: 1, Name: "Existing"},
			{ID: 2, Name: "Alice's", CreatedBy: "alice", SharedWith: []string{"bob"}},
		},
	}
}

// nightlyBody is a valid QUERY job, DAILY at 02:30, with changes applied to its JSON.
func nightlyBody(t *testing.T, change func(m map[string]any)) string {
	t.Helper()
	m := map[string]any{
		"name": "Nightly export", "type": "QUERY", "savedQuery": map[string]any{"id": 7},
		"repeatSchedule": "DAILY", "scheduledHour": 2, "scheduledMinute": 30, "hourlyInterval": 4,
		"fixedArgs": "--cp CP-TB", "runAs": map[string]any{"id": 3},
		"recipients": []any{map[string]any{"loginName": "bob"}}, "sharedWith": []any{map[string]any{"id": 1}},
		"rtArgsProvided": true, "rtArgsHelpText": "--cp <cp>",
	}
	if change != nil {
		change(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type managedJob struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	Type           string  `json:"type"`
	ActivityStatus string  `json:"activityStatus"`
	RepeatSchedule string  `json:"repeatSchedule"`
	ScheduledHour  *int    `json:"scheduledHour"`
	ScheduledMin   *int    `json:"scheduledMinute"`
	DayOfWeek      *string `json:"scheduledDayOfWeek"`
	HourlyInterval *int    `json:"hourlyInterval"`
	MinInterval    *int    `json:"minutelyInterval"`
	FixedArgs      *string `json:"fixedArgs"`
	StartDate      int64   `json:"startDate"`
	NextRunOn      *int64  `json:"nextRunOn"`
	RtArgsProvided bool    `json:"rtArgsProvided"`
	CreatedBy      struct {
		LoginName string `json:"loginName"`
	} `json:"createdBy"`
	RunAs *struct {
		LoginName string `json:"loginName"`
	} `json:"runAs"`
	Recipients []struct {
		LoginName string `json:"loginName"`
	} `json:"recipients"`
	SharedWith []struct {
		ID int64 `json:"id"`
	} `json:"sharedWith"`
	SavedQuery *struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
	} `json:"savedQuery"`
}

func decodeJob(t *testing.T, r response) managedJob {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("answer %d %s", r.status, r.body)
	}
	var j managedJob
	r.decode(t, &j)
	return j
}

func TestCreateJob(t *testing.T) {
	s, clock := newManualServer(t, jobDefsConfig(LineNewest))
	alice := login(t, s, "alice", "Alice@123")
	j := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", alice, nightlyBody(t, nil)))
	// The next id above every job's; the caller is its creator; the schedule keeps only the
	// fields DAILY reads (the intervals it does not read are 1); users by id or login name.
	if j.ID != 3 || j.Name != "Nightly export" || j.CreatedBy.LoginName != "alice" || j.ActivityStatus != "Active" ||
		j.RepeatSchedule != "DAILY" || *j.ScheduledHour != 2 || *j.ScheduledMin != 30 || *j.HourlyInterval != 1 ||
		j.FixedArgs == nil || *j.FixedArgs != "--cp CP-TB" || !j.RtArgsProvided || j.StartDate != clockStart.UnixMilli() ||
		j.RunAs == nil || j.RunAs.LoginName != "bob" || len(j.Recipients) != 1 || j.Recipients[0].LoginName != "bob" ||
		len(j.SharedWith) != 1 || j.SharedWith[0].ID != 1 || j.SavedQuery == nil || j.SavedQuery.ID != 7 || j.SavedQuery.Title != "Specimens" {
		t.Fatalf("created job: %+v", j)
	}
	if want := time.Date(2024, 1, 16, 2, 30, 0, 0, time.UTC).UnixMilli(); j.NextRunOn == nil || *j.NextRunOn != want {
		t.Errorf("nextRunOn %v, want %d", j.NextRunOn, want)
	}
	if got := decodeJob(t, call(t, "GET", s.URL()+"/scheduled-jobs/3", alice, "")); got.Name != j.Name {
		t.Errorf("read back: %+v", got)
	}
	var listed []listedJob
	call(t, "GET", s.URL()+"/scheduled-jobs", alice, "").decode(t, &listed)
	if fmt.Sprint(listJobIDs(listed)) != "[3 2]" {
		t.Errorf("alice's jobs: %v", listJobIDs(listed))
	}
	// Its runs write the export of its saved query.
	run, err := s.StartRunAs("alice", 3, "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(0)
	if got := s.Runs(3); len(got) != 1 || got[0].ID != run.ID || got[0].LogFilePath == nil ||
		!strings.HasSuffix(*got[0].LogFilePath, fmt.Sprintf("scheduled_query_7_%d.csv.zip", run.ID)) {
		t.Errorf("run of the created job: %+v", got)
	}
}

// setFields answers a change of a job body that sets each key of kv to the value after
// it, or deletes it where the value is nil.
func setFields(kv ...any) func(m map[string]any) {
	return func(m map[string]any) {
		for i := 0; i < len(kv); i += 2 {
			key := fmt.Sprint(kv[i])
			if kv[i+1] == nil {
				delete(m, key)
			} else {
				m[key] = kv[i+1]
			}
		}
	}
}

// withSchedule answers a change that sets the schedule kind, clears the hour, minute and
// hourly interval, then sets the keys of kv as setFields does.
func withSchedule(kind string, kv ...any) func(m map[string]any) {
	return setFields(append([]any{"repeatSchedule", kind, "scheduledHour", nil, "scheduledMinute", nil, "hourlyInterval", nil}, kv...)...)
}

// jobValidationCases are the bodies each rule of job validation refuses, with its code.
var jobValidationCases = []struct {
	name   string
	change func(m map[string]any)
	code   string
}{
	{"empty name", setFields("name", "  "), codeJobNameRequired},
	{"name taken, other case", setFields("name", "EXISTING"), codeJobDupName},
	{"no type", setFields("type", nil), codeJobInvalidType},
	{"no schedule", setFields("repeatSchedule", nil), codeJobRepeatRequired},
	{"unknown schedule", setFields("repeatSchedule", "YEARLY"), codeJobInvalidRepeat},
	{"minutely interval -1", withSchedule("MINUTELY", "minutelyInterval", -1), codeJobInvalidTime},
	{"hourly without minute", withSchedule("HOURLY", "hourlyInterval", 1), codeJobInvalidTime},
	{"hourly minute 60", withSchedule("HOURLY", "hourlyInterval", 1, "scheduledMinute", 60), codeJobInvalidTime},
	{"hourly interval 0", withSchedule("HOURLY", "hourlyInterval", 0, "scheduledMinute", 5), codeJobInvalidTime},
	{"daily hour 24", setFields("scheduledHour", 24), codeJobInvalidTime},
	{"daily hour -1", setFields("scheduledHour", -1), codeJobInvalidTime},
	{"daily without minute", setFields("scheduledMinute", nil), codeJobInvalidTime},
	{"weekly without day", setFields("repeatSchedule", "WEEKLY"), codeJobInvalidTime},
	{"weekly bad day", setFields("repeatSchedule", "WEEKLY", "scheduledDayOfWeek", "FUNDAY"), codeJobInvalidTime},
	{"monthly without day", setFields("repeatSchedule", "MONTHLY"), codeJobInvalidTime},
	{"monthly day 32", setFields("repeatSchedule", "MONTHLY", "scheduledDayOfMonth", 32), codeJobInvalidTime},
	{"monthly day 0", setFields("repeatSchedule", "MONTHLY", "scheduledDayOfMonth", 0), codeJobInvalidTime},
	{"query without saved query", setFields("savedQuery", nil), codeJobQueryRequired},
	{"query with an unknown saved query", setFields("savedQuery", map[string]any{"id": 99}), codeSavedQueryNotFound},
	{"internal without task class", setFields("type", "INTERNAL"), codeJobTaskImplRequired},
	{"internal with a blank task class", setFields("type", "INTERNAL", "taskImplFqn", " "), codeJobTaskImplRequired},
	{"internal with an unknown task class", setFields("type", "INTERNAL", "taskImplFqn", "com.example.Nope"), codeJobInvalidTaskImpl},
	{"end date before start date", setFields("startDate", clockStart.UnixMilli(), "endDate", clockStart.Add(-time.Millisecond).UnixMilli()), codeJobEndBeforeStart},
	{"end date before the default start (now)", setFields("endDate", clockStart.Add(-time.Hour).UnixMilli()), codeJobEndBeforeStart},
	{"unknown runAs", setFields("runAs", map[string]any{"id": 42}), codeUserNotFound},
	{"unknown recipient", setFields("recipients", []any{map[string]any{"loginName": "zoe"}}), codeUsersNotFound},
	{"two unknown recipients: one error", setFields("recipients", []any{map[string]any{"id": 40}, map[string]any{"id": 41}}), codeUsersNotFound},
	{"unknown sharedWith", setFields("sharedWith", []any{map[string]any{"id": 0}}), codeUsersNotFound},
	{"bad activity status", setFields("activityStatus", "Archived"), codeActivityStatus},
}

// Each rule refuses the job with the server's code, 400, and creates nothing.
func TestCreateJobValidation(t *testing.T) {
	s, _ := newManualServer(t, jobDefsConfig(LineNewest)) // its DAILY jobs never fire
	admin := login(t, s, "admin", "Admin@123")
	for _, c := range jobValidationCases {
		r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, nightlyBody(t, c.change))
		if r.status != 400 || r.apiCode() != c.code {
			t.Errorf("%s: %d %s, want 400 %s", c.name, r.status, r.body, c.code)
		}
	}
	if r := call(t, "POST", s.URL()+"/scheduled-jobs", login(t, s, "dave", "Dave@123"), nightlyBody(t, nil)); r.status != 400 || r.apiCode() != codeAccessDenied {
		t.Errorf("without job rights: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, ""); r.status != 400 || r.apiCode() != codeInvalidRequest {
		t.Errorf("no body: %d %s", r.status, r.body)
	}
	var count struct{ Count int }
	call(t, "GET", s.URL()+"/scheduled-jobs/count", admin, "").decode(t, &count)
	if count.Count != 2 {
		t.Errorf("%d jobs after refused creations, want 2", count.Count)
	}
	// Valid: an end date at the start date; an INTERNAL job with a task class the server
	// has; an ONDEMAND job.
	if r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, nightlyBody(t, setFields("name", "One day", "endDate", clockStart.UnixMilli()))); r.status != 200 {
		t.Errorf("end date at the start: %d %s", r.status, r.body)
	}
	internal := setFields("type", "INTERNAL", "savedQuery", nil, "taskImplFqn", DefaultTaskClasses[0], "name", "Cleanup")
	if r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, nightlyBody(t, internal)); r.status != 200 {
		t.Errorf("internal job: %d %s", r.status, r.body)
	}
	if j := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", admin, nightlyBody(t, withSchedule("ONDEMAND", "name", "Manual")))); j.NextRunOn != nil || j.ScheduledMin != nil {
		t.Errorf("on-demand job: %+v", j)
	}
}

// EXTERNAL jobs are refused on the newest line (SCHEDULED_JOB_EXT_TASK_FORBIDDEN); the older
// line takes them, with a command (SCHEDULED_JOB_EXTERNAL_COMMAND_REQUIRED without).
func TestCreateExternalJob(t *testing.T) {
	for _, c := range []struct {
		line string
		code string
	}{{LineNewest, codeJobExternalForbidden}, {LineOlder, ""}} {
		s, _ := newManualServer(t, jobDefsConfig(c.line)) // its DAILY job never fires
		body := nightlyBody(t, func(m map[string]any) {
			m["type"], m["command"] = "EXTERNAL", "/opt/export.sh"
			delete(m, "savedQuery")
		})
		r := call(t, "POST", s.URL()+"/scheduled-jobs", login(t, s, "admin", "Admin@123"), body)
		if r.apiCode() != c.code || (c.code == "" && r.status != 200) {
			t.Errorf("%s line: %d %s, want %q", c.line, r.status, r.body, c.code)
		}
	}
	s, _ := newManualServer(t, jobDefsConfig(LineOlder))
	for _, command := range []any{nil, "", "  "} {
		body := nightlyBody(t, func(m map[string]any) {
			m["type"], m["command"] = "EXTERNAL", command
			delete(m, "savedQuery")
		})
		if r := call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123", body); r.status != 400 || r.apiCode() != codeJobCommandRequired {
			t.Errorf("older line, command %q: %d %s", command, r.status, r.body)
		}
	}
}

// On the newest line every run of an existing EXTERNAL job fails, once its run record
// exists (ScheduledJob.newTask throws SCHEDULED_JOB_EXT_TASK_FORBIDDEN): FAILED at once,
// its message saying why, no file. The older line runs it.
func TestExternalJobRuns(t *testing.T) {
	for _, c := range []struct{ line, status string }{{LineNewest, StatusFailed}, {LineOlder, StatusSucceeded}} {
		s, clock := newManualServer(t, Config{Line: c.line, Jobs: []JobConfig{{ID: 1, Type: "EXTERNAL", Command: "/opt/export.sh",
			Duration: Duration(time.Minute), Result: &ResultConfig{Filename: "out.csv", Content: "x\n"}}}})
		starts := runStarts(s)
		if r := call(t, "POST", s.URL()+"/scheduled-jobs/1/runs", "basic:admin:Admin@123", `{}`); r.status != 200 {
			t.Fatalf("%s line: trigger %d %s", c.line, r.status, r.body)
		}
		within(t, "the run", starts)
		clock.Advance(time.Minute)
		runs := s.Runs(1)
		if len(runs) != 1 || runs[0].Status != c.status {
			t.Fatalf("%s line: runs %+v, want one %s", c.line, runs, c.status)
		}
		if c.status == StatusFailed && (runs[0].Message == nil || !strings.Contains(*runs[0].Message, "External jobs are not allowed") ||
			runs[0].LogFilePath != nil || !runs[0].FinishedAt.Equal(runs[0].StartedAt)) {
			t.Errorf("%s line: the failed run %+v", c.line, runs[0])
		}
	}
}

func TestUpdateJob(t *testing.T) {
	s, _ := newManualServer(t, jobDefsConfig(LineNewest))
	admin, alice, bob := login(t, s, "admin", "Admin@123"), login(t, s, "alice", "Alice@123"), login(t, s, "bob", "Bob@123")
	created := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", alice, nightlyBody(t, nil)))
	url := fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), created.ID)
	// A full replace: what the body leaves out is cleared.
	weekly := nightlyBody(t, func(m map[string]any) {
		m["repeatSchedule"], m["scheduledDayOfWeek"], m["scheduledHour"] = "WEEKLY", "FRIDAY", 6
		delete(m, "recipients")
		delete(m, "runAs")
		delete(m, "fixedArgs")
	})
	j := decodeJob(t, call(t, "PUT", url, alice, weekly))
	if j.ID != created.ID || j.CreatedBy.LoginName != "alice" || j.RepeatSchedule != "WEEKLY" || j.DayOfWeek == nil || *j.DayOfWeek != "FRIDAY" ||
		len(j.Recipients) != 0 || j.RunAs != nil || j.FixedArgs != nil {
		t.Errorf("replaced job: %+v", j)
	}
	if want := time.Date(2024, 1, 19, 6, 30, 0, 0, time.UTC).UnixMilli(); j.NextRunOn == nil || *j.NextRunOn != want {
		t.Errorf("nextRunOn %v, want Friday 06:30 (%d)", j.NextRunOn, want)
	}
	// Its own name is no duplicate; another job's is.
	if r := call(t, "PUT", url, admin, weekly); r.status != 200 {
		t.Errorf("admin's replace: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		name, auth, url, body, code string
	}{
		{"shared with bob", bob, url, weekly, codeOpNotAllowed},
		{"another's name", alice, url, nightlyBody(t, func(m map[string]any) { m["name"] = "existing" }), codeJobDupName},
		{"unknown job", admin, s.URL() + "/scheduled-jobs/99", weekly, codeJobNotFound},
		{"without job rights", login(t, s, "dave", "Dave@123"), url, weekly, codeAccessDenied},
		{"invalid schedule", alice, url, nightlyBody(t, func(m map[string]any) { m["scheduledMinute"] = 75 }), codeJobInvalidTime},
	} {
		if r := call(t, "PUT", c.url, c.auth, c.body); r.status != 400 || r.apiCode() != c.code {
			t.Errorf("%s: %d %s, want 400 %s", c.name, r.status, r.body, c.code)
		}
	}
	// A seeded job keeps its runs' behaviour through a replace.
	seeded := nightlyBody(t, func(m map[string]any) { m["name"] = "Existing" })
	if r := call(t, "PUT", s.URL()+"/scheduled-jobs/1", admin, seeded); r.status != 200 {
		t.Errorf("seeded job's replace: %d %s", r.status, r.body)
	}
}

func TestDeleteJob(t *testing.T) {
	s, clock := newManualServer(t, jobDefsConfig(LineNewest))
	admin, alice, bob := login(t, s, "admin", "Admin@123"), login(t, s, "alice", "Alice@123"), login(t, s, "bob", "Bob@123")
	created := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", alice, nightlyBody(t, nil)))
	url := fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), created.ID)
	if r := call(t, "DELETE", url, bob, ""); r.status != 400 || r.apiCode() != codeOpNotAllowed {
		t.Errorf("bob's delete: %d %s", r.status, r.body)
	}
	if r := call(t, "DELETE", s.URL()+"/scheduled-jobs/99", admin, ""); r.status != 400 || r.apiCode() != codeJobNotFound {
		t.Errorf("unknown job's delete: %d %s", r.status, r.body)
	}
	clock.Advance(time.Minute)
	j := decodeJob(t, call(t, "DELETE", url, alice, ""))
	wantName := fmt.Sprintf("Nightly export_%d", clockStart.Add(time.Minute).UnixMilli())
	if j.Name != wantName || j.ActivityStatus != "Disabled" || j.NextRunOn == nil {
		t.Errorf("deleted job: %+v, want name %s, Disabled, its nextRunOn still computed", j, wantName)
	}
	if got := decodeJob(t, call(t, "GET", url, alice, "")); got.Name != wantName {
		t.Errorf("deleted job read by id: %+v", got)
	}
	var listed []listedJob
	call(t, "GET", s.URL()+"/scheduled-jobs", admin, "").decode(t, &listed)
	if fmt.Sprint(listJobIDs(listed)) != "[2 1]" {
		t.Errorf("jobs after the delete: %v", listJobIDs(listed))
	}
	// Its name is free; its schedule no longer fires.
	again := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", alice, nightlyBody(t, nil)))
	if again.ID != created.ID+1 || again.Name != "Nightly export" {
		t.Errorf("a new job of the old name: %+v", again)
	}
	clock.Advance(24 * time.Hour)
	if runs := s.Runs(created.ID); len(runs) != 0 {
		t.Errorf("the deleted job ran: %+v", runs)
	}
	if runs := s.Runs(again.ID); len(runs) != 1 || runs[0].RunBy != "bob" {
		t.Errorf("runs of the new job, run as bob: %+v", runs)
	}
}

// A PUT as the server's: without startDate the job keeps its start; a null interval is 1; a
// minutely interval of 0 is taken, its runs a minute apart; a deleted job comes back.
func TestUpdateJobLikeTheServer(t *testing.T) {
	s, clock := newManualServer(t, jobDefsConfig(LineNewest))
	admin := login(t, s, "admin", "Admin@123")
	start := clockStart.Add(48 * time.Hour)
	created := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", admin, nightlyBody(t, func(m map[string]any) { m["startDate"] = start.UnixMilli() })))
	url := fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), created.ID)
	clock.Advance(time.Hour)
	if j := decodeJob(t, call(t, "PUT", url, admin, nightlyBody(t, nil))); j.StartDate != start.UnixMilli() {
		t.Errorf("startDate after a PUT without one: %d, want the job's %d", j.StartDate, start.UnixMilli())
	}
	// The end date is checked against the start kept.
	early := nightlyBody(t, func(m map[string]any) { m["endDate"] = start.Add(-time.Minute).UnixMilli() })
	if r := call(t, "PUT", url, admin, early); r.status != 400 || r.apiCode() != codeJobEndBeforeStart {
		t.Errorf("end before the kept start: %d %s", r.status, r.body)
	}

	checkDefaultIntervals(t, s, clock, url, admin, created.ID)

	// The name is checked only when it changes, and a change of case alone meets the job's
	// own name, as on the server (its database compares without case).
	if r := call(t, "PUT", url, admin, nightlyBody(t, nil)); r.status != 200 {
		t.Errorf("PUT keeping the name: %d %s", r.status, r.body)
	}
	upper := nightlyBody(t, func(m map[string]any) { m["name"] = "NIGHTLY EXPORT" })
	if r := call(t, "PUT", url, admin, upper); r.status != 400 || r.apiCode() != codeJobDupName {
		t.Errorf("PUT renaming by case only: %d %s, want %s", r.status, r.body, codeJobDupName)
	}

	// A deleted job, replaced, is back: Active, under the name sent, in lists, scheduled.
	call(t, "DELETE", url, admin, "")
	back := decodeJob(t, call(t, "PUT", url, admin, nightlyBody(t, nil)))
	if back.Name != "Nightly export" || back.ActivityStatus != "Active" || back.NextRunOn == nil {
		t.Errorf("deleted job replaced: %+v, want Active, its name back, a next run", back)
	}
	var listed []listedJob
	call(t, "GET", s.URL()+"/scheduled-jobs", admin, "").decode(t, &listed)
	if fmt.Sprint(listJobIDs(listed)) != fmt.Sprintf("[%d 2 1]", created.ID) {
		t.Errorf("jobs after the deleted job's replace: %v", listJobIDs(listed))
	}
}

// checkDefaultIntervals PUTs, at url, a MINUTELY and an HOURLY schedule without an
// interval and a MINUTELY one with interval 0, and checks the intervals the server fills in
// and that interval 0 runs job every minute.
func checkDefaultIntervals(t *testing.T, s *Server, clock *ManualClock, url, admin string, job int64) {
	t.Helper()
	intervals := func(kind string, kv ...any) string {
		return nightlyBody(t, func(m map[string]any) {
			m["repeatSchedule"], m["startDate"] = kind, clockStart.UnixMilli()
			delete(m, "hourlyInterval")
			for i := 0; i < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
		})
	}
	now := clock.Now()
	if j := decodeJob(t, call(t, "PUT", url, admin, intervals("MINUTELY"))); j.MinInterval == nil || *j.MinInterval != 1 ||
		j.NextRunOn == nil || *j.NextRunOn != now.Add(time.Minute).UnixMilli() {
		t.Errorf("MINUTELY without interval: %+v, want every minute", j)
	}
	if j := decodeJob(t, call(t, "PUT", url, admin, intervals("HOURLY"))); j.HourlyInterval == nil || *j.HourlyInterval != 1 ||
		j.NextRunOn == nil || *j.NextRunOn != now.Add(30*time.Minute).UnixMilli() {
		t.Errorf("HOURLY without interval: %+v, want every hour at :30", j)
	}
	j := decodeJob(t, call(t, "PUT", url, admin, intervals("MINUTELY", "minutelyInterval", 0)))
	if j.MinInterval == nil || *j.MinInterval != 0 || j.NextRunOn == nil || *j.NextRunOn != now.Add(time.Minute).UnixMilli() {
		t.Errorf("MINUTELY interval 0: %+v, want kept as 0, runs every minute", j)
	}
	clock.Advance(3 * time.Minute)
	if runs := s.Runs(job); len(runs) != 3 {
		t.Errorf("%d runs in 3 minutes of a MINUTELY interval 0, want 3", len(runs))
	}
}

// The job's JSON as ScheduledJobDetail.from and the factory write it: a scheduled job's
// intervals it does not use are 1, MINUTELY answers scheduledMinute 0 (and no hour), HOURLY
// no hour, ONDEMAND no schedule field at all; a QUERY job's taskImplFqn is the server's
// ScheduledQueryTask whatever was sent, and only an EXTERNAL job (older line) has a command.
func TestJobJSONLikeTheServer(t *testing.T) {
	s, _ := newManualServer(t, jobDefsConfig(LineOlder))
	admin := login(t, s, "admin", "Admin@123")
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		want   string // hour minute hourly minutely taskImplFqn command
	}{
		{"daily", func(map[string]any) {}, "2 30 1 1 " + QueryTaskClass + " null"},
		{"minutely", func(m map[string]any) { m["repeatSchedule"] = "MINUTELY" }, "null 0 1 5 " + QueryTaskClass + " null"},
		{"hourly", func(m map[string]any) { m["repeatSchedule"] = "HOURLY" }, "null 30 4 1 " + QueryTaskClass + " null"},
		{"on demand", func(m map[string]any) { m["repeatSchedule"] = "ONDEMAND" }, "null null null null " + QueryTaskClass + " null"},
		{"internal", func(m map[string]any) { m["type"], m["taskImplFqn"] = "INTERNAL", DefaultTaskClasses[0] }, "2 30 1 1 " + DefaultTaskClasses[0] + " null"},
		{"external", func(m map[string]any) { m["type"] = "EXTERNAL" }, "2 30 1 1 com.example.Task echo hi"},
	} {
		if got := createdJobFields(t, s, admin, c.name, c.change); got != c.want {
			t.Errorf("%s job: %s\nwant %s", c.name, got, c.want)
		}
	}
}

// createdJobFields creates the job name, nightlyBody with change, and answers its
// schedule fields, task class and command as "hour minute hourly minutely taskImplFqn
// command", null for each absent.
func createdJobFields(t *testing.T, s *Server, admin, name string, change func(m map[string]any)) string {
	t.Helper()
	body := nightlyBody(t, func(m map[string]any) {
		m["name"], m["runAs"], m["command"], m["taskImplFqn"], m["minutelyInterval"] = name, nil, "echo hi", "com.example.Task", 5
		change(m)
	})
	r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, body)
	if r.status != 200 {
		t.Fatalf("%s: %d %s", name, r.status, r.body)
	}
	var f struct {
		Hour        *int    `json:"scheduledHour"`
		Minute      *int    `json:"scheduledMinute"`
		Hourly      *int    `json:"hourlyInterval"`
		Minutely    *int    `json:"minutelyInterval"`
		TaskImplFqn *string `json:"taskImplFqn"`
		Command     *string `json:"command"`
	}
	r.decode(t, &f)
	return strings.Join([]string{intOrNull(f.Hour), intOrNull(f.Minute), intOrNull(f.Hourly), intOrNull(f.Minutely),
		strOrNull(f.TaskImplFqn), strOrNull(f.Command)}, " ")
}

func strOrNull(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func intOrNull(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// Several wrong schedule fields are answered together, one SCHEDULED_JOB_INVALID_SCHEDULED_TIME
// each, in the factory's order, with the job's other errors (OpenSpecimenException collects
// them all).
func TestScheduleErrorsTogether(t *testing.T) {
	s, _ := newManualServer(t, jobDefsConfig(LineNewest))
	body := nightlyBody(t, func(m map[string]any) {
		m["repeatSchedule"], m["scheduledHour"], m["scheduledMinute"], m["scheduledDayOfMonth"] = "MONTHLY", 24, 60, 0
		m["name"] = " "
	})
	r := call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123", body)
	var errs []apiError
	r.decode(t, &errs)
	var codes []string
	for _, e := range errs {
		codes = append(codes, e.Code)
	}
	want := []string{codeJobNameRequired, codeJobInvalidTime, codeJobInvalidTime, codeJobInvalidTime}
	if r.status != 400 || fmt.Sprint(codes) != fmt.Sprint(want) ||
		!strings.Contains(errs[1].Message, "scheduledMinute") || !strings.Contains(errs[2].Message, "scheduledHour") ||
		!strings.Contains(errs[3].Message, "scheduledDayOfMonth") {
		t.Errorf("%d %s, want %v (minute, hour, day of month)", r.status, r.body, want)
	}
}

// Recipients and users shared with are sets: a user named twice, by id and by login name,
// is answered once.
func TestJobUsersAnsweredOnce(t *testing.T) {
	s, _ := newManualServer(t, jobDefsConfig(LineNewest))
	body := nightlyBody(t, func(m map[string]any) {
		m["recipients"] = []any{map[string]any{"id": 3}, map[string]any{"loginName": "bob"}, map[string]any{"id": 2}}
		m["sharedWith"] = []any{map[string]any{"id": 1}, map[string]any{"id": 1}}
	})
	j := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123", body))
	if len(j.Recipients) != 2 || j.Recipients[0].LoginName != "bob" || j.Recipients[1].LoginName != "alice" || len(j.SharedWith) != 1 {
		t.Errorf("recipients %+v, sharedWith %+v: want bob and alice once, admin once", j.Recipients, j.SharedWith)
	}
}

// A deleted job is renamed as Utility.getDisabledValue(name, 255) does: a name longer than
// 241 characters (Java's UTF-16 units) is cut so that "_<epochMillis>" fits in 255.
func TestDeletedLongNameIsCut(t *testing.T) {
	s, clock := newManualServer(t, jobDefsConfig(LineNewest))
	long := strings.Repeat("é", 200) + strings.Repeat("😀", 27) // 200 + 54 units: 254, within the column
	j := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123", nightlyBody(t, func(m map[string]any) { m["name"] = long })))
	clock.Advance(time.Minute)
	deleted := decodeJob(t, call(t, "DELETE", fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), j.ID), "basic:admin:Admin@123", ""))
	want := strings.Repeat("é", 200) + strings.Repeat("😀", 20) + fmt.Sprintf("_%d", clockStart.Add(time.Minute).UnixMilli()) // 240 units: a pair not split
	if deleted.Name != want {
		t.Errorf("deleted name %q (%d runes), want %q", deleted.Name, utf8.RuneCountInString(deleted.Name), want)
	}
	short := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123", nightlyBody(t, func(m map[string]any) { m["name"] = "Short" })))
	if got := decodeJob(t, call(t, "DELETE", fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), short.ID), "basic:admin:Admin@123", "")); got.Name != fmt.Sprintf("Short_%d", clockStart.Add(time.Minute).UnixMilli()) {
		t.Errorf("a short name: %q", got.Name)
	}
}
