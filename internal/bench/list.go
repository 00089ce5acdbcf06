package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// listTable reads the openspecimen_job_runs data source over a job with many runs, and
// compares it with one plain list request.
func listTable(ctx context.Context, size Size) (*Table, error) {
	runs, rounds := 100000, 5
	if size == Quick {
		runs, rounds = 1000, 1
	}
	cfg := mockserver.Config{Jobs: []mockserver.JobConfig{{ID: 1, Name: "Nightly export"}}}
	seedRuns(&cfg, 1, slices.Repeat([]time.Duration{10 * time.Second}, runs), time.Minute)
	seeding := time.Now()
	srv, err := mockserver.New(cfg)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	seeded := time.Since(seeding)

	read, answered, err := timeDataSource(ctx, srv, rounds)
	if err != nil {
		return nil, err
	}
	lists := srv.RequestCount("GET", listRoute)
	single, err := timeListRuns(ctx, srv, rounds)
	if err != nil {
		return nil, err
	}
	return &Table{
		Title:  fmt.Sprintf("openspecimen_job_runs over a job with %d runs (median of %d)", runs, rounds),
		Header: []string{"seeding the mock", "data source read", "one list request (ListRuns)", "list requests per read", "runs answered"},
		Rows: [][]string{{seeded.Round(time.Millisecond).String(), ms(read), ms(single),
			fmt.Sprintf("%.0f", float64(lists)/float64(rounds)), fmt.Sprint(answered)}},
		Notes: []string{"Bound: the data source reads the job, then sends one list request (maxResults bounded, " +
			"no paging); the rest of its time is the plugin framework building state."},
	}, nil
}

// timeDataSource reads the data source over job 1 rounds times through the provider's
// plugin protocol, and answers the median time and how many runs it answered.
func timeDataSource(ctx context.Context, srv *mockserver.Server, rounds int) (time.Duration, int, error) {
	p, err := newProvider(ctx, srv.URL())
	if err != nil {
		return 0, 0, err
	}
	var times []time.Duration
	var ids []tftypes.Value
	for range rounds {
		t := time.Now()
		st, err := p.readDataSource(ctx, "openspecimen_job_runs", map[string]tftypes.Value{"job_id": num(1)})
		if err != nil {
			return 0, 0, err
		}
		times = append(times, time.Since(t))
		if err := st["ids"].As(&ids); err != nil {
			return 0, 0, err
		}
	}
	return median(times), len(ids), nil
}

// timeListRuns answers the median time of rounds ListRuns of job 1 (the server's default
// of 100 runs), logged in.
func timeListRuns(ctx context.Context, srv *mockserver.Server, rounds int) (time.Duration, error) {
	cl, err := newClient(srv)
	if err != nil {
		return 0, err
	}
	if err := cl.Login(ctx); err != nil {
		return 0, err
	}
	var times []time.Duration
	for range rounds {
		t := time.Now()
		rs, err := cl.ListRuns(ctx, 1, client.RunFilter{})
		if err != nil {
			return 0, err
		}
		times = append(times, time.Since(t))
		if len(rs) == 0 {
			return 0, fmt.Errorf("no runs listed")
		}
	}
	return median(times), nil
}
