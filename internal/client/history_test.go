package client

import (
	"strings"
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

	st, err := e.c.StartRun(ctx, 7, "", StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lists := e.lists()
	usual, runs, err = e.c.UsualDuration(ctx, 7, st.Run.ID)
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

// A history holds the newest finished runs of a list but one; a run in progress longer than
// any of them may be stale, and the hint says so; without history, nothing is said.
func TestHistoryStaleHint(t *testing.T) {
	runs := []Run{
		{ID: 4, Status: StatusInProgress, StartedAt: &EpochMillis{envStart}},
		{ID: 3, Status: StatusSucceeded, StartedAt: &EpochMillis{envStart}, FinishedAt: &EpochMillis{envStart.Add(time.Hour)}},
		{ID: 2, Status: StatusFailed, StartedAt: &EpochMillis{envStart}, FinishedAt: &EpochMillis{envStart.Add(90 * time.Second)}},
		{ID: 1, Status: StatusSucceeded, StartedAt: &EpochMillis{envStart}, FinishedAt: &EpochMillis{envStart.Add(time.Minute)}},
	}
	h := historyOf(runs, 3)
	if usual, n := h.Usual(); usual != 75*time.Second || n != 2 {
		t.Fatalf("usual %s from %d runs; want 1m15s from 2 (run 3 left out)", usual, n)
	}
	running := &runs[0]
	if hint := h.staleHint(running, envStart.Add(90*time.Second)); hint != "" {
		t.Fatalf("hint at the longest run's length: %q", hint)
	}
	if hint := h.staleHint(running, envStart.Add(2*time.Minute)); !strings.Contains(hint, "run 4 has been in progress for 2m0s, "+
		"longer than any of the job's last 2 finished runs took (at most 1m30s)") {
		t.Fatalf("hint %q", hint)
	}
	if hint := historyOf(nil, 0).staleHint(running, envStart.Add(time.Hour)); hint != "" {
		t.Fatalf("hint without history: %q", hint)
	}
}
