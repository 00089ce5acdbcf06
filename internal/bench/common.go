// Package bench measures the client and the provider against the in-process mock server:
// how soon a run's end is noticed and at what cost in requests, what a trigger costs, many
// runs through one client, the TCP connections they open, a large result file and a long
// run list. Run it with make bench; it is not part of make test.
package bench

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// Mock credentials (the mock's default admin).
const (
	User     = "admin"
	Password = "Admin@123"
)

// counter is an http.RoundTripper that counts the client's status reads: GETs of one run
// (by job) and GETs of a job's run list (by job).
type counter struct {
	base http.RoundTripper
	mu   sync.Mutex
	gets map[int64]int // GET /scheduled-jobs/{job}/runs/{run}, by job
	list map[int64]int // GET /scheduled-jobs/{job}/runs, by job
}

var (
	runPath  = regexp.MustCompile(`/scheduled-jobs/(\d+)/runs/\d+$`)
	listPath = regexp.MustCompile(`/scheduled-jobs/(\d+)/runs$`)
)

func newCounter() *counter {
	t := http.DefaultTransport.(*http.Transport).Clone() //nolint:forcetypeassert // the standard library's DefaultTransport is an *http.Transport
	t.MaxIdleConnsPerHost = 64
	return &counter{base: t, gets: map[int64]int{}, list: map[int64]int{}}
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet {
		if m := runPath.FindStringSubmatch(req.URL.Path); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			c.mu.Lock()
			c.gets[id]++
			c.mu.Unlock()
		} else if m := listPath.FindStringSubmatch(req.URL.Path); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			c.mu.Lock()
			c.list[id]++
			c.mu.Unlock()
		}
	}
	return c.base.RoundTrip(req)
}

// reads answers the GETs of runs and of run lists of job so far.
func (c *counter) reads(job int64) (gets, lists int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets[job], c.list[job]
}

// newClient makes a client of the mock that counts its reads in cnt.
func newClient(srv *mockserver.Server, cnt *counter) (*client.Client, error) {
	return client.New(client.Config{
		URL: srv.URL(), Username: User, Password: Password,
		HTTPClient: &http.Client{Transport: cnt},
	})
}

// Stats summarises durations.
type Stats struct {
	N                   int
	Median, P95, Max    time.Duration
	MeanReads, MaxReads float64 // GETs of the run while waiting
	MeanLists           float64 // run-list GETs while waiting
}

func summarize(lags []time.Duration, reads, lists []int) Stats {
	s := Stats{N: len(lags)}
	if len(lags) == 0 {
		return s
	}
	d := append([]time.Duration(nil), lags...)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	s.Median = percentile(d, 50)
	s.P95 = percentile(d, 95)
	s.Max = d[len(d)-1]
	for i := range reads {
		s.MeanReads += float64(reads[i]) / float64(len(reads))
		s.MeanLists += float64(lists[i]) / float64(len(lists))
		s.MaxReads = max(s.MaxReads, float64(reads[i]))
	}
	return s
}

// percentile of sorted d, nearest rank.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (p*len(d) + 99) / 100
	return d[min(max(i-1, 0), len(d)-1)]
}

// jobsWithHistory is a mock with jobs jobs of length, each with three finished runs of history.
func jobsWithHistory(jobs int, length time.Duration) mockserver.Config {
	cfg := mockserver.Config{}
	past := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	for j := 1; j <= jobs; j++ {
		cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: int64(j), Duration: mockserver.Duration(length)})
		for k := 0; k < 3; k++ {
			s := past.Add(time.Duration(k) * time.Hour)
			f := s.Add(length)
			cfg.Runs = append(cfg.Runs, mockserver.RunConfig{ID: int64(j*10 + k), JobID: int64(j),
				Status: mockserver.StatusSucceeded, StartedAt: &s, FinishedAt: &f})
		}
	}
	return cfg
}
