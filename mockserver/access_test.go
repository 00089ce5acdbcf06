package mockserver

import (
	"fmt"
	"testing"
	"time"
)

// accessConfig: job 1 is admin's, shared with alice, its files sent to bob; job 2 is
// carol's; dave has no right on Scheduled Job, erin only Read. Run 10 of job 1 is alice's,
// with a file; run 11 of job 2 is alice's too (carol's job, which alice cannot read).
func accessConfig(line string) Config {
	return Config{
		Line: line,
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
			{LoginName: "carol", Password: "Carol@123"},
			{LoginName: "dave", Password: "Dave@123", NoJobRights: true},
			{LoginName: "erin", Password: "Erin@123", JobRights: []string{OpRead}},
		},
		Jobs: []JobConfig{
			{ID: 1, Name: "Shared export", Duration: Duration(time.Minute), SharedWith: []string{"alice"}, Recipients: []string{"bob"}},
			{ID: 2, Name: "Carol's export", Duration: Duration(time.Minute), CreatedBy: "carol"},
		},
		Runs: []RunConfig{
			{ID: 10, JobID: 1, Status: StatusSucceeded, StartedAt: mustTime("2024-01-15T09:00:00Z"),
				FinishedAt: mustTime("2024-01-15T09:01:00Z"), RunBy: "alice", Result: &ResultConfig{Filename: "r.csv", Content: "x\n"}},
			{ID: 11, JobID: 2, Status: StatusSucceeded, StartedAt: mustTime("2024-01-15T10:00:00Z"),
				FinishedAt: mustTime("2024-01-15T10:01:00Z"), RunBy: "alice", Result: &ResultConfig{Filename: "r.csv", Content: "y\n"}},
		},
	}
}

// Reading and triggering a job need the Read right and being an admin, its creator or a
// user it is shared with; the run list needs the Read right only (it checks nothing about
// the job); a run needs read access to its job and being an admin or its runBy; its file
// needs no right, only being an admin, its runBy or a recipient of its job.
func TestAccessControl(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) {
			s, _ := newManualServer(t, accessConfig(line))
			for _, c := range accessCases {
				checkAccess(t, s, c)
			}
		})
	}
}

// accessAllowed is the want of an accessCase answered 200.
const accessAllowed = ""

// accessCase is a request by a user of accessConfig, and the error code it gets, or
// accessAllowed.
type accessCase struct {
	user, method, path, want string
}

