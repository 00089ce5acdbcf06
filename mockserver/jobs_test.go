package mockserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// jobsConfig: names that share substrings, with % and _ in some; alice created job 12 and
// job 13 is shared with her; job 14 is deleted, job 15's saved query is deleted (which
// deletes the job).
func jobsConfig() Config {
	cfg := testConfig()
	cfg.Jobs = append(cfg.Jobs,
		JobConfig{ID: 10, Name: "CP export"},
		JobConfig{ID: 11, Name: "CP export 100%", Type: "INTERNAL"},
		JobConfig{ID: 12, Name: "cp_export", CreatedBy: "alice"},
		JobConfig{ID: 13, Name: "CPXexport", SharedWith: []string{"alice"}, RunAs: "bob"},
		JobConfig{ID: 14, Name: "CP export old", Deleted: true},
		JobConfig{ID: 15, Name: "Orphan export", SavedQueryDeleted: true},
	)
	return cfg
}

type listedJob struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	IsActiveJob bool   `json:"isActiveJob"`
	LastRunOn   *int64 `json:"lastRunOn"`
	RunAs       *struct {
		LoginName string `json:"loginName"`
	} `json:"runAs"`
	SharedWith []struct {
		LoginName string `json:"loginName"`
	} `json:"sharedWith"`
	SavedQuery *struct {
		ID int64 `json:"id"`
	} `json:"savedQuery"`
	ActivityStatus string `json:"activityStatus"`
}

func listJobIDs(jobs []listedJob) []int64 {
	out := []int64{}
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func TestListJobs(t *testing.T) {
	s := newTestServer(t, jobsConfig())
	admin, alice := login(t, s, "admin", "Admin@123"), login(t, s, "alice", "Alice@123")
	cases := []struct {
		auth, query string
		want        []int64
	}{
		// Case-insensitive substring, newest id first, the deleted job left out.
		{admin, "query=cp%20export", []int64{11, 10}},
		// % and _ are SQL wildcards the server does not escape.
		{admin, "query=cp_export", []int64{13, 12, 11, 10}},
		{admin, "query=100%25", []int64{11}},
		{admin, "query=export&type=INTERNAL", []int64{11}},
		{admin, "query=export&maxResults=2&startAt=1", []int64{12, 11}},
		// A non-admin sees the jobs it created or that are shared with it.
		{alice, "query=export", []int64{13, 12}},
		{alice, "", []int64{13, 12}},
	}
	for _, c := range cases {
		r := call(t, "GET", s.URL()+"/scheduled-jobs?"+c.query, c.auth, "")
		var jobs []listedJob
		r.decode(t, &jobs)
		if got := listJobIDs(jobs); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("?%s as %s: jobs %v, want %v", c.query, map[bool]string{true: "admin", false: "alice"}[c.auth == admin], got, c.want)
		}
		var count struct {
			Count int `json:"count"`
		}
		q := strings.ReplaceAll(strings.ReplaceAll(c.query, "&maxResults=2", ""), "&startAt=1", "")
		call(t, "GET", s.URL()+"/scheduled-jobs/count?"+q, c.auth, "").decode(t, &count)
		if !strings.Contains(c.query, "maxResults") && count.Count != len(c.want) {
			t.Errorf("count ?%s: %d, want %d", q, count.Count, len(c.want))
		}
	}
	if r := call(t, "GET", s.URL()+"/scheduled-jobs?type=SQL", admin, ""); r.status != 400 || r.apiCode() != codeInvalidRequest {
		t.Errorf("type=SQL: %d %s", r.status, r.body)
	}
}

func TestJobJSON(t *testing.T) {
	s, clock := newManualServer(t, jobsConfig())
	admin := login(t, s, "admin", "Admin@123")
	get := func(id int64) listedJob {
		var j listedJob
		call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), id), admin, "").decode(t, &j)
		return j
	}
	if j := get(13); !j.IsActiveJob || j.RunAs == nil || j.RunAs.LoginName != "bob" || len(j.SharedWith) != 1 || j.SavedQuery == nil {
		t.Errorf("job 13: %+v", j)
	}
	// Not active: disabled, or deleted with its saved query (which it still shows); a
	// trigger of it is dropped.
	if get(3).IsActiveJob || get(15).IsActiveJob || get(15).SavedQuery == nil || !strings.HasPrefix(get(15).Name, "Orphan export_") {
		t.Errorf("a disabled job or one whose saved query is deleted: %+v, %+v", get(3), get(15))
	}
	if _, err := s.StartRunAs("admin", 15, ""); err == nil {
		t.Error("a run of a job whose saved query is deleted started")
	}
	// A deleted job is still read by id: Disabled, renamed <name>_<epochMillis>.
	if j := get(14); j.ActivityStatus != "Disabled" || !strings.HasPrefix(j.Name, "CP export old_") {
		t.Errorf("deleted job: %+v", j)
	}
	// lastRunOn, in lists: the start of the job's newest run.
	run, err := s.StartRunAs("admin", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	var jobs []listedJob
	call(t, "GET", s.URL()+"/scheduled-jobs?query=CP%20export", admin, "").decode(t, &jobs)
	if len(jobs) != 2 || jobs[1].LastRunOn == nil || *jobs[1].LastRunOn != run.StartedAt.UnixMilli() || jobs[0].LastRunOn != nil {
		t.Errorf("lastRunOn: %+v", jobs)
	}
}

