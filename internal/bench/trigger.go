package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// triggerCase is a mock that adds latency to each answer and creates a run's record delay
// after its trigger.
type triggerCase struct{ latency, delay time.Duration }

// triggerResult is what starts of one job cost, one after the other.
type triggerResult struct {
	rtt         time.Duration // median of a plain GET of the job
	median, max time.Duration // of StartRun
	requests    float64       // per StartRun, of any kind
}

// triggerTable times StartRun, one start at a time (the job idle, the client logged in).
func triggerTable(ctx context.Context, size Size) (*Table, error) {
	cases := []triggerCase{{0, 0}, {20 * time.Millisecond, 0}, {50 * time.Millisecond, 0},
		{20 * time.Millisecond, 5 * time.Millisecond}, {20 * time.Millisecond, 300 * time.Millisecond}}
	starts := 20
	if size == Quick {
		cases, starts = []triggerCase{{0, 0}, {5 * time.Millisecond, 50 * time.Millisecond}}, 3
	}
	t := &Table{
		Title: fmt.Sprintf("Starting a run (StartRun, logged in, job idle; median of %d starts through one client)", starts),
		Header: []string{"mock latency", "start delay", "RTT (GET job)", "StartRun median", "max", "requests per start",
			"median past the start delay"},
		Notes: []string{"Bound: one round trip per request, in order (the job, the baseline run list, the trigger, " +
			"a run list that finds the run), when the run appears at once; after a start delay, the look-up reads the " +
			"run list at gaps of a fifth of the time since the trigger (at least 50 ms)."},
	}
	for _, c := range cases {
		r, err := measureTrigger(ctx, c, starts)
		if err != nil {
			return nil, err
		}
		past := fmt.Sprintf("%.1f RTT", float64(r.median-c.delay)/float64(r.rtt))
		if r.rtt < time.Millisecond {
			past = "n/a (RTT under 1 ms: processing time dominates)"
		}
		t.add(c.latency.String(), c.delay.String(), ms(r.rtt), ms(r.median), ms(r.max), fmt.Sprintf("%.1f", r.requests), past)
	}
	return t, nil
}

// measureTrigger times n starts of one job, each waited for before the next.
func measureTrigger(ctx context.Context, c triggerCase, n int) (triggerResult, error) {
	var res triggerResult
	srv, err := mockserver.New(mockserver.Config{
		Jobs:   []mockserver.JobConfig{{ID: 1, Duration: mockserver.Duration(20 * time.Millisecond), StartDelay: mockserver.Duration(c.delay)}},
		Faults: mockserver.FaultConfig{Latency: mockserver.Duration(c.latency)},
	})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	counts := countRequests(srv)
	cl, err := newClient(srv)
	if err != nil {
		return res, err
	}
	if err := cl.Login(ctx); err != nil {
		return res, err
	}
	var rtts, starts []time.Duration
	for range 15 {
		t := time.Now()
		if _, err := cl.GetJob(ctx, 1); err != nil {
			return res, err
		}
		rtts = append(rtts, time.Since(t))
	}
	requests := 0
	for i := range n {
		before, t := counts.all(), time.Now()
		st, err := cl.StartRun(ctx, 1, fmt.Sprintf("--n %d", i), client.StartOptions{})
		if err != nil {
			return res, err
		}
		starts, requests = append(starts, time.Since(t)), requests+counts.all()-before
		if _, err := cl.WaitForRun(ctx, 1, st.Run.ID, &st.History); err != nil {
			return res, err
		}
	}
	res.rtt, res.median, res.max = median(rtts), median(starts), percentile(starts, 100)
	res.requests = float64(requests) / float64(n)
	return res, nil
}
