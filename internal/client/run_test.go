package client

import (
	"context"
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

// withJob7 is serverConfig with job 7 lasting d.
func withJob7(d time.Duration) mockserver.Config {
	sc := serverConfig()
	sc.Jobs[0].Duration = mockserver.Duration(d)
	return sc
}

// onTrigger makes s call f before it carries out each trigger, with the number of
// triggers so far (1 for the first) and the job.
func onTrigger(s *mockserver.Server, f func(n int, jobID int64)) {
	var n atomic.Int32
	s.SetTriggerHook(func(jobID int64, _ string) { f(int(n.Add(1)), jobID) })
}

// startAs starts a run as user from a hook: errors fail the test without stopping it.
func startAs(t *testing.T, s *mockserver.Server, user string, jobID int64, args string) mockserver.Run {
	r, err := s.StartRunAs(user, jobID, args)
	if err != nil {
		t.Errorf("StartRunAs(%s, %d): %v", user, jobID, err)
	}
	return r
}

// dropped is the answer to a trigger that the server drops: the job, and no run ever.
var dropped = mockserver.Reply{Body: []byte(`{"id":7,"name":"Export","activityStatus":"Active"}`)}

// start is StartRun of job 7 with args and policy, failing the test on an error.
func (e *testEnv) start(t *testing.T, ctx context.Context, args string, policy IfRunning) *Started {
	t.Helper()
	st, err := e.c.StartRun(ctx, 7, args, StartOptions{IfRunning: policy})
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	return st
}

// expectPending fails the test unless err is a *RunPendingError.
func expectPending(t *testing.T, err error) {
	t.Helper()
	if !errors.As(err, new(*RunPendingError)) {
		t.Fatalf("err %v, want a *RunPendingError", err)
	}
}

// pendingOf answers the *RunPendingError of err, failing the test when it is none.
func pendingOf(t *testing.T, err error) *RunPendingError {
	t.Helper()
	var pe *RunPendingError
	if !errors.As(err, &pe) {
		t.Fatalf("err %v, want a *RunPendingError", err)
	}
	return pe
}

func TestStartRunHappyPath(t *testing.T) {
	sc := serverConfig()
	sc.Runs = []mockserver.RunConfig{pastRun(1, 7, "alice", "a b", mockserver.StatusSucceeded, 10*time.Second)} // same user and args, but older
	e := newEnvOn(t, sc, nil)
	st := e.start(t, t.Context(), "a b", "")
	if r := st.Run; r.ID <= 1 || r.RunByLogin() != "alice" || r.Args() != "a b" || r.Status != StatusInProgress {
		t.Fatalf("run %+v", r)
	}
	if tr := st.Trigger; tr == nil || tr.AfterRunID != 1 || tr.Sent != 1 || !tr.SentAt.Equal(envStart) || tr.JobName != "Export" {
		t.Fatalf("trigger %+v", st.Trigger)
	}
	if usual, n := st.History.Usual(); usual != 10*time.Second || n != 1 {
		t.Fatalf("history: %s from %d runs", usual, n)
	}
	if e.triggers() != 1 || e.s.RequestCount("GET", routeJob) != 1 {
		t.Fatalf("%d triggers, %d reads of the job", e.triggers(), e.s.RequestCount("GET", routeJob))
	}
}

// A trigger accepted is a run to come: on a busy pool, its run appears 40 s after it (on the
// manual clock), and StartRun answers it after reading on, at gaps that grow with the time
// since the trigger up to 5 s, without ever triggering again.
func TestStartRunAppearsLate(t *testing.T) {
	sc := serverConfig()
	sc.Jobs[0].StartDelay = mockserver.Duration(40 * time.Second)
	e := newEnvOn(t, sc, nil)
	st := e.start(t, t.Context(), "", "")
	if st.Run.RunByLogin() != "alice" || e.triggers() != 1 {
		t.Fatalf("run %+v, %d triggers", st.Run, e.triggers())
	}
	var total time.Duration
	for i, d := range e.sleeps.all() {
		want := clampDur(total/5, findPollMin, findPollMax)
		if d != want {
			t.Fatalf("sleep %d: %s at +%s, want %s", i, d, total, want)
		}
		total += d
	}
	if total < 40*time.Second || total > 45*time.Second {
		t.Fatalf("found %s after the trigger, want within 5 s of 40 s", total)
	}
	if n := e.s.RequestCount("GET", routeJob); n != 2 { // before the trigger, then once past jobRecheck
		t.Fatalf("%d reads of the job, want 2", n)
	}
}

// A server that answers the trigger and never runs it, nor shows any other run: no proof
// that it was dropped, so it is never sent again. When ctx ends, the answer is a
// *RunPendingError that holds what finds its run later.
func TestStartRunPendingUntilContextEnds(t *testing.T) {
	sc := serverConfig()
	sc.Runs = []mockserver.RunConfig{pastRun(3, 7, "bob", "", mockserver.StatusSucceeded, time.Minute)}
	e := newEnvOn(t, sc, nil)
	replyTo(e.s, "POST", routeRuns, always(dropped))
	_, err := e.c.StartRun(e.timeout(t, 10*time.Minute), 7, "--cp X", StartOptions{})
	pe := pendingOf(t, err)
	want := Trigger{JobID: 7, JobName: "Export", Args: "--cp X", LoginName: "alice", SentAt: envStart, Sent: 1, AfterRunID: 3, LastAfterRunID: 3}
	if pe.Trigger != want || !errors.Is(err, context.Canceled) || e.triggers() != 1 {
		t.Fatalf("trigger %+v, err %v, %d triggers; want %+v", pe.Trigger, err, e.triggers(), want)
	}
	for _, part := range []string{"sent at 2024-01-01T00:00:00Z by alice", "may still be queued",
		`its run will be the first of job 7 by alice with args "--cp X" after run 3`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("the error lacks %q: %v", part, err)
		}
	}
}

