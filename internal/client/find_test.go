package client

import (
	"errors"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// pendingStart leaves a start of job 7 with args "a" pending: the pool's one thread is held,
// so the trigger waits in the queue past the start's minute. It answers the trigger.
func pendingStart(t *testing.T, e *testEnv) Trigger {
	t.Helper()
	holdPool(t, e)
	_, err := e.c.StartRun(e.timeout(t, time.Minute), 7, "a", StartOptions{})
	e.sleeps.reset(nil)
	return pendingOf(t, err).Trigger
}

// FindRun, on both lines: a trigger still queued is pending; once it has become a run, that
// run is answered, however many runs of others came before it; a run of another user or
// other args that took the job first proves that the server dropped the trigger. It never
// triggers.
func TestFindRun(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		e := newEnvOn(t, queueConfig(line, time.Hour), nil)
		trig := pendingStart(t, e)
		if _, err := e.c.FindRun(t.Context(), trig); !errors.As(err, new(*RunPendingError)) {
			t.Fatalf("err %v, want pending", err)
		}
		e.clock.Advance(time.Hour) // the thread frees: the trigger becomes a run
		for i := range 30 {        // others' runs come after ours (each ends as the next starts)
			e.clock.Advance(10 * time.Minute)
			startAs(t, e.s, "bob", 7, itoa(int64(i)))
		}
		run, err := e.c.FindRun(t.Context(), trig)
		if mine := runsBy(e.s, "alice"); err != nil || len(mine) != 1 || run.ID != mine[0] || run.Args() != "a" {
			t.Fatalf("run %+v, err %v; alice's runs %v", run, err, mine)
		}
		if e.triggers() != 1 {
			t.Fatalf("%d triggers, want 1", e.triggers())
		}
	})
}

// FindRun answers a *TriggerDroppedError when a run of another user, or of this user with
// other args, took the job after the trigger, or when the job is no longer active.
func TestFindRunDropped(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		for name, other := range map[string][2]string{"other user": {"bob", "a"}, "other args": {"alice", "b"}} {
			t.Run(name, func(t *testing.T) {
				e := newEnvOn(t, queueConfig(line, time.Hour), nil)
				trig := pendingStart(t, e)
				took := startAs(t, e.s, other[0], 7, other[1]) // it replaced ours, or ours will meet it in progress
				_, err := e.c.FindRun(t.Context(), trig)
				var de *TriggerDroppedError
				if !errors.As(err, &de) || de.Run == nil || de.Run.ID != took.ID || de.Trigger != trig {
					t.Fatalf("err %v, want dropped by run %d", err, took.ID)
				}
			})
		}
		e := newEnvOn(t, queueConfig(line, time.Hour), nil)
		trig := pendingStart(t, e)
		replyTo(e.s, "GET", routeJob, always(mockserver.Reply{Body: []byte(`{"id":7,"name":"Export","activityStatus":"Disabled"}`)}))
		_, err := e.c.FindRun(t.Context(), trig)
		var ie *JobInactiveError
		if !errors.As(err, new(*TriggerDroppedError)) || !errors.As(err, &ie) || ie.Reason != "it is Disabled" {
			t.Fatalf("err %v, want dropped as the job is disabled", err)
		}
	})
}

// AwaitRun reads on until the run of a pending trigger appears, and answers it with the
// job's history (its own run left out); ctx's end leaves it pending; a run that took the job
// ends it with a *TriggerDroppedError. It never triggers.
func TestAwaitRun(t *testing.T) {
	sc := queueConfig(mockserver.LineNewest, time.Hour)
	sc.Runs = []mockserver.RunConfig{pastRun(1, 7, "bob", "", mockserver.StatusSucceeded, 90*time.Second)}
	e := newEnvOn(t, sc, nil)
	trig := pendingStart(t, e)
	if _, err := e.c.AwaitRun(e.timeout(t, 10*time.Minute), trig); !errors.As(err, new(*RunPendingError)) {
		t.Fatalf("err %v, want pending", err)
	}
	e.sleeps.reset(nil)
	st, err := e.c.AwaitRun(t.Context(), trig) // the thread frees within the hour
	if err != nil || st.Run.Args() != "a" || *st.Trigger != trig {
		t.Fatalf("started %+v, err %v", st, err)
	}
	if usual, n := st.History.Usual(); usual != 90*time.Second || n != 1 {
		t.Fatalf("history: %s from %d runs", usual, n)
	}

	e = newEnvOn(t, queueConfig(mockserver.LineNewest, time.Hour), nil)
	trig = pendingStart(t, e)
	e.sleeps.reset(func(n int, _ time.Duration) {
		if n == 3 {
			startAs(t, e.s, "bob", 7, "")
		}
	})
	if _, err := e.c.AwaitRun(t.Context(), trig); !errors.As(err, new(*TriggerDroppedError)) || e.triggers() != 1 {
		t.Fatalf("err %v, %d triggers", err, e.triggers())
	}
}

// recentRuns reads every run newer than the baseline, past its first 25: the oldest of them
// may be ours.
func TestRecentRunsReachBaseline(t *testing.T) {
	sc := serverConfig()
	for id := int64(1); id <= 60; id++ {
		sc.Runs = append(sc.Runs, pastRun(id, 7, "bob", "", mockserver.StatusSucceeded, time.Second))
	}
	e := newEnvOn(t, sc, nil)
	for after, want := range map[int64]int{59: 25, 30: 50, 5: 60} {
		runs, err := e.c.recentRuns(t.Context(), 7, after)
		if err != nil || len(runs) != want {
			t.Fatalf("after run %d: %d runs, %v; want %d", after, len(runs), err, want)
		}
	}
}
