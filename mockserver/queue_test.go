package mockserver

import (
	"fmt"
	"testing"
	"time"
)

// queueConfig: a pool of one thread; job 1 runs an hour, 2 and 4 a minute, 5 two hours,
// 3 is disabled. alice and bob may run every job.
func queueConfig(line string) Config {
	return sharedWith(Config{
		Line:     line,
		PoolSize: 1,
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
		},
		Jobs: []JobConfig{
			{ID: 1, Name: "Long", Duration: Duration(time.Hour)},
			{ID: 2, Name: "Short", Duration: Duration(time.Minute)},
			{ID: 3, Name: "Retired", ActivityStatus: "Disabled"},
			{ID: 4, Name: "Other", Duration: Duration(time.Minute)},
			{ID: 5, Name: "Longer", Duration: Duration(2 * time.Hour)},
		},
	}, "alice", "bob")
}

// drop is one call of the trigger drop hook.
type drop struct {
	jobID         int64
	login, reason string
}

// triggerDrops makes s report every dropped trigger on the channel answered.
func triggerDrops(s *Server) <-chan drop {
	ch := make(chan drop, 100)
	s.SetTriggerDropHook(func(jobID int64, login, reason string) { ch <- drop{jobID, login, reason} })
	return ch
}

func mustTrigger(t *testing.T, s *Server, login string, jobID int64, args string) {
	t.Helper()
	if err := s.TriggerAs(login, jobID, args); err != nil {
		t.Fatal(err)
	}
}

// noEvent fails when ch holds a value: the hooks of what a call did have been called when
// it returns, so an empty channel means none.
func noEvent[T any](t *testing.T, what string, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %+v", what, v)
	default:
	}
}

// nextEvent answers the value ch holds already.
func nextEvent[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	default:
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// With one thread, a trigger waits for the run that holds it to end; the waiting triggers
// start first come first, each when the run before it ends.
func TestQueueWaitsForAThread(t *testing.T) {
	s, clock := newManualServer(t, queueConfig(LineNewest))
	started := runStarts(s)
	mustTrigger(t, s, "admin", 1, "")
	if r := nextEvent(t, "run of job 1", started); r.JobID != 1 || !r.StartedAt.Equal(clockStart) {
		t.Fatalf("first run: %+v", r)
	}
	mustTrigger(t, s, "admin", 2, "b")
	mustTrigger(t, s, "alice", 4, "")
	noEvent(t, "run while the pool is busy", started)
	if q := s.QueuedTriggers(); fmt.Sprint(queued(q)) != "[2:admin 4:alice]" || s.BusyThreads() != 1 {
		t.Fatalf("queue %+v, %d busy threads", q, s.BusyThreads())
	}

	clock.Advance(time.Hour - time.Millisecond)
	noEvent(t, "run before the first ends", started)
	clock.Advance(time.Millisecond) // job 1's run ends: job 2's trigger gets the thread
	r := nextEvent(t, "run of job 2", started)
	if r.JobID != 2 || r.RunBy != "admin" || *r.RtArgs != "b" || !r.StartedAt.Equal(clockStart.Add(time.Hour)) {
		t.Fatalf("second run: %+v", r)
	}
	noEvent(t, "run of job 4 beside job 2's", started)
	clock.Advance(time.Minute)
	if r := nextEvent(t, "run of job 4", started); r.JobID != 4 || r.RunBy != "alice" {
		t.Fatalf("third run: %+v", r)
	}
	clock.Advance(time.Minute)
	if len(s.QueuedTriggers()) != 0 || s.BusyThreads() != 0 {
		t.Fatalf("after every run: queue %+v, %d busy threads", s.QueuedTriggers(), s.BusyThreads())
	}
}

func queued(q []QueuedTrigger) []string {
	var out []string
	for _, t := range q {
		out = append(out, fmt.Sprintf("%d:%s", t.JobID, t.LoginName))
	}
	return out
}

// A new trigger of a job replaces its trigger still queued, another user's or our own: the
// replaced one never becomes a run, and the job gets exactly one.
func TestQueueReplacesAQueuedTrigger(t *testing.T) {
	for _, c := range []struct {
		name          string
		first, second string // users
	}{
		{"another user's", "alice", "bob"},
		{"our own", "alice", "alice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, clock := newManualServer(t, queueConfig(LineNewest))
			started, drops := runStarts(s), triggerDrops(s)
			mustTrigger(t, s, "admin", 1, "") // holds the only thread for an hour
			nextEvent(t, "run of job 1", started)
			for i, u := range []string{c.first, c.second} {
				body := fmt.Sprintf(`{"args":"trigger %d"}`, i+1)
				if r := postDirect(t, s, "/scheduled-jobs/2/runs", "basic:"+u+":"+passwords[u], body); r.status != 200 {
					t.Fatalf("trigger %d: %d %s", i+1, r.status, r.body)
				}
			}
			if d := nextEvent(t, "replaced trigger", drops); d != (drop{2, c.first, DropReplaced}) {
				t.Fatalf("drop %+v", d)
			}
			if q := s.QueuedTriggers(); len(q) != 1 || q[0].LoginName != c.second || *q[0].Args != "trigger 2" || !q[0].Ready {
				t.Fatalf("queue %+v", q)
			}
			clock.Advance(time.Hour)
			clock.Advance(time.Minute)
			runs := s.Runs(2)
			if len(runs) != 1 || runs[0].RunBy != c.second || *runs[0].RtArgs != "trigger 2" || runs[0].Status != StatusSucceeded {
				t.Fatalf("runs of job 2: %+v, want exactly one, of the second trigger", runs)
			}
			noEvent(t, "other drop", drops)
		})
	}
}

