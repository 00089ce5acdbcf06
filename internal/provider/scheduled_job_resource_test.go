package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const scheduledJobAddr = "openspecimen_scheduled_job.x"

// The ids of scheduledJobMockConfig's users and saved queries.
const (
	userAdmin, userAlice, userBob = 1, 2, 3
	querySpecimens, queryVisits   = 21, 22
	jobTaken                      = 1 // named "Taken export"
)

// scheduledJobMockConfig is the mock of the scheduled job tests. Its clock stands still: the
// schedules of the jobs the tests create or seed (a daily export at 02:30, a job of every
// kind, one every minute) never fire during a test. On the newest line a job's dates do not
// bound its scheduled runs, so a start date in 2100 would not keep the real clock from
// firing them, as the system user or the job's run-as user, at a time of day. The jobs the
// tests run have no duration and start at once: they need no clock.
func scheduledJobMockConfig() mockserver.Config {
	return mockserver.Config{
		Clock: mockserver.NewManualClock(time.Now()),
		Users: []mockserver.UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
			{LoginName: "bob", Password: "Bob@123"},
		},
		SavedQueries: []mockserver.SavedQueryConfig{{ID: querySpecimens, Title: "Specimens"}, {ID: queryVisits, Title: "Visits"}},
		Jobs:         []mockserver.JobConfig{{ID: jobTaken, Name: "Taken export", Type: "QUERY"}},
	}
}

func scheduledJobConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
resource "openspecimen_scheduled_job" "x" {
%s
}
`, body)
}

// farStart gives a job a start date of its own. It does not keep the mock from firing the
// job's schedule (on the newest line a job's dates do not bound its runs):
// scheduledJobMockConfig's clock stands still for that.
const farStart = `  start_date      = "2100-01-01T00:00:00Z"`

// nightlyBody is a nightly export; extra lines are added to it.
func nightlyBody(name string, extra ...string) string {
	return fmt.Sprintf(`  name            = %q
  type            = "QUERY"
  saved_query_id  = %d
  repeat_schedule = "DAILY"
  hour            = 2
  minute          = 30
`, name, querySpecimens) + strings.Join(extra, "\n")
}

// fullJobLines set every optional attribute of a nightly export but its dates.
var fullJobLines = []string{
	fmt.Sprintf(`  run_as_user_id       = %d`, userAlice),
	fmt.Sprintf(`  recipient_user_ids   = [%d, %d]`, userAlice, userBob),
	fmt.Sprintf(`  shared_with_user_ids = [%d]`, userBob),
	`  fixed_args           = "--cp 12"`,
	`  accepts_args         = true`,
	`  args_help_text       = "--site <site>"`,
}

// adminClient is a client of the mock as admin, to act in OpenSpecimen's UI's place.
func adminClient(t *testing.T, s *mockserver.Server) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{URL: s.URL(), Username: "admin", Password: "Admin@123"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stateJobID answers the id of the job in state.
func stateJobID(st *terraform.State) (int64, error) {
	rs, ok := st.RootModule().Resources[scheduledJobAddr]
	if !ok {
		return 0, fmt.Errorf("%s is not in the state", scheduledJobAddr)
	}
	return strconv.ParseInt(rs.Primary.Attributes["id"], 10, 64)
}

// serverJob checks the job in state as the server has it.
func serverJob(t *testing.T, s *mockserver.Server, check func(*client.Job) error) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		id, err := stateJobID(st)
		if err != nil {
			return err
		}
		job, err := adminClient(t, s).GetJob(context.Background(), id)
		if err != nil {
			return err
		}
		return check(job)
	}
}

func TestAccScheduledJob_lifecycle(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	id := statecheck.CompareValue(compare.ValuesSame())
	var jobID int64
	created := nightlyBody("Nightly export", append([]string{farStart}, fullJobLines...)...)
	updated := strings.Replace(created, `"Nightly export"`, `"Nightly specimen export"`, 1)
	updated = strings.Replace(updated, "hour            = 2", "hour            = 3", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			job, err := adminClient(t, s).GetJob(context.Background(), jobID)
			if err != nil {
				return err
			}
			if !job.Disabled() || !regexp.MustCompile(`^Nightly specimen export_\d+$`).MatchString(job.Name) {
				return fmt.Errorf("after destroy job %d is %q, %s; want it Disabled and renamed", jobID, job.Name, job.ActivityStatus)
			}
			return nil
		},
		Steps: []resource.TestStep{
			lifecycleCreateStep(t, s, created, id.AddStateValue(scheduledJobAddr, at("id")), &jobID),
			{
				Config:   scheduledJobConfig(s, created),
				PlanOnly: true, // nothing to do: next_run_on, read at refresh, is no diff
			},
			lifecycleUpdateStep(t, s, updated, id.AddStateValue(scheduledJobAddr, at("id"))),
			{
				ResourceName:      scheduledJobAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			lifecycleDriftStep(t, s, updated, &jobID),
		},
	})
}

// lifecycleCreateStep creates the job of body, records its id in state with sameID and in
// jobID, and checks what the server and the state say of it.
func lifecycleCreateStep(t *testing.T, s *mockserver.Server, body string, sameID statecheck.StateCheck, jobID *int64) resource.TestStep {
	return resource.TestStep{
		Config: scheduledJobConfig(s, body),
		ConfigStateChecks: []statecheck.StateCheck{
			sameID,
			statecheck.ExpectKnownValue(scheduledJobAddr, at("created_by"), knownvalue.StringExact("admin")),
			statecheck.ExpectKnownValue(scheduledJobAddr, at("enabled"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(scheduledJobAddr, at("active"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(scheduledJobAddr, at("next_run_on"), knownvalue.StringRegexp(regexp.MustCompile(`T02:30:00Z$`))), // the minute, without the seconds of the read
			statecheck.ExpectKnownValue(scheduledJobAddr, at("day_of_week"), knownvalue.Null()),
			statecheck.ExpectKnownValue(scheduledJobAddr, at("hourly_interval"), knownvalue.Null()),
			statecheck.ExpectKnownValue(scheduledJobAddr, at("end_date"), knownvalue.Null()),
		},
		Check: resource.ComposeAggregateTestCheckFunc(
			func(st *terraform.State) (err error) { *jobID, err = stateJobID(st); return err },
			serverJob(t, s, func(j *client.Job) error {
				if j.RunAs.Login() != "alice" || len(j.Recipients) != 2 || len(j.SharedWith) != 1 || !j.AcceptsArgs() {
					return fmt.Errorf("job on the server: run as %q, %d recipients, shared with %d", j.RunAs.Login(), len(j.Recipients), len(j.SharedWith))
				}
				return nil
			}),
		),
	}
}

// lifecycleUpdateStep renames the job and moves it to 03:30 in place, the same id checked
// with sameID.
func lifecycleUpdateStep(t *testing.T, s *mockserver.Server, body string, sameID statecheck.StateCheck) resource.TestStep {
	return resource.TestStep{
		Config: scheduledJobConfig(s, body),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate)},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			sameID,
			statecheck.ExpectKnownValue(scheduledJobAddr, at("next_run_on"), knownvalue.StringRegexp(regexp.MustCompile(`T03:30:00Z$`))),
		},
		Check: serverJob(t, s, func(j *client.Job) error {
			if j.Name != "Nightly specimen export" || *j.ScheduledHour != 3 {
				return fmt.Errorf("job on the server: %q at hour %d", j.Name, *j.ScheduledHour)
			}
			return nil
		}),
	}
}

// lifecycleDriftStep changes job jobID as OpenSpecimen's UI would: the change shows in the
// plan of body, and the apply undoes it.
func lifecycleDriftStep(t *testing.T, s *mockserver.Server, body string, jobID *int64) resource.TestStep {
	return resource.TestStep{
		PreConfig: func() {
			spec := client.JobSpec{Name: "Nightly specimen export", Type: "QUERY", SavedQueryID: queryVisits,
				RepeatSchedule: "WEEKLY", Disabled: true,
				Schedule: client.Schedule{ScheduledHour: ptrTo(5), ScheduledMinute: ptrTo(0), ScheduledDayOfWeek: ptrTo("FRIDAY")}}
			if _, err := adminClient(t, s).UpdateJob(context.Background(), *jobID, "Nightly specimen export", spec); err != nil {
				t.Fatal(err)
			}
		},
		Config: scheduledJobConfig(s, body),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(scheduledJobAddr, at("repeat_schedule"), knownvalue.StringExact("DAILY")),
				plancheck.ExpectKnownValue(scheduledJobAddr, at("enabled"), knownvalue.Bool(true)),
			},
		},
		Check: serverJob(t, s, func(j *client.Job) error {
			if j.RepeatSchedule != "DAILY" || *j.ScheduledHour != 3 || j.SavedQuery.ID != querySpecimens ||
				j.ActivityStatus != "Active" || j.RunAs.Login() != "alice" || len(j.Recipients) != 2 {
				return fmt.Errorf("the drift was not undone: %s at hour %d, query %d, %s", j.RepeatSchedule, *j.ScheduledHour, j.SavedQuery.ID, j.ActivityStatus)
			}
			return nil
		}),
	}
}

func ptrTo[T any](v T) *T { return &v }

// Every schedule the server refuses is refused at plan time, before any request changes it:
// each step is an apply, which would send the job were the plan to pass.
func TestAccScheduledJob_invalidSchedules(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	base := `  name = "Bad"
  type = "QUERY"
  saved_query_id = 21