// A trigger cut short by ctx right after it was sent: one last look finds its run when it
// has appeared, else the start is pending; nothing is triggered twice.
func TestStartRunInterruptedAfterTrigger(t *testing.T) {
	for name, delay := range map[string]time.Duration{"run appeared": 0, "run not yet": time.Hour} {
		t.Run(name, func(t *testing.T) {
			sc := serverConfig()
			sc.Jobs[0].StartDelay = mockserver.Duration(delay)
			e := newEnvOn(t, sc, nil)
			ctx, cancel := context.WithCancel(t.Context())
			var triggered atomic.Bool
			onTrigger(e.s, func(int, int64) { triggered.Store(true); cancel() }) // SIGINT while the trigger is on its way
			// The run has appeared: the runs read after the trigger wait for it.
			if delay == 0 {
				started := make(chan struct{})
				e.s.SetRunStartHook(func(mockserver.Run) { close(started) })
				e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
					if req.Pattern == routeRuns && req.Method == "GET" && triggered.Load() {
						<-started
					}
					return mockserver.Reply{}, false
				})
			}
			e.sleeps.reset(func(int, time.Duration) { e.clock.Advance(0) })
			st, err := e.c.StartRun(ctx, 7, "a", StartOptions{})
			switch {
			case e.triggers() != 1:
				t.Fatalf("%d triggers, want 1", e.triggers())
			case delay == 0 && (err != nil || st.Run.Args() != "a"):
				t.Fatalf("run %+v, err %v; want the run despite the interrupt", st, err)
			case delay > 0 && !errors.Is(err, context.Canceled):
				t.Fatalf("err %v", err)
			case delay > 0:
				expectPending(t, err)
			}
		})
	}
}

// Cancelled before the trigger: nothing is sent, and nothing is pending.
func TestStartRunCancelledBeforeTrigger(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	e.s.SetRequestHook(func(method, path string) {
		if method == "GET" && path == "/scheduled-jobs/7/runs" {
			cancel()
		}
	})
	_, err := e.c.StartRun(ctx, 7, "a", StartOptions{})
	if !errors.Is(err, context.Canceled) || errors.As(err, new(*RunPendingError)) || e.triggers() != 0 {
		t.Fatalf("err %v, %d triggers; want no trigger", err, e.triggers())
	}
}

// The proof rules, on both lines: a run that is not ours and started after our trigger's
// baseline took the job, so the server dropped ours: StartRun waits for that run, looks for
// a late run of ours, then triggers again, and answers its own run, never the other.
func TestStartRunOtherRunTookTheJob(t *testing.T) {
	for name, other := range map[string][2]string{
		"other user":              {"bob", "a"},
		"same user, other args":   {"alice", "other"},
		"same user, args vs null": {"alice", ""},
	} {
		onEachLine(t, func(t *testing.T, line string) {
			t.Run(name, func(t *testing.T) {
				sc := withJob7(5 * time.Second)
				sc.Line = line
				e := newEnvOn(t, sc, nil)
				var took mockserver.Run
				onTrigger(e.s, func(n int, jobID int64) {
					if n == 1 {
						took = startAs(t, e.s, other[0], jobID, other[1])
					}
				})
				st := e.start(t, t.Context(), "a", "")
				if st.Run.RunByLogin() != "alice" || st.Run.Args() != "a" || st.Run.ID <= took.ID || e.triggers() != 2 || st.Trigger.Sent != 2 {
					t.Fatalf("took run %+v after %d triggers", st.Run, e.triggers())
				}
				if !strings.Contains(e.log.all(), "another run of the job started after the trigger") {
					t.Fatalf("the lost race is not logged:\n%s", e.log.all())
				}
			})
		})
	}
}

