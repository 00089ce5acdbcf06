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
	ModeHistory   = "client, with history"
	ModeNoHistory = "client, no history"
	ModeFixed     = "fixed 5 s poll"
)

// History is a job's kind of run lengths: how its runs to come vary, and its past runs.
type History struct {
	Name   string
	Length time.Duration            // the job's usual run length
	Spread *mockserver.SpreadConfig // how the runs to come vary; nil: each lasts Length
	// Past are the past runs' lengths; nil: historyRuns drawn like PastSpread (or Spread).
	Past       []time.Duration
	PastSpread *mockserver.SpreadConfig
}

const historyRuns = 10

// past answers the lengths of the past runs of the job-th job of h.
func (h History) past(job int) []time.Duration {
	if h.Past != nil {
		return h.Past
	}
	sc := h.PastSpread
	if sc == nil {
		sc = h.Spread
	}
	jc := mockserver.JobConfig{Duration: mockserver.Duration(h.Length)}
	if sc != nil {
		drawn := *sc
		drawn.Seed = sc.Seed + 1000 + uint64(job)
		jc.Spread = &drawn
	}
	return jc.RunLengths(historyRuns)
}

// spread answers how the runs of the job-th job of h vary: the same for every waiter mode,
// so that the modes wait for runs of the same lengths.
func (h History) spread(job int) *mockserver.SpreadConfig {
	if h.Spread == nil {
		return nil
	}
	sc := *h.Spread
	sc.Seed += uint64(job)
	return &sc
}

// LagCase is one measurement: Jobs jobs of History, run in parallel, each run Runs times in
// a row by a waiter of Mode.
type LagCase struct {
	History
	Mode string
	Jobs int
	Runs int
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
	cfg, jobs := lagConfig(cases)
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
	var mu sync.Mutex // guards samples and out's errors
	var wg sync.WaitGroup
	for ci, c := range cases {
		out[ci].LagCase = c
		for _, job := range jobs[ci] {
			wg.Go(func() {
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
			})
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

// lagConfig answers the mock's configuration for cases: a job per case and job number, with
// its past runs unless the case waits without history, and the job ids of each case.
func lagConfig(cases []LagCase) (mockserver.Config, [][]int64) {
	cfg := mockserver.Config{}
	jobs := make([][]int64, len(cases))
	id, runID := int64(0), int64(0)
	past := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	for ci, c := range cases {
		for j := range c.Jobs {
			id++
			jobs[ci] = append(jobs[ci], id)
			cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: id, Name: fmt.Sprintf("%s job %d (%s)", c.Name, j, c.Mode),
				Duration: mockserver.Duration(c.Length), Spread: c.spread(j)})
			if c.Mode == ModeNoHistory {
				continue
			}
			for _, d := range c.past(j) {
				runID++
				s := past.Add(time.Duration(runID) * 3 * time.Hour)
				f := s.Add(d)
				cfg.Runs = append(cfg.Runs, mockserver.RunConfig{ID: runID, JobID: id, Status: mockserver.StatusSucceeded,
					StartedAt: &s, FinishedAt: &f, RunBy: User})
			}
		}
	}
	return cfg, jobs
}

// LagHistories are the histories of the completion-detection table: steady, noisy and
// with outliers, and the uneven histories of a user's report, each run's length exact.
func LagHistories() []History {
	spread := func(jitter, rate float64, outlier time.Duration) *mockserver.SpreadConfig {
		return &mockserver.SpreadConfig{Jitter: jitter, OutlierRate: rate, OutlierDuration: mockserver.Duration(outlier), Seed: 1}
	}
	s := func(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }
	nineAndOne := []time.Duration{s(60), s(60), s(60), s(60), s(60), s(60), s(60), s(60), s(60), s(7200)}
	return []History{
		{Name: "steady 1 s (±5%)", Length: time.Second, Spread: spread(0.05, 0, 0)},
		{Name: "steady 10 s (±5%)", Length: 10 * time.Second, Spread: spread(0.05, 0, 0)},
		{Name: "steady 60 s (±5%)", Length: time.Minute, Spread: spread(0.05, 0, 0)},
		{Name: "noisy 10 s (±50%)", Length: 10 * time.Second, Spread: spread(0.5, 0, 0)},
		{Name: "10 s (±10%), 20% outliers of 30 s; past outliers of 40 min", Length: 10 * time.Second,
			Spread: spread(0.1, 0.2, 30*time.Second), PastSpread: spread(0.1, 0.2, 40*time.Minute)},
		{Name: "2 s; past 60 s, 2 min, 40 min, 5 s ×3", Length: 2 * time.Second, Past: []time.Duration{s(60), s(120), s(2400), s(5), s(5), s(5)}},
		{Name: "3 s; past 1 s ×3, 1 h", Length: 3 * time.Second, Past: []time.Duration{s(1), s(1), s(1), s(3600)}},
		{Name: "65 s; past 60 s ×9, 2 h", Length: 65 * time.Second, Past: nineAndOne},
	}
}

// LagCases are the cases of the completion-detection table: for each history, waits with
// it, without history, and by a fixed 5 s poll, over so many jobs and runs per job. A wait
// without history is a job's first run (its run then serves the next as history).
func LagCases(quick bool) []LagCase {
	var cases []LagCase
	for _, h := range LagHistories() {
		jobs, runs := 6, 3
		switch {
		case quick && h.Length > 10*time.Second:
			continue
		case quick:
			jobs, runs = 2, 1
		case h.Length >= time.Minute:
			jobs, runs = 6, 1
		}
		cases = append(cases,
			LagCase{History: h, Mode: ModeHistory, Jobs: jobs, Runs: runs},
			LagCase{History: h, Mode: ModeNoHistory, Jobs: jobs * runs, Runs: 1},
			LagCase{History: h, Mode: ModeFixed, Jobs: jobs, Runs: runs})
	}
	return cases
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
		st, err := cl.StartRun(ctx, job, fmt.Sprintf("--run %d", r), client.StartOptions{})
		if err != nil {
			return err
		}
		g0, l0 := cnt.reads(job)
		var done *client.Run
		if c.Mode == ModeFixed {
			done, err = fixedPoll(ctx, cl, job, st.Run.ID)
		} else {
			done, err = cl.WaitForRun(ctx, job, st.Run.ID, &st.History)
		}
		returned := time.Now()
		if err != nil {
			return err
		}
		if !done.Status.Finished() {
			return fmt.Errorf("run %d: %s", st.Run.ID, done.Status)
		}
		g1, l1 := cnt.reads(job)
		var fin time.Time
		for _, sr := range srv.Runs(job) {
			if sr.ID == st.Run.ID && sr.FinishedAt != nil {
				fin = *sr.FinishedAt
			}
		}
		if fin.IsZero() {
			return fmt.Errorf("run %d has no finishedAt on the server", st.Run.ID)
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