// On the older line a scheduled job is active only within its start and end dates, on the
// mock's clock; an on-demand job, or any job on the newest line, ignores them. The job's
// JSON carries the dates (endDate null when not set) and isActiveJob; a run of a job that
// is not active is refused.
func TestJobActiveDates(t *testing.T) {
	start, end := clockStart.Add(time.Hour), clockStart.Add(2*time.Hour)
	for _, c := range []struct {
		line, schedule string
		at             time.Duration // after clockStart
		want           bool
	}{
		{LineOlder, "DAILY", 0, false},
		{LineOlder, "DAILY", time.Hour, true},
		{LineOlder, "DAILY", 2 * time.Hour, true},
		{LineOlder, "DAILY", 2*time.Hour + time.Millisecond, false},
		{LineOlder, "ONDEMAND", 0, true},
		{LineOlder, "ONDEMAND", 3 * time.Hour, true},
		{LineNewest, "DAILY", 0, true},
		{LineNewest, "DAILY", 3 * time.Hour, true},
	} {
		name := fmt.Sprintf("%s line, %s job, clock at start%+v", c.line, c.schedule, c.at)
		cfg := Config{Line: c.line, Jobs: []JobConfig{{ID: 1, RepeatSchedule: c.schedule, StartDate: &start, EndDate: &end}}}
		s, clock := newManualServer(t, cfg)
		clock.Advance(c.at)
		var j struct {
			IsActiveJob bool   `json:"isActiveJob"`
			StartDate   int64  `json:"startDate"`
			EndDate     *int64 `json:"endDate"`
		}
		call(t, "GET", s.URL()+"/scheduled-jobs/1", login(t, s, "admin", "Admin@123"), "").decode(t, &j)
		if j.IsActiveJob != c.want || j.StartDate != start.UnixMilli() || j.EndDate == nil || *j.EndDate != end.UnixMilli() {
			t.Errorf("%s: %+v, want isActiveJob %v", name, j, c.want)
		}
		if _, err := s.StartRunAs("admin", 1, ""); (err == nil) != c.want {
			t.Errorf("%s: StartRunAs: %v", name, err)
		}
	}
	// Without dates: startDate is the server's start (the job's creation), endDate null.
	s, _ := newManualServer(t, Config{Line: LineOlder, Jobs: []JobConfig{{ID: 1, RepeatSchedule: "DAILY"}}})
	var raw map[string]json.RawMessage
	call(t, "GET", s.URL()+"/scheduled-jobs/1", login(t, s, "admin", "Admin@123"), "").decode(t, &raw)
	if string(raw["startDate"]) != fmt.Sprint(clockStart.UnixMilli()) || string(raw["endDate"]) != "null" || string(raw["isActiveJob"]) != "true" {
		t.Errorf("job without dates: startDate %s, endDate %s, isActiveJob %s", raw["startDate"], raw["endDate"], raw["isActiveJob"])
	}
}

