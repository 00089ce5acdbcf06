package client

import (
	"strings"
	"testing"
	"time"
)

// A job's usual duration is the median of its recent finished runs (the failed ones count:
// they took that long too), the end WaitForRun predicts; none without history.
func TestHistoryUsual(t *testing.T) {
	var runs []Run
	for i, d := range []time.Duration{10 * time.Second, 20 * time.Second, 90 * time.Second} {
		status := StatusSucceeded
		if i == 1 {
			status = StatusFailed
		}
		start := envStart.Add(time.Duration(i) * time.Hour)
		runs = append(runs, Run{ID: int64(3 - i), Status: status, StartedAt: &EpochMillis{start}, FinishedAt: &EpochMillis{start.Add(d)}})
	}
	if usual, n := historyOf(runs, 0).Usual(); usual != 20*time.Second || n != 3 {
		t.Fatalf("Usual = %s from %d runs; want 20s from 3", usual, n)
	}
	if usual, n := historyOf(nil, 0).Usual(); usual != 0 || n != 0 {
		t.Fatalf("Usual without history = %s from %d runs; want 0 from 0", usual, n)
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
	if hint := h.staleHint(running, envStart.Add(2*time.Minute)); !strings.Contains(hint, "run 4 has been in progress since "+
		"2024-01-01 00:00 UTC (2 minutes ago), longer than any of the job's last 2 finished runs took (at most 1m30s)") {
		t.Fatalf("hint %q", hint)
	}
	if hint := historyOf(nil, 0).staleHint(running, envStart.Add(time.Hour)); hint != "" {
		t.Fatalf("hint without history: %q", hint)
	}
}

// A stale run's age reads as a person says it: since a date, so long ago, never 41505h4m55s.
func TestSinceText(t *testing.T) {
	start := time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		41505*time.Hour + 4*time.Minute + 55*time.Second: "since 2022-02-21 06:15 UTC (4 years ago)",
		90 * time.Second:     "since 2022-02-21 06:15 UTC (90 seconds ago)",
		150 * time.Minute:    "since 2022-02-21 06:15 UTC (2 hours ago)",
		47 * time.Hour:       "since 2022-02-21 06:15 UTC (47 hours ago)",
		50 * 24 * time.Hour:  "since 2022-02-21 06:15 UTC (50 days ago)",
		400 * 24 * time.Hour: "since 2022-02-21 06:15 UTC (13 months ago)",
	} {
		if got := sinceText(start, start.Add(d)); got != want {
			t.Errorf("after %s: %q, want %q", d, got, want)
		}
	}
}
