package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// Waiter modes.
const (
	ModeHistory   = "client, 3 runs of history"
	ModeNoHistory = "client, no history"
	ModeFixed     = "fixed 5 s poll"
)

// LagCase is one measurement: Jobs jobs of Length, run in parallel, each run Runs times in a
// row by a waiter of Mode.
type LagCase struct {
	Length time.Duration
	Mode   string
	Jobs   int
	Runs   int
}

// LagResult is a case and what was measured.
type LagResult struct {
	LagCase
	Stats
	Errors []error
}

// FixedPoll is the baseline's interval.
const FixedPoll = 5 * time.Second

// MeasureLag runs every case at once against one mock server. Lag is the time from the run's
// finishedAt on the server to the waiter's return; reads are the waiter's GETs of the run
// (and of the run list, counted apart) between StartRun's return and its own.
func MeasureLag(ctx context.Context, cases []LagCase) ([]LagResult, error) {
	cfg := mockserver.Config{}
	var jobs [][]int64
	id := int64(0)
	runID := int64(0)
	past := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	for ci, c := range cases {
		var ids []int64
		for j := 0; j < c.Jobs; j++ {
			id++
			ids = append(ids, id)
			cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: id, Name: fmt.Sprintf("%s job %d (%s)", c.Length, j, c.Mode),
				Duration: mockserver.Duration(c.Length)})
			if c.Mode == ModeNoHistory {
				continue
			}
			for k := 0; k < 3; k++ {
				runID++
				s := past.Add(time.Duration(ci*100+k) * (c.Length + time.Minute))
				f := s.Add(c.Length)
				cfg.Runs = append(cfg.Runs, mockserver.RunConfig{ID: runID, JobID: id, Status: mockserver.StatusSucceeded,
					StartedAt: &s, FinishedAt: &f, RunBy: User})
			}
		}
		jobs = append(jobs, ids)
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	out := make([]LagResult, len(cases))
	type sample struct {
		lag          time.Duration
		reads, lists int
	}
	samples := make([][]sample, len(cases))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for ci, c := range cases {
		out[ci].LagCase = c
		for _, job := range jobs[ci] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := runJob(ctx, srv, c, job, func(lag time.Duration, g, l int) {
					mu.Lock()
					samples[ci] = append(samples[ci], sample{lag, g, l})
					mu.Unlock()
				})
				if err != nil {
					mu.Lock()
					out[ci].Errors = append(out[ci].Errors, fmt.Errorf("job %d: %w", job, err))
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for ci := range out {
		var lags []time.Duration
		var reads, lists []int
		for _, s := range samples[ci] {
			lags, reads, lists = append(lags, s.lag), append(reads, s.reads), append(lists, s.lists)
		}
		out[ci].Stats = summarize(lags, reads, lists)
	}
	return out, nil
}

func runJob(ctx context.Context, srv *mockserver.Server, c LagCase, job int64, record func(time.Duration, int, int)) error {
	cnt := newCounter()
	cl, err := newClient(srv, cnt)
	if err != nil {
		return err
	}
	// Spread the jobs' starts a little, as the resources of an apply are.
	if err := sleep(ctx, time.Duration(rand.Int64N(int64(200*time.Millisecond)))); err != nil {
		return err
	}
	for r := 0; r < c.Runs; r++ {
		run, err := cl.StartRun(ctx, job, fmt.Sprintf("--run %d", r), client.StartOptions{})
		if err != nil {
			return err
		}
		g0, l0 := cnt.reads(job)
		var done *client.Run
		if c.Mode == ModeFixed {
			done, err = fixedPoll(ctx, cl, job, run.ID)
		} else {
			done, err = cl.WaitForRun(ctx, job, run.ID)
		}
		returned := time.Now()
		if err != nil {
			return err
		}
		if !done.Status.Finished() {
			return fmt.Errorf("run %d: %s", run.ID, done.Status)
		}
		g1, l1 := cnt.reads(job)
		var fin time.Time
		for _, sr := range srv.Runs(job) {
			if sr.ID == run.ID && sr.FinishedAt != nil {
				fin = *sr.FinishedAt
			}
		}
		if fin.IsZero() {
			return fmt.Errorf("run %d has no finishedAt on the server", run.ID)
		}
		record(returned.Sub(fin), g1-g0, l1-l0)
	}
	return nil
}

// fixedPoll is the baseline: the shell loop people write (sleep 5; curl the run) with its
// grid at a random phase, since a real job's length is no multiple of 5 s. (Started in step
// with the trigger, it would see the 10 s and 60 s jobs end exactly on its grid.)
func fixedPoll(ctx context.Context, cl *client.Client, job, run int64) (*client.Run, error) {
	if err := sleep(ctx, time.Duration(rand.Int64N(int64(FixedPoll)))); err != nil {
		return nil, err
	}
	for {
		r, err := cl.GetRun(ctx, job, run)
		if err != nil {
			return nil, err
		}
		if r.Status.Finished() {
			return r, nil
		}
		if err := sleep(ctx, FixedPoll); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
