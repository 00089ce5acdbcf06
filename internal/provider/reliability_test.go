package provider

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// Fault tests: the mock injects a fault, the apply must still record exactly one run per
// resource, and the server must show no run twice. None of them asserts on wall-clock time.

// reliabilityMockConfig has short jobs 1..n (Duration d) besides testMockConfig's users.
func reliabilityMockConfig(n int, d time.Duration) mockserver.Config {
	cfg := testMockConfig()
	cfg.Jobs = nil
	for i := 1; i <= n; i++ {
		cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: int64(i), Name: fmt.Sprintf("Export %d", i), Duration: mockserver.Duration(d),
			Result: &mockserver.ResultConfig{Filename: "out.csv", Content: "run,${run_id}\n"}})
	}
	return cfg
}

// expectOwnRuns checks that every listed resource recorded a run that the server has, of
// its job, by admin, that no run is recorded twice, and that each job has exactly one run
// per resource pointing at it.
func expectOwnRuns(s *mockserver.Server, addrs map[string]int64) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		seen := map[string]string{}
		perJob := map[int64]int{}
		for addr, job := range addrs {
			rs := st.RootModule().Resources[addr]
			if rs == nil {
				return fmt.Errorf("%s is not in state", addr)
			}
			id := rs.Primary.Attributes["run_id"]
			if other, dup := seen[id]; dup {
				return fmt.Errorf("run %s is recorded by both %s and %s", id, other, addr)
			}
			seen[id] = addr
			perJob[job]++
			found := false
			for _, r := range s.Runs(job) {
				if strconv.FormatInt(r.ID, 10) == id {
					found = true
					if r.RunBy != "admin" {
						return fmt.Errorf("%s recorded run %s of %s, not its own", addr, id, r.RunBy)
					}
				}
			}
			if !found {
				return fmt.Errorf("%s recorded run %s, which job %d does not have on the server", addr, id, job)
			}
			if got := rs.Primary.Attributes["status"]; got != "SUCCEEDED" {
				return fmt.Errorf("%s: status %s", addr, got)
			}
		}
		for job, want := range perJob {
			if got := len(s.Runs(job)); got != want {
				return fmt.Errorf("job %d has %d runs on the server, want %d", job, got, want)
			}
		}
		return nil
	}
}

// A 503 on 30% of all requests, logins and triggers included. A trigger answered 503 is
// ambiguous: the client looks for the run it may have created before triggering again.
func TestAccReliability_errorRate(t *testing.T) {
	cfg := reliabilityMockConfig(3, 200*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{ErrorRate: 0.3, Seed: 7}
	s := newTestMock(t, cfg)
	var b strings.Builder
	b.WriteString(providerBlock(s))
	addrs := map[string]int64{}
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "resource \"openspecimen_job_run\" \"r%d\" {\n  job_id = %d\n}\n", i, i)
		addrs[fmt.Sprintf("openspecimen_job_run.r%d", i)] = int64(i)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			Check:  expectOwnRuns(s, addrs),
		}},
	})
}

// Every trigger is carried out but its answer is lost: one run, recorded, never two.
func TestAccReliability_droppedTriggerAnswers(t *testing.T) {
	cfg := reliabilityMockConfig(1, 200*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{DropResponseRate: 1, Seed: 1}
	s := newTestMock(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1\n  args = \"lost answer\""),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
				func(*terraform.State) error {
					if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 1 {
						return fmt.Errorf("%d triggers reached the server, want 1", n)
					}
					return nil
				},
			),
		}},
	})
}

// The session ends in the middle of the wait (as the server's idle timeout ends it): the
// wait goes on after one new login. The mock's clock stands still, so the run is in
// progress until the test moves it: the first read of the run meets the expiry, and the
// run ends at the third, after the new login.
func TestAccReliability_sessionExpiresMidWait(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := reliabilityMockConfig(1, 3*time.Second)
	cfg.Clock = clock
	s := newTestMock(t, cfg)
	var reads, expired atomic.Int64
	s.SetRequestHook(func(method, p string) {
		if method != "GET" || !runReadPath.MatchString(p) {
			return
		}
		switch reads.Add(1) {
		case 1:
			expired.Store(int64(s.ExpireTokens()))
		case 3:
			clock.Advance(time.Hour)
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1"),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
				func(*terraform.State) error {
					if n := expired.Load(); n != 1 {
						return fmt.Errorf("%d sessions were ended, want the apply's one", n)
					}
					// Plans before the apply make no request: every login is the apply's.
					if n := s.LoginCount(); n != 2 {
						return fmt.Errorf("%d logins, want 2 (one, then one after the expiry)", n)
					}
					return nil
				},
			),
		}},
	})
}

// serverOutage is how long the server stays unreachable in TestAccReliability_serverUnreachableMidWait:
// an outage's length, not a wait for an event; the run cannot end before the server is back.
const serverOutage = 2 * time.Second

