package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// defsConfig is a server with three users (ids 1-3), two saved queries and one job, "Taken".
func defsConfig() mockserver.Config {
	return mockserver.Config{
		Users: []mockserver.UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
		},
		SavedQueries: []mockserver.SavedQueryConfig{{ID: 21, Title: "Specimens"}, {ID: 22, Title: "Visits"}},
		Jobs:         []mockserver.JobConfig{{ID: 1, Name: "Taken", Type: "QUERY"}},
	}
}

func defsClient(t *testing.T, s *mockserver.Server, user, password string) *Client {
	t.Helper()
	c, err := New(Config{URL: s.URL(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// nightlyStart starts nightlySpec's schedule in 2100, so that the mock never fires it on the
// real clock during a test.
var nightlyStart = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

func nightlySpec(name string) JobSpec {
	start := nightlyStart
	return JobSpec{
		Name: name, Type: "QUERY", SavedQueryID: 21, RepeatSchedule: "DAILY",
		Schedule: Schedule{ScheduledHour: ptr(2), ScheduledMinute: ptr(30)}, StartDate: &start,
		RunAsUserID: 2, RecipientIDs: []int64{2, 3}, SharedWithIDs: []int64{3},
		FixedArgs: "--cp 12", AcceptsArgs: true, ArgsHelpText: "--cp <cp>",
	}
}

// The job created is the one described, read back whole.
func TestCreateJob(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s, "admin", "Admin@123")
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetJob(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Nightly" || got.Type != "QUERY" || got.SavedQuery == nil || got.SavedQuery.ID != 21 ||
		got.RepeatSchedule != "DAILY" || *got.ScheduledHour != 2 || *got.ScheduledMinute != 30 ||
		got.ScheduledDayOfWeek != nil || got.ScheduledDayOfMonth != nil ||
		got.StartDate == nil || !got.StartDate.Equal(nightlyStart) || got.EndDate != nil ||
		got.RunAs.ID != 2 || len(got.Recipients) != 2 || len(got.SharedWith) != 1 || got.SharedWith[0].LoginName != "bob" ||
		deref(got.FixedArgs) != "--cp 12" || !got.AcceptsArgs() || got.ArgsHelpText() != "--cp <cp>" ||
		got.ActivityStatus != "Active" || got.CreatedBy.Login() != "admin" || got.NextRunOn == nil {
		b, _ := json.Marshal(got)
		t.Fatalf("job read back: %s", b)
	}
}

// The body names users and the saved query by id and writes unset fields as null.
func TestJobSpecBody(t *testing.T) {
	spec := JobSpec{Name: "On demand", Type: "INTERNAL", TaskImplFqn: "a.B", RepeatSchedule: "ONDEMAND", Disabled: true}
	b, err := json.Marshal(spec.body(7))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":7`, `"savedQuery":null`, `"taskImplFqn":"a.B"`, `"command":null`,
		`"scheduledHour":null`, `"startDate":null`, `"activityStatus":"Disabled"`, `"runAs":null`,
		`"recipients":[]`, `"sharedWith":[]`, `"rtArgsProvided":false`, `"fixedArgs":null`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("body %s lacks %s", b, want)
		}
	}
	nightly := nightlySpec("N")
	b, _ = json.Marshal(nightly.body(0))
	for _, want := range []string{`"savedQuery":{"id":21}`, `"runAs":{"id":2}`, `"recipients":[{"id":2},{"id":3}]`,
		`"startDate":4102444800000`, `"scheduledMinute":30`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("body %s lacks %s", b, want)
		}
	}
	if bytes.Contains(b, []byte(`"id":0`)) {
		t.Errorf("a new job's body %s has an id", b)
	}
}

// A name another job has, in any case, is refused before anything is sent: the server's
// duplicate check ignores case.
func TestCreateJobNameTaken(t *testing.T) {
	for _, name := range []string{"Taken", "TAKEN", "taken"} {
		t.Run(name, func(t *testing.T) {
			s := mocktest.New(t, defsConfig())
			c := defsClient(t, s, "admin", "Admin@123")
			_, err := c.CreateJob(t.Context(), nightlySpec(name))
			var taken *JobNameTakenError
			if !errors.As(err, &taken) || taken.Existing.ID != 1 || !strings.Contains(err.Error(), `"`+name+`" is taken by job 1`) {
				t.Fatalf("err = %v, want a *JobNameTakenError naming job 1", err)
			}
			if n := s.RequestCount("POST", "/scheduled-jobs"); n != 0 {
				t.Fatalf("%d POSTs sent, want none", n)
			}
		})
	}
}

// An update that keeps the job's name does not check it, as the server does not: another
// visible job of that name (made before, or on a server that compares case) blocks nothing.
func TestUpdateJobNameKept(t *testing.T) {
	cfg := defsConfig()
	cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: 2, Name: "Taken", Type: "QUERY"})
	s := mocktest.New(t, cfg)
	c := defsClient(t, s, "admin", "Admin@123")
	spec := JobSpec{Name: "Taken", Type: "QUERY", SavedQueryID: 22, RepeatSchedule: "ONDEMAND"}
	_, err := c.UpdateJob(t.Context(), 2, spec)
	var taken *JobNameTakenError
	if errors.As(err, &taken) {
		t.Fatalf("an update keeping the name was refused by the client: %v", err)
	}
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 1 {
		t.Fatalf("%d PUTs, want 1", n)
	}
}