// A run that took the job after the trigger, and that has not ended when ctx does: the
// start ends while it waits for that run, before it could look for a late run of its own
// trigger (which may still wait in the queue behind a busy pool), so the trigger is pending.
func TestStartRunContextEndsAfterProof(t *testing.T) {
	e := newEnv(t, nil) // job 7's runs last ten minutes
	onTrigger(e.s, func(_ int, jobID int64) { startAs(t, e.s, "bob", jobID, "") })
	_, err := e.c.StartRun(e.timeout(t, time.Minute), 7, "", StartOptions{})
	if pe := pendingOf(t, err); pe.Trigger.Sent != 1 || e.triggers() != 1 || !errors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), "after the trigger sent at 2024-01-01T00:00:00Z, waiting for run") {
		t.Fatalf("err %v, %d triggers", err, e.triggers())
	}
}

// With IfRunningFail, a run that took the job after the trigger fails the start, naming it
// and the trigger it made the server drop.
func TestStartRunOtherRunTookTheJobFail(t *testing.T) {
	e := newEnv(t, nil)
	onTrigger(e.s, func(_ int, jobID int64) { startAs(t, e.s, "bob", jobID, "") })
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningFail})
	var jr *JobRunningError
	if !errors.As(err, &jr) || jr.Run.RunByLogin() != "bob" || jr.Dropped == nil || e.triggers() != 1 ||
		!strings.Contains(err.Error(), "which started after the trigger sent at 2024-01-01T00:00:00Z, and the server dropped that trigger") {
		t.Fatalf("err %v, triggers %d", err, e.triggers())
	}
}

// Another user's run took the job after our baseline, but before our trigger reached the
// server, while the pool was busy: it holds no thread (its trigger got one earlier), ours
// waits for a thread, which frees the moment the other run ends. Ours becomes a run then;
// StartRun, which waits for the other run before triggering again, finds that late run of
// ours first, and never triggers a second time.
func TestStartRunLateRunOfOursAfterProof(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		sc := queueConfig(line, time.Minute)
		sc.Jobs[0].Duration = mockserver.Duration(time.Minute) // ends with job 8's run, which holds the thread
		e := newEnvOn(t, sc, nil)
		holdPool(t, e)
		var other mockserver.Run
		onTrigger(e.s, func(n int, jobID int64) {
			if n == 1 {
				other = startAs(t, e.s, "bob", jobID, "")
			}
		})
		st := e.start(t, t.Context(), "", "")
		if st.Run.RunByLogin() != "alice" || st.Run.ID <= other.ID || e.triggers() != 1 {
			t.Fatalf("run %+v, %d triggers; want our first trigger's run, after run %d", st.Run, e.triggers(), other.ID)
		}
		if !strings.Contains(e.log.all(), "the run of an earlier trigger appeared late") {
			t.Fatalf("not logged:\n%s", e.log.all())
		}
	})
}

// Our trigger waits in the queue for the pool's thread, and another user's trigger of the
// job replaces it: that user's run starts when the thread is free, StartRun waits for it and
// triggers again, and ends with exactly one run of ours, on both lines.
func TestStartRunReplacedByAnotherUser(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		e := newEnvOn(t, queueConfig(line, 3*time.Second), nil)
		holdPool(t, e)
		drops := dropsOf(e.s)
		replaced := false
		e.sleeps.reset(func(int, time.Duration) {
			if !replaced && queuedBy(e.s, "alice") { // our trigger waits: bob's replaces it
				replaced = true
				if err := e.s.TriggerAs("bob", 7, ""); err != nil {
					t.Error(err)
				}
			}
		})
		st := e.start(t, t.Context(), "", "")
		if mine, bobs := runsBy(e.s, "alice"), runsBy(e.s, "bob"); len(mine) != 1 || mine[0] != st.Run.ID || len(bobs) != 1 || bobs[0] > st.Run.ID {
			t.Fatalf("alice's runs %v, bob's %v: want one each, bob's first", mine, bobs)
		}
		if d := nextDrops(t, drops, 1); d != "alice replaced" || e.triggers() != 2 {
			t.Fatalf("drops %q, %d triggers", d, e.triggers())
		}
	})
}

// Five runs hold the pool of five threads for an hour: our trigger waits in the queue for
// longer than any fixed look-up would, and is never sent again. With ctx ending first, the
// start is pending, and our trigger alone waits in the queue; with a longer ctx, its run is
// the answer, once a thread frees.
func TestStartRunBusyPool(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		sc := serverConfig()
		sc.Line = line
		sc.Jobs[1].Duration = mockserver.Duration(time.Hour)
		for id := int64(20); id < 24; id++ {
			sc.Jobs = append(sc.Jobs, mockserver.JobConfig{ID: id, Name: fmt.Sprint("Long ", id), Duration: mockserver.Duration(time.Hour)})
		}
		e := newEnvOn(t, sc, nil)
		for _, id := range []int64{8, 20, 21, 22, 23} {
			if err := e.s.TriggerAs("apiuser", id, ""); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(time.Duration(startDelay))
		_, err := e.c.StartRun(e.timeout(t, 10*time.Minute), 7, "", StartOptions{})
		expectPending(t, err)
		if q := e.s.QueuedTriggers(); len(q) != 1 || q[0].LoginName != "alice" || e.triggers() != 1 {
			t.Fatalf("queue %+v, %d triggers: want our one trigger queued", q, e.triggers())
		}
		e.sleeps.reset(nil)
		st := e.start(t, t.Context(), "", "")
		if mine := runsBy(e.s, "alice"); len(mine) != 1 || mine[0] != st.Run.ID || e.triggers() != 2 {
			t.Fatalf("alice's runs %v, %d triggers: want the second start's one run", mine, e.triggers())
		}
	})
}

