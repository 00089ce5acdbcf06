package mockserver

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func ip(v int) *int { return &v }

// minuteIn answers the minute of the date given in loc.
func minuteIn(loc *time.Location, y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, loc)
}

func TestScheduleNext(t *testing.T) {
	utc := time.UTC
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := minuteIn(utc, 2024, 1, 15, 10, 0).Add(20 * time.Second) // a Monday
	anchor := minuteIn(utc, 2024, 1, 15, 9, 58).Add(10 * time.Second)
	start := minuteIn(utc, 2024, 3, 1, 0, 0)
	cases := []struct {
		name  string
		sc    schedule
		loc   *time.Location
		start *time.Time
		want  time.Time
	}{
		{"every 5 minutes from 09:58", schedule{repeat: "MINUTELY", minutelyInterval: ip(5)}, utc, nil, minuteIn(utc, 2024, 1, 15, 10, 3)},
		{"every 2 hours at :30 from 09:58", schedule{repeat: "HOURLY", hourlyInterval: ip(2), minute: ip(30)}, utc, nil, minuteIn(utc, 2024, 1, 15, 10, 30)},
		{"every 3 hours at :15 from 09:58", schedule{repeat: "HOURLY", hourlyInterval: ip(3), minute: ip(15)}, utc, nil, minuteIn(utc, 2024, 1, 15, 10, 15)},
		{"every 3 hours at :15 from 09:58, from 11:00", schedule{repeat: "HOURLY", hourlyInterval: ip(3), minute: ip(15)}, utc, ptr(minuteIn(utc, 2024, 1, 15, 11, 0)), minuteIn(utc, 2024, 1, 15, 11, 15)},
		{"daily 10:00, just past", schedule{repeat: "DAILY", hour: ip(10), minute: ip(0)}, utc, nil, minuteIn(utc, 2024, 1, 16, 10, 0)},
		{"daily 23:59", schedule{repeat: "DAILY", hour: ip(23), minute: ip(59)}, utc, nil, minuteIn(utc, 2024, 1, 15, 23, 59)},
		{"daily 02:30 in Kolkata", schedule{repeat: "DAILY", hour: ip(2), minute: ip(30)}, kolkata, nil, minuteIn(kolkata, 2024, 1, 16, 2, 30)},
		{"daily 18:00 in Kolkata (15:30 here)", schedule{repeat: "DAILY", hour: ip(18), minute: ip(0)}, kolkata, nil, minuteIn(kolkata, 2024, 1, 15, 18, 0)},
		{"weekly Monday 09:00", schedule{repeat: "WEEKLY", dayOfWeek: "MONDAY", hour: ip(9), minute: ip(0)}, utc, nil, minuteIn(utc, 2024, 1, 22, 9, 0)},
		{"weekly Monday 11:00", schedule{repeat: "WEEKLY", dayOfWeek: "MONDAY", hour: ip(11), minute: ip(0)}, utc, nil, minuteIn(utc, 2024, 1, 15, 11, 0)},
		{"weekly Sunday 01:00 in New York", schedule{repeat: "WEEKLY", dayOfWeek: "SUNDAY", hour: ip(1), minute: ip(0)}, newYork, nil, minuteIn(newYork, 2024, 1, 21, 1, 0)},
		{"monthly 15th 09:00", schedule{repeat: "MONTHLY", dayOfMonth: ip(15), hour: ip(9), minute: ip(0)}, utc, nil, minuteIn(utc, 2024, 2, 15, 9, 0)},
		{"daily, not before startDate", schedule{repeat: "DAILY", hour: ip(0), minute: ip(0)}, utc, &start, start},
		{"every 7 minutes from startDate", schedule{repeat: "MINUTELY", minutelyInterval: ip(7)}, utc, &start, start},
	}
	for _, c := range cases {
		got, ok := c.sc.next(anchor, c.start, now, c.loc)
		if !ok || !got.Equal(c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, ok, c.want)
		}
	}
	if _, ok := (schedule{repeat: "ONDEMAND"}).next(anchor, nil, now, utc); ok {
		t.Error("ONDEMAND has a next run")
	}
}

