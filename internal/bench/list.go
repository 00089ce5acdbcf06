package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// ListResult compares the openspecimen_job_runs data source over a job with many runs to one
// plain list request.
type ListResult struct {
	Runs        int
	Seed        time.Duration // building the mock with that many seeded runs
	DataSource  time.Duration // median of the data source's reads (max_results unset)
	SingleList  time.Duration // median of one ListRuns (the server's default of 100)
	ListReqs    float64       // list requests per data source read
	ResultCount int
}

// MeasureList seeds a job with runs runs and reads it rounds times each way.
func MeasureList(ctx context.Context, runs, rounds int) (ListResult, error) {
	res := ListResult{Runs: runs}
	cfg := mockserver.Config{Jobs: []mockserver.JobConfig{{ID: 1, Name: "Nightly export"}}}
	base := time.Now().Add(-time.Duration(runs) * time.Minute).Truncate(time.Second)
	cfg.Runs = make([]mockserver.RunConfig, runs)
	for i := range cfg.Runs {
		s := base.Add(time.Duration(i) * time.Minute)
		f := s.Add(10 * time.Second)
		cfg.Runs[i] = mockserver.RunConfig{ID: int64(i + 1), JobID: 1, Status: mockserver.StatusSucceeded, StartedAt: &s, FinishedAt: &f}
	}
	t := time.Now()
	srv, err := mockserver.New(cfg)
	if err != nil {
		return res, err
	}
	defer srv.Close()
	res.Seed = time.Since(t)

	p, err := NewProvider(ctx, map[string]tftypes.Value{"url": Str(srv.URL()), "username": Str(User), "password": Str(Password)})
	if err != nil {
		return res, err
	}
	cl, err := client.New(client.Config{URL: srv.URL(), Username: User, Password: Password})
	if err != nil {
		return res, err
	}
	if err := cl.Login(ctx); err != nil {
		return res, err
	}
	var ds, ls []time.Duration
	lists0 := srv.RequestCount("GET", "/scheduled-jobs/{jobId}/runs")
	for i := 0; i < rounds; i++ {
		t := time.Now()
		st, err := p.ReadDataSource(ctx, "openspecimen_job_runs", map[string]tftypes.Value{"job_id": Num(1)})
		if err != nil {
			return res, err
		}
		ds = append(ds, time.Since(t))
		var ids []tftypes.Value
		if err := st["ids"].As(&ids); err != nil {
			return res, err
		}
		res.ResultCount = len(ids)
	}
	res.ListReqs = float64(srv.RequestCount("GET", "/scheduled-jobs/{jobId}/runs")-lists0) / float64(rounds)
	for i := 0; i < rounds; i++ {
		t := time.Now()
		rs, err := cl.ListRuns(ctx, 1, client.RunFilter{})
		if err != nil {
			return res, err
		}
		ls = append(ls, time.Since(t))
		if len(rs) == 0 {
			return res, fmt.Errorf("no runs listed")
		}
	}
	res.DataSource, res.SingleList = median(ds), median(ls)
	return res, nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s { // small: insertion sort
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