// A job made inactive after StartRun read it: the server drops the trigger, and the job
// read during the look-up shows why. No new trigger.
func TestStartRunJobDisabledMeanwhile(t *testing.T) {
	e := newEnv(t, nil)
	var disabled atomic.Bool
	e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		switch {
		case req.Method == "POST" && req.Pattern == routeRuns:
			disabled.Store(true)
			return dropped, true
		case req.Method == "GET" && req.Pattern == routeJob && disabled.Load():
			return mockserver.Reply{Body: []byte(`{"id":7,"name":"Export","activityStatus":"Disabled"}`)}, true
		}
		return mockserver.Reply{}, false
	})
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	var ie *JobInactiveError
	if !errors.As(err, &ie) || !errors.As(err, new(*TriggerDroppedError)) || e.triggers() != 1 || !strings.Contains(err.Error(), "it is Disabled") {
		t.Fatalf("err %v, %d triggers", err, e.triggers())
	}
}

// A job the server would not run is refused before any trigger, naming why, on both lines:
// disabled, a saved query deleted, or (older line) outside its start and end dates.
func TestStartRunInactiveJob(t *testing.T) {
	past := envStart.Add(-48 * time.Hour)
	onEachLine(t, func(t *testing.T, line string) {
		sc := serverConfig()
		sc.Line = line
		sc.Jobs = append(sc.Jobs,
			mockserver.JobConfig{ID: 10, Name: "Orphan", Type: "QUERY", SavedQueryDeleted: true},
			mockserver.JobConfig{ID: 11, Name: "Ended", Type: "INTERNAL", RepeatSchedule: "DAILY", EndDate: &past})
		e := newEnvOn(t, sc, nil)
		cases := map[int64]string{9: "it is Disabled", 10: `it was deleted in OpenSpecimen (disabled and renamed "Orphan_`} // deleting its saved query deleted job 10 too
		if line == mockserver.LineOlder {
			cases[11] = "its end date, " + past.UTC().Format(time.RFC3339) + ", has passed"
		}
		for jobID, why := range cases {
			_, err := e.c.StartRun(t.Context(), jobID, "", StartOptions{})
			var ie *JobInactiveError
			if !errors.As(err, &ie) || ie.JobID != jobID || !strings.Contains(err.Error(), why) || ie.Deleted != (jobID == 10) {
				t.Errorf("job %d: err %v", jobID, err)
			}
		}
		if e.triggers() != 0 || len(e.sleeps.all()) != 0 {
			t.Fatalf("%d triggers, %d sleeps: want none", e.triggers(), len(e.sleeps.all()))
		}
	})
}

// Answers that say the server did not take the trigger (429, 502, 503, 504) lead to another
// trigger after a growing pause; ten in a row end the start with an error, and nothing is
// pending.
func TestStartRunTriggerRefused(t *testing.T) {
	for _, status := range []int{429, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			busy := mockserver.Reply{Status: status, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>busy</html>")}
			e := newEnv(t, nil)
			replyTo(e.s, "POST", routeRuns, firstN(3, busy))
			st := e.start(t, t.Context(), "a", "")
			if e.triggers() != 4 || st.Trigger.Sent != 1 || !strings.Contains(e.log.all(), "refused the trigger as busy, so none was queued") {
				t.Fatalf("%d triggers, trigger %+v", e.triggers(), st.Trigger)
			}
			if s := e.sleeps.all(); s[0] != firstRefusedPause || s[1] != 2*firstRefusedPause || s[2] != 4*firstRefusedPause {
				t.Fatalf("pauses %v", s)
			}

			e = newEnv(t, nil)
			replyTo(e.s, "POST", routeRuns, always(busy))
			_, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{})
			if err == nil || errors.As(err, new(*RunPendingError)) || e.triggers() != maxRefusedTriggers ||
				!strings.Contains(err.Error(), "refused 10 triggers in a row, none of which was queued") {
				t.Fatalf("err %v, %d triggers", err, e.triggers())
			}
		})
	}
}