// MONTHLY as the server's Calendar arithmetic: a day the month lacks rolls over, a month
// added on the day itself stops at the month's end.
func TestScheduleNext_monthlyRollover(t *testing.T) {
	utc := time.UTC
	for _, c := range []struct {
		name string
		day  int
		now  time.Time
		want time.Time
	}{
		{"31st seen from February 1st", 31, minuteIn(utc, 2023, 2, 1, 10, 0), minuteIn(utc, 2023, 3, 3, 0, 0)},
		{"31st seen from February 1st of a leap year", 31, minuteIn(utc, 2024, 2, 1, 10, 0), minuteIn(utc, 2024, 3, 2, 0, 0)},
		{"30th seen from January 31st", 30, minuteIn(utc, 2024, 1, 31, 10, 0), minuteIn(utc, 2024, 3, 1, 0, 0)},
		{"31st seen from January 31st, its time past", 31, minuteIn(utc, 2024, 1, 31, 10, 0), minuteIn(utc, 2024, 2, 29, 0, 0)},
		{"31st seen from March 30th, 23:59:59", 31, minuteIn(utc, 2024, 3, 30, 23, 59).Add(time.Minute - time.Second), minuteIn(utc, 2024, 3, 31, 0, 0)},
	} {
		sc := schedule{repeat: "MONTHLY", dayOfMonth: ip(c.day), hour: ip(0), minute: ip(0)}
		if got, ok := sc.next(c.now, nil, c.now, utc); !ok || !got.Equal(c.want) {
			t.Errorf("monthly %s: %v %v, want %v", c.name, got, ok, c.want)
		}
	}
}

// nextRunOn in the job's JSON is the server's ScheduledJob.getNextRunOn at the moment of the
// read: the next occurrence from now in the server's zone, with now's seconds and
// milliseconds, whatever the job's status or dates; null only for ONDEMAND.
func TestNextRunOnJSON(t *testing.T) {
	end := clockStart.Add(30 * time.Minute)
	start := clockStart.Add(365 * 24 * time.Hour)
	s, clock := newManualServer(t, Config{Timezone: "Asia/Kolkata", Jobs: []JobConfig{
		{ID: 1, RepeatSchedule: "DAILY", ScheduledHour: ip(18), ScheduledMinute: ip(0)},
		{ID: 2, RepeatSchedule: "HOURLY", ScheduledMinute: ip(45), HourlyInterval: ip(3), EndDate: &end},
		{ID: 3, RepeatSchedule: "DAILY", ActivityStatus: "Disabled", StartDate: &start},
		{ID: 4, RepeatSchedule: "MINUTELY", MinutelyInterval: ip(7)},
		{ID: 5, RepeatSchedule: "ONDEMAND"},
	}})
	admin := login(t, s, "admin", "Admin@123")
	next := func(id int64) *int64 {
		return decodeJob(t, call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), id), admin, "")).NextRunOn
	}
	at := func(d time.Duration) int64 { return clockStart.Add(d).UnixMilli() }
	clock.Advance(17*time.Second + 345678*time.Microsecond) // 10:00:17.345678 UTC, 15:30:17 in Kolkata
	for _, c := range []struct {
		job  int64
		want int64
	}{
		{1, at(150*time.Minute + 17345*time.Millisecond)},              // 18:00:17.345 there, 12:30 UTC
		{2, at(15*time.Minute + 17345*time.Millisecond)},               // minute 45 there is minute 15 here
		{3, at(8*time.Hour + 30*time.Minute + 17345*time.Millisecond)}, // Disabled, not started: 00:00 there, 18:30 UTC
		{4, at(7*time.Minute + 17345*time.Millisecond)},                // now plus the interval
	} {
		if n := next(c.job); n == nil || *n != c.want {
			t.Errorf("job %d: nextRunOn %v, want %d", c.job, n, c.want)
		}
	}
	if n := next(5); n != nil {
		t.Errorf("an on-demand job's nextRunOn: %d", *n)
	}
	clock.Advance(20 * time.Minute)                                                            // 15:50 there: past minute 45, so 3 hours on; past endDate too
	if n := next(2); n == nil || *n != at(3*time.Hour+15*time.Minute+17345*time.Millisecond) { // 18:45 there
		t.Errorf("hourly after its minute and its endDate: %v", n)
	}
}

