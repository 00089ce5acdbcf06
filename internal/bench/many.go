package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// ManyResult is what 100 resources of one apply cost: StartRun then WaitForRun, all at once,
// over a few jobs, through one shared client.
type ManyResult struct {
	Runs, Jobs  int
	Length      time.Duration
	Wall        time.Duration
	Logins      int
	RunReads    int // GET of a run
	ListReads   int // GET of a run list
	Triggers    int
	RunsCreated int
}

// MeasureMany runs runs StartRun+WaitForRun at once over jobs jobs of length, each with three
// runs of history, with one client, and counts the requests at the server.
func MeasureMany(ctx context.Context, runs, jobs int, length time.Duration) (ManyResult, error) {
	res := ManyResult{Runs: runs, Jobs: jobs, Length: length}
	srv, err := mockserver.New(jobsWithHistory(jobs, length))
	if err != nil {
		return res, err
	}
	defer srv.Close()
	cl, err := newClient(srv, newCounter())
	if err != nil {
		return res, err
	}
	var wg sync.WaitGroup
	errs := make([]error, runs)
	start := time.Now()
	for i := 0; i < runs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := int64(i%jobs + 1)
			st, err := cl.StartRun(ctx, job, fmt.Sprintf("--resource %d", i), client.StartOptions{})
			if err == nil {
				_, err = cl.WaitForRun(ctx, job, st.Run.ID, &st.History)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	res.Wall = time.Since(start)
	res.Logins = srv.LoginCount()
	res.RunReads = srv.RequestCount("GET", "/scheduled-jobs/{jobId}/runs/{runId}")
	res.ListReads = srv.RequestCount("GET", "/scheduled-jobs/{jobId}/runs")
	res.Triggers = srv.RequestCount("POST", "/scheduled-jobs/{jobId}/runs")
	for j := 1; j <= jobs; j++ {
		res.RunsCreated += len(srv.Runs(int64(j))) - 3
	}
	return res, errors.Join(errs...)
}
