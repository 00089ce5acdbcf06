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
	age := now.Sub(run.StartedAt.Time)
	if age <= longest {
		return ""
	}
	return fmt.Sprintf("run %d has been in progress for %s, longer than any of the job's last %d finished runs took "+
		"(at most %s): it may be stale, left IN_PROGRESS by a restart of the server",
		run.ID, age.Round(time.Second), len(h.durs), longest.Round(time.Second))
}

// staleAdvice is what the error of a wait for another's run that did not end adds: whether
// the run may be stale, and what to do.
func (h History) staleAdvice(run *Run, now time.Time) string {
	why := h.staleHint(run, now)
	if why == "" {
		why = "if it is stale (left IN_PROGRESS by a restart of the server)"
	} else {
		why += "; if it is"
	}
	return fmt.Sprintf(" (%s, trigger anyway with the policy %q: the newest OpenSpecimen line then starts "+
		"the run, while on the older line a stale run blocks the job until an OpenSpecimen administrator ends it)", why, IfRunningIgnore)
}