// On the newest line a job's startDate and endDate do not bound its scheduled runs
// (isActiveJob has no date check): it fires before its start and after its end. On the
// older line it fires only within them. Neither line fires a Disabled job.
func TestScheduleFiresWhateverDates(t *testing.T) {
	future, past := clockStart.Add(30*24*time.Hour), clockStart.Add(-time.Hour)
	for _, c := range []struct {
		line      string
		job       JobConfig
		wantFired bool
	}{
		{LineNewest, JobConfig{StartDate: &future}, true},
		{LineNewest, JobConfig{EndDate: &past, StartDate: ptr(past.Add(-time.Hour))}, true},
		{LineNewest, JobConfig{ActivityStatus: "Disabled"}, false},
		{LineOlder, JobConfig{StartDate: &future}, false},
		{LineOlder, JobConfig{EndDate: &past, StartDate: ptr(past.Add(-time.Hour))}, false},
		{LineOlder, JobConfig{}, true},
	} {
		jc := c.job
		jc.ID, jc.Type, jc.TaskImplFqn = 1, "INTERNAL", DefaultTaskClasses[0]
		jc.RepeatSchedule, jc.ScheduledHour, jc.ScheduledMinute = "DAILY", ip(11), ip(0)
		s, clock := newManualServer(t, Config{Line: c.line, Jobs: []JobConfig{jc}})
		clock.Advance(time.Hour) // 11:00
		if fired := len(s.Runs(1)) > 0; fired != c.wantFired {
			t.Errorf("%s line, start %v, end %v, %s: fired %v, want %v", c.line, jc.StartDate, jc.EndDate, jc.ActivityStatus, fired, c.wantFired)
		}
	}
}

// A scheduled job is triggered when its nextRunOn comes on the clock, as its runAs user
// (or the system user), without args, and nextRunOn moves on; a replace re-schedules it.
func TestScheduleFires(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) {
			cfg := jobDefsConfig(line)
			cfg.Jobs = append(cfg.Jobs,
				JobConfig{ID: 5, Name: "Every 5", RepeatSchedule: "MINUTELY", MinutelyInterval: ip(5), RunAs: "bob", Duration: Duration(time.Minute)},
				JobConfig{ID: 6, Name: "Hourly", RepeatSchedule: "HOURLY", CreatedBy: "alice", ScheduledMinute: ip(30)})
			s, clock := newManualServer(t, cfg)
			starts := runStarts(s)
			clock.Advance(5 * time.Minute)
			if r := within(t, "the scheduled run", starts); r.JobID != 5 || r.RunBy != "bob" || r.RtArgs != nil || !r.StartedAt.Equal(clockStart.Add(5*time.Minute)) {
				t.Errorf("scheduled run: %+v", r)
			}
			admin := login(t, s, "admin", "Admin@123")
			if n := decodeJob(t, call(t, "GET", s.URL()+"/scheduled-jobs/5", admin, "")).NextRunOn; n == nil || *n != clockStart.Add(10*time.Minute).UnixMilli() {
				t.Errorf("nextRunOn after the run: %v", n)
			}
			clock.Advance(25 * time.Minute) // 10:30: job 5 at 10:10 ... 10:30, job 6 at 10:30 as the system user
			var jobs []int64
			for len(jobs) < 5 {
				r := within(t, "the scheduled runs", starts)
				jobs = append(jobs, r.JobID)
				if r.JobID == 6 && r.RunBy != SystemLoginName {
					t.Errorf("job 6 ran as %s, want the system user (it has no runAs)", r.RunBy)
				}
			}
			if fmt.Sprint(jobs) != "[5 5 5 5 6]" {
				t.Errorf("scheduled runs' jobs: %v", jobs)
			}
			// Replaced as ONDEMAND, it no longer fires.
			alice := login(t, s, "alice", "Alice@123")
			body := `{"name":"Hourly","type":"INTERNAL","taskImplFqn":"` + DefaultTaskClasses[0] + `","repeatSchedule":"ONDEMAND"}`
			if r := call(t, "PUT", s.URL()+"/scheduled-jobs/6", alice, body); r.status != 200 {
				t.Fatalf("replace: %d %s", r.status, r.body)
			}
			clock.Advance(2 * time.Hour)
			if runs := s.Runs(6); len(runs) != 1 {
				t.Errorf("job 6 ran %d times, want once", len(runs))
			}
		})
	}
}

