package mockserver

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// jobsConfig: names that share substrings, with % and _ in some; alice created job 12 and
// job 13 is shared with her; job 14 is deleted, job 15's saved query is deleted.
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
		{admin, "query=export&maxResults=2&startAt=1", []int64{13, 12}},
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
	// Not active: disabled, or its saved query deleted; a trigger of it is dropped.
	if get(3).IsActiveJob || get(15).IsActiveJob || get(15).SavedQuery != nil {
		t.Error("a disabled job or one without its saved query is active")
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