`
	cases := []struct{ body, err string }{
		{`repeat_schedule = "DAILY"` + "\n minute = 0", `Missing hour.*repeat_schedule DAILY needs hour, minute`},
		{`repeat_schedule = "DAILY"` + "\n hour = 1", `Missing minute`},
		{`repeat_schedule = "HOURLY"` + "\n minute = 0\n hour = 1", `Unexpected hour.*repeat_schedule HOURLY does not use hour`},
		{`repeat_schedule = "WEEKLY"` + "\n hour = 1\n minute = 0", `Missing day_of_week`},
		{`repeat_schedule = "WEEKLY"` + "\n hour = 1\n minute = 0\n day_of_week = \"FUNDAY\"", `day_of_week value must be one of`},
		{`repeat_schedule = "MONTHLY"` + "\n hour = 1\n minute = 0", `Missing day_of_month`},
		{`repeat_schedule = "MONTHLY"` + "\n hour = 1\n minute = 0\n day_of_month = 32", `day_of_month value must be between 1 and 31`},
		{`repeat_schedule = "MONTHLY"` + "\n hour = 1\n minute = 0\n day_of_month = 0", `day_of_month value must be between 1 and 31`},
		{`repeat_schedule = "DAILY"` + "\n hour = 24\n minute = 0", `hour value must be between 0 and 23`},
		{`repeat_schedule = "DAILY"` + "\n hour = 1\n minute = 60", `minute value must be between 0 and 59`},
		{`repeat_schedule = "MINUTELY"` + "\n minutely_interval = -1", `minutely_interval value must be at least 0`},
		{`repeat_schedule = "MINUTELY"` + "\n hourly_interval = 2", `Unexpected hourly_interval`},
		{`repeat_schedule = "HOURLY"` + "\n minute = 0\n hourly_interval = 0", `hourly_interval value must be at least 1`},
		{`repeat_schedule = "ONDEMAND"` + "\n minute = 5", `Unexpected minute.*repeat_schedule ONDEMAND does not use minute`},
		{`repeat_schedule = "YEARLY"`, `repeat_schedule value must be one of`},
		{`repeat_schedule = "ONDEMAND"` + "\n start_date = \"2026-02-01T00:00:00Z\"\n end_date = \"2026-01-01T00:00:00Z\"", `End date before start date`},
		{`repeat_schedule = "ONDEMAND"` + "\n start_date = \"2026-02-01\"", `Invalid date.*is not an RFC 3339 date`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      scheduledJobConfig(s, base+"  "+c.body),
			ExpectError: errRe(`(?s)` + c.err),
		})
	}
	for _, c := range []struct{ body, err string }{
		{"  name = \"Bad\"\n  type = \"QUERY\"\n  repeat_schedule = \"ONDEMAND\"", `Missing saved_query_id.*A job of type QUERY needs saved_query_id`},
		{"  name = \"Bad\"\n  type = \"INTERNAL\"\n  saved_query_id = 21\n  repeat_schedule = \"ONDEMAND\"", `Missing task_class`},
		{"  name = \"Bad\"\n  type = \"INTERNAL\"\n  task_class = \"a.B\"\n  saved_query_id = 21\n  repeat_schedule = \"ONDEMAND\"", `Unexpected saved_query_id.*is for jobs of type QUERY`},
	} {
		steps = append(steps, resource.TestStep{Config: scheduledJobConfig(s, c.body), ExpectError: errRe(`(?s)` + c.err)})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
	if n := s.RequestCount("POST", "/scheduled-jobs"); n != 0 {
		t.Fatalf("%d jobs were sent to the server, want none", n)
	}
}

// A schedule or type attribute unknown at plan time (here a terraform_data output) is neither
// missing nor unexpected then; once known at apply, the rules are checked before any request.
func TestAccScheduledJob_unknownAtPlan(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := func(dayOfWeek string) string {
		return providerBlock(s) + fmt.Sprintf(`
resource "terraform_data" "d" {
  input = %s
}

