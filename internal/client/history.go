package client

import (
	"context"
	"time"
)

// UsualDuration answers how long the job's runs usually take: the median duration of its
// recent finished runs other than runID, which is the end WaitForRun predicts, and how many
// runs that is made from. It answers 0 and 0 when there is no such run, or when runID is
// itself among them (it has finished). The run list is read only when the client's history
// of the job is older than a few minutes: right after StartRun, which has just read it, no
// request is sent.
func (c *Client) UsualDuration(ctx context.Context, jobID, runID int64) (usual time.Duration, runs int, err error) {
	durs, err := c.durations(ctx, jobID, runID)
	if err != nil || len(durs) == 0 {
		return 0, 0, err
	}
	p := newWaitPlan(time.Time{}, durs, c.waitPollMin, c.waitPollMax, c.waitPollDense)
	return p.end.Sub(p.origin), len(durs), nil
}

// longestRun answers the longest duration among the job's known recent finished runs, and
// how many runs that is made from (0 when none is known).
func (c *Client) longestRun(jobID int64) (longest time.Duration, runs int) {
	c.histMu.Lock()
	defer c.histMu.Unlock()
	h := c.hist[jobID]
	if h == nil {
		return 0, 0
	}
	for _, d := range h.durs {
		longest = max(longest, d)
	}
	return longest, len(h.durs)
}