// accessCases are the requests each user may and may not make, on either line.
var accessCases = []accessCase{
	{"admin", "GET", "/scheduled-jobs/2", accessAllowed},
	{"carol", "GET", "/scheduled-jobs/2", accessAllowed}, // the creator
	{"alice", "GET", "/scheduled-jobs/1", accessAllowed}, // shared with her
	{"alice", "GET", "/scheduled-jobs/2", codeOpNotAllowed},
	{"bob", "GET", "/scheduled-jobs/1", codeOpNotAllowed}, // a recipient only
	{"alice", "GET", "/scheduled-jobs/99", codeJobNotFound},
	{"carol", "POST", "/scheduled-jobs/2/runs", accessAllowed},
	{"alice", "POST", "/scheduled-jobs/1/runs", accessAllowed},
	{"alice", "POST", "/scheduled-jobs/2/runs", codeOpNotAllowed},
	{"bob", "POST", "/scheduled-jobs/1/runs", codeOpNotAllowed},
	{"alice", "GET", "/scheduled-jobs/1/runs", accessAllowed},
	{"alice", "GET", "/scheduled-jobs/2/runs", accessAllowed},       // no check of the job: her runs of it, or all on the older line
	{"alice", "GET", "/scheduled-jobs/99/runs", accessAllowed},      // an unknown job: []
	{"alice", "GET", "/scheduled-jobs/1/runs/10", accessAllowed},    // her run
	{"alice", "GET", "/scheduled-jobs/2/runs/11", codeOpNotAllowed}, // her run, of a job she cannot read
	{"bob", "GET", "/scheduled-jobs/1/runs/10", codeOpNotAllowed},
	{"carol", "GET", "/scheduled-jobs/1/runs/10", codeOpNotAllowed},
	{"bob", "GET", "/scheduled-jobs/1/runs/10/result-file", accessAllowed},   // a recipient
	{"alice", "GET", "/scheduled-jobs/2/runs/11/result-file", accessAllowed}, // her run's file, job or not
	{"carol", "GET", "/scheduled-jobs/1/runs/10/result-file", codeOpNotAllowed},
	{"alice", "GET", "/scheduled-jobs", accessAllowed},
	{"dave", "GET", "/scheduled-jobs", codeAccessDenied},
	{"dave", "GET", "/scheduled-jobs/count", codeAccessDenied},
	{"dave", "GET", "/scheduled-jobs/1", codeAccessDenied},
	{"dave", "GET", "/scheduled-jobs/99", codeJobNotFound}, // looked up before any right
	{"dave", "POST", "/scheduled-jobs/1/runs", codeAccessDenied},
	{"dave", "POST", "/scheduled-jobs/99/runs", codeJobNotFound},
	{"dave", "GET", "/scheduled-jobs/1/runs", codeAccessDenied},
	{"dave", "GET", "/scheduled-jobs/99/runs", codeAccessDenied}, // no job named: the right first
	{"dave", "GET", "/scheduled-jobs/1/runs/10", codeAccessDenied},
	{"dave", "GET", "/scheduled-jobs/1/runs/99", codeRunNotFound},
	{"dave", "GET", "/scheduled-jobs/1/runs/10/result-file", codeOpNotAllowed}, // no right needed, but not his
	{"erin", "GET", "/scheduled-jobs", accessAllowed},
}

// checkAccess sends the request of c as its user and checks the answer.
func checkAccess(t *testing.T, s *Server, c accessCase) {
	t.Helper()
	body := ""
	if c.method == "POST" {
		body = `{}`
	}
	r := call(t, c.method, s.URL()+c.path, "basic:"+c.user+":"+accessPasswords[c.user], body)
	switch {
	case c.want == accessAllowed && r.status != 200:
		t.Errorf("%s %s as %s: %d %s, want 200", c.method, c.path, c.user, r.status, r.body)
	case c.want != accessAllowed && (r.status != 400 || r.apiCode() != c.want):
		t.Errorf("%s %s as %s: %d %s, want 400 %s", c.method, c.path, c.user, r.status, r.body, c.want)
	}
}

var accessPasswords = map[string]string{"admin": "Admin@123", "alice": "Alice@123", "bob": "Bob@123", "carol": "Carol@123",
	"dave": "Dave@123", "erin": "Erin@123"}

// A refused trigger is not queued and never becomes a run.
func TestRefusedTriggerIsNotQueued(t *testing.T) {
	s, _ := newManualServer(t, accessConfig(LineNewest))
	called := false
	s.SetTriggerHook(func(int64, string) { called = true })
	if r := postDirect(t, s, "/scheduled-jobs/2/runs", "basic:alice:Alice@123", `{}`); r.status != 400 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if called || len(s.QueuedTriggers()) != 0 || len(s.Runs(2)) != 1 { // its seeded run 11 only
		t.Fatalf("a refused trigger went on: hook %v, queue %+v, runs %+v", called, s.QueuedTriggers(), s.Runs(2))
	}
}