resource "openspecimen_scheduled_job" "x" {
%s
  day_of_week = terraform_data.d.output
}
`, dayOfWeek, nightlyBody("Nightly export", farStart))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      cfg(`"FRIDAY"`),
				ExpectError: errRe(`(?s)Unexpected day_of_week.*repeat_schedule DAILY does not use day_of_week`),
			},
			{
				Config: cfg("null"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("day_of_week"), knownvalue.Null()),
				},
			},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs"); n != 1 {
		t.Fatalf("%d jobs were sent to the server, want 1: the one with the known day_of_week was sent", n)
	}
}

// A name another job has is a warning at plan time, naming the job and what to do whether
// this configuration manages it or not; the apply waits a while for the name to be free (as
// a job that the same apply deletes would free it), then fails, having sent nothing. A
// rename too: the server refuses it, once.
func TestAccScheduledJob_duplicateName(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	taken := `(?s)Job name taken.*Job 1 is already named "Taken export"%s.*was not %s: the name\s+stayed taken for 20s.*` +
		`Does this apply delete or rename\s+job 1.*key them by name with for_each.*If no resource of this configuration manages\s+job 1, import it.*openspecimen_scheduled_job.NAME 1`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// OpenSpecimen's duplicate check ignores case.
				Config:      scheduledJobConfig(s, nightlyBody("taken EXPORT", farStart)),
				ExpectError: errRe(fmt.Sprintf(taken, `, the same name as\s+"taken EXPORT"`, "created")),
			},
			{Config: scheduledJobConfig(s, nightlyBody("Mine", farStart))},
			{
				Config:      scheduledJobConfig(s, nightlyBody("Taken export", farStart)),
				ExpectError: errRe(fmt.Sprintf(taken, "", "updated")),
			},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs"); n != 1 {
		t.Fatalf("%d POSTs, want 1: a job of a taken name was sent", n)
	}
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 1 {
		t.Fatalf("%d PUTs, want 1: the server's refusal of the rename, not sent again", n)
	}
}

// A rename that changes only case is refused at plan time, before any request: the server,
// whose name check ignores case, finds the job itself under that name. Through another name,
// one apply each, it passes.
func TestAccScheduledJob_renameCaseOnly(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: scheduledJobConfig(s, nightlyBody("Nightly", farStart))},
			{
				Config:      scheduledJobConfig(s, nightlyBody("NIGHTLY", farStart)),
				PlanOnly:    true,
				ExpectError: errRe(`(?s)Rename changes only case.*OpenSpecimen refuses to rename job \d+ from "Nightly" to\s+"NIGHTLY".*Rename it through another name first`),
			},
			{
				PreConfig: func() {
					if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 0 {
						t.Fatalf("%d PUTs: the rename was sent", n)
					}
				},
				Config: scheduledJobConfig(s, nightlyBody("Nightly (renaming)", farStart)),
			},
			{Config: scheduledJobConfig(s, nightlyBody("NIGHTLY", farStart))},
		},
	})
}

// A blank name, and an end date already past for a job created without a start date (the
// server starts it when it creates it), are refused at plan time; a past end date after an
// explicit earlier start date is not.
func TestAccScheduledJob_planTimeRefusals(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      scheduledJobConfig(s, nightlyBody("   ", farStart)),
				ExpectError: errRe(`(?s)name must not be blank: OpenSpecimen refuses a value of spaces only`),
			},
			{
				Config:      scheduledJobConfig(s, nightlyBody("Ended", `  end_date = "2020-01-01T00:00:00Z"`)),
				ExpectError: errRe(`(?s)End date in the past.*end_date 2020-01-01T00:00:00Z is before now, and without\s+start_date`),
			},
			{
				Config: scheduledJobConfig(s, nightlyBody("Ended", `  start_date = "2019-01-01T00:00:00Z"`, `  end_date = "2020-01-01T00:00:00Z"`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("end_date"), knownvalue.StringExact("2020-01-01T00:00:00Z")),
				},
			},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs"); n != 1 {
		t.Fatalf("%d POSTs, want 1: a job refused at plan time was sent", n)
	}
}

// A name that only a job this user cannot see has is the server's refusal, named as such.
func TestAccScheduledJob_duplicateNameUnseen(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlockAs(s.URL(), "alice", "Alice@123") + `
resource "openspecimen_scheduled_job" "x" {
` + nightlyBody("Taken export", farStart) + "\n}\n",
			ExpectError: errRe(`(?s)Job name taken.*another job has that name, one this user cannot see`),
		}},
	})
}

// A job deleted in OpenSpecimen (soft deleted: Disabled, renamed) leaves the state with a
// warning, and the next apply creates it again.
func TestAccScheduledJob_deletedOutside(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := scheduledJobConfig(s, nightlyBody("Nightly export", farStart))
	var first int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, Check: func(st *terraform.State) (err error) { first, err = stateJobID(st); return err }},
			{
				PreConfig: func() {
					if _, err := adminClient(t, s).DeleteJob(context.Background(), first, "Nightly export"); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionCreate)},
				},
				Check: func(st *terraform.State) error {
					if id, err := stateJobID(st); err != nil || id == first {
						return fmt.Errorf("job id %d (%v), want a new job", id, err)
					}
					return nil
				},
			},
		},
	})
}

// A disabled job whose name ends in digits is not taken for a deleted one: it imports, and a
// job renamed so in the UI and disabled stays in the state, its drift undone in place.
func TestAccScheduledJob_disabledNotDeleted(t *testing.T) {
	const jobBackup = 5
	mcfg := scheduledJobMockConfig()
	mcfg.Jobs = append(mcfg.Jobs, mockserver.JobConfig{ID: jobBackup, Name: "Backup_2", ActivityStatus: "Disabled"})
	s := mocktest.New(t, mcfg)
	cfg := scheduledJobConfig(s, nightlyBody("Nightly", farStart))
	var jobID int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateId: strconv.Itoa(jobBackup),
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["name"] != "Backup_2" || states[0].Attributes["enabled"] != "false" {
						return fmt.Errorf("imported %v, want job %d, Backup_2, disabled", states, jobBackup)
					}
					return nil
				},
			},
			{Config: cfg, Check: func(st *terraform.State) (err error) { jobID, err = stateJobID(st); return err }},
			{
				PreConfig: func() {
					spec := client.JobSpec{Name: "Nightly_2", Type: "QUERY", SavedQueryID: querySpecimens,
						RepeatSchedule: "DAILY", Disabled: true, Schedule: client.Schedule{ScheduledHour: ptrTo(2), ScheduledMinute: ptrTo(30)}}
					if _, err := adminClient(t, s).UpdateJob(context.Background(), jobID, "Nightly", spec); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate)},
				},
				Check: serverJob(t, s, func(j *client.Job) error {
					if j.ID != jobID || j.Name != "Nightly" || j.ActivityStatus != "Active" {
						return fmt.Errorf("job %d is %q, %s; want job %d Nightly, Active", j.ID, j.Name, j.ActivityStatus, jobID)
					}
					return nil
				}),
			},
		},
	})
}

// deleteJobCheck is a plan check that deletes the job in state, as OpenSpecimen's UI would
// between the plan and its apply.
type deleteJobCheck struct {
	t     *testing.T
	s     *mockserver.Server
	jobID *int64
}

func (d deleteJobCheck) CheckPlan(ctx context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if _, err := adminClient(d.t, d.s).DeleteJob(ctx, *d.jobID, "Nightly"); err != nil {
		resp.Error = err
	}
}

// A job deleted between the plan and the apply of an update is not brought back by the PUT
// (which would undelete it): the update fails, saying so, and the next apply creates it anew.
func TestAccScheduledJob_deletedBeforeUpdate(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := func(hour int) string {
		return scheduledJobConfig(s, strings.Replace(nightlyBody("Nightly", farStart),
			"hour            = 2", fmt.Sprintf("hour            = %d", hour), 1))
	}
	var first int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg(2), Check: func(st *terraform.State) (err error) { first, err = stateJobID(st); return err }},
			{
				Config: cfg(3),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate),
						deleteJobCheck{t: t, s: s, jobID: &first},
					},
				},
				ExpectError: errRe(`(?s)Job deleted.*Job \d+ \("Nightly"\) was deleted outside Terraform.*renamed\s+"Nightly_\d+".*Apply\s+again`),
			},
			{
				Config: cfg(3),
				Check: func(st *terraform.State) error {
					if id, err := stateJobID(st); err != nil || id == first {
						return fmt.Errorf("job id %d (%v), want a new job", id, err)
					}
					return nil
				},
			},
		},
	})
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 0 {
		t.Fatalf("%d PUTs, want none: the deleted job was sent", n)
	}
}

// An imported job's start date keeps its milliseconds, so that an update sends it back as is.
func TestAccScheduledJob_dateMillis(t *testing.T) {
	const jobExport = 5
	start := time.Date(2100, 1, 1, 23, 59, 59, 999e6, time.UTC)
	mcfg := scheduledJobMockConfig()
	mcfg.Jobs = append(mcfg.Jobs, mockserver.JobConfig{ID: jobExport, Name: "Export", Type: "QUERY",
		SavedQueryID: querySpecimens, RepeatSchedule: "ONDEMAND", StartDate: &start})
	s := mocktest.New(t, mcfg)
	cfg := scheduledJobConfig(s, fmt.Sprintf(`  name            = "Export"
  type            = "QUERY"
  saved_query_id  = %d
  repeat_schedule = "ONDEMAND"
  fixed_args      = "--cp 1"`, querySpecimens))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateId: strconv.Itoa(jobExport),
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if got := states[0].Attributes["start_date"]; got != "2100-01-01T23:59:59.999Z" {
						return fmt.Errorf("imported start_date %s, want 2100-01-01T23:59:59.999Z", got)
					}
					return nil
				},
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate)},
				},
				Check: serverJob(t, s, func(j *client.Job) error {
					if j.StartDate == nil || !j.StartDate.Equal(start) || j.FixedArgs == nil || *j.FixedArgs != "--cp 1" {
						return fmt.Errorf("after the update job %d starts %v with fixed args %v, want %v", j.ID, j.StartDate, j.FixedArgs, start)
					}
					return nil
				}),
			},
		},
	})
}

func TestAccScheduledJob_importErrors(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := scheduledJobConfig(s, nightlyBody("Nightly export", farStart))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateId: "abc",
				ExpectError: errRe(`(?s)Invalid import id.*"abc" is not a job id`)},
			{Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateId: "999",
				ExpectError: errRe(`(?s)Cannot import non-existent remote object`)},
		},
	})
}

// A run of the job in the same apply that creates it; a change of the job runs it again
// through replace_triggered_by.
func TestAccScheduledJob_runInSameApply(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := func(fixedArgs string) string {
		return scheduledJobConfig(s, nightlyBody("Nightly export", farStart, fmt.Sprintf("  fixed_args = %q", fixedArgs))) + `
resource "openspecimen_job_run" "after_change" {
  job_id = openspecimen_scheduled_job.x.id
  lifecycle {
    replace_triggered_by = [openspecimen_scheduled_job.x]
  }
}
`
	}
	const runAddr = "openspecimen_job_run.after_change"
	runs := func(want int) resource.TestCheckFunc {
		return func(st *terraform.State) error {
			id, err := stateJobID(st)
			if err != nil {
				return err
			}
			return expectRuns(s, id, want)(st)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg("--cp 1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(runAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
					statecheck.ExpectKnownValue(runAddr, at("job_name"), knownvalue.StringExact("Nightly export")),
					statecheck.CompareValuePairs(runAddr, at("job_id"), scheduledJobAddr, at("id"), compare.ValuesSame()),
				},
				Check: runs(1),
			},
			{
				Config: cfg("--cp 2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(runAddr, plancheck.ResourceActionReplace),
					},
				},
				Check: runs(2),
			},
		},
	})
}

// A scheduled job runs on the server's clock, as its run-as user.
func TestAccScheduledJob_scheduleFires(t *testing.T) {
	clock := mockserver.NewManualClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	cfg := scheduledJobMockConfig()
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: scheduledJobConfig(s, nightlyBody("Nightly export", fmt.Sprintf("  run_as_user_id = %d", userAlice))),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(scheduledJobAddr, at("next_run_on"), knownvalue.StringExact("2026-03-01T02:30:00Z")),
			},
			Check: func(st *terraform.State) error {
				id, err := stateJobID(st)
				if err != nil {
					return err
				}
				if n := len(s.Runs(id)); n != 0 {
					return fmt.Errorf("job %d ran %d times before its time", id, n)
				}
				clock.Advance(2*time.Hour + 30*time.Minute)
				runs := s.Runs(id)
				if len(runs) != 1 || runs[0].RunBy != "alice" {
					return fmt.Errorf("runs of job %d after its time: %+v, want one by alice", id, runs)
				}
				return nil
			},
		}},
	})
}

// EXTERNAL jobs: created on the older line; on the newest, which refuses them, refused at
// plan time when the server's build_version tells its line (nothing sent), else by the
// server at apply. An EXTERNAL job already on a newest-line server imports and plans clean.
func TestAccScheduledJob_externalByLine(t *testing.T) {
	body := "  name = \"Cleanup\"\n  type = \"EXTERNAL\"\n  command = \"/opt/cleanup.sh\"\n  repeat_schedule = \"ONDEMAND\""
	for name, tc := range map[string]struct{ line, build, err string }{
		"older":                {line: mockserver.LineOlder},
		"newest":               {line: mockserver.LineNewest, err: `(?s)EXTERNAL jobs refused by this server.*build v13.0.*newest line`},
		"newest, line untold":  {line: mockserver.LineNewest, build: "master", err: `(?s)Cannot create job.*External jobs are not allowed`},
		"newest, existing job": {line: mockserver.LineNewest},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := scheduledJobMockConfig()
			cfg.Line, cfg.Settings.BuildVersion = tc.line, tc.build
			if name == "newest, existing job" {
				cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: 5, Name: "Cleanup", Type: "EXTERNAL", Command: "/opt/cleanup.sh"})
			}
			s := mocktest.New(t, cfg)
			config := scheduledJobConfig(s, body)
			if name == "newest, existing job" {
				config += "\nimport {\n  to = " + scheduledJobAddr + "\n  id = \"5\"\n}\n"
			}
			step := resource.TestStep{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("command"), knownvalue.StringExact("/opt/cleanup.sh")),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("task_class"), knownvalue.Null()),
				},
			}
			if tc.err != "" {
				step = resource.TestStep{Config: config, ExpectError: errRe(tc.err)}
			}
			resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: []resource.TestStep{step}})
			want := map[string]int{"older": 1, "newest, line untold": 1}[name]
			if n := s.RequestCount("POST", "/scheduled-jobs"); n != want {
				t.Errorf("%d POSTs, want %d", n, want)
			}
		})
	}
}

// The repeat_schedule doc tells each kind's attributes, as scheduleKinds has them.
func TestScheduleKindsDoc(t *testing.T) {
	var resp fwresource.SchemaResponse
	NewScheduledJobResource().Schema(context.Background(), fwresource.SchemaRequest{}, &resp)
	doc := resp.Schema.Attributes["repeat_schedule"].GetMarkdownDescription()
	for _, want := range []string{"`DAILY` needs `hour`, `minute`", "`HOURLY` needs `minute` and may have `hourly_interval`",
		"`MINUTELY` may have `minutely_interval`", "`MONTHLY` needs `day_of_month`, `hour`, `minute`", "`ONDEMAND` has none",
		"`WEEKLY` needs `day_of_week`, `hour`, `minute`"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the repeat_schedule doc %q lacks %q", doc, want)
		}
	}
}

// scheduleKindJobs are jobs of each repeat schedule, as OpenSpecimen's UI may leave them
// (a MINUTELY interval of 0, which the server keeps and runs every minute), each with the
// configuration that describes it.
var scheduleKindJobs = []struct {
	job    mockserver.JobConfig
	config string
}{
	{mockserver.JobConfig{ID: 11, Name: "Every minute", RepeatSchedule: "MINUTELY", MinutelyInterval: ptrTo(0)},
		"repeat_schedule = \"MINUTELY\"\n  minutely_interval = 0"},
	{mockserver.JobConfig{ID: 12, Name: "Every 3 hours", RepeatSchedule: "HOURLY", ScheduledMinute: ptrTo(15), HourlyInterval: ptrTo(3)},
		"repeat_schedule = \"HOURLY\"\n  minute = 15\n  hourly_interval = 3"},
	{mockserver.JobConfig{ID: 13, Name: "Nightly", RepeatSchedule: "DAILY", ScheduledHour: ptrTo(2), ScheduledMinute: ptrTo(30)},
		"repeat_schedule = \"DAILY\"\n  hour = 2\n  minute = 30"},
	{mockserver.JobConfig{ID: 14, Name: "Fridays", RepeatSchedule: "WEEKLY", ScheduledDayOfWeek: "FRIDAY", ScheduledHour: ptrTo(4), ScheduledMinute: ptrTo(0)},
		"repeat_schedule = \"WEEKLY\"\n  day_of_week = \"FRIDAY\"\n  hour = 4\n  minute = 0"},
	{mockserver.JobConfig{ID: 15, Name: "Month end", RepeatSchedule: "MONTHLY", ScheduledDayOfMonth: ptrTo(31), ScheduledHour: ptrTo(23), ScheduledMinute: ptrTo(59)},
		"repeat_schedule = \"MONTHLY\"\n  day_of_month = 31\n  hour = 23\n  minute = 59"},
	{mockserver.JobConfig{ID: 16, Name: "On demand", RepeatSchedule: "ONDEMAND", ActivityStatus: "Disabled"},
		"repeat_schedule = \"ONDEMAND\"\n  enabled = false"},
}

// A job of each repeat schedule imports (import blocks) and plans clean, a MINUTELY interval
// of 0 among them; a job created with minutely_interval = 0 plans clean too.
func TestAccScheduledJob_importEachKind(t *testing.T) {
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	mcfg := scheduledJobMockConfig() // its clock stands still: the job of every minute never fires
	var config strings.Builder
	var noOps []plancheck.PlanCheck
	for _, k := range scheduleKindJobs {
		jc := k.job
		jc.Type, jc.SavedQueryID, jc.StartDate = "QUERY", querySpecimens, &far
		mcfg.Jobs = append(mcfg.Jobs, jc)
		addr := fmt.Sprintf("openspecimen_scheduled_job.k%d", jc.ID)
		fmt.Fprintf(&config, "\nimport {\n  to = %s\n  id = \"%d\"\n}\n\nresource \"openspecimen_scheduled_job\" \"k%d\" {\n"+
			"  name = %q\n  type = \"QUERY\"\n  saved_query_id = %d\n  %s\n}\n", addr, jc.ID, jc.ID, jc.Name, querySpecimens, k.config)
		noOps = append(noOps, plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop))
	}
	s := mocktest.New(t, mcfg)
	created := scheduledJobConfig(s, "  name = \"Created every minute\"\n  type = \"QUERY\"\n  saved_query_id = 21\n"+
		"  repeat_schedule = \"MINUTELY\"\n  minutely_interval = 0\n"+farStart)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:           providerBlock(s) + config.String(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: noOps},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("openspecimen_scheduled_job.k11", at("minutely_interval"), knownvalue.Int64Exact(0)),
				},
			},
			{Config: providerBlock(s) + config.String(), PlanOnly: true},
			{
				Config: created,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("minutely_interval"), knownvalue.Int64Exact(0)),
				},
			},
			{Config: created, PlanOnly: true},
		},
	})
}

// liveJobs answers the ids of the jobs named name exactly on the server that are not
// deleted, and of those deleted since they had that name.
func liveJobs(t *testing.T, s *mockserver.Server, name string) (live, deleted []int64) {
	t.Helper()
	c := adminClient(t, s)
	for id, missed := int64(1), 0; missed < 10; id++ {
		j, err := c.GetJob(context.Background(), id)
		switch {
		case client.IsNotFound(err):
			missed++
			continue
		case err != nil:
			t.Fatal(err)
		}
		missed = 0
		switch {
		case j.Name == name:
			live = append(live, id)
		case j.DeletedSince(name) && strings.HasPrefix(j.Name, name+"_"):
			deleted = append(deleted, id)
		}
	}
	return live, deleted
}

// expectOneLiveJob checks that the job in state at addr is the one live job named name on
// the server, and answers its id.
func expectOneLiveJob(t *testing.T, s *mockserver.Server, addr, name string, id *int64) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		rs, ok := st.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		got, err := strconv.ParseInt(rs.Primary.Attributes["id"], 10, 64)
		if err != nil {
			return err
		}
		if live, _ := liveJobs(t, s, name); len(live) != 1 || live[0] != got {
			return fmt.Errorf("live jobs named %q: %v, want exactly the one in state, %d", name, live, got)
		}
		if id != nil {
			*id = got
		}
		return nil
	}
}

// A replacement (taint, replace_triggered_by) of a job keeps its name: the plan does not
// count the job being replaced as taken, the apply deletes it (which frees the name) and
// creates the new one, and exactly one live job of that name is left, the one in state.
func TestAccScheduledJob_replaced(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := func(trigger string) string {
		return providerBlock(s) + fmt.Sprintf(`
resource "terraform_data" "trigger" {
  input = %q
}

resource "openspecimen_scheduled_job" "x" {
%s
  lifecycle {
    replace_triggered_by = [terraform_data.trigger]
  }
}
`, trigger, nightlyBody("Nightly export", farStart))
	}
	var ids [3]int64
	replaced := func(step int) resource.TestCheckFunc {
		return resource.ComposeAggregateTestCheckFunc(
			expectOneLiveJob(t, s, scheduledJobAddr, "Nightly export", &ids[step]),
			func(*terraform.State) error {
				if _, deleted := liveJobs(t, s, "Nightly export"); ids[step] == ids[step-1] || len(deleted) != step {
					return fmt.Errorf("job %d after job %d; %d deleted (%v), want %d", ids[step], ids[step-1], len(deleted), deleted, step)
				}
				return nil
			})
	}
	replace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionDestroyBeforeCreate)}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg("1"), Check: expectOneLiveJob(t, s, scheduledJobAddr, "Nightly export", &ids[0])},
			{Config: cfg("1"), Taint: []string{scheduledJobAddr}, ConfigPlanChecks: replace, Check: replaced(1)},
			{Config: cfg("2"), ConfigPlanChecks: replace, Check: replaced(2)},
		},
	})
}

// An item leaving the middle of a count list renames the items after it to the names of
// the next ones, the last of which this apply deletes: the rename waits for the name to be
// free, the apply succeeds, and the next plan is empty. Terraform runs the rename and the
// delete at once: the mock takes the rename first (refused, as the server would), and the
// delete only then.
func TestAccScheduledJob_countShift(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	renameFirst := func() {
		refused := make(chan struct{})
		var puts atomic.Int32
		s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
			switch {
			case req.Method == "PUT" && puts.Add(1) == 1:
				defer close(refused)
				return mockserver.ErrorReply(400, client.CodeDupJobName, "A job with the name already exists."), true
			case req.Method == "DELETE":
				<-refused
			}
			return mockserver.Reply{}, false
		})
	}
	cfg := func(names ...string) string {
		return providerBlock(s) + fmt.Sprintf(`
locals {
  names = %s
}

resource "openspecimen_scheduled_job" "x" {
  count           = length(local.names)
  name            = local.names[count.index]
  type            = "QUERY"
  saved_query_id  = %d
  repeat_schedule = "ONDEMAND"
}
`, "[\""+strings.Join(names, "\", \"")+"\"]", querySpecimens)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg("Shift a", "Shift b", "Shift c")},
			{
				PreConfig: renameFirst,
				Config:    cfg("Shift a", "Shift c"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("openspecimen_scheduled_job.x[1]", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("openspecimen_scheduled_job.x[2]", plancheck.ResourceActionDestroy),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					expectOneLiveJob(t, s, "openspecimen_scheduled_job.x.0", "Shift a", nil), // the flat state's form of x[0]
					expectOneLiveJob(t, s, "openspecimen_scheduled_job.x.1", "Shift c", nil),
					func(*terraform.State) error {
						if live, _ := liveJobs(t, s, "Shift b"); len(live) != 0 {
							return fmt.Errorf("jobs still named Shift b: %v", live)
						}
						if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 2 {
							return fmt.Errorf("%d PUTs, want 2: the rename refused, then sent again once the name was free", n)
						}
						return nil
					},
				),
			},
		},
	})
}

// nightlySpec is the job of nightlyBody(name, farStart), as the client sends it.
func nightlySpec(name string) client.JobSpec {
	start := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	return client.JobSpec{Name: name, Type: "QUERY", SavedQueryID: querySpecimens, RepeatSchedule: "DAILY",
		Schedule: client.Schedule{ScheduledHour: ptrTo(2), ScheduledMinute: ptrTo(30)}, StartDate: &start}
}

// loseFirstJobPost makes the mock create the job of the first POST and lose its answer.
func loseFirstJobPost(s *mockserver.Server) func() {
	return func() {
		var posts atomic.Int32
		s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
			return mockserver.Reply{Drop: true}, req.Method == "POST" && req.Path == "/scheduled-jobs" && posts.Add(1) == 1
		})
	}
}

// A POST whose answer is lost, and whose job is not found afterwards, leaves the job in the
// state without an id, with a warning (not an error, which would taint it): the server may
// still create it. The next refresh looks again: a job created since is the one in state,
// with no change and no second job; none, and the plan creates it.
func TestAccScheduledJob_createAnswerLost(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := scheduledJobConfig(s, nightlyBody("Nightly export", farStart))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: loseFirstJobPost(s),
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("id"), knownvalue.Null()),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("name"), knownvalue.StringExact("Nightly export")),
				},
				ExpectNonEmptyPlan: true, // its refresh finds no job, and plans to create it
			},
			{
				PreConfig: func() { // the server created it after all, once the client had given up
					s.SetResponseHook(nil)
					if _, err := adminClient(t, s).CreateJob(context.Background(), nightlySpec("Nightly export")); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionNoop)},
				},
				Check: expectOneLiveJob(t, s, scheduledJobAddr, "Nightly export", nil),
			},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs"); n != 2 {
		t.Fatalf("%d POSTs, want 2 (the lost one, and the server's late one): the lost one was sent again", n)
	}
}

// The tests below drive the real CLI (see newCLITest): terraform-plugin-testing can neither
// pass -replace nor interrupt an apply.

// sweepJob is the job of the interrupt sweep, as configuration and as the client sends it:
// on demand (the mock never fires it), enabled or not.
func sweepJob(enabled bool) (body string, spec client.JobSpec) {
	body = fmt.Sprintf("\nresource \"openspecimen_scheduled_job\" \"x\" {\n  name            = \"Sweep export\"\n"+
		"  type            = \"QUERY\"\n  saved_query_id  = %d\n  repeat_schedule = \"ONDEMAND\"\n  enabled         = %v\n}\n",
		querySpecimens, enabled)
	return body, client.JobSpec{Name: "Sweep export", Type: "QUERY", SavedQueryID: querySpecimens, RepeatSchedule: "ONDEMAND", Disabled: !enabled}
}

// The moments of a job's create at which the sweep sends SIGINT, each at a request reaching
// the mock, which is held there until the CLI has exited when the moment says so. A POST
// that the mock holds is then finished as the server would: the job created (by another
// client, as the server still working on it), or not, its answer lost with the client.
var jobInterrupts = []string{
	"plan",                     // at the plan's name look-up (answered at once: a plan's request is not cut short)
	"before the POST",          // at the apply's name check
	"POST held, created after", // the server creates the job once the CLI has exited
	"POST held, never created", // the server fails it once the CLI has exited
	"POST done, answer lost",   // the server created the job; the CLI exits before its answer
	"POST answered",            // the server created the job and answers as the CLI is interrupted
}

// TestAccScheduledJob_interruptSweep sends SIGINT at each moment of a job's create, enabled
// or not (a Disabled job, which name look-ups do not see, is found by id): after it there is
// at most one job of that name on the server, and the state holds it, or holds it without an
// id to find it (see recordPendingCreate), or is empty; one undisturbed apply then ends with
// exactly one job, the one in state, and a plan with nothing to do.
func TestAccScheduledJob_interruptSweep(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		for _, at := range jobInterrupts {
			t.Run(fmt.Sprintf("enabled %v, SIGINT at %s", enabled, at), func(t *testing.T) {
				t.Parallel()
				s := mocktest.New(t, scheduledJobMockConfig())
				body, spec := sweepJob(enabled)
				c := newCLITest(t, s, body)
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
				defer cancel()
				out := c.interruptJobCreate(ctx, s, at, spec)
				c.checkJobOrNone(ctx, s, spec.Name, out)
				if out, ok := c.apply(ctx); !ok {
					t.Fatalf("the next apply failed:\n%s", out)
				}
				if live := c.checkJobOrNone(ctx, s, spec.Name, out); len(live) != 1 {
					t.Fatalf("after the next apply the server has jobs %v named %q, want one", live, spec.Name)
				}
				c.checkPlanEmpty(ctx)
			})
		}
	}
}

// interruptJobCreate runs an apply and sends it SIGINT at the moment at (see jobInterrupts);
// spec is the job the apply creates. It answers the CLI's output.
func (c *cliTest) interruptJobCreate(ctx context.Context, s *mockserver.Server, at string, spec client.JobSpec) string {
	c.t.Helper()
	apply := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	var out mocktest.LockedBuffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited, hooked := make(chan struct{}), make(chan struct{})
	go func() { _ = apply.Wait(); close(exited) }()
	var lists atomic.Int32
	var fired atomic.Bool
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		list := req.Method == "GET" && req.Pattern == "/scheduled-jobs"
		n := 0
		if list {
			n = int(lists.Add(1))
		}
		post := req.Method == "POST" && req.Pattern == "/scheduled-jobs"
		now := at == "plan" && n == 1 || at == "before the POST" && n == 2 || post && strings.HasPrefix(at, "POST")
		if !now || fired.Swap(true) {
			return mockserver.Reply{}, false
		}
		defer close(hooked)
		return c.serveInterrupted(s, at, spec, func() { _ = apply.Process.Signal(os.Interrupt) }, exited)
	})
	<-exited
	if !fired.Load() {
		c.t.Fatalf("the apply ended before the moment %q:\n%s", at, out.String())
	}
	<-hooked
	s.SetResponseHook(nil)
	return out.String()
}

// serveInterrupted interrupts the CLI at the moment at, and answers the request held there.
func (c *cliTest) serveInterrupted(s *mockserver.Server, at string, spec client.JobSpec, interrupt func(), exited <-chan struct{}) (mockserver.Reply, bool) {
	create := func() *client.Job {
		job, err := adminClient(c.t, s).CreateJob(context.Background(), spec)
		if err != nil {
			c.t.Errorf("creating the job as the server would: %v", err)
		}
		return job
	}
	switch at {
	case "plan":
		interrupt()
		return mockserver.Reply{}, false
	case "POST done, answer lost":
		create()
	case "POST answered":
		body, err := json.Marshal(create())
		if err != nil {
			c.t.Error(err)
		}
		interrupt()
		return mockserver.Reply{Body: body}, true
	}
	interrupt()
	<-exited
	switch at {
	case "POST held, created after":
		create()
		return mockserver.Reply{Drop: true}, true
	case "POST held, never created", "POST done, answer lost":
		return mockserver.Reply{Drop: true}, true
	}
	return mockserver.Reply{}, false
}

// checkJobOrNone holds the promise of a job's create cut short: at most one job named name
// on the server, none deleted; the state holds it (not tainted), holds the job without an
// id, or is empty. It answers the live jobs' ids.
func (c *cliTest) checkJobOrNone(ctx context.Context, s *mockserver.Server, name, said string) []int64 {
	c.t.Helper()
	live, deleted := liveJobs(c.t, s, name)
	if len(live) > 1 || len(deleted) > 0 {
		c.t.Fatalf("the server has jobs %v named %q and %v deleted, want at most one and none deleted; the CLI said:\n%s", live, name, deleted, said)
	}
	res := c.state(ctx)
	if len(res) == 0 {
		return live
	}
	id, recorded := res[0].Values["id"].(float64)
	switch {
	case len(res) != 1 || res[0].Address != scheduledJobAddr || res[0].Tainted:
		c.t.Fatalf("the state holds %+v, want the job, not tainted; the CLI said:\n%s", res, said)
	case recorded && (len(live) != 1 || int64(id) != live[0]):
		c.t.Fatalf("the state holds job %v, the server has %v; the CLI said:\n%s", id, live, said)
	}
	return live
}

// checkPlanEmpty runs a plan and fails the test unless it has nothing to do.
func (c *cliTest) checkPlanEmpty(ctx context.Context) {
	c.t.Helper()
	out, err := c.command(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color").CombinedOutput()
	if err != nil {
		c.t.Fatalf("the plan is not empty (%v):\n%s", err, out)
	}
}

// terraform apply -replace of a job keeps its name: no warning of a taken name, the job
// deleted and created anew, exactly one live job of that name, the one in state.
func TestAccScheduledJob_replaceFlag(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	body, spec := sweepJob(true)
	c := newCLITest(t, s, body)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if out, ok := c.apply(ctx); !ok {
		t.Fatalf("the first apply failed:\n%s", out)
	}
	first := c.checkJobOrNone(ctx, s, spec.Name, "")
	out, err := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color", "-replace="+scheduledJobAddr).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("Job name taken")) || !bytes.Contains(out, []byte("1 added, 0 changed, 1 destroyed")) {
		t.Fatalf("apply -replace (%v): want the job replaced, without a warning of its name:\n%s", err, out)
	}
	live, deleted := liveJobs(t, s, spec.Name)
	res := c.state(ctx)
	if len(live) != 1 || fmt.Sprint(deleted) != fmt.Sprint(first) || len(res) != 1 || res[0].Values["id"] != float64(live[0]) {
		t.Fatalf("after -replace: live jobs %v, deleted %v, state %+v; want one new job, in state, and job %v deleted", live, deleted, res, first)
	}
	c.checkPlanEmpty(ctx)
}

// A start or end date rewritten in another notation, naming the same millisecond, plans no
// change: the job is not updated and a run that replace_triggered_by ties to it does not run
// again. An imported job's date, in the server's UTC form, matches the configuration's form
// of it. A date a millisecond apart is a change.
func TestAccScheduledJob_sameInstant(t *testing.T) {
	const jobImported = 5
	mcfg := scheduledJobMockConfig()
	mcfg.Jobs = append(mcfg.Jobs, mockserver.JobConfig{ID: jobImported, Name: "Imported", Type: "QUERY", SavedQueryID: querySpecimens,
		RepeatSchedule: "ONDEMAND", StartDate: mocktest.Time(t, "2100-01-01T23:59:59.999Z"), EndDate: mocktest.Time(t, "2100-07-01T00:00:00Z")})
	s := mocktest.New(t, mcfg)
	cfg := func(start, end string) string { return sameInstantConfig(s, jobImported, start, end) }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg("2100-01-01T00:00:00Z", "2100-07-01T00:00:00Z"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("openspecimen_scheduled_job.imported", plancheck.ResourceActionNoop),
				}},
			},
			{
				Config:           cfg("2100-01-01T01:00:00+01:00", "2100-06-30T19:00:00.000-05:00"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("start_date"), knownvalue.StringExact("2100-01-01T00:00:00Z")),
				},
			},
			{
				Config: cfg("2100-01-01T01:00:00+01:00", "2100-07-01T00:00:00.001Z"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("openspecimen_job_run.after_change", plancheck.ResourceActionReplace),
				}},
				Check: serverJob(t, s, func(j *client.Job) error {
					if j.EndDate == nil || j.EndDate.UnixMilli() != mocktest.Time(t, "2100-07-01T00:00:00.001Z").UnixMilli() {
						return fmt.Errorf("job %d ends %v, want 2100-07-01T00:00:00.001Z", j.ID, j.EndDate)
					}
					return nil
				}),
			},
			{Config: cfg("2100-01-01T01:00:00+01:00", "2100-07-01T00:00:00.001Z"), PlanOnly: true},
		},
	})
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 1 {
		t.Errorf("%d PUTs, want 1: the end date a millisecond later, and no other", n)
	}
}

// sameInstantConfig is a job from start to end, a run replaced when the job changes, and
// the import of job imported with its dates written in other zones.
func sameInstantConfig(s *mockserver.Server, imported int64, start, end string) string {
	return scheduledJobConfig(s, nightlyBody("Nightly export", fmt.Sprintf("  start_date = %q\n  end_date = %q", start, end))) + fmt.Sprintf(`
resource "openspecimen_job_run" "after_change" {
  job_id = openspecimen_scheduled_job.x.id
  lifecycle {
    replace_triggered_by = [openspecimen_scheduled_job.x]
  }
}

import {
  to = openspecimen_scheduled_job.imported
  id = "%d"
}

resource "openspecimen_scheduled_job" "imported" {
  name            = "Imported"
  type            = "QUERY"
  saved_query_id  = %d
  repeat_schedule = "ONDEMAND"
  start_date      = "2100-01-02T00:59:59.999+01:00"
  end_date        = "2100-06-30T19:00:00-05:00"
}
`, imported, querySpecimens)
}

// promotionMockConfig is a server of the promotion example: its users, saved queries and
// the job made in its UI, with ids of its own from base on.
func promotionMockConfig(base int64) mockserver.Config {
	return mockserver.Config{
		Users: []mockserver.UserConfig{
			{LoginName: "export-bot", Password: "Export-bot@123", Admin: true, ID: base + 1},
			{LoginName: "pipeline", Password: "x", ID: base + 2},
			{LoginName: "anna", Password: "x", ID: base + 3},
			{LoginName: "ben", Password: "x", ID: base + 4},
			{LoginName: "admin", Password: "Admin@123", Admin: true, ID: base + 8}, // adminClient's
		},
		SavedQueries: []mockserver.SavedQueryConfig{
			{ID: base + 5, Title: "Specimens by collection protocol"}, {ID: base + 6, Title: "Consents"},
		},
		Jobs: []mockserver.JobConfig{{ID: base + 7, Name: "Nightly consent export", Type: "QUERY", SavedQueryID: base + 6,
			RepeatSchedule: "ONDEMAND", RunAs: "pipeline"}},
	}
}

// jobAsNamed describes a job by names only (its users' login names, its saved query's
// title): what a promotion keeps from one server to the next.
func jobAsNamed(t *testing.T, s *mockserver.Server, name string) string {
	t.Helper()
	c := adminClient(t, s)
	j, err := c.JobByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	logins := func(users []client.User) string {
		var out []string
		for _, u := range users {
			out = append(out, u.Login())
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	q, err := c.GetSavedQuery(context.Background(), j.SavedQuery.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sched []string
	for _, v := range []any{j.ScheduledHour, j.ScheduledMinute, j.ScheduledDayOfWeek, j.FixedArgs} {
		sched = append(sched, fmt.Sprint(valueOrDash(v)))
	}
	return fmt.Sprintf("%s: %s of %q, %s %s, run as %s, to %s, shared with %s",
		j.Name, j.Type, q.Title, j.RepeatSchedule, strings.Join(sched, " "), j.RunAs.Login(), logins(j.Recipients), logins(j.SharedWith))
}

// valueOrDash is *v for the pointers jobAsNamed shows, "-" for nil.
func valueOrDash(v any) any {
	switch p := v.(type) {
	case *int:
		if p != nil {
			return *p
		}
	case *string:
		if p != nil {
			return *p
		}
	}
	return "-"
}

// The promotion example (examples/promotion), applied as written through the real CLI to a
// test server and to production, whose ids of users, saved queries and jobs differ, makes the
// same jobs on both, each with its own server's ids; the next plan of each is empty.
func TestAccScheduledJob_promotion(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "promotion", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[int64][]string{}
	ids := map[int64]string{}
	for _, base := range []int64{100, 500} {
		s := mocktest.New(t, promotionMockConfig(base))
		c := newCLITest(t, s, "")
		writeFile(t, filepath.Join(c.dir, "main.tf"), string(example))
		c.env = append(c.env, "OPENSPECIMEN_URL="+s.URL(), "OPENSPECIMEN_USERNAME=export-bot", "OPENSPECIMEN_PASSWORD=Export-bot@123")
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		if out, ok := c.apply(ctx); !ok {
			cancel()
			t.Fatalf("the apply to the server of ids from %d failed:\n%s", base, out)
		}
		c.checkPlanEmpty(ctx)
		out, err := c.command(ctx, "output", "-json", "job_ids").Output()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		ids[base] = string(out)
		for _, name := range []string{"Nightly specimen export", "Weekly consent export"} {
			jobs[base] = append(jobs[base], jobAsNamed(t, s, name))
		}
	}
	if got, want := strings.Join(jobs[500], "\n"), strings.Join(jobs[100], "\n"); got != want {
		t.Errorf("production's jobs:\n%s\nthe test server's:\n%s", got, want)
	}
	if ids[100] == ids[500] {
		t.Errorf("both servers' jobs have ids %s: the ids should be each server's", ids[100])
	}
	t.Logf("on both servers:\n%s\nids: %s and %s", strings.Join(jobs[100], "\n"), ids[100], ids[500])
}

// A day_of_week of "" is unset: the job sent has no scheduledDayOfWeek, as for null, rather
// than an empty day, which is no day of the week; an end_date of "" sends no end date.
func TestScheduledJobSpec_emptyIsUnset(t *testing.T) {
	m := scheduledJobModel{Name: types.StringValue("Daily"), Type: types.StringValue("INTERNAL"),
		TaskClass: types.StringValue("a.B"), Command: types.StringValue(""), RepeatSchedule: types.StringValue("DAILY"),
		Hour: types.Int64Value(1), Minute: types.Int64Value(0), DayOfWeek: types.StringValue(""),
		StartDate: dateNull(), EndDate: dateOf(""), Enabled: types.BoolValue(true),
		RecipientUserIDs: types.SetNull(types.Int64Type), SharedWithUserIDs: types.SetNull(types.Int64Type)}
	var diags diag.Diagnostics
	spec := m.spec(t.Context(), &diags)
	if diags.HasError() {
		t.Fatalf("spec: %v", diags)
	}
	if spec.ScheduledDayOfWeek != nil || spec.EndDate != nil || spec.Command != "" {
		t.Errorf("spec sends day of week %v, end date %v, command %q; want none", spec.ScheduledDayOfWeek, spec.EndDate, spec.Command)
	}
}
