package client

import (
	"fmt"
	"slices"
	"time"
)

// History is the durations of a job's recent finished runs, newest first: what WaitForRun
// predicts the end of a run from, and what tells that a run in progress may be stale.
type History struct {
	durs []time.Duration
}

// historyOf answers the history in runs (a run list, newest first): the durations of its
// newest historyRuns finished runs but except (0: none).
func historyOf(runs []Run, except int64) History {
	var h History
	for i := range runs {
		if d, ok := runs[i].duration(); ok && runs[i].Status.Finished() && runs[i].ID != except && len(h.durs) < historyRuns {
			h.durs = append(h.durs, d)
		}
	}
	return h
}

// Usual answers how long the job's runs usually take, the end WaitForRun predicts (their
// median), and how many runs that is made from; 0 and 0 without history.
func (h History) Usual() (usual time.Duration, runs int) {
	if len(h.durs) == 0 {
		return 0, 0
	}
	p := newWaitPlan(time.Time{}, h.durs)
	return p.end.Sub(p.origin), len(h.durs)
}

// staleHint answers, for a run in progress at now, a sentence saying that it may be stale
// when it has been in progress longer than any run of the history took; "" otherwise, or
// without history.
func (h History) staleHint(run *Run, now time.Time) string {
	if run.StartedAt == nil || len(h.durs) == 0 {
		return ""
	}
	longest := slices.Max(h.durs)
	if now.Sub(run.StartedAt.Time) <= longest {
		return ""
	}
	return fmt.Sprintf("run %d has been in progress %s, longer than any of the job's last %d finished runs took "+
		"(at most %s): it may be stale, left IN_PROGRESS by a restart of the server",
		run.ID, sinceText(run.StartedAt.Time, now), len(h.durs), longest.Round(time.Second))
}

// sinceText says since when something is, at now, as a person reads it: "since 2022-02-21
// 06:15 UTC (4 years ago)".
func sinceText(start, now time.Time) string {
	return fmt.Sprintf("since %s (%s ago)", start.UTC().Format("2006-01-02 15:04 MST"), roughly(now.Sub(start)))
}

// roughly writes d in the largest unit of which it holds two or more, rounded down: "40
// seconds", "12 minutes", "30 hours", "45 days", "3 months", "4 years".
func roughly(d time.Duration) string {
	const day = 24 * time.Hour
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"years", 36525 * day / 100}, {"months", 36525 * day / 1200}, {"days", day}, {"hours", time.Hour}, {"minutes", time.Minute}} {
		if d >= 2*u.size {
			return fmt.Sprintf("%d %s", d/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d seconds", max(0, d/time.Second))
}
