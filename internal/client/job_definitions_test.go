package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// defsConfig is a server with three users (ids 1-3), two saved queries and one job, "Taken".
// Its clock stands still at envStart: the scheduled jobs the tests create (nightlySpec,
// daily at 02:30) never fire during a test, whatever the time of day.
func defsConfig() mockserver.Config {
	return mockserver.Config{
		Clock: mockserver.NewManualClock(envStart),
		Users: []mockserver.UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
		},
		SavedQueries: []mockserver.SavedQueryConfig{{ID: 21, Title: "Specimens"}, {ID: 22, Title: "Visits"}},
		Jobs:         []mockserver.JobConfig{{ID: 1, Name: "Taken", Type: "QUERY"}},
	}
}

// defsClient is a client of s as admin, whose sleeps move a clock of its own at once (see
// sleeper): a wait for a job name lasts no real time.
func defsClient(t *testing.T, s *mockserver.Server) *Client {
	t.Helper()
	return defsClientSleeping(t, s, "admin", "Admin@123", &sleeper{clock: mockserver.NewManualClock(envStart)})
}

// defsClientSleeping is defsClient with the given sleeper.
func defsClientSleeping(t *testing.T, s *mockserver.Server, user, password string, waits *sleeper) *Client {
	t.Helper()
	c, err := New(Config{URL: s.URL(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	c.now, c.sleep = waits.clock.Now, waits.sleep
	return c
}

// defsServer is the mock of defsConfig on line, with jobs added.
func defsServer(t *testing.T, line string, jobs ...mockserver.JobConfig) *mockserver.Server {
	cfg := defsConfig()
	cfg.Line = line
	cfg.Jobs = append(cfg.Jobs, jobs...)
	return mocktest.New(t, cfg)
}

// onRequest makes s call f at the first request of method and route, and answer what f
// answers (false: the server's answer); the requests f makes are answered by the server.
// It answers a channel closed once f has returned.
func onRequest(s *mockserver.Server, method, route string, f func() (mockserver.Reply, bool)) <-chan struct{} {
	done := make(chan struct{})
	var called atomic.Bool
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if req.Method != method || req.Pattern != route || called.Swap(true) {
			return mockserver.Reply{}, false
		}
		defer close(done)
		return f()
	})
	return done
}

const routeJobs = "/scheduled-jobs"

func ptr[T any](v T) *T { return &v }

// nightlyStart is nightlySpec's start date, which the job is read back with.
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
	c := defsClient(t, s)
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

// A name another job has, in any case, is refused before anything is sent (the server's
// duplicate check ignores case), after a bounded wait for the job to give it up.
func TestCreateJobNameTaken(t *testing.T) {
	for _, name := range []string{"Taken", "TAKEN", "taken"} {
		t.Run(name, func(t *testing.T) {
			s := mocktest.New(t, defsConfig())
			waits := &sleeper{clock: mockserver.NewManualClock(envStart)}
			c := defsClientSleeping(t, s, "admin", "Admin@123", waits)
			_, err := c.CreateJob(t.Context(), nightlySpec(name))
			var taken *JobNameTakenError
			if !errors.As(err, &taken) || taken.Holder == nil || taken.Holder.ID != 1 || !strings.Contains(err.Error(), `"`+name+`" is taken by job 1`) {
				t.Fatalf("err = %v, want a *JobNameTakenError naming job 1", err)
			}
			if taken.Waited != NameWait || !strings.Contains(err.Error(), "after 20s of waiting for it to be deleted or renamed") {
				t.Fatalf("waited %s (%v), want %s", taken.Waited, err, NameWait)
			}
			if n := s.RequestCount("POST", routeJobs); n != 0 {
				t.Fatalf("%d POSTs sent, want none", n)
			}
		})
	}
}

// A name whose holder gives it up while the create waits (deleted or renamed by the same
// apply: a replacement, a list that shrinks) is taken once free.
func TestCreateJobNameFreedWhileWaiting(t *testing.T) {
	for _, free := range []string{"deleted", "renamed", "disabled"} {
		t.Run(free, func(t *testing.T) {
			s := mocktest.New(t, defsConfig())
			other := defsClient(t, s)
			waits := &sleeper{clock: mockserver.NewManualClock(envStart)}
			waits.onSleep = func(n int, _ time.Duration) {
				if n != 2 {
					return
				}
				spec := JobSpec{Name: "Taken", Type: "QUERY", SavedQueryID: 21, RepeatSchedule: "ONDEMAND"}
				var err error
				switch free {
				case "deleted":
					_, err = other.DeleteJob(t.Context(), 1, "Taken")
				case "renamed":
					spec.Name = "Taken before"
					_, err = other.UpdateJob(t.Context(), 1, "Taken", spec)
				case "disabled":
					spec.Disabled = true
					_, err = other.UpdateJob(t.Context(), 1, "Taken", spec)
				}
				if err != nil {
					t.Error(err)
				}
			}
			c := defsClientSleeping(t, s, "admin", "Admin@123", waits)
			job, err := c.CreateJob(t.Context(), nightlySpec("Taken"))
			if err != nil || job.Name != "Taken" || job.ID == 1 {
				t.Fatalf("CreateJob = %v, %v; want a new job once job 1 gave the name up", job, err)
			}
			if n := len(waits.all()); n != 2 {
				t.Fatalf("%d waits, want 2", n)
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
	c := defsClient(t, s)
	spec := JobSpec{Name: "Taken", Type: "QUERY", SavedQueryID: 22, RepeatSchedule: "ONDEMAND"}
	if _, err := c.UpdateJob(t.Context(), 2, "Taken", spec); err != nil {
		t.Fatalf("an update keeping the name: %v", err)
	}
	if n := s.RequestCount("PUT", routeJob); n != 1 {
		t.Fatalf("%d PUTs, want 1", n)
	}
}

// The server's duplicate-name refusal is the same *JobNameTakenError as the check before the
// POST: for a name only another user's job has (which this user cannot see: no holder, and
// no wait), and for a rename that changes only case, which the server refuses on finding the
// job itself.
func TestJobNameRefusedByTheServer(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	waits := &sleeper{clock: mockserver.NewManualClock(envStart)}
	alice := defsClientSleeping(t, s, "alice", "Alice@123", waits)
	_, err := alice.CreateJob(t.Context(), nightlySpec("Taken"))
	var taken *JobNameTakenError
	if !errors.As(err, &taken) || taken.Holder != nil || !IsCode(err, CodeDupJobName) ||
		!strings.Contains(err.Error(), "another job has it, in some case, one this user cannot see") {
		t.Fatalf("err = %v, want a *JobNameTakenError without a holder, of code %s", err, CodeDupJobName)
	}
	if n := s.RequestCount("POST", routeJobs); n != 2 {
		t.Fatalf("%d POSTs, want 2: a refusal whose holder is unseen is tried once more, as the holder may have left", n)
	}
	job, err := alice.CreateJob(t.Context(), nightlySpec("Mine"))
	if err != nil {
		t.Fatal(err)
	}
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if req.Method != http.MethodPut {
			return mockserver.Reply{}, false
		}
		return mockserver.ErrorReply(400, CodeDupJobName, "Job with name MINE already exists."), true
	})
	_, err = alice.UpdateJob(t.Context(), job.ID, "Mine", nightlySpec("MINE"))
	if !errors.As(err, &taken) || !taken.Self || taken.Holder.ID != job.ID ||
		!strings.Contains(err.Error(), fmt.Sprintf(`refused to rename job %d to "MINE"`, job.ID)) {
		t.Fatalf("err = %v, want a *JobNameTakenError of the job itself", err)
	}
	if n := len(waits.all()); n != 0 {
		t.Fatalf("%d waits, want none: no holder this user sees can give the name up", n)
	}
}

// A rename refused for a name whose holder leaves it before the look-up that would name the
// holder (deleted at the same time, by the same apply) is sent again at once, and passes.
func TestUpdateJobHolderLeftAfterRefusal(t *testing.T) {
	s := defsServer(t, mockserver.LineNewest, mockserver.JobConfig{ID: 2, Name: "Nightly", Type: "QUERY"})
	c, other := defsClient(t, s), defsClient(t, s)
	onRequest(s, http.MethodPut, routeJob, func() (mockserver.Reply, bool) {
		if _, err := other.DeleteJob(t.Context(), 1, "Taken"); err != nil {
			t.Error(err)
		}
		return mockserver.ErrorReply(400, CodeDupJobName, "A job with the name Taken already exists."), true
	})
	spec := nightlySpec("Taken")
	if job, err := c.UpdateJob(t.Context(), 2, "Nightly", spec); err != nil || job.Name != "Taken" {
		t.Fatalf("UpdateJob = %+v, %v; want job 2 renamed Taken", job, err)
	}
	if n := s.RequestCount("PUT", routeJob); n != 2 {
		t.Fatalf("%d PUTs, want 2", n)
	}
}

// A POST whose answer is lost, or whose context ends, is never sent again: the job is looked
// up on a context of its own, by its name or, for a Disabled job, which name look-ups do not
// see, by the ids above the newest one seen before the POST; found, it is read by its id
// and answered. Not found, the outcome is unknown, and a later look-up finds the job that
// the server created after all. On both server lines.
func TestCreateJobSettled(t *testing.T) {
	for _, line := range serverLines {
		for _, disabled := range []bool{false, true} {
			for _, tc := range []struct {
				name   string
				cancel bool // whether the context ends (a Ctrl-C) rather than the connection
				// when the server creates the job: "before" its answer is lost, "after"
				// CreateJob has returned (as a server still holding the request would), or "never".
				created string
			}{{"lost answer", false, "before"}, {"lost answer", false, "never"},
				{"cancelled", true, "before"}, {"cancelled", true, "after"}} {
				t.Run(fmt.Sprintf("%s, disabled %v, %s, created %s", line, disabled, tc.name, tc.created), func(t *testing.T) {
					checkCreateSettled(t, line, disabled, tc.cancel, tc.created)
				})
			}
		}
	}
}

func checkCreateSettled(t *testing.T, line string, disabled, cancel bool, created string) {
	// Older jobs: a Disabled job of the same name, and another user's job above it.
	s := defsServer(t, line, mockserver.JobConfig{ID: 5, Name: "Nightly", ActivityStatus: "Disabled", CreatedBy: "alice"},
		mockserver.JobConfig{ID: 6, Name: "Bob's", CreatedBy: "bob"})
	c, other := defsClient(t, s), defsClient(t, s)
	spec := nightlySpec("Nightly")
	spec.Disabled = disabled
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	returned := make(chan struct{})
	hooked := onRequest(s, http.MethodPost, routeJobs, func() (mockserver.Reply, bool) {
		if created == "after" {
			stop()
			<-returned
		}
		if created != "never" {
			if _, err := other.CreateJob(t.Context(), spec); err != nil {
				t.Error(err)
			}
		}
		if cancel {
			stop()
		}
		return mockserver.Reply{Drop: true}, true
	})
	job, err := c.CreateJob(ctx, spec)
	close(returned)
	<-hooked
	var unknown *JobCreateUnknownError
	switch {
	case created == "before" && (err != nil || job.Name != "Nightly" || job.ID != 7 || job.Disabled() != disabled):
		t.Fatalf("CreateJob = %+v, %v; want job 7, created", job, err)
	case created == "before":
	case !errors.As(err, &unknown) || !strings.Contains(err.Error(), "no job it created was found afterwards, but the server may still create it"):
		t.Fatalf("CreateJob = %+v, %v; want a *JobCreateUnknownError", job, err)
	default:
		found, err := c.FindCreatedJob(t.Context(), unknown.Attempt)
		if want := map[string]int64{"after": 7}[created]; err != nil || (found == nil) != (want == 0) || found != nil && found.ID != want {
			t.Fatalf("FindCreatedJob(%+v) = %+v, %v; want job %d (0: none)", unknown.Attempt, found, err, want)
		}
	}
	if n, want := s.RequestCount("POST", routeJobs), 1+btoi(created != "never"); n != want {
		t.Fatalf("%d POSTs, want %d (ours, and the one creating it): ours was sent again", n, want)
	}
}

// A context that ended before the POST leaves nothing to settle: nothing was sent.
func TestCreateJobCancelledBefore(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s)
	ctx, stop := context.WithCancel(t.Context())
	stop()
	_, err := c.CreateJob(ctx, nightlySpec("Nightly"))
	var unknown *JobCreateUnknownError
	if !errors.Is(err, context.Canceled) || errors.As(err, &unknown) || s.RequestCount("POST", routeJobs) != 0 {
		t.Fatalf("err = %v, %d POSTs; want the context's end and none", err, s.RequestCount("POST", routeJobs))
	}
}

// Among Disabled jobs of the name found after the POST, the newest is the one it created:
// ids grow, and an older one was there before. Two jobs of the name, Active, are an error.
func TestFindCreatedJob(t *testing.T) {
	s := defsServer(t, mockserver.LineNewest,
		mockserver.JobConfig{ID: 5, Name: "Nightly", ActivityStatus: "Disabled"},
		mockserver.JobConfig{ID: 8, Name: "Nightly", ActivityStatus: "Disabled"},
		mockserver.JobConfig{ID: 9, Name: "Nightly", ActivityStatus: "Disabled", CreatedBy: "alice"},
		mockserver.JobConfig{ID: 10, Name: "Twice"}, mockserver.JobConfig{ID: 11, Name: "Twice"})
	c := defsClient(t, s)
	found, err := c.FindCreatedJob(t.Context(), CreateAttempt{Name: "Nightly", Disabled: true, Creator: "admin", AfterID: 1})
	if err != nil || found == nil || found.ID != 8 {
		t.Fatalf("found %+v, %v; want job 8, admin's newest", found, err)
	}
	if n := s.RequestCount("GET", routeJob); n != 11+scanGap-1 {
		t.Fatalf("%d reads by id, want %d: up to %d ids missing in a row", n, 11+scanGap-1, scanGap)
	}
	found, err = c.FindCreatedJob(t.Context(), CreateAttempt{Name: "Nightly", Disabled: true, Creator: "admin", AfterID: 8})
	if err != nil || found != nil {
		t.Fatalf("found %+v, %v above job 8; want none", found, err)
	}
	if _, err := c.FindCreatedJob(t.Context(), CreateAttempt{Name: "Twice", Creator: "admin"}); err == nil {
		t.Fatal("two Active jobs of the name were not an error")
	}
}

// An update replaces the whole job; a rename to a name another job holds is the server's
// refusal, after a bounded wait for the holder to give it up.
func TestUpdateJob(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s)
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	spec := JobSpec{Name: "Weekly", Type: "QUERY", SavedQueryID: 22, RepeatSchedule: "WEEKLY",
		Schedule: Schedule{ScheduledHour: ptr(4), ScheduledMinute: ptr(0), ScheduledDayOfWeek: ptr("SUNDAY")}, Disabled: true}
	if _, err := c.UpdateJob(t.Context(), job.ID, "Nightly", spec); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetJob(t.Context(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Weekly" || got.SavedQuery.ID != 22 || deref(got.ScheduledDayOfWeek) != "SUNDAY" ||
		got.ActivityStatus != "Disabled" || got.RunAs != nil || len(got.Recipients) != 0 || got.FixedArgs != nil ||
		got.NextRunOn == nil { // the server computes nextRunOn whatever the job's status
		b, _ := json.Marshal(got)
		t.Fatalf("job after the update: %s", b)
	}
	spec.Name = "Taken"
	_, err = c.UpdateJob(t.Context(), job.ID, "Weekly", spec)
	var taken *JobNameTakenError
	if !errors.As(err, &taken) || taken.Holder == nil || taken.Holder.ID != 1 || taken.Waited != NameWait || !IsCode(err, CodeDupJobName) {
		t.Fatalf("rename to a taken name: %v", err)
	}
	if n := s.RequestCount("PUT", routeJob); n != 2 {
		t.Fatalf("%d PUTs, want 2: the refused rename is not sent again while the name is taken", n)
	}
}

// A delete is the server's soft delete: the job is Disabled and renamed, and still readable.
func TestDeleteJob(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s)
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := c.DeleteJob(t.Context(), job.ID, "Nightly")
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
	if _, err := c.DeleteJob(t.Context(), 999, "Gone"); !IsNotFound(err) {
		t.Fatalf("delete of an unknown job: %v", err)
	}
}

// A job is deleted when Disabled and renamed since it was last known to a name ending in
// _<epochMillis>; a job disabled under a name of its own is not, whatever digits end it.
func TestJobDeletedSince(t *testing.T) {
	for _, c := range []struct {
		name, status, last string
		want               bool
	}{
		{"Nightly_1767225600000", "Disabled", "Nightly", true},
		{"Nightly_1767225600000", "Disabled", "", true},                       // imported: the name alone tells
		{"Renamed_1767225600000", "Disabled", "Nightly", true},                // renamed in the UI, then deleted
		{"Nightly_1767225600000", "Disabled", "Nightly_1767225600000", false}, // its own name
		{"Backup_2", "Disabled", "Backup_2", false},
		{"Backup_2", "Disabled", "", false},
		{"Nightly_1767225600000", "Active", "Nightly", false},
	} {
		j := &Job{Name: c.name, ActivityStatus: c.status}
		if got := j.DeletedSince(c.last); got != c.want {
			t.Errorf("job %q %s last known as %q: DeletedSince = %v, want %v", c.name, c.status, c.last, got, c.want)
		}
	}
}

// An update of a deleted job is refused before the PUT, which would bring it back.
func TestUpdateJobDeleted(t *testing.T) {
	s := mocktest.New(t, defsConfig())
	c := defsClient(t, s)
	job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteJob(t.Context(), job.ID, "Nightly"); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateJob(t.Context(), job.ID, "Nightly", nightlySpec("Nightly"))
	var deleted *JobDeletedError
	if !errors.As(err, &deleted) || deleted.Job.ID != job.ID || !strings.HasPrefix(deleted.Job.Name, "Nightly_") {
		t.Fatalf("UpdateJob of a deleted job: %v, want a *JobDeletedError", err)
	}
	if n := s.RequestCount("PUT", routeJob); n != 0 {
		t.Fatalf("%d PUTs, want none", n)
	}
}

// A PUT whose context ends is not sent again: the job is read on a context of its own, and
// the error holds it as the server has it, updated or not.
func TestUpdateJobSettled(t *testing.T) {
	for _, line := range serverLines {
		for _, updated := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, updated %v", line, updated), func(t *testing.T) {
				s := defsServer(t, line)
				c, other := defsClient(t, s), defsClient(t, s)
				job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
				if err != nil {
					t.Fatal(err)
				}
				ctx, stop := context.WithCancel(t.Context())
				defer stop()
				hooked := onRequest(s, http.MethodPut, routeJob, func() (mockserver.Reply, bool) {
					if updated {
						if _, err := other.UpdateJob(t.Context(), job.ID, "Nightly", nightlySpec("Weekly")); err != nil {
							t.Error(err)
						}
					}
					stop()
					return mockserver.Reply{Drop: true}, true
				})
				_, err = c.UpdateJob(ctx, job.ID, "Nightly", nightlySpec("Weekly"))
				<-hooked
				var lost *JobWriteLostError
				want := map[bool]string{true: "Weekly", false: "Nightly"}[updated]
				if !errors.As(err, &lost) || lost.Job == nil || lost.Job.Name != want || !errors.Is(err, context.Canceled) {
					t.Fatalf("UpdateJob = %v; want a *JobWriteLostError holding the job named %s", err, want)
				}
				if n := s.RequestCount("PUT", routeJob); n != 1+btoi(updated) {
					t.Fatalf("%d PUTs, want %d: ours was sent again", n, 1+btoi(updated))
				}
			})
		}
	}
}

