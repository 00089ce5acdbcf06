package client_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// TestEndToEndAgainstMockServer walks the provider's whole path through the real HTTP
// stack: login, job check, trigger and identification, wait, list, result file.
func TestEndToEndAgainstMockServer(t *testing.T) {
	s := mocktest.New(t, mockserver.Config{
		Users: []mockserver.UserConfig{{LoginName: "admin", Password: "Admin@123", Admin: true}},
		Jobs: []mockserver.JobConfig{{
			ID: 1, Name: "Specimen export", Duration: mockserver.Duration(200 * time.Millisecond),
			Result: &mockserver.ResultConfig{Filename: "specimens.csv", Content: "id\n${run_id},${args}\n", Zip: true},
		}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := client.New(client.Config{URL: s.URL(), Username: "admin", Password: "Admin@123", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.GetJob(ctx, 1)
	if err != nil || job.Name != "Specimen export" || !job.Active() {
		t.Fatalf("GetJob = %+v, %v", job, err)
	}
	if _, err := c.GetJob(ctx, 99); !client.IsNotFound(err) {
		t.Fatalf("GetJob(99) error = %v, want not found", err)
	}

	st, err := c.StartRun(ctx, 1, "--cp 12", client.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := st.Run
	if run.RunByLogin() != "admin" || run.Args() != "--cp 12" {
		t.Fatalf("StartRun = %+v", run)
	}
	done, err := c.WaitForRun(ctx, 1, run.ID, &st.History)
	if err != nil || done.Status != client.StatusSucceeded || done.FinishedAt == nil {
		t.Fatalf("WaitForRun = %+v, %v", done, err)
	}

	runs, err := c.ListRuns(ctx, 1, client.RunFilter{Status: client.StatusSucceeded, MaxResults: 10})
	if err != nil || len(runs) != 1 || runs[0].ID != run.ID {
		t.Fatalf("ListRuns = %+v, %v", runs, err)
	}
	if got := s.Runs(1); len(got) != 1 {
		t.Fatalf("the server has %d runs, want exactly 1", len(got))
	}

	if csv := zippedResult(t, c, run.ID); csv != "id\n"+strconv.FormatInt(run.ID, 10)+",--cp 12\n" {
		t.Fatalf("CSV = %q", csv)
	}
	if s.LoginCount() != 1 {
		t.Fatalf("%d logins, want 1", s.LoginCount())
	}
}

// zippedResult downloads the result file of run runID of job 1, specimens.csv.zip, and
// answers the one file it holds.
func zippedResult(t *testing.T, c *client.Client, runID int64) string {
	t.Helper()
	f, err := c.OpenResultFile(t.Context(), 1, runID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(f.Body)
	f.Body.Close()
	if err != nil || f.Filename != "specimens.csv.zip" {
		t.Fatalf("result file %q: %v", f.Filename, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("result is not a one-file zip: %v", err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(rc)
	return string(csv)
}

// Concurrent StartRuns of one job through one client do not trip over each other: each
// would otherwise trigger while another's run is in progress, or replace another's trigger
// in the server's queue. Each start notes the newest run only after the previous start of
// the job has found its run, and waits for it.
func TestConcurrentStartsOfOneJob(t *testing.T) {
	s := mocktest.New(t, mockserver.Config{
		Jobs: []mockserver.JobConfig{{ID: 1, Duration: mockserver.Duration(50 * time.Millisecond)}},
	})
	c, err := client.New(client.Config{URL: s.URL(), Username: "admin", Password: "Admin@123", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	ids := make(chan int64, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			st, err := c.StartRun(t.Context(), 1, "part-"+strconv.Itoa(i), client.StartOptions{})
			if err != nil {
				errs <- err
				return
			}
			if _, err := c.WaitForRun(t.Context(), 1, st.Run.ID, &st.History); err != nil {
				errs <- err
				return
			}
			ids <- st.Run.ID
		}()
	}
	seen := map[int64]bool{}
	for i := 0; i < n; i++ {
		select {
		case err := <-errs:
			t.Fatal(err)
		case id := <-ids:
			if seen[id] {
				t.Fatalf("run %d returned twice", id)
			}
			seen[id] = true
		case <-time.After(30 * time.Second):
			t.Fatal("the starts did not finish: triggers were dropped")
		}
	}
	if got := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); got != n {
		t.Errorf("%d triggers for %d runs: some were dropped", got, n)
	}
}