// A Disabled job, deleted or not, leaves the job list, the count and the duplicate-name
// check (the server's activeEntity filter, activity_status != 'Disabled'), and is still read
// by id; enabled again by a PUT, it is listed again, and holds its name again.
func TestDisabledJobsLeaveLists(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) {
			cfg := testConfig()
			cfg.Line = line
			cfg.SavedQueries = []SavedQueryConfig{{ID: 7, Title: "Specimens"}}
			cfg.Jobs = append(cfg.Jobs, JobConfig{ID: 16, Name: "Paused export", ActivityStatus: "Disabled"})
			s := newTestServer(t, cfg)
			admin := login(t, s, "admin", "Admin@123")
			listed := func() []int64 {
				var jobs []listedJob
				call(t, "GET", s.URL()+"/scheduled-jobs?query=paused", admin, "").decode(t, &jobs)
				var count struct {
					Count int `json:"count"`
				}
				call(t, "GET", s.URL()+"/scheduled-jobs/count?query=paused", admin, "").decode(t, &count)
				if count.Count != len(jobs) {
					t.Errorf("count %d, list %v", count.Count, listJobIDs(jobs))
				}
				return listJobIDs(jobs)
			}
			if got := listed(); len(got) != 0 {
				t.Errorf("jobs named like the Disabled job: %v, want none", got)
			}
			if r := call(t, "GET", s.URL()+"/scheduled-jobs/16", admin, ""); r.status != 200 {
				t.Errorf("GET of the Disabled job: %d %s", r.status, r.body)
			}
			body := `{"name": "PAUSED export", "type": "QUERY", "savedQuery": {"id": 7}, "repeatSchedule": "ONDEMAND"}`
			created := call(t, "POST", s.URL()+"/scheduled-jobs", admin, body)
			if created.status != 200 {
				t.Fatalf("a job named as the Disabled one, in another case, was refused: %d %s", created.status, created.body)
			}
			if got := listed(); len(got) != 1 || got[0] == 16 {
				t.Errorf("jobs named like the Disabled job after a new one: %v, want the new one", got)
			}
			// As on the server, a PUT that keeps the job's name does not check it: job 16 is
			// enabled beside the new job, and holds its name again.
			enable := `{"name": "Paused export", "type": "QUERY", "savedQuery": {"id": 7}, "repeatSchedule": "ONDEMAND", "activityStatus": "Active"}`
			if r := call(t, "PUT", s.URL()+"/scheduled-jobs/16", admin, enable); r.status != 200 {
				t.Fatalf("enabling job 16: %d %s", r.status, r.body)
			}
			if got := listed(); len(got) != 2 || got[1] != 16 {
				t.Errorf("jobs named like job 16 once enabled: %v, want the new one and 16", got)
			}
			again := strings.Replace(body, "PAUSED", "paused", 1)
			if r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, again); r.status != 400 || r.apiCode() != codeJobDupName {
				t.Errorf("a job named as the enabled one: %d %s, want %s", r.status, r.body, codeJobDupName)
			}
		})
	}
}

// Deleting a saved query soft-deletes every job that exports it (QueryServiceImpl.deleteQuery):
// Disabled, renamed, out of lists, not active, its savedQuery still shown, never fired
// again; a new job can no longer name the query.
func TestDeleteSavedQueryDeletesItsJobs(t *testing.T) {
	s, clock := newManualServer(t, Config{
		SavedQueries: []SavedQueryConfig{{ID: 7, Title: "Specimens"}},
		Jobs: []JobConfig{
			{ID: 1, Name: "Nightly", SavedQueryID: 7, RepeatSchedule: "DAILY", ScheduledHour: ip(11), ScheduledMinute: ip(0)},
			{ID: 2, Name: "Weekly", SavedQueryID: 7},
			{ID: 3, Name: "Other"},
		},
	})
	admin := "basic:admin:Admin@123"
	clock.Advance(time.Minute)
	if err := s.DeleteSavedQuery(7); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Nightly_%d", clockStart.Add(time.Minute).UnixMilli())
	var j listedJob
	call(t, "GET", s.URL()+"/scheduled-jobs/1", admin, "").decode(t, &j)
	if j.Name != want || j.ActivityStatus != "Disabled" || j.IsActiveJob || j.SavedQuery == nil || j.SavedQuery.ID != 7 {
		t.Errorf("job 1 after its query's delete: %+v, want %s, Disabled, its savedQuery shown", j, want)
	}
	var jobs []listedJob
	call(t, "GET", s.URL()+"/scheduled-jobs", admin, "").decode(t, &jobs)
	if fmt.Sprint(listJobIDs(jobs)) != "[3]" {
		t.Errorf("jobs listed: %v, want [3]", listJobIDs(jobs))
	}
	clock.Advance(2 * time.Hour) // past 11:00
	if runs := s.Runs(1); len(runs) != 0 {
		t.Errorf("the deleted job fired: %+v", runs)
	}
	body := `{"name":"New","type":"QUERY","savedQuery":{"id":7},"repeatSchedule":"ONDEMAND"}`
	if r := call(t, "POST", s.URL()+"/scheduled-jobs", admin, body); r.status != 400 || r.apiCode() != codeSavedQueryNotFound {
		t.Errorf("a job of the deleted query: %d %s", r.status, r.body)
	}
	if err := s.DeleteSavedQuery(99); err == nil {
		t.Error("an unknown saved query was deleted")
	}
}