// A trigger that may have been queued is never sent again: its answer lost, or a 500. The
// run of the first is found; the second, which queued nothing, leaves the start pending.
func TestStartRunTriggerMayBeQueued(t *testing.T) {
	e := newEnv(t, nil)
	e.s.SetFaults(mockserver.FaultConfig{DropResponseRate: 1}) // carried out, answer lost
	st := e.start(t, t.Context(), "a", "")
	if st.Run.Args() != "a" || e.triggers() != 1 || !strings.Contains(e.log.all(), "no clear answer: it may be queued") {
		t.Fatalf("run %+v, %d triggers", st.Run, e.triggers())
	}

	e = newEnv(t, nil)
	replyTo(e.s, "POST", routeRuns, always(mockserver.ErrorReply(500, "INTERNAL_ERROR", "oops")))
	_, err := e.c.StartRun(e.timeout(t, time.Minute), 7, "a", StartOptions{})
	if expectPending(t, err); e.triggers() != 1 {
		t.Fatalf("%d triggers, want 1", e.triggers())
	}
}

// A clear refusal of the trigger (400) ends the start at once, with nothing pending.
func TestStartRunClearRefusal(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.c.StartRun(t.Context(), 99, "", StartOptions{})
	if !IsNotFound(err) || e.triggers() != 0 {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}
	replyTo(e.s, "POST", routeRuns, always(mockserver.ErrorReply(400, "SCHEDULED_JOB_OP_NOT_ALLOWED", "Not allowed.")))
	_, err = e.c.StartRun(t.Context(), 7, "", StartOptions{})
	if !IsCode(err, "SCHEDULED_JOB_OP_NOT_ALLOWED") || errors.As(err, new(*RunPendingError)) || e.triggers() != 1 {
		t.Fatalf("err %v triggers %d", err, e.triggers())
	}
	if len(e.sleeps.all()) != 0 {
		t.Fatal("waited after a clear refusal")
	}
}

func TestStartRunErrors(t *testing.T) {
	ctx := t.Context()
	e := newEnv(t, nil)
	if _, err := e.c.StartRun(ctx, 7, "", StartOptions{IfRunning: "maybe"}); err == nil || !strings.Contains(err.Error(), "maybe") {
		t.Fatalf("err = %v", err)
	}
	e = newEnv(t, func(c *Config) { c.Password = "bad" })
	var le *LoginError
	if _, err := e.c.StartRun(ctx, 7, "", StartOptions{}); !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	e = newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	replyTo(e.s, "GET", routeRuns, always(mockserver.ErrorReply(400, "RBAC_ACCESS_DENIED", "Access denied.")))
	if _, err := e.c.StartRun(ctx, 7, "", StartOptions{}); !IsCode(err, "RBAC_ACCESS_DENIED") || !strings.Contains(err.Error(), "before triggering") {
		t.Fatalf("err = %v", err)
	}
}

// After the trigger, reads of the runs that fail and may pass are tried again, five in a row;
// the sixth leaves the start pending, naming the failure.
func TestStartRunLookUpFails(t *testing.T) {
	for _, failures := range []int{5, 6} {
		e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
		replyTo(e.s, "GET", routeRuns, func(n int) (mockserver.Reply, bool) {
			// The first list (before the trigger) succeeds.
			return mockserver.Reply{Status: 503, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("busy")},
				n > 1 && n <= 1+failures
		})
		st, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
		switch {
		case e.triggers() != 1:
			t.Fatalf("%d failures: %d triggers", failures, e.triggers())
		case failures == 5 && err != nil:
			t.Fatalf("%d failures: err %v", failures, err)
		case failures == 6 && !strings.Contains(err.Error(), "looking for the run: GET /scheduled-jobs/7/runs"):
			t.Fatalf("%d failures: run %+v err %v", failures, st, err)
		case failures == 6:
			expectPending(t, err)
		}
	}
}

// Right after the trigger, the look-up's first read meets a session ended by a login
// elsewhere, twice in a row (before the read and before its repeat after the new login):
// the look-up reads again and answers the run, which exists (newest line,
// max_login_sessions = 1).
func TestStartRunSessionEndedAfterLogin(t *testing.T) {
	sc := serverConfig()
	sc.Line = mockserver.LineNewest
	sc.MaxLoginSessions = 1
	e := newEnvOn(t, sc, nil)
	others := newElsewhere(e.s)
	// The first list is the baseline's; the second the look-up's first read, the third its repeat.
	e.s.SetRequestHook(others.sessionEndsAt("/scheduled-jobs/7/runs", false, 2, 3))
	st, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	others.check(t)
	if err != nil || st.Run.RunByLogin() != "alice" || e.triggers() != 1 {
		t.Fatalf("run %+v, err %v, %d triggers", st, err, e.triggers())
	}
}

// Two runs of this user with these args start as the trigger arrives: the older is taken.
func TestStartRunTakesOldestMatch(t *testing.T) {
	e := newEnvOn(t, withJob7(0), nil) // runs end as they start: one does not block the next
	runs := make(chan [2]int64, 1)
	onTrigger(e.s, func(_ int, jobID int64) {
		runs <- [2]int64{startAs(t, e.s, "alice", jobID, "a").ID, startAs(t, e.s, "alice", jobID, "a").ID}
	})
	st, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{})
	both := mocktest.Within(t, "the two runs", runs)
	if err != nil || st.Run.ID != both[0] || both[1] <= both[0] {
		t.Fatalf("run %v err %v, want %d, the older of %v", st, err, both[0], both)
	}
}