// A PUT or DELETE stops the job's scheduled trigger: no timer of an old schedule stays on
// the clock, nor in what Close waits for, until it would have been due.
func TestScheduleStopsReplacedTimers(t *testing.T) {
	s, clock := newManualServer(t, jobDefsConfig(LineNewest)) // jobs 1 and 2 are ONDEMAND
	admin := login(t, s, "admin", "Admin@123")
	pending := func() (server, onClock int) {
		s.mu.Lock()
		server = len(s.timers)
		s.mu.Unlock()
		clock.mu.Lock()
		defer clock.mu.Unlock()
		return server, len(clock.pending)
	}
	j := decodeJob(t, call(t, "POST", s.URL()+"/scheduled-jobs", admin, nightlyBody(t, nil)))
	url := fmt.Sprintf("%s/scheduled-jobs/%d", s.URL(), j.ID)
	for range 3 {
		decodeJob(t, call(t, "PUT", url, admin, nightlyBody(t, nil)))
	}
	if server, onClock := pending(); server != 1 || onClock != 1 {
		t.Errorf("after 3 PUTs: %d timers, %d on the clock, want the one of the last schedule", server, onClock)
	}
	decodeJob(t, call(t, "DELETE", url, admin, ""))
	if server, onClock := pending(); server != 0 || onClock != 0 {
		t.Errorf("after the DELETE: %d timers, %d on the clock, want none", server, onClock)
	}
}

// A scheduled run of a job without runAs runs as the system user ($system), not the job's
// creator (ScheduledTaskManagerImpl.schedule): a non-admin creator cannot read the run nor
// see it in its run list, a recipient of the job downloads its file, and the export's
// "Exported By" is the system user's name. With runAs, the run is runAs's.
func TestScheduledRunAsSystemUser(t *testing.T) {
	cfg := Config{
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
		},
		SystemUser: UserConfig{FirstName: "OpenSpecimen", LastName: "System"},
		Jobs: []JobConfig{{ID: 1, Name: "Alice's nightly", CreatedBy: "alice", Recipients: []string{"bob"},
			RepeatSchedule: "DAILY", ScheduledHour: ip(10), ScheduledMinute: ip(5), Result: &ResultConfig{Export: true, Content: "a\n1\n"}}},
	}
	s, clock := newManualServer(t, cfg)
	starts := runStarts(s)
	clock.Advance(5 * time.Minute)
	r := within(t, "the scheduled run", starts)
	if r.RunBy != SystemLoginName {
		t.Fatalf("the scheduled run ran as %q, want %q", r.RunBy, SystemLoginName)
	}
	alice, bob, admin := "basic:alice:Alice@123", "basic:bob:Bob@123", "basic:admin:Admin@123"
	var run runOut
	call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/1/runs/%d", s.URL(), r.ID), admin, "").decode(t, &run)
	if run.RunBy.LoginName != SystemLoginName || run.RunBy.ID != 4 {
		t.Errorf("runBy: %+v, want %s with the id after the 3 users", run.RunBy, SystemLoginName)
	}
	if got := call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/1/runs/%d", s.URL(), r.ID), alice, ""); got.apiCode() != codeOpNotAllowed {
		t.Errorf("the creator read the system user's run: %d %s", got.status, got.body)
	}
	var listed []runOut
	call(t, "GET", s.URL()+"/scheduled-jobs/1/runs", alice, "").decode(t, &listed)
	if len(listed) != 0 {
		t.Errorf("the creator's run list: %v, want none", ids(listed))
	}
	file := call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/1/runs/%d/result-file", s.URL(), r.ID), bob, "")
	if file.status != 200 || !strings.Contains(unzipOne(t, file.body, fmt.Sprintf("scheduled_query_1_%d.csv", r.ID)), `"OpenSpecimen System"`) {
		t.Errorf("the recipient's download: %d %q", file.status, file.body)
	}
	if got := call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/1/runs/%d/result-file", s.URL(), r.ID), alice, ""); got.apiCode() != codeOpNotAllowed {
		t.Errorf("the creator downloaded the system user's file: %d %s", got.status, got.body)
	}
	if _, err := New(Config{Users: []UserConfig{{LoginName: SystemLoginName, Password: "x"}}}); err == nil {
		t.Error("a configured user took the system user's login name")
	}
}
