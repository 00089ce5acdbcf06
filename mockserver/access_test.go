package mockserver

import (
	"testing"
	"time"
)

// accessConfig: job 1 is admin's, shared with alice, its files sent to bob; job 2 is
// carol's; dave has no SCHEDULED_JOB read right. Run 10 of job 1 is alice's, with a file.
func accessConfig(line string) Config {
	return Config{
		Line: line,
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
			{LoginName: "carol", Password: "Carol@123"},
			{LoginName: "dave", Password: "Dave@123", NoJobRights: true},
		},
		Jobs: []JobConfig{
			{ID: 1, Name: "Shared export", Duration: Duration(time.Minute), SharedWith: []string{"alice"}, Recipients: []string{"bob"}},
			{ID: 2, Name: "Carol's export", Duration: Duration(time.Minute), CreatedBy: "carol"},
		},
		Runs: []RunConfig{{ID: 10, JobID: 1, Status: StatusSucceeded, StartedAt: mustTime("2024-01-15T09:00:00Z"),
			FinishedAt: mustTime("2024-01-15T09:01:00Z"), RunBy: "alice", Result: &ResultConfig{Filename: "r.csv", Content: "x\n"}}},
	}
}

// Reading a job, triggering it and listing its runs need the read right and being an
// admin, its creator or a user it is shared with; a run is for an admin or its runBy, its
// file for the job's recipients too; the read right is checked on every job call.
func TestAccessControl(t *testing.T) {
	const (
		ok        = ""
		denied    = codeAccessDenied
		forbidden = codeOpNotAllowed
	)
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) {
			s, _ := newManualServer(t, accessConfig(line))
			for _, c := range []struct {
				user, method, path, want string
			}{
				{"admin", "GET", "/scheduled-jobs/2", ok},
				{"carol", "GET", "/scheduled-jobs/2", ok}, // the creator
				{"alice", "GET", "/scheduled-jobs/1", ok}, // shared with her
				{"alice", "GET", "/scheduled-jobs/2", forbidden},
				{"bob", "GET", "/scheduled-jobs/1", forbidden}, // a recipient only
				{"alice", "GET", "/scheduled-jobs/99", codeJobNotFound},
				{"carol", "POST", "/scheduled-jobs/2/runs", ok},
				{"alice", "POST", "/scheduled-jobs/1/runs", ok},
				{"alice", "POST", "/scheduled-jobs/2/runs", forbidden},
				{"bob", "POST", "/scheduled-jobs/1/runs", forbidden},
				{"alice", "GET", "/scheduled-jobs/1/runs", ok},
				{"alice", "GET", "/scheduled-jobs/2/runs", forbidden},
				{"alice", "GET", "/scheduled-jobs/99/runs", ok},   // an unknown job: []
				{"alice", "GET", "/scheduled-jobs/1/runs/10", ok}, // her run
				{"bob", "GET", "/scheduled-jobs/1/runs/10", forbidden},
				{"carol", "GET", "/scheduled-jobs/1/runs/10", forbidden},
				{"bob", "GET", "/scheduled-jobs/1/runs/10/result-file", ok}, // a recipient
				{"carol", "GET", "/scheduled-jobs/1/runs/10/result-file", forbidden},
				{"alice", "GET", "/scheduled-jobs", ok},
				{"dave", "GET", "/scheduled-jobs", denied},
				{"dave", "GET", "/scheduled-jobs/count", denied},
				{"dave", "GET", "/scheduled-jobs/1", denied},
				{"dave", "POST", "/scheduled-jobs/1/runs", denied},
				{"dave", "GET", "/scheduled-jobs/1/runs", denied},
				{"dave", "GET", "/scheduled-jobs/99/runs", denied},
				{"dave", "GET", "/scheduled-jobs/1/runs/10", denied},
				{"dave", "GET", "/scheduled-jobs/1/runs/10/result-file", denied},
			} {
				body := ""
				if c.method == "POST" {
					body = `{}`
				}
				r := call(t, c.method, s.URL()+c.path, "basic:"+c.user+":"+accessPasswords[c.user], body)
				switch {
				case c.want == ok && r.status != 200:
					t.Errorf("%s %s as %s: %d %s, want 200", c.method, c.path, c.user, r.status, r.body)
				case c.want != ok && (r.status != 400 || r.apiCode() != c.want):
					t.Errorf("%s %s as %s: %d %s, want 400 %s", c.method, c.path, c.user, r.status, r.body, c.want)
				}
			}
		})
	}
}

var accessPasswords = map[string]string{"admin": "Admin@123", "alice": "Alice@123", "bob": "Bob@123", "carol": "Carol@123", "dave": "Dave@123"}

// A refused trigger is not queued and never becomes a run.
func TestRefusedTriggerIsNotQueued(t *testing.T) {
	s, _ := newManualServer(t, accessConfig(LineNewest))
	called := false
	s.SetTriggerHook(func(int64, string) { called = true })
	if r := postDirect(t, s, "/scheduled-jobs/2/runs", "basic:alice:Alice@123", `{}`); r.status != 400 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if called || len(s.QueuedTriggers()) != 0 || len(s.Runs(2)) != 0 {
		t.Fatalf("a refused trigger went on: hook %v, queue %+v, runs %+v", called, s.QueuedTriggers(), s.Runs(2))
	}
}