func TestStartRunAlreadyRunningFail(t *testing.T) {
	e := newEnv(t, nil)
	busy := e.startRun(t, "bob", "")
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{IfRunning: IfRunningFail})
	var jr *JobRunningError
	if !errors.As(err, &jr) || jr.Run.ID != busy.ID || jr.JobID != 7 || jr.Dropped != nil ||
		!strings.Contains(err.Error(), "job 7 (Export) already has run") || !strings.Contains(err.Error(), "by bob") {
		t.Fatalf("err = %v", err)
	}
	if e.triggers() != 0 {
		t.Fatal("triggered a busy job")
	}
}

func TestStartRunAlreadyRunningWait(t *testing.T) {
	e := newEnvOn(t, withJob7(150*time.Millisecond), nil) // read at +0, +100ms, +200ms
	busy := e.startRun(t, "bob", "")
	st := e.start(t, t.Context(), "", "")
	if st.Run.ID <= busy.ID || st.Run.RunByLogin() != "alice" {
		t.Fatal(st.Run)
	}
	if e.runReads() != 3 || e.triggers() != 1 || !strings.Contains(e.log.all(), "waiting for that run") {
		t.Fatalf("reads of the busy run %d, triggers %d", e.runReads(), e.triggers())
	}
}

func TestStartRunWaitFails(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxRetries = 0 })
	busy := e.startRun(t, "bob", "")
	replyTo(e.s, "GET", routeRun, always(mockserver.ErrorReply(400, "RBAC_ACCESS_DENIED", "no")))
	_, err := e.c.StartRun(t.Context(), 7, "", StartOptions{})
	if !IsCode(err, "RBAC_ACCESS_DENIED") || !strings.Contains(err.Error(), "before triggering") || e.triggers() != 0 {
		t.Fatalf("err %v (run %d)", err, busy.ID)
	}
}

// IfRunningAdopt takes a run in progress of this user with the same args, and waits for any
// other run before triggering.
func TestStartRunAdopt(t *testing.T) {
	e := newEnv(t, nil)
	mine := e.startRun(t, "alice", "a")
	st := e.start(t, t.Context(), "a", IfRunningAdopt)
	if st.Run.ID != mine.ID || st.Trigger != nil || e.triggers() != 0 {
		t.Fatalf("run %v, trigger %v, %d triggers; want run %d adopted", st.Run, st.Trigger, e.triggers(), mine.ID)
	}
	for name, other := range map[string][2]string{"other user": {"bob", "a"}, "other args": {"alice", "b"}} {
		t.Run(name, func(t *testing.T) {
			e := newEnvOn(t, withJob7(time.Second), nil)
			busy := e.startRun(t, other[0], other[1])
			st := e.start(t, t.Context(), "a", IfRunningAdopt)
			if st.Run.ID == busy.ID || e.triggers() != 1 {
				t.Fatalf("run %v, %d triggers", st.Run, e.triggers())
			}
		})
	}
}

// IfRunningAdopt never takes a run that this client started (another caller's, such as a
// second resource with the same job and args): it waits for it and triggers its own.
func TestStartRunAdoptSkipsOwnRun(t *testing.T) {
	e := newEnvOn(t, withJob7(time.Second), nil)
	first := e.start(t, t.Context(), "a", IfRunningAdopt)
	second := e.start(t, t.Context(), "a", IfRunningAdopt)
	if second.Run.ID == first.Run.ID || e.triggers() != 2 {
		t.Fatalf("second %v, %d triggers; want a run of its own after run %d", second.Run, e.triggers(), first.Run.ID)
	}
}

// With IfRunningFail, a run in progress that this client started is its own: a second start
// of the job waits for it instead of failing.
func TestStartRunFailWaitsForOwnRun(t *testing.T) {
	e := newEnvOn(t, withJob7(time.Second), nil)
	first := e.start(t, t.Context(), "a", IfRunningFail)
	second := e.start(t, t.Context(), "a", IfRunningFail)
	if second.Run.ID == first.Run.ID || e.runReads() < 2 {
		t.Fatalf("second %v; want a new run after waiting for run %d", second.Run, first.Run.ID)
	}
}