// The server is unreachable for a few seconds in the middle of the wait (listener and
// connections closed, then the same port again with the same state): the wait resumes. The
// first read of the run stops the server; the run ends at the first read after the restart.
func TestAccReliability_serverUnreachableMidWait(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := reliabilityMockConfig(1, 4*time.Second)
	cfg.Clock = clock
	s := newTestMock(t, cfg)
	var reads atomic.Int64
	var restarted atomic.Bool
	restartErr := make(chan error, 1)
	s.SetRequestHook(func(method, p string) {
		if method != "GET" || !runReadPath.MatchString(p) {
			return
		}
		switch {
		case reads.Add(1) == 1:
			go func() {
				s.Stop()
				time.AfterFunc(serverOutage, func() {
					err := s.Restart()
					restarted.Store(err == nil)
					restartErr <- err
				})
			}()
		case restarted.Load():
			clock.Advance(time.Hour)
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1"),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
				func(*terraform.State) error {
					select {
					case err := <-restartErr:
						return err
					default:
						return fmt.Errorf("the apply ended before the server came back")
					}
				},
			),
		}},
	})
}

// 200 ms on every answer: a run, the run list and the result file, with default timeouts.
func TestAccReliability_latency(t *testing.T) {
	cfg := reliabilityMockConfig(1, 300*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{Latency: mockserver.Duration(200 * time.Millisecond)}
	s := newTestMock(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1") + `
data "openspecimen_job_runs" "all" {
  job_id     = openspecimen_job_run.x.job_id
  depends_on = [openspecimen_job_run.x]
}
data "openspecimen_job_run_result_file" "f" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.openspecimen_job_runs.all", at("runs"), knownvalue.ListSizeExact(1)),
				statecheck.ExpectKnownValue("data.openspecimen_job_run_result_file.f", at("content"), knownvalue.NotNull()),
			},
			Check: expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
		}},
	})
}

// Another user's run starts right after ours noted the newest run, just before our trigger
// reaches the server, which then drops our trigger: we wait for that run, trigger again and
// record our own run, never theirs.
func TestAccReliability_foreignRunWinsTheRace(t *testing.T) {
	s := newTestMock(t, reliabilityMockConfig(1, 500*time.Millisecond))
	var mu sync.Mutex
	var alices []mockserver.Run
	s.SetTriggerHook(func(jobID int64, login string) {
		mu.Lock()
		defer mu.Unlock()
		if login != "admin" || len(alices) > 0 {
			return
		}
		r, err := s.StartRunAs("alice", jobID, "")
		if err != nil {
			t.Errorf("starting alice's run: %v", err)
			return
		}
		alices = append(alices, r)
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1\n  if_running = \"wait\""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
			},
			Check: func(st *terraform.State) error {
				mu.Lock()
				defer mu.Unlock()
				if len(alices) != 1 {
					return fmt.Errorf("alice's run was not started by the hook")
				}
				got := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]
				ours, _ := strconv.ParseInt(got, 10, 64)
				if ours <= alices[0].ID {
					return fmt.Errorf("recorded run %d, not a run after alice's %d", ours, alices[0].ID)
				}
				if n := len(s.Runs(1)); n != 2 {
					return fmt.Errorf("job 1 has %d runs, want alice's and ours", n)
				}
				return nil
			},
		}},
	})
}

// One apply of 100 runs over 20 jobs, 20 at a time, each answer 20 ms late: one login in
// all, every run recorded once, no run claimed by two resources. Not parallel: it sets
// TF_CLI_ARGS_apply for its CLI runs.
func TestAccReliability_load(t *testing.T) {
	const jobs, perJob = 20, 5
	cfg := reliabilityMockConfig(jobs, 100*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{Latency: mockserver.Duration(20 * time.Millisecond)}
	s := newTestMock(t, cfg)
	t.Setenv("TF_CLI_ARGS_apply", "-parallelism=20")
	var b strings.Builder
	b.WriteString(providerBlock(s))
	addrs := map[string]int64{}
	for j := 1; j <= jobs; j++ {
		for k := 1; k <= perJob; k++ {
			// Distinct args: two runs of one job by one user with the same args cannot be
			// told apart (DESIGN.md).
			fmt.Fprintf(&b, "resource \"openspecimen_job_run\" \"j%d_%d\" {\n  job_id = %d\n  args   = \"part-%d\"\n}\n", j, k, j, k)
			addrs[fmt.Sprintf("openspecimen_job_run.j%d_%d", j, k)] = int64(j)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, addrs),
				func(*terraform.State) error {
					total := 0
					for j := int64(1); j <= jobs; j++ {
						total += len(s.Runs(j))
					}
					if total != jobs*perJob {
						return fmt.Errorf("%d runs on the server, want %d", total, jobs*perJob)
					}
					if n := s.LoginCount(); n != 1 {
						return fmt.Errorf("%d logins, want one for the whole apply", n)
					}
					return nil
				},
			),
		}},
	})
}
