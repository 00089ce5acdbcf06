package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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

func scheduledJobMockConfig() mockserver.Config {
	return mockserver.Config{
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

// farStart starts a schedule in 2100, so that the mock never fires it on the real clock
// during a test.
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
	created := nightlyBody("Nightly export",
		farStart,
		fmt.Sprintf(`  run_as_user_id       = %d`, userAlice),
		fmt.Sprintf(`  recipient_user_ids   = [%d, %d]`, userAlice, userBob),
		fmt.Sprintf(`  shared_with_user_ids = [%d]`, userBob),
		`  fixed_args           = "--cp 12"`,
		`  accepts_args         = true`,
		`  args_help_text       = "--site <site>"`)
	updated := strings.Replace(created, `"Nightly export"`, `"Nightly specimen export"`, 1)
	updated = strings.Replace(updated, "hour            = 2", "hour            = 3", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			job, err := adminClient(t, s).GetJob(context.Background(), jobID)
			if err != nil {
				return err
			}
			if job.ActivityStatus != "Disabled" || !regexp.MustCompile(`^Nightly specimen export_\d+$`).MatchString(job.Name) {
				return fmt.Errorf("after destroy job %d is %q, %s; want it Disabled and renamed", jobID, job.Name, job.ActivityStatus)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: scheduledJobConfig(s, created),
				ConfigStateChecks: []statecheck.StateCheck{
					id.AddStateValue(scheduledJobAddr, at("id")),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("created_by"), knownvalue.StringExact("admin")),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("active"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("next_run_on"), knownvalue.StringRegexp(regexp.MustCompile(`T02:30:\d\dZ$`))), // the server keeps the seconds of now
					statecheck.ExpectKnownValue(scheduledJobAddr, at("day_of_week"), knownvalue.Null()),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("hourly_interval"), knownvalue.Null()),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("end_date"), knownvalue.Null()),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					func(st *terraform.State) (err error) { jobID, err = stateJobID(st); return err },
					serverJob(t, s, func(j *client.Job) error {
						if j.RunAs.Login() != "alice" || len(j.Recipients) != 2 || len(j.SharedWith) != 1 || !j.AcceptsArgs() {
							return fmt.Errorf("job on the server: run as %q, %d recipients, shared with %d", j.RunAs.Login(), len(j.Recipients), len(j.SharedWith))
						}
						return nil
					}),
				),
			},
			{
				Config:   scheduledJobConfig(s, created),
				PlanOnly: true, // nothing to do: next_run_on, read at refresh, is no diff
			},
			{
				Config: scheduledJobConfig(s, updated),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					id.AddStateValue(scheduledJobAddr, at("id")),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("next_run_on"), knownvalue.StringRegexp(regexp.MustCompile(`T03:30:\d\dZ$`))),
				},
				Check: serverJob(t, s, func(j *client.Job) error {
					if j.Name != "Nightly specimen export" || *j.ScheduledHour != 3 {
						return fmt.Errorf("job on the server: %q at hour %d", j.Name, *j.ScheduledHour)
					}
					return nil
				}),
			},
			{
				ResourceName:      scheduledJobAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// next_run_on keeps the seconds of the moment of each read, as the server's does.
				ImportStateVerifyIgnore: []string{"next_run_on"},
			},
			{
				// A change made in OpenSpecimen's UI shows in the plan, and the apply undoes it.
				PreConfig: func() {
					spec := client.JobSpec{Name: "Nightly specimen export", Type: "QUERY", SavedQueryID: queryVisits,
						RepeatSchedule: "WEEKLY", Disabled: true,
						Schedule: client.Schedule{ScheduledHour: ptrTo(5), ScheduledMinute: ptrTo(0), ScheduledDayOfWeek: ptrTo("FRIDAY")}}
					if _, err := adminClient(t, s).UpdateJob(context.Background(), jobID, spec); err != nil {
						t.Fatal(err)
					}
				},
				Config: scheduledJobConfig(s, updated),
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
			},
		},
	})
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
		{`repeat_schedule = "MINUTELY"` + "\n minutely_interval = 0", `minutely_interval value must be at least 1`},
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