// With an API token, the client learns its user from GET /users/current-user (once), and
// another user's run with the same args is never taken.
func TestStartRunTokenKnowsItsUser(t *testing.T) {
	e := newEnvOn(t, withJob7(5*time.Second), withToken)
	onTrigger(e.s, func(n int, jobID int64) {
		if n == 1 {
			startAs(t, e.s, "bob", jobID, "a") // bob's run took the job: ours was dropped
		}
	})
	st := e.start(t, t.Context(), "a", "")
	if st.Run.RunByLogin() != "apiuser" || e.triggers() != 2 {
		t.Fatalf("run %v, %d triggers", st.Run, e.triggers())
	}
	if _, err := e.c.StartRun(t.Context(), 8, "a", StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := e.s.RequestCount("GET", routeMe); n != 1 {
		t.Fatalf("GET /users/current-user %d times, want 1", n)
	}
}

// Resume: a trigger shown dropped earlier, whose late run has appeared since, is answered
// that run, and nothing is triggered; without a late run, the job is triggered again and
// the trigger counts on.
func TestStartRunResume(t *testing.T) {
	e := newEnv(t, nil)
	late := e.startRun(t, "alice", "a")
	earlier := &Trigger{JobID: 7, JobName: "Export", Args: "a", LoginName: "alice", SentAt: envStart.Add(-time.Hour),
		Sent: 1, AfterRunID: late.ID - 1, LastAfterRunID: late.ID - 1}
	st, err := e.c.StartRun(t.Context(), 7, "a", StartOptions{Resume: earlier})
	if err != nil || st.Run.ID != late.ID || e.triggers() != 0 || *st.Trigger != *earlier {
		t.Fatalf("run %+v, err %v, %d triggers", st, err, e.triggers())
	}
	e.clock.Advance(time.Hour)
	earlier.AfterRunID, earlier.LastAfterRunID = late.ID, late.ID
	st, err = e.c.StartRun(t.Context(), 7, "a", StartOptions{Resume: earlier})
	if err != nil || st.Run.ID <= late.ID || e.triggers() != 1 || st.Trigger.Sent != 2 || !st.Trigger.SentAt.Equal(earlier.SentAt) {
		t.Fatalf("run %+v, err %v, %d triggers", st, err, e.triggers())
	}
}

// A run left IN_PROGRESS by a restart of the server's process, on both lines: a wait for it
// says which run, by whom, since when and that it may be stale (it has run longer than any
// of the job's past runs), and its end names the server's line (for what to do);
// IfRunningIgnore triggers anyway,
// which starts the run on the newest line; on the older, whose stale run blocks the job, the
// server drops it, which nothing shows: the start is pending, naming the ignored run.
func TestStartRunStaleRun(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		sc := serverConfig()
		sc.Line = line
		for id := int64(1); id <= 3; id++ {
			sc.Runs = append(sc.Runs, pastRun(id, 7, "alice", "", mockserver.StatusSucceeded, 10*time.Minute))
		}
		e := newEnvOn(t, sc, nil)
		stale := e.startRun(t, "bob", "")
		e.s.Stop()
		if err := e.s.RestartProcess(); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Hour)

		_, err := e.c.StartRun(e.timeout(t, time.Second), 7, "", StartOptions{})
		var busy *JobBusyError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &busy) || busy.Run.ID != stale.ID || busy.Line != line ||
			e.triggers() != 0 {
			t.Fatalf("err %v, %d triggers", err, e.triggers())
		}
		for _, want := range []string{
			fmt.Sprintf("waiting for run %d of job 7 (Export) (started at 2024-01-01T00:00:00Z by bob)", stale.ID),
			"in progress since 2024-01-01 00:00 UTC (2 hours ago), longer than any of the job's last 3 finished runs took " +
				"(at most 10m0s): it may be stale",
		} {
			if !strings.Contains(busy.Stale, "it may be stale") || !strings.Contains(err.Error(), want) {
				t.Errorf("the error lacks %q: %v", want, err)
			}
		}
		logged := e.log.all()
		if !strings.Contains(logged, "WARN job already running: waiting for that run before triggering; run "+itoa(stale.ID)+
			" has been in progress since 2024-01-01 00:00 UTC (2 hours ago)") || !strings.Contains(logged, "run_by:bob started_at:2024-01-01T00:00:00Z") {
			t.Errorf("the wait is not explained:\n%s", logged)
		}

		st, err := e.c.StartRun(e.timeout(t, time.Minute), 7, "", StartOptions{IfRunning: IfRunningIgnore})
		if line == mockserver.LineNewest {
			if err != nil || st.Run.ID <= stale.ID || st.Run.RunByLogin() != "alice" || e.triggers() != 1 {
				t.Fatalf("run %+v, err %v, %d triggers: want a new run beside the stale one", st, err, e.triggers())
			}
			return
		}
		if pe := pendingOf(t, err); pe.Ignored == nil || pe.Ignored.ID != stale.ID || e.triggers() != 1 ||
			!strings.Contains(err.Error(), "stale on the older OpenSpecimen line, the server drops every trigger") {
			t.Fatalf("err %v, %d triggers: want the trigger pending, naming run %d", err, e.triggers(), stale.ID)
		}
	})
}

