package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// manyCase is runs resources of one apply, all started at once over jobs jobs of length
// through one client (StartRun then WaitForRun), on a mock of pool threads.
type manyCase struct {
	runs, jobs, pool int
	length           time.Duration
}

// bound is the shortest wall time the server allows: a job runs one run at a time, and the
// pool at most pool runs at once.
func (c manyCase) bound() time.Duration {
	perJob := (c.runs + c.jobs - 1) / c.jobs
	atOnce := min(c.pool, c.jobs)
	perThread := (c.runs + atOnce - 1) / atOnce
	return time.Duration(max(perJob, perThread)) * c.length
}

// manyTable runs the same resources on the server's pool of 5 threads and on a pool of a
// thread per job.
func manyTable(ctx context.Context, size Size) (*Table, error) {
	base := manyCase{runs: 100, jobs: 20, pool: 5, length: time.Second}
	if size == Quick {
		base = manyCase{runs: 6, jobs: 2, pool: 1, length: 100 * time.Millisecond}
	}
	raised := base
	raised.pool = base.jobs
	t := &Table{
		Title: fmt.Sprintf("%d runs at once over %d jobs of %s (%d runs of history each), one client",
			base.runs, base.jobs, base.length, pastRunsPerJob),
		Header: []string{"mock's pool", "bound", "wall time", "logins", "triggers", "runs created",
			"GETs of a run per run", "run-list GETs per run", "job GETs per run"},
		Notes: []string{"Bound: a job runs one run at a time and the pool at most its size at once, so the wall " +
			"time is at least the runs per job, or the runs per thread, times the run's length. A start whose " +
			"trigger waits for a thread reads the run list until its run appears."},
	}
	for _, c := range []manyCase{base, raised} {
		row, err := measureMany(ctx, c)
		if err != nil {
			return nil, err
		}
		t.add(row...)
	}
	return t, nil
}

// measureMany runs c and answers its row: the wall time and the requests at the server.
func measureMany(ctx context.Context, c manyCase) ([]string, error) {
	srv, err := mockserver.New(jobsWithHistory(c.jobs, c.length, c.pool))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	cl, err := newClient(srv)
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make([]error, c.runs)
	start := time.Now()
	for i := range c.runs {
		wg.Go(func() {
			errs[i] = startAndWait(ctx, cl, int64(i%c.jobs+1), fmt.Sprintf("--resource %d", i))
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	created := 0
	for j := int64(1); j <= int64(c.jobs); j++ {
		created += len(srv.Runs(j)) - pastRunsPerJob
	}
	if created != c.runs {
		return nil, fmt.Errorf("%d starts created %d runs", c.runs, created)
	}
	perRun := func(method, route string) string {
		return fmt.Sprintf("%.1f", float64(srv.RequestCount(method, route))/float64(c.runs))
	}
	return []string{fmt.Sprint(c.pool), c.bound().String(), wall.Round(10 * time.Millisecond).String(),
		fmt.Sprint(srv.LoginCount()), fmt.Sprint(srv.RequestCount("POST", listRoute)), fmt.Sprint(created),
		perRun("GET", runRoute), perRun("GET", listRoute), perRun("GET", jobRoute)}, nil
}