var passwords = map[string]string{"admin": "Admin@123", "alice": "Alice@123", "bob": "Bob@123"}

// A trigger that gets its thread is dropped when its job has a run in progress or is not
// active; the thread is free again at once.
func TestQueueDropsAtThreadTime(t *testing.T) {
	s, clock := newManualServer(t, queueConfig(LineNewest))
	started, drops := runStarts(s), triggerDrops(s)

	// A free thread: the drop is immediate.
	mustTrigger(t, s, "admin", 3, "")
	if d := nextEvent(t, "drop of the disabled job", drops); d != (drop{3, "admin", DropInactive}) || s.BusyThreads() != 0 {
		t.Fatalf("drop %+v, %d busy threads", d, s.BusyThreads())
	}

	// Queued behind job 1's run: job 5 gets a run meanwhile (outside the pool), job 3 is
	// disabled.
	mustTrigger(t, s, "admin", 1, "")
	nextEvent(t, "run of job 1", started)
	mustTrigger(t, s, "alice", 5, "")
	mustTrigger(t, s, "alice", 3, "")
	if _, err := s.StartRunAs("bob", 5, ""); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, "bob's run of job 5", started)
	noEvent(t, "drop before the thread is free", drops)
	clock.Advance(time.Hour)
	if d := nextEvent(t, "drop of job 5's trigger", drops); d != (drop{5, "alice", DropRunning}) {
		t.Fatalf("first drop %+v", d)
	}
	if d := nextEvent(t, "drop of job 3's trigger", drops); d != (drop{3, "alice", DropInactive}) {
		t.Fatalf("second drop %+v", d)
	}
	noEvent(t, "run of a dropped trigger", started)
	if runs := s.Runs(5); len(runs) != 1 || runs[0].RunBy != "bob" || s.BusyThreads() != 0 {
		t.Fatalf("runs of job 5 %+v, %d busy threads", runs, s.BusyThreads())
	}
}

// After a restart of the server's process the run in progress stays IN_PROGRESS forever,
// its thread is free and the queued trigger is lost. On the newest line the stale run does
// not block its job; on the older it blocks every trigger.
func TestRestartProcessLeavesStaleRuns(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) {
			s, clock := newManualServer(t, queueConfig(line))
			started, drops := runStarts(s), triggerDrops(s)
			mustTrigger(t, s, "admin", 1, "")
			stale := nextEvent(t, "run of job 1", started)
			mustTrigger(t, s, "alice", 2, "")
			s.Stop()
			if err := s.RestartProcess(); err != nil {
				t.Fatal(err)
			}
			if d := nextEvent(t, "lost trigger", drops); d != (drop{2, "alice", DropRestart}) {
				t.Fatalf("drop %+v", d)
			}
			if len(s.QueuedTriggers()) != 0 || s.BusyThreads() != 0 {
				t.Fatalf("after the restart: queue %+v, %d busy threads", s.QueuedTriggers(), s.BusyThreads())
			}
			clock.Advance(3 * time.Hour) // far past the run's end
			var got runOut
			call(t, "GET", fmt.Sprintf("%s/scheduled-jobs/1/runs/%d", s.URL(), stale.ID), "basic:admin:Admin@123", "").decode(t, &got)
			if got.Status != StatusInProgress || got.FinishedAt != nil {
				t.Fatalf("stale run: %+v, want IN_PROGRESS without finishedAt", got)
			}

			mustTrigger(t, s, "admin", 1, "after")
			runs := s.Runs(1)
			switch line {
			case LineNewest:
				r := nextEvent(t, "run beside the stale one", started)
				if len(runs) != 2 || runs[0].ID != r.ID || runs[0].Status != StatusInProgress || runs[1].Status != StatusInProgress {
					t.Fatalf("runs of job 1: %+v, want two IN_PROGRESS", runs)
				}
			case LineOlder:
				if d := nextEvent(t, "dropped trigger", drops); d != (drop{1, "admin", DropRunning}) || len(runs) != 1 {
					t.Fatalf("drop %+v, runs %+v: the stale run must block the job", d, runs)
				}
			}
		})
	}
}