// IfRunningIgnore with a live run of another user: the server drops the trigger, which
// nothing shows, so the start is pending, naming the ignored run, after one trigger. A run
// that starts after the trigger is waited for, as with IfRunningWait, and the job triggered
// again once it has ended.
func TestStartRunIgnoreLiveRun(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		sc := withJob7(time.Minute)
		sc.Line = line
		e := newEnvOn(t, sc, nil)
		live := e.startRun(t, "bob", "")
		_, err := e.c.StartRun(e.timeout(t, 30*time.Second), 7, "", StartOptions{IfRunning: IfRunningIgnore})
		if pe := pendingOf(t, err); pe.Ignored == nil || pe.Ignored.ID != live.ID || e.triggers() != 1 ||
			!strings.Contains(err.Error(), fmt.Sprintf("run %d in progress, started at 2024-01-01T00:00:00Z by bob, was ignored", live.ID)) {
			t.Fatalf("err %v, %d triggers", err, e.triggers())
		}

		e = newEnvOn(t, sc, nil)
		var took mockserver.Run
		e.s.SetTriggerHook(func(int64, string) {
			if took.ID == 0 {
				took = e.startRun(t, "bob", "")
			}
		})
		st := e.start(t, t.Context(), "", IfRunningIgnore)
		if st.Run.ID <= took.ID || e.triggers() != 2 {
			t.Fatalf("run %+v, %d triggers; want ours after run %d", st.Run, e.triggers(), took.ID)
		}
	})
}

// IfRunningIgnore past a stale run while the pool is busy: our trigger waits in the queue,
// and the stale run that the policy ignored is no proof that it was dropped: no second
// trigger. On the newest line its run is answered once the pool frees; on the older line the
// stale run blocks the job, the server drops our trigger when it gets a thread, and the
// start is pending.
func TestStartRunIgnoreStaleRunPoolBusy(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		e := newEnvOn(t, queueConfig(line, 2500*time.Millisecond), nil)
		stale := e.startRun(t, "bob", "")
		e.s.Stop()
		if err := e.s.RestartProcess(); err != nil {
			t.Fatal(err)
		}
		holdPool(t, e)
		st, err := e.c.StartRun(e.timeout(t, time.Minute), 7, "", StartOptions{IfRunning: IfRunningIgnore})
		if e.triggers() != 1 {
			t.Fatalf("%d triggers, want 1", e.triggers())
		}
		if line == mockserver.LineNewest {
			if err != nil || st.Run.RunByLogin() != "alice" || st.Run.ID <= stale.ID {
				t.Fatalf("run %+v, err %v: want a run of ours beside the stale one", st, err)
			}
			return
		}
		if expectPending(t, err); len(runsBy(e.s, "alice")) != 0 {
			t.Fatalf("alice's runs %v, want none", runsBy(e.s, "alice"))
		}
	})
}

// queueConfig is serverConfig on line with a pool of one thread, which a run of job 8
// lasting busy holds (see holdPool).
func queueConfig(line string, busy time.Duration) mockserver.Config {
	sc := serverConfig()
	sc.Line = line
	sc.PoolSize = 1
	sc.Jobs[1].Duration = mockserver.Duration(busy)
	return sc
}

// holdPool starts a run of job 8 through the queue, which takes the pool's one thread.
func holdPool(t *testing.T, e *testEnv) {
	t.Helper()
	if err := e.s.TriggerAs("apiuser", 8, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Duration(startDelay))
	if e.s.BusyThreads() != 1 || len(e.s.QueuedTriggers()) != 0 {
		t.Fatalf("%d busy threads, queue %+v: want job 8 running", e.s.BusyThreads(), e.s.QueuedTriggers())
	}
}

// dropsOf reports the triggers s drops, as "user reason", on the channel it answers. The
// server reports a replaced trigger after its answer to the newer one: a test reads the
// drops it expects from the channel (nextDrops) rather than count them at some moment.
func dropsOf(s *mockserver.Server) <-chan string {
	ch := make(chan string, 100)
	s.SetTriggerDropHook(func(_ int64, user, reason string) { ch <- user + " " + reason })
	return ch
}

// nextDrops reads n drops, joined by commas.
func nextDrops(t *testing.T, drops <-chan string, n int) string {
	t.Helper()
	var got []string
	for range n {
		select {
		case d := <-drops:
			got = append(got, d)
		case <-t.Context().Done():
			t.Fatalf("drops %q, want %d", got, n)
		}
	}
	return strings.Join(got, ",")
}

// runsBy answers the ids of the runs of job 7 by user.
func runsBy(s *mockserver.Server, user string) []int64 {
	var out []int64
	for _, r := range s.Runs(7) {
		if r.RunBy == user {
			out = append(out, r.ID)
		}
	}
	return out
}

// queuedBy reports whether a trigger of job 7 by user waits in the queue.
func queuedBy(s *mockserver.Server, user string) bool {
	for _, q := range s.QueuedTriggers() {
		if q.JobID == 7 && q.LoginName == user {
			return true
		}
	}
	return false
}
