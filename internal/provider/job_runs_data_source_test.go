package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const runsAddr = "data.openspecimen_job_runs.x"

// Seeded history of job 1, around a day boundary, newest first: 13 (2022-03-01, binary
// result), 12 (alice, 2022-02-22 00:00, zipped result), 11 (FAILED, 2022-02-21 23:59),
// 10 (2022-02-21 06:15, plain result). Job 5 has a run in progress since 2022-03-02.
func historyMockConfig(t testing.TB) mockserver.Config {
	cfg := testMockConfig()
	cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: 5, Name: "Stuck export"})
	at := func(s string) *time.Time { return mocktest.Time(t, s) }
	cfg.Runs = []mockserver.RunConfig{
		{ID: 10, JobID: 1, Status: "SUCCEEDED", StartedAt: at("2022-02-21T06:15:00Z"), FinishedAt: at("2022-02-21T06:16:00Z"),
			RtArgs: "a b", RunBy: "admin", Result: &mockserver.ResultConfig{Filename: "old.csv", Content: "x\n"}},
		{ID: 11, JobID: 1, Status: "FAILED", StartedAt: at("2022-02-21T23:59:00Z"), FinishedAt: at("2022-02-22T00:01:00Z"),
			RunBy: "admin", Message: "Query failed"},
		{ID: 12, JobID: 1, Status: "SUCCEEDED", StartedAt: at("2022-02-22T00:00:00Z"), FinishedAt: at("2022-02-22T00:02:00Z"),
			RunBy: "alice", Result: &mockserver.ResultConfig{Filename: "specimens.csv", Content: "id\n12\n", Zip: true}},
		{ID: 13, JobID: 1, Status: "SUCCEEDED", StartedAt: at("2022-03-01T10:00:00Z"), FinishedAt: at("2022-03-01T10:00:05Z"),
			RunBy: "admin", Result: &mockserver.ResultConfig{Filename: "blob.bin", ContentBase64: "/wD+AQ=="}},
		{ID: 14, JobID: 5, Status: "IN_PROGRESS", StartedAt: at("2022-03-02T00:00:00Z"), RunBy: "admin"},
	}
	return cfg
}

func runsConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
data "openspecimen_job_runs" "x" {
%s
}
`, body)
}

func expectIDs(ids ...int64) statecheck.StateCheck {
	want := make([]knownvalue.Check, len(ids))
	for i, id := range ids {
		want[i] = knownvalue.Int64Exact(id)
	}
	return statecheck.ExpectKnownValue(runsAddr, at("ids"), knownvalue.ListExact(want))
}

// The filters keep their documented meaning on both server lines, whose date forms differ
// and whose toDate bounds finishedAt: from_date and to_date bound the runs' start, runs in
// progress or finished after to_date included, and max_results counts runs that match.
func TestAccJobRunsDataSource_filters(t *testing.T) {
	onEachLine(t, testAccJobRunsFilters)
}

func testAccJobRunsFilters(t *testing.T, line string) {
	cfg := historyMockConfig(t)
	cfg.Line = line
	s := mocktest.New(t, cfg)
	for name, tc := range map[string]struct {
		body string
		ids  []int64
	}{
		"all, newest first":        {"job_id = 1", []int64{13, 12, 11, 10}},
		"status":                   {"job_id = 1\nstatus = \"SUCCEEDED\"", []int64{13, 12, 10}},
		"failed":                   {"job_id = 1\nstatus = \"FAILED\"", []int64{11}},
		"from a date":              {"job_id = 1\nfrom_date = \"20220222\"", []int64{13, 12}},
		"to a date, whole day":     {"job_id = 1\nto_date = \"20220221\"", []int64{11, 10}},
		"to a time, inclusive":     {"job_id = 1\nto_date = \"20220221T235900\"", []int64{11, 10}},
		"to an instant":            {"job_id = 1\nto_date = \"2022-02-21T23:58:59Z\"", []int64{10}},
		"from an instant, exactly": {"job_id = 1\nfrom_date = \"2022-02-21T06:15:00Z\"\nto_date = \"2022-02-21T06:15:00Z\"", []int64{10}},
		"combined": {"job_id = 1\nfrom_date = \"2022-02-21T06:15:00Z\"\nto_date = \"20220222\"\nstatus = \"SUCCEEDED\"",
			[]int64{12, 10}},
		// A date alone as to_date is the whole day, also after a from_date on that day.
		"from a time to its day":         {"job_id = 1\nfrom_date = \"20220221T120000\"\nto_date = \"20220221\"", []int64{11}},
		"ISO date":                       {"job_id = 1\nfrom_date = \"2022-02-22\"", []int64{13, 12}},
		"ISO dates, one day":             {"job_id = 1\nfrom_date = \"2022-02-21T12:00:00\"\nto_date = \"2022-02-21\"", []int64{11}},
		"ISO time with a space":          {"job_id = 1\nto_date = \"2022-02-21 23:58\"", []int64{10}},
		"RFC 3339 with a zone":           {"job_id = 1\nfrom_date = \"2022-02-22T01:00:00+01:00\"", []int64{13, 12}},
		"max_results":                    {"job_id = 1\nmax_results = 2", []int64{13, 12}},
		"to_date keeps runs in progress": {"job_id = 5\nto_date = \"20220302\"", []int64{14}},
		"in progress":                    {"job_id = 5\nstatus = \"IN_PROGRESS\"", []int64{14}},
		"empty window":                   {"job_id = 1\nfrom_date = \"20230101\"", []int64{}},
		// Run 13 (2022-03-01 10:00) starts after to_date: max_results counts the runs that match.
		"max_results after to_date": {"job_id = 1\nto_date = \"2022-03-01T09:00:00Z\"\nstatus = \"SUCCEEDED\"\nmax_results = 1",
			[]int64{12}},
		"to_date keeps a run finished after it": {"job_id = 1\nto_date = \"2022-02-21T23:59:30Z\"", []int64{11, 10}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:            runsConfig(s, tc.body),
					ConfigStateChecks: []statecheck.StateCheck{expectIDs(tc.ids...)},
				}},
			})
		})
	}
}

func TestAccJobRunsDataSource_runAttributes(t *testing.T) {
	s := mocktest.New(t, historyMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: runsConfig(s, "job_id = 1\nto_date = \"20220221\""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(runsAddr, at("runs"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":                    knownvalue.Int64Exact(11),
						"job_id":                knownvalue.Int64Exact(1),
						"job_name":              knownvalue.StringExact("Specimen export"),
						"status":                knownvalue.StringExact("FAILED"),
						"args":                  knownvalue.Null(),
						"started_at":            knownvalue.StringExact("2022-02-21T23:59:00Z"),
						"finished_at":           knownvalue.StringExact("2022-02-22T00:01:00Z"),
						"run_by":                knownvalue.StringExact("admin"),
						"message":               knownvalue.StringExact("Query failed"),
						"result_file_available": knownvalue.Bool(false),
					}),
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":                    knownvalue.Int64Exact(10),
						"job_id":                knownvalue.Int64Exact(1),
						"job_name":              knownvalue.StringExact("Specimen export"),
						"status":                knownvalue.StringExact("SUCCEEDED"),
						"args":                  knownvalue.StringExact("a b"),
						"started_at":            knownvalue.StringExact("2022-02-21T06:15:00Z"),
						"finished_at":           knownvalue.StringExact("2022-02-21T06:16:00Z"),
						"run_by":                knownvalue.StringExact("admin"),
						"message":               knownvalue.Null(),
						"result_file_available": knownvalue.Bool(true),
					}),
				})),
			},
		}},
	})
}

// Zone-less dates are read in the provider's timezone: 01:00 in Berlin is midnight UTC,
// which brings run 12 into the window.
// The provider's timezone is the zone of the dates written without one, on both lines.
func TestAccJobRunsDataSource_timezone(t *testing.T) {
	onEachLine(t, testAccJobRunsTimezone)
}

func testAccJobRunsTimezone(t *testing.T, line string) {
	cfg := historyMockConfig(t)
	cfg.Line = line
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = "admin"
  password = "Admin@123"
  timezone = "Europe/Berlin"
}
data "openspecimen_job_runs" "x" {
  job_id    = 1
  from_date = "20220222T010000"
}
`, s.URL()),
			ConfigStateChecks: []statecheck.StateCheck{expectIDs(13, 12)},
		}, {
			Config:            runsConfig(s, "job_id = 1\nfrom_date = \"20220222T010000\""),
			ConfigStateChecks: []statecheck.StateCheck{expectIDs(13)},
		}, {
			// An invalid date names the zone the zone-less forms are read in: the provider's.
			Config: fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = "admin"
  password = "Admin@123"
  timezone = "Europe/Berlin"
}
data "openspecimen_job_runs" "x" {
  job_id    = 1
  from_date = "21.02.2022"
}
`, s.URL()),
			ExpectError: errRe(`(?s)Invalid from_date.*"21.02.2022".*a date and time in Europe/Berlin`),
		}},
	})
}

func TestAccJobRunsDataSource_badInput(t *testing.T) {
	s := mocktest.New(t, historyMockConfig(t))
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"slashes":            {"job_id = 1\nfrom_date = \"2022/02/21\"", `(?s)Invalid from_date.*2022/02/21`},
		"american":           {"job_id = 1\nto_date = \"02-21-2022\"", `(?s)Invalid to_date`},
		"month 13":           {"job_id = 1\nfrom_date = \"20221321\"", `(?s)Invalid from_date`},
		"time without date":  {"job_id = 1\nfrom_date = \"T061500\"", `(?s)Invalid from_date`},
		"from after to":      {"job_id = 1\nfrom_date = \"20220301\"\nto_date = \"20220221\"", `(?s)from_date after to_date`},
		"from after its day": {"job_id = 1\nfrom_date = \"2022-02-22T00:00:00\"\nto_date = \"2022-02-21\"", `(?s)from_date after to_date`},
		"unknown status":     {"job_id = 1\nstatus = \"DONE\"", `status value must be one of`},
		"zero max_results":   {"job_id = 1\nmax_results = 0", `max_results value must be between 1 and 1000`},
		"huge max_results":   {"job_id = 1\nmax_results = 1001", `max_results value must be between 1 and 1000`},
		"negative job":       {"job_id = -1", `job_id value must be at least 1`},
		"unknown job":        {"job_id = 999", `Scheduled job 999 does not exist`},
		"huge job":           {"job_id = 9223372036854775807", `Scheduled job 9223372036854775807 does not exist`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      runsConfig(s, tc.body),
					ExpectError: errRe(tc.want),
				}},
			})
		})
	}
}

// max_results says how many runs come back: min(max_results, the runs that match), never
// "at most ... never fewer than match".
func TestJobRunsDocs_maxResults(t *testing.T) {
	doc := runFilterDocs["max_results"]
	if strings.Contains(doc, "never fewer than match") || !strings.Contains(doc, "min(`max_results`, matching runs)") {
		t.Errorf("max_results: %q", doc)
	}
}