// A name only another user's job has, which this user cannot see, is the server's refusal.
func TestCreateJobDuplicateUnseen(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s, "alice", "Alice@123")
	_, err := c.CreateJob(t.Context(), nightlySpec("Taken"))
	if !IsCode(err, CodeDupJobName) {
		t.Fatalf("err = %v, want %s", err, CodeDupJobName)
	}
}

// A POST whose answer is lost is never sent again: the job is looked up by its name and,
// found, read by its id (a list's job is not the whole job).
func TestCreateJobLostAnswer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created bool // whether the server created the job before the answer was lost
	}{{"created", true}, {"not created", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := mocktest.New(t, defsConfig())
			c := defsClient(t, s, "admin", "Admin@123")
			other := defsClient(t, s, "admin", "Admin@123")
			var posts atomic.Int32
			s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
				if req.Method != http.MethodPost || req.Path != "/scheduled-jobs" || posts.Add(1) > 1 {
					return mockserver.Reply{}, false
				}
				if tc.created {
					if _, err := other.CreateJob(t.Context(), nightlySpec("Nightly")); err != nil {
						t.Error(err)
					}
				}
				return mockserver.Reply{Drop: true}, true
			})
			job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
			switch {
			case tc.created && (err != nil || job.Name != "Nightly"):
				t.Fatalf("CreateJob = %v, %v; want the job created", job, err)
			case !tc.created && (err == nil || !strings.Contains(err.Error(), "no job of that name was found afterwards") ||
				!strings.Contains(err.Error(), "check OpenSpecimen's Jobs view before applying again")):
				t.Fatalf("CreateJob = %v, %v; want an error saying none was found, and to check the Jobs view", job, err)
			}
			if n := s.RequestCount("GET", "/scheduled-jobs/{jobId}"); n != btoi(tc.created) {
				t.Fatalf("%d reads of a job by id, want %d: the job found is read by its id", n, btoi(tc.created))
			}
			if n := s.RequestCount("POST", "/scheduled-jobs"); n != 1+btoi(tc.created) {
				t.Fatalf("%d POSTs, want %d: the lost one was sent again", n, 1+btoi(tc.created))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// An update replaces the whole job; a rename to a name taken is refused before the PUT.
func TestUpdateJob(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s, "admin", "Admin@123")
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	spec := JobSpec{Name: "Weekly", Type: "QUERY", SavedQueryID: 22, RepeatSchedule: "WEEKLY",
		Schedule: Schedule{ScheduledHour: ptr(4), ScheduledMinute: ptr(0), ScheduledDayOfWeek: ptr("SUNDAY")}, Disabled: true}
	if _, err := c.UpdateJob(t.Context(), job.ID, spec); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetJob(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Weekly" || got.SavedQuery.ID != 22 || deref(got.ScheduledDayOfWeek) != "SUNDAY" ||
		got.ActivityStatus != "Disabled" || got.RunAs != nil || len(got.Recipients) != 0 || got.FixedArgs != nil ||
		got.NextRunOn != nil {
		b, _ := json.Marshal(got)
		t.Fatalf("job after the update: %s", b)
	}
	spec.Name = "Taken"
	_, err = c.UpdateJob(t.Context(), job.ID, spec)
	var taken *JobNameTakenError
	if !errors.As(err, &taken) || taken.Existing.ID != 1 {
		t.Fatalf("rename to a taken name: %v", err)
	}
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 1 {
		t.Fatalf("%d PUTs, want 1", n)
	}
}

// A delete is the server's soft delete: the job is Disabled and renamed, and still readable.
func TestDeleteJob(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s, "admin", "Admin@123")
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := c.DeleteJob(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetJob(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.ActivityStatus != "Disabled" || !strings.HasPrefix(got.Name, "Nightly_") || got.ActivityStatus != "Disabled" {
		t.Fatalf("deleted job: answer %q %s, read %q %s", deleted.Name, deleted.ActivityStatus, got.Name, got.ActivityStatus)
	}
	if jobs, err := c.JobsNamed(t.Context(), "Nightly"); err != nil || len(jobs) != 0 {
		t.Fatalf("jobs named Nightly after the delete: %v, %v", jobs, err)
	}
	if _, err := c.DeleteJob(t.Context(), 999); !IsNotFound(err) {
		t.Fatalf("delete of an unknown job: %v", err)
	}
}

// A job is deleted when Disabled, renamed <name>_<epochMillis> and left out of the job lists;
// a job disabled under a name of its own is not, whatever digits end it.
func TestJobDeleted(t *testing.T) {
	cfg := defsConfig()
	cfg.Jobs = append(cfg.Jobs,
		mockserver.JobConfig{ID: 5, Name: "Backup_2", ActivityStatus: "Disabled"},
		mockserver.JobConfig{ID: 6, Name: "Nightly_1767225600000", ActivityStatus: "Disabled"},
		mockserver.JobConfig{ID: 7, Name: "Old_1767225600000", Deleted: true},
		mockserver.JobConfig{ID: 8, Name: "Live_1767225600000"})
	s := mocktest.New(t, cfg)
	c := defsClient(t, s, "admin", "Admin@123")
	created, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteJob(t.Context(), created.ID); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]bool{1: false, 5: false, 6: false, 7: true, 8: false, created.ID: true} {
		j, err := c.GetJob(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.JobDeleted(t.Context(), j); err != nil || got != want {
			t.Errorf("JobDeleted(job %d %q %s) = %v, %v; want %v", id, j.Name, j.ActivityStatus, got, err, want)
		}
	}
}

// An update of a deleted job is refused before the PUT, which would bring it back.
func TestUpdateJobDeleted(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s, "admin", "Admin@123")
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteJob(t.Context(), job.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateJob(t.Context(), job.ID, nightlySpec("Nightly"))
	var deleted *JobDeletedError
	if !errors.As(err, &deleted) || deleted.Job.ID != job.ID || !strings.HasPrefix(deleted.Job.Name, "Nightly_") {
		t.Fatalf("UpdateJob of a deleted job: %v, want a *JobDeletedError", err)
	}
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 0 {
		t.Fatalf("%d PUTs, want none", n)
	}
}

// A DELETE whose answer is lost is never sent again (it would rename the job again): the job
// is read, and answered if deleted.
func TestDeleteJobLostAnswer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		deleted bool // whether the server deleted the job before the answer was lost
	}{{"deleted", true}, {"not deleted", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := mocktest.New(t, defsConfig())
			c := defsClient(t, s, "admin", "Admin@123")
			other := defsClient(t, s, "admin", "Admin@123")
			job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
			if err != nil {
				t.Fatal(err)
			}
			var deletes atomic.Int32
			s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
				if req.Method != http.MethodDelete || deletes.Add(1) > 1 {
					return mockserver.Reply{}, false
				}
				if tc.deleted {
					if _, err := other.DeleteJob(t.Context(), job.ID); err != nil {
						t.Error(err)
					}
				}
				return mockserver.Reply{Drop: true}, true
			})
			got, err := c.DeleteJob(t.Context(), job.ID)
			switch {
			case tc.deleted && (err != nil || got.ActivityStatus != "Disabled" || !strings.HasPrefix(got.Name, "Nightly_")):
				t.Fatalf("DeleteJob = %v, %v; want the job deleted", got, err)
			case !tc.deleted && (err == nil || !strings.Contains(err.Error(), "the job is not deleted afterwards")):
				t.Fatalf("DeleteJob = %v, %v; want an error saying the job is not deleted", got, err)
			}
			if n := s.RequestCount("DELETE", "/scheduled-jobs/{jobId}"); n != 1+btoi(tc.deleted) {
				t.Fatalf("%d DELETEs, want %d: the lost one was sent again", n, 1+btoi(tc.deleted))
			}
		})
	}
}
