package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// The waiters the completion table compares; the third is a fixed poll.
const (
	modeHistory   = "client, with history"
	modeNoHistory = "client, no history"
)

// runLengths is how long a job's runs last: the runs to come, and its past runs.
type runLengths struct {
	name   string
	length time.Duration            // the job's usual run length
	spread *mockserver.SpreadConfig // how the runs to come vary; nil: each lasts length
	// past are the past runs' lengths; nil: historyRuns drawn like pastSpread (or spread).
	past       []time.Duration
	pastSpread *mockserver.SpreadConfig
}

const historyRuns = 10

// pastOf answers the lengths of the past runs of the job-th job of l.
func (l runLengths) pastOf(job int) []time.Duration {
	if l.past != nil {
		return l.past
	}
	sc := cmp.Or(l.pastSpread, l.spread)
	jc := mockserver.JobConfig{Duration: mockserver.Duration(l.length)}
	if sc != nil {
		drawn := *sc
		drawn.Seed = sc.Seed + 1000 + uint64(job)
		jc.Spread = &drawn
	}
	return jc.RunLengths(historyRuns)
}

// spreadOf answers how the runs of the job-th job of l vary: the same whatever the waiter,
// so that every waiter waits for runs of the same lengths.
func (l runLengths) spreadOf(job int) *mockserver.SpreadConfig {
	if l.spread == nil {
		return nil
	}
	sc := *l.spread
	sc.Seed += uint64(job)
	return &sc
}

// lagCase is jobs jobs of runLengths, each run runs times in a row by one waiter: the
// client with the history its start read (modeHistory), the client without history
// (modeNoHistory: the job has no past runs), or a poll every poll (poll > 0).
type lagCase struct {
	runLengths
	mode       string
	jobs, runs int
	poll       time.Duration
}

func (c lagCase) waiter() string {
	if c.poll > 0 {
		return fmt.Sprintf("fixed %s poll", c.poll)
	}
	return c.mode
}

// lagSample is one run waited for: the time from its finishedAt on the server to the
// waiter's return, and the waiter's reads of the run and of the run list meanwhile.
type lagSample struct {
	lag               time.Duration
	runGets, listGets int
}

// lagTable runs every case at once, each job through its own client, on one mock whose
// pool has a thread per job.
func lagTable(ctx context.Context, size Size) (*Table, error) {
	cases := lagCases(size)
	cfg, jobs := lagConfig(cases)
	samples, err := measureLag(ctx, cfg, cases, jobs)
	if err != nil {
		return nil, err
	}
	t := &Table{
		Title: fmt.Sprintf("Completion detection (every case at once, each job its own client; "+
			"the mock's pool raised to %d threads, one per job, so that no trigger waits for a thread)", cfg.PoolSize),
		Header: []string{"job's run lengths", "waiter", "runs", "lag median", "lag max",
			"GETs of the run per run (mean / max)", "run-list GETs per run"},
		Notes: []string{"Lag: from the run's finishedAt on the server to the waiter's return. " +
			"Bound: without history, a fifth of the run's length past its end (0.1 s to 5 s), plus a read; " +
			"with history the same from the history's usual span on, and half the run's age before it; " +
			"the fixed poll, its interval (read at a random phase)."},
	}
	for i, c := range cases {
		t.add(lagRow(c, samples[i])...)
	}
	return t, nil
}

func lagRow(c lagCase, s []lagSample) []string {
	lags := make([]time.Duration, len(s))
	var gets, lists, maxGets int
	for i, x := range s {
		lags[i] = x.lag
		gets, lists, maxGets = gets+x.runGets, lists+x.listGets, max(maxGets, x.runGets)
	}
	n := float64(len(s))
	return []string{c.name, c.waiter(), fmt.Sprint(len(s)), ms(median(lags)), ms(percentile(lags, 100)), fmt.Sprintf("%.1f / %d", float64(gets)/n, maxGets), fmt.Sprintf("%.1f", float64(lists)/n)}
}

// measureLag runs the jobs of every case at once on a mock of cfg, and answers the samples
// of each case; any run that fails fails the measure.
func measureLag(ctx context.Context, cfg mockserver.Config, cases []lagCase, jobs [][]int64) ([][]lagSample, error) {
	srv, err := mockserver.New(cfg)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	counts := countRequests(srv)
	samples := make([][]lagSample, len(cases))
	var errs []error
	var mu sync.Mutex // guards samples and errs
	var wg sync.WaitGroup
	for ci, c := range cases {
		for _, job := range jobs[ci] {
			wg.Go(func() {
				s, err := runJob(ctx, srv, counts, c, job)
				mu.Lock()
				defer mu.Unlock()
				samples[ci] = append(samples[ci], s...)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s, %s, job %d: %w", c.name, c.waiter(), job, err))
				}
			})
		}
	}
	wg.Wait()
	return samples, errors.Join(errs...)
}