// Stop and Restart are a network outage: the run in progress goes on and ends, and the
// queued trigger starts.
func TestRestartKeepsQueue(t *testing.T) {
	s, clock := newManualServer(t, queueConfig(LineOlder))
	started := runStarts(s)
	mustTrigger(t, s, "admin", 1, "")
	nextEvent(t, "run of job 1", started)
	mustTrigger(t, s, "alice", 2, "")
	s.Stop()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if r := nextEvent(t, "queued run", started); r.JobID != 2 {
		t.Fatalf("run %+v", r)
	}
	if runs := s.Runs(1); runs[0].Status != StatusSucceeded {
		t.Fatalf("job 1 %+v", runs)
	}
}

func TestTriggerAsRefuses(t *testing.T) {
	cfg := queueConfig(LineNewest)
	cfg.Users = append(cfg.Users, UserConfig{LoginName: "carol", Password: "Carol@123"},
		UserConfig{LoginName: "dave", Password: "Dave@123", NoJobRights: true})
	s := newTestServer(t, cfg)
	for _, c := range []struct {
		login string
		job   int64
	}{{"nobody", 1}, {"admin", 99}, {"carol", 1}, {"dave", 1}} {
		if err := s.TriggerAs(c.login, c.job, ""); err == nil {
			t.Errorf("%s triggered job %d", c.login, c.job)
		}
	}
	if len(s.QueuedTriggers()) != 0 || len(s.Runs(1)) != 0 {
		t.Error("a refused trigger was queued or ran")
	}
}

// A scheduled job whose end date passes while its trigger waits for a thread is not active
// when it gets one on the older line (its trigger is dropped), still active on the newest.
func TestQueueEndDatePassesWhileQueued(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) {
			cfg := queueConfig(line)
			end := clockStart.Add(30 * time.Minute)
			cfg.Jobs[1].RepeatSchedule, cfg.Jobs[1].EndDate = "DAILY", &end
			s, clock := newManualServer(t, cfg)
			started, drops := runStarts(s), triggerDrops(s)
			mustTrigger(t, s, "admin", 1, "")
			nextEvent(t, "run of job 1", started)
			mustTrigger(t, s, "alice", 2, "") // active now, on both lines
			clock.Advance(time.Hour)
			if line == LineOlder {
				if d := nextEvent(t, "drop", drops); d != (drop{2, "alice", DropInactive}) {
					t.Fatalf("drop %+v", d)
				}
				noEvent(t, "run of job 2", started)
				return
			}
			if r := nextEvent(t, "run of job 2", started); r.JobID != 2 {
				t.Fatalf("run %+v", r)
			}
			noEvent(t, "drop", drops)
		})
	}
}

// A PUT or DELETE of a job cancels its trigger still queued (ScheduledTaskManagerImpl: the
// job's future, not yet running, is cancelled), which never becomes a run; a run already
// going goes on.
func TestPutAndDeleteCancelAQueuedTrigger(t *testing.T) {
	const body = `{"name":"Short","type":"INTERNAL","taskImplFqn":"` +
		"com.krishagni.catissueplus.core.administrative.services.impl.ExpiredSpecimenReservationsTask" + `","repeatSchedule":"ONDEMAND"}`
	for _, method := range []string{"PUT", "DELETE"} {
		t.Run(method, func(t *testing.T) {
			s, clock := newManualServer(t, queueConfig(LineNewest))
			started, drops := runStarts(s), triggerDrops(s)
			mustTrigger(t, s, "admin", 1, "") // holds the only thread for an hour
			nextEvent(t, "run of job 1", started)
			mustTrigger(t, s, "alice", 2, "queued")
			reqBody := body
			if method == "DELETE" {
				reqBody = ""
			}
			if r := call(t, method, s.URL()+"/scheduled-jobs/2", "basic:admin:Admin@123", reqBody); r.status != 200 {
				t.Fatalf("%s: %d %s", method, r.status, r.body)
			}
			if d := nextEvent(t, "cancelled trigger", drops); d != (drop{2, "alice", DropCancel}) {
				t.Fatalf("drop %+v", d)
			}
			if q := s.QueuedTriggers(); len(q) != 0 {
				t.Fatalf("queue %+v", q)
			}
			clock.Advance(2 * time.Hour)
			if runs := s.Runs(2); len(runs) != 0 {
				t.Errorf("the cancelled trigger ran: %+v", runs)
			}
			if runs := s.Runs(1); len(runs) != 1 || runs[0].Status != StatusSucceeded {
				t.Errorf("the run going on: %+v", runs)
			}
		})
	}
}