// Creating a job needs the Create right, replacing it Update and deleting it Delete
// (AccessCtrlMgr.ensureCreate/Update/DeleteScheduledJobRights); Read alone reads and
// triggers. A PUT or DELETE of an unknown job is not found whatever the caller's rights.
func TestRightsPerOperation(t *testing.T) {
	cfg := accessConfig(LineNewest)
	cfg.Users = append(cfg.Users,
		UserConfig{LoginName: "frank", Password: "Frank@123", JobRights: []string{OpRead, OpCreate}},
		UserConfig{LoginName: "gina", Password: "Gina@123", JobRights: []string{OpRead, OpUpdate, OpDelete}})
	cfg.Jobs = append(cfg.Jobs,
		JobConfig{ID: 3, Name: "Erin's", CreatedBy: "erin"},
		JobConfig{ID: 4, Name: "Frank's", CreatedBy: "frank"},
		JobConfig{ID: 5, Name: "Gina's", CreatedBy: "gina"})
	s, _ := newManualServer(t, cfg)
	pw := map[string]string{"erin": "Erin@123", "frank": "Frank@123", "gina": "Gina@123"}
	const newJob = `{"name":"%s","type":"INTERNAL","taskImplFqn":"` + "com.krishagni.catissueplus.core.common.services.impl.ExportedFilesCleanerTask" + `","repeatSchedule":"ONDEMAND"}`
	for _, c := range []struct {
		user, method, path, body, want string
	}{
		{"erin", "POST", "/scheduled-jobs", fmt.Sprintf(newJob, "by erin"), codeAccessDenied},
		{"erin", "PUT", "/scheduled-jobs/3", fmt.Sprintf(newJob, "Erin's"), codeAccessDenied},
		{"erin", "DELETE", "/scheduled-jobs/3", "", codeAccessDenied},
		{"erin", "POST", "/scheduled-jobs/3/runs", `{}`, ""},
		{"frank", "POST", "/scheduled-jobs", fmt.Sprintf(newJob, "by frank"), ""},
		{"frank", "PUT", "/scheduled-jobs/4", fmt.Sprintf(newJob, "Frank's"), codeAccessDenied},
		{"frank", "DELETE", "/scheduled-jobs/4", "", codeAccessDenied},
		{"gina", "POST", "/scheduled-jobs", fmt.Sprintf(newJob, "by gina"), codeAccessDenied},
		{"gina", "PUT", "/scheduled-jobs/5", fmt.Sprintf(newJob, "Gina's job"), ""},
		{"gina", "DELETE", "/scheduled-jobs/5", "", ""},
		{"erin", "PUT", "/scheduled-jobs/99", fmt.Sprintf(newJob, "x"), codeJobNotFound},
		{"erin", "DELETE", "/scheduled-jobs/99", "", codeJobNotFound},
	} {
		r := call(t, c.method, s.URL()+c.path, "basic:"+c.user+":"+pw[c.user], c.body)
		switch {
		case c.want == "" && r.status != 200:
			t.Errorf("%s %s as %s: %d %s, want 200", c.method, c.path, c.user, r.status, r.body)
		case c.want != "" && (r.status != 400 || r.apiCode() != c.want):
			t.Errorf("%s %s as %s: %d %s, want 400 %s", c.method, c.path, c.user, r.status, r.body, c.want)
		}
	}
}

// The run list checks nothing about its job: a user who may read none of a job's runs gets
// [], never an error; on the newest line a non-admin sees only its own runs of the jobs it
// may read, on the older line every run of the job.
func TestRunListChecksNoJob(t *testing.T) {
	for _, c := range []struct {
		line, user string
		job        int64
		want       []int64
	}{
		{LineNewest, "carol", 1, []int64{}},   // neither shared with her nor hers
		{LineNewest, "alice", 2, []int64{}},   // her run 11, of a job she cannot read
		{LineNewest, "alice", 1, []int64{10}}, // her run of a job shared with her
		{LineOlder, "carol", 1, []int64{10}},
		{LineOlder, "alice", 2, []int64{11}},
	} {
		s, _ := newManualServer(t, accessConfig(c.line))
		r := call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/%d/runs", s.URL(), c.job), "basic:"+c.user+":"+accessPasswords[c.user], "")
		var runs []runOut
		r.decode(t, &runs)
		if r.status != 200 || fmt.Sprint(ids(runs)) != fmt.Sprint(c.want) {
			t.Errorf("%s line, %s lists job %d: %d %v, want %v", c.line, c.user, c.job, r.status, ids(runs), c.want)
		}
	}
}
