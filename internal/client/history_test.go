package client

import (
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// UsualDuration answers the median of the job's recent finished runs (the failed ones count:
// they took that long too), and reads no run list right after StartRun read one.
func TestUsualDuration(t *testing.T) {
	sc := serverConfig()
	for i, d := range []time.Duration{10 * time.Second, 20 * time.Second, 90 * time.Second} {
		status := mockserver.StatusSucceeded
		if i == 1 {
			status = mockserver.StatusFailed
		}
		sc.Runs = append(sc.Runs, pastRun(int64(i+1), 7, "bob", "", status, d))
	}
	e := newEnvOn(t, sc, nil)
	ctx := t.Context()

	usual, runs, err := e.c.UsualDuration(ctx, 7, 100)
	if err != nil || usual != 20*time.Second || runs != 3 {
		t.Fatalf("UsualDuration = %s, %d, %v; want 20s from 3 runs", usual, runs, err)
	}

	run, err := e.c.StartRun(ctx, 7, "", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lists := e.lists()
	usual, runs, err = e.c.UsualDuration(ctx, 7, run.ID)
	if err != nil || usual != 20*time.Second || runs != 3 {
		t.Fatalf("after StartRun, UsualDuration = %s, %d, %v; want 20s from 3 runs", usual, runs, err)
	}
	if n := e.lists() - lists; n != 0 {
		t.Errorf("UsualDuration listed the runs %d time(s) right after StartRun, want none", n)
	}
}

// A job without a finished run has no usual duration, and that is not an error.
func TestUsualDuration_noHistory(t *testing.T) {
	e := newEnv(t, nil)
	usual, runs, err := e.c.UsualDuration(t.Context(), 8, 1)
	if err != nil || usual != 0 || runs != 0 {
		t.Fatalf("UsualDuration = %s, %d, %v; want 0, 0, nil", usual, runs, err)
	}
}

// longestRun answers the longest of the job's known finished runs (the bound past which a
// run in progress may be stale), and nothing for a job of unknown history.
func TestLongestRun(t *testing.T) {
	e := newEnv(t, nil)
	if d, n := e.c.longestRun(7); d != 0 || n != 0 {
		t.Fatalf("unknown history: %s from %d runs", d, n)
	}
	runs := []Run{
		{ID: 3, Status: StatusInProgress, StartedAt: &EpochMillis{envStart}},
		{ID: 2, Status: StatusFailed, StartedAt: &EpochMillis{envStart}, FinishedAt: &EpochMillis{envStart.Add(90 * time.Second)}},
		{ID: 1, Status: StatusSucceeded, StartedAt: &EpochMillis{envStart}, FinishedAt: &EpochMillis{envStart.Add(time.Minute)}},
	}
	e.c.noteHistory(7, runs)
	if d, n := e.c.longestRun(7); d != 90*time.Second || n != 2 {
		t.Fatalf("longest %s from %d runs; want 1m30s from 2", d, n)
	}
}