// A name another job has is refused at plan time, naming the job to import; a rename too.
func TestAccScheduledJob_duplicateName(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      scheduledJobConfig(s, nightlyBody("Taken export", farStart)),
				ExpectError: errRe(`(?s)Job name taken.*Job 1 is already named "Taken export".*import it.*openspecimen_scheduled_job.NAME 1`),
			},
			{
				// OpenSpecimen's duplicate check ignores case.
				Config:      scheduledJobConfig(s, nightlyBody("taken EXPORT", farStart)),
				ExpectError: errRe(`(?s)Job name taken.*Job 1 is already named "Taken export", the same name as\s+"taken EXPORT"`),
			},
			{Config: scheduledJobConfig(s, nightlyBody("Mine", farStart))},
			{
				Config:      scheduledJobConfig(s, nightlyBody("Taken export", farStart)),
				ExpectError: errRe(`(?s)Job name taken.*Job 1 is already named`),
			},
		},
	})
	if n := s.RequestCount("PUT", "/scheduled-jobs/{jobId}"); n != 0 {
		t.Fatalf("%d PUTs, want none: the rename was sent", n)
	}
}

// A rename that changes only case passes the client's check (the job itself is the only
// one so named); the real server, whose check ignores case, may refuse it, and is said to.
func TestAccScheduledJob_renameCaseOnly(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: scheduledJobConfig(s, nightlyBody("Nightly", farStart))},
			{
				PreConfig: func() {
					s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
						if req.Method != "PUT" {
							return mockserver.Reply{}, false
						}
						return mockserver.ErrorReply(400, client.CodeDupJobName, "Job with name NIGHTLY already exists."), true
					})
				},
				Config:      scheduledJobConfig(s, nightlyBody("NIGHTLY", farStart)),
				ExpectError: errRe(`(?s)Job name taken.*OpenSpecimen refused to rename job \d+ \("NIGHTLY"\).*ignoring case.*Rename it through another name first`),
			},
			{
				PreConfig: func() { s.SetResponseHook(nil) },
				Config:    scheduledJobConfig(s, nightlyBody("Nightly", farStart)),
			},
		},
	})
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
					if _, err := adminClient(t, s).DeleteJob(context.Background(), first); err != nil {
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
					if _, err := adminClient(t, s).UpdateJob(context.Background(), jobID, spec); err != nil {
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
	if _, err := adminClient(d.t, d.s).DeleteJob(ctx, *d.jobID); err != nil {
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

// EXTERNAL jobs: created on the older line, refused by the newest with the server's words.
func TestAccScheduledJob_externalByLine(t *testing.T) {
	body := "  name = \"Cleanup\"\n  type = \"EXTERNAL\"\n  command = \"/opt/cleanup.sh\"\n  repeat_schedule = \"ONDEMAND\""
	for _, line := range []string{mockserver.LineNewest, mockserver.LineOlder} {
		t.Run(line, func(t *testing.T) {
			cfg := scheduledJobMockConfig()
			cfg.Line = line
			s := mocktest.New(t, cfg)
			step := resource.TestStep{
				Config: scheduledJobConfig(s, body),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("command"), knownvalue.StringExact("/opt/cleanup.sh")),
					statecheck.ExpectKnownValue(scheduledJobAddr, at("task_class"), knownvalue.Null()),
				},
			}
			if line == mockserver.LineNewest {
				step = resource.TestStep{Config: step.Config,
					ExpectError: errRe(`(?s)Cannot create job.*OpenSpecimen did not create job "Cleanup".*External jobs are not allowed`)}
			}
			resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: []resource.TestStep{step}})
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

func TestSameDate(t *testing.T) {
	at := &client.EpochMillis{Time: time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)}
	if got := sameDate(types.StringValue("2026-01-01T00:00:00+01:00"), at); got.ValueString() != "2026-01-01T00:00:00+01:00" {
		t.Errorf("the same instant in another form became %s", got)
	}
	if got := sameDate(types.StringValue("2026-01-02T00:00:00Z"), at); got.ValueString() != "2025-12-31T23:00:00Z" {
		t.Errorf("another instant gave %s, want the server's in UTC", got)
	}
	millis := &client.EpochMillis{Time: time.Date(2100, 1, 1, 23, 59, 59, 999e6, time.UTC)}
	if got := sameDate(types.StringNull(), millis); got.ValueString() != "2100-01-01T23:59:59.999Z" {
		t.Errorf("a date with milliseconds gave %s", got)
	}
	if got := sameDate(types.StringValue("2026-01-01T00:00:00Z"), nil); !got.IsNull() {
		t.Errorf("no date gave %s", got)
	}
}