// lagConfig answers the mock's configuration for cases, with a thread per job, and the job
// ids of each case: a job per case and job number, with its past runs unless the case
// waits without history.
func lagConfig(cases []lagCase) (mockserver.Config, [][]int64) {
	cfg := mockserver.Config{}
	jobs := make([][]int64, len(cases))
	id := int64(0)
	for ci, c := range cases {
		for j := range c.jobs {
			id++
			jobs[ci] = append(jobs[ci], id)
			cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: id, Name: fmt.Sprintf("%s job %d (%s)", c.name, j, c.waiter()),
				Duration: mockserver.Duration(c.length), Spread: c.spreadOf(j)})
			if c.mode != modeNoHistory {
				seedRuns(&cfg, id, c.pastOf(j), 3*time.Hour)
			}
		}
	}
	cfg.PoolSize = int(id)
	return cfg, jobs
}

// lagHistories are the run lengths of the completion table: steady, noisy and with
// outliers, and the uneven histories of a user's report. Quick: one steady short job.
func lagHistories(size Size) []runLengths {
	spread := func(jitter, rate float64, outlier time.Duration) *mockserver.SpreadConfig {
		return &mockserver.SpreadConfig{Jitter: jitter, OutlierRate: rate, OutlierDuration: mockserver.Duration(outlier), Seed: 1}
	}
	if size == Quick {
		return []runLengths{{name: "steady 300 ms (±5%)", length: 300 * time.Millisecond, spread: spread(0.05, 0, 0)}}
	}
	s := func(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }
	nineAndOne := []time.Duration{s(60), s(60), s(60), s(60), s(60), s(60), s(60), s(60), s(60), s(7200)}
	return []runLengths{
		{name: "steady 1 s (±5%)", length: time.Second, spread: spread(0.05, 0, 0)},
		{name: "steady 10 s (±5%)", length: 10 * time.Second, spread: spread(0.05, 0, 0)},
		{name: "steady 60 s (±5%)", length: time.Minute, spread: spread(0.05, 0, 0)},
		{name: "noisy 10 s (±50%)", length: 10 * time.Second, spread: spread(0.5, 0, 0)},
		{name: "10 s (±10%), 20% outliers of 30 s; past outliers of 40 min", length: 10 * time.Second,
			spread: spread(0.1, 0.2, 30*time.Second), pastSpread: spread(0.1, 0.2, 40*time.Minute)},
		{name: "2 s; past 60 s, 2 min, 40 min, 5 s ×3", length: 2 * time.Second, past: []time.Duration{s(60), s(120), s(2400), s(5), s(5), s(5)}},
		{name: "3 s; past 1 s ×3, 1 h", length: 3 * time.Second, past: []time.Duration{s(1), s(1), s(1), s(3600)}},
		{name: "65 s; past 60 s ×9, 2 h", length: 65 * time.Second, past: nineAndOne},
	}
}

// lagCases are, for each history, waits with it, without history, and by a fixed poll
// (5 s; Quick: 500 ms), over so many jobs and runs per job. A wait without history is a
// job's first run, so its case has a job per run.
func lagCases(size Size) []lagCase {
	var cases []lagCase
	for _, l := range lagHistories(size) {
		jobs, runs, poll := 6, 3, 5*time.Second
		switch {
		case size == Quick:
			jobs, runs, poll = 1, 2, 500*time.Millisecond
		case l.length >= time.Minute:
			runs = 1
		}
		cases = append(cases,
			lagCase{runLengths: l, mode: modeHistory, jobs: jobs, runs: runs},
			lagCase{runLengths: l, mode: modeNoHistory, jobs: jobs * runs, runs: 1},
			lagCase{runLengths: l, jobs: jobs, runs: runs, poll: poll})
	}
	return cases
}

// runJob starts and waits for c.runs runs of job in a row through a client of its own.
func runJob(ctx context.Context, srv *mockserver.Server, counts *requests, c lagCase, job int64) ([]lagSample, error) {
	cl, err := newClient(srv)
	if err != nil {
		return nil, err
	}
	var out []lagSample
	for r := range c.runs {
		st, err := cl.StartRun(ctx, job, fmt.Sprintf("--run %d", r), client.StartOptions{})
		if err != nil {
			return out, err
		}
		gets, lists := counts.reads(job)
		if c.poll > 0 {
			err = fixedPoll(ctx, cl, job, st.Run.ID, c.poll)
		} else {
			_, err = cl.WaitForRun(ctx, job, st.Run.ID, &st.History)
		}
		returned := time.Now()
		if err != nil {
			return out, err
		}
		fin, err := finishedAt(srv, job, st.Run.ID)
		if err != nil {
			return out, err
		}
		g, l := counts.reads(job)
		out = append(out, lagSample{lag: returned.Sub(fin), runGets: g - gets, listGets: l - lists})
	}
	return out, nil
}

// fixedPoll is the baseline: the shell loop people write (sleep 5; curl the run), reading
// the run every poll until it has finished, at a random phase since a real job's length is
// no multiple of the interval.
func fixedPoll(ctx context.Context, cl *client.Client, job, run int64, poll time.Duration) error {
	next := rand.N(poll)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(next):
		}
		next = poll
		r, err := cl.GetRun(ctx, job, run)
		if err != nil || r.Status.Finished() {
			return err
		}
	}
}

// finishedAt answers when the server says run of job finished.
func finishedAt(srv *mockserver.Server, job, run int64) (time.Time, error) {
	for _, r := range srv.Runs(job) {
		if r.ID == run && r.FinishedAt != nil {
			return *r.FinishedAt, nil
		}
	}
	return time.Time{}, fmt.Errorf("run %d of job %d has no finishedAt on the server", run, job)
}
