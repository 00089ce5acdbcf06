package bench

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// The mock's default admin, as whom every measure logs in.
const (
	user     = "admin"
	password = "Admin@123"
)

// The mock's routes the measures count, as RequestCount names them.
const (
	jobRoute  = "/scheduled-jobs/{jobId}"
	listRoute = "/scheduled-jobs/{jobId}/runs" // GET: the run list; POST: the trigger
	runRoute  = "/scheduled-jobs/{jobId}/runs/{runId}"
)

// requests counts the requests that reach a route of a mock: all of them, and each route's
// by job.
type requests struct {
	mu    sync.Mutex // guards total and byJob
	total int
	byJob map[jobRequest]int
}

// jobRequest is a route and method, for one job.
type jobRequest struct {
	method, pattern string
	job             int64
}

// countRequests counts the requests that reach srv from now on, with its response hook.
func countRequests(srv *mockserver.Server) *requests {
	c := &requests{byJob: map[jobRequest]int{}}
	srv.SetResponseHook(c.count)
	return c
}

func (c *requests) count(r mockserver.Request) (mockserver.Reply, bool) {
	var job int64
	if rest, ok := strings.CutPrefix(r.Path, "/scheduled-jobs/"); ok {
		job, _ = strconv.ParseInt(strings.SplitN(rest, "/", 2)[0], 10, 64) // 0 for a path of no job
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	c.byJob[jobRequest{r.Method, r.Pattern, job}]++
	return mockserver.Reply{}, false
}

// all answers how many requests reached the mock.
func (c *requests) all() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// reads answers the GETs of runs of job, and of its run list.
func (c *requests) reads(job int64) (runGets, listGets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byJob[jobRequest{"GET", runRoute, job}], c.byJob[jobRequest{"GET", listRoute, job}]
}

// newClient answers a client of srv, as the provider configures it but for its logger.
func newClient(srv *mockserver.Server) (*client.Client, error) {
	return client.New(client.Config{URL: srv.URL(), Username: user, Password: password})
}

// startAndWait does what the job_run resource does: it starts a run of job with args, then
// waits for it with the history the start read.
func startAndWait(ctx context.Context, cl *client.Client, job int64, args string) error {
	st, err := cl.StartRun(ctx, job, args, client.StartOptions{})
	if err != nil {
		return err
	}
	_, err = cl.WaitForRun(ctx, job, st.Run.ID, &st.History)
	return err
}

// seedRuns adds to cfg finished runs of job, one of each length in order, started every
// apart and the last one ending before now, with the ids after those in cfg.
func seedRuns(cfg *mockserver.Config, job int64, lengths []time.Duration, every time.Duration) {
	first := time.Now().Add(-time.Duration(len(lengths)+1) * every).Truncate(time.Second)
	for i, d := range lengths {
		s := first.Add(time.Duration(i) * every)
		f := s.Add(d)
		cfg.Runs = append(cfg.Runs, mockserver.RunConfig{ID: int64(len(cfg.Runs) + 1), JobID: job,
			Status: mockserver.StatusSucceeded, StartedAt: &s, FinishedAt: &f, RunBy: user})
	}
}

// pastRunsPerJob is how many finished runs jobsWithHistory gives each job.
const pastRunsPerJob = 3

// jobsWithHistory is a mock of pool threads with jobs jobs of length, each with
// pastRunsPerJob finished runs of that length.
func jobsWithHistory(jobs int, length time.Duration, pool int) mockserver.Config {
	cfg := mockserver.Config{PoolSize: pool}
	for j := int64(1); j <= int64(jobs); j++ {
		cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: j, Duration: mockserver.Duration(length)})
		seedRuns(&cfg, j, slices.Repeat([]time.Duration{length}, pastRunsPerJob), time.Hour)
	}
	return cfg
}

// percentile answers the p-th percentile of d, by nearest rank; 0 when d is empty.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(d))
	i := (p*len(s) + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func median(d []time.Duration) time.Duration { return percentile(d, 50) }