// A DELETE whose answer is lost, or whose context ends, is never sent again (it would rename
// the job again): the job is read on a context of its own, and answered if deleted.
func TestDeleteJobSettled(t *testing.T) {
	for _, line := range serverLines {
		for _, tc := range []struct {
			name            string
			deleted, cancel bool
		}{{"lost answer, deleted", true, false}, {"lost answer, not deleted", false, false},
			{"cancelled, deleted", true, true}, {"cancelled, not deleted", false, true}} {
			t.Run(line+", "+tc.name, func(t *testing.T) {
				s := defsServer(t, line)
				c, other := defsClient(t, s), defsClient(t, s)
				job, err := c.CreateJob(t.Context(), nightlySpec("Nightly"))
				if err != nil {
					t.Fatal(err)
				}
				ctx, stop := context.WithCancel(t.Context())
				defer stop()
				hooked := onRequest(s, http.MethodDelete, routeJob, func() (mockserver.Reply, bool) {
					if tc.deleted {
						if _, err := other.DeleteJob(t.Context(), job.ID, "Nightly"); err != nil {
							t.Error(err)
						}
					}
					if tc.cancel {
						stop()
					}
					return mockserver.Reply{Drop: true}, true
				})
				got, err := c.DeleteJob(ctx, job.ID, "Nightly")
				<-hooked
				var lost *JobWriteLostError
				switch {
				case tc.deleted && (err != nil || got.ActivityStatus != "Disabled" || !strings.HasPrefix(got.Name, "Nightly_")):
					t.Fatalf("DeleteJob = %v, %v; want the job deleted", got, err)
				case !tc.deleted && (!errors.As(err, &lost) || !strings.Contains(err.Error(), "the job is not deleted afterwards")):
					t.Fatalf("DeleteJob = %v, %v; want a *JobWriteLostError saying the job is not deleted", got, err)
				}
				if n := s.RequestCount("DELETE", routeJob); n != 1+btoi(tc.deleted) {
					t.Fatalf("%d DELETEs, want %d: the lost one was sent again", n, 1+btoi(tc.deleted))
				}
			})
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
