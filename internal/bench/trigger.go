package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// TriggerResult is StartRun's cost: from the call to the run being identified.
type TriggerResult struct {
	Latency    time.Duration // the mock's added latency per answer
	StartDelay time.Duration // the mock's delay from trigger to run record
	RTT        time.Duration // median of a plain GET of the job
	Median     time.Duration // median StartRun time
	Max        time.Duration
	Requests   float64 // requests per StartRun (lists and trigger)
	N          int
}

// Overhead is the median StartRun time past the server's start delay, in round trips.
func (r TriggerResult) Overhead() float64 {
	return float64(r.Median-r.StartDelay) / float64(r.RTT)
}

// MeasureTrigger times n StartRun calls (logged in, job idle) on a mock that adds latency to
// each answer and creates the run record startDelay after the trigger.
func MeasureTrigger(ctx context.Context, latency, startDelay time.Duration, n int) (TriggerResult, error) {
	res := TriggerResult{Latency: latency, StartDelay: startDelay, N: n}
	srv, err := mockserver.New(mockserver.Config{
		Jobs:   []mockserver.JobConfig{{ID: 1, Duration: mockserver.Duration(20 * time.Millisecond), StartDelay: mockserver.Duration(startDelay)}},
		Faults: mockserver.FaultConfig{Latency: mockserver.Duration(latency)},
	})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	cl, err := newClient(srv, newCounter())
	if err != nil {
		return res, err
	}
	if err := cl.Login(ctx); err != nil {
		return res, err
	}
	var rtts []time.Duration
	for i := 0; i < 15; i++ {
		t := time.Now()
		if _, err := cl.GetJob(ctx, 1); err != nil {
			return res, err
		}
		rtts = append(rtts, time.Since(t))
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	res.RTT = rtts[len(rtts)/2]

	var ds []time.Duration
	reqs := 0
	for i := 0; i < n; i++ {
		before := srv.RequestCount("GET", "/scheduled-jobs/{jobId}/runs") + srv.RequestCount("POST", "/scheduled-jobs/{jobId}/runs")
		t := time.Now()
		st, err := cl.StartRun(ctx, 1, fmt.Sprintf("--n %d", i), client.StartOptions{})
		if err != nil {
			return res, err
		}
		ds = append(ds, time.Since(t))
		reqs += srv.RequestCount("GET", "/scheduled-jobs/{jobId}/runs") + srv.RequestCount("POST", "/scheduled-jobs/{jobId}/runs") - before
		if _, err := cl.WaitForRun(ctx, 1, st.Run.ID, &st.History); err != nil {
			return res, err
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	res.Median, res.Max = ds[len(ds)/2], ds[len(ds)-1]
	res.Requests = float64(reqs) / float64(n)
	return res, nil
}
