package provider

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A url that reaches a web server which is not OpenSpecimen must say so, not fail on JSON.
func TestAccProvider_notOpenSpecimen(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Welcome to the intranet</body></html>")
	}))
	t.Cleanup(html.Close)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = "admin"
  password = "Admin@123"
}
resource "openspecimen_job_run" "x" {
  job_id = 1
}
`, html.URL+"/openspecimen/rest/ng"),
			ExpectError: errRe(`not OpenSpecimen JSON: is the url the REST root`),
		}},
	})
}

func TestAccProvider_unreachableHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + l.Addr().String() + "/openspecimen/rest/ng"
	l.Close() // nothing listens there any more: connections are refused
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "openspecimen" {
  url         = %q
  username    = "admin"
  password    = "Admin@123"
  max_retries = 1
}
data "openspecimen_job_runs" "x" {
  job_id = 1
}
`, closedURL),
			ExpectError: errRe(`connection refused`),
		}},
	})
}

// TestAccProvider_badServerAnswers puts a broken answer in front of the mock server, one
// endpoint at a time: each must end in an error that names what was wrong, never a panic
// or a silent success.
func TestAccProvider_badServerAnswers(t *testing.T) {
	s := newTestMock(t, historyMockConfig())
	huge := `[{"code":"INTERNAL_ERROR","message":"` + strings.Repeat("x", 10<<20) + `"}]`
	runOfJob := func(id, jobID int, status string) string {
		return fmt.Sprintf(`{"id":%d,"jobId":%d,"jobName":"Specimen export","status":%q,"startedAt":1645424100000,`+
			`"finishedAt":null,"rtArgs":null,"message":null,"logFilePath":null,"runBy":{"loginName":"admin"}}`, id, jobID, status)
	}
	for name, tc := range map[string]struct {
		path   string // answered instead of the mock, GET only
		status int
		body   string
		config string
		want   string
	}{
		"list not JSON": {"/scheduled-jobs/1/runs", 200, "<html>maintenance</html>",
			"data \"openspecimen_job_runs\" \"x\" {\n  job_id = 1\n}", `Listing the runs of job 1 failed.*not OpenSpecimen JSON`},
		"list truncated": {"/scheduled-jobs/1/runs", 200, `[{"id": 13, "jobId": 1, "sta`,
			"data \"openspecimen_job_runs\" \"x\" {\n  job_id = 1\n}", `Listing the runs of job 1 failed`},
		"list empty 200": {"/scheduled-jobs/1/runs", 200, "",
			"data \"openspecimen_job_runs\" \"x\" {\n  job_id = 1\n}", `empty body, not OpenSpecimen JSON`},
		"unknown status": {"/scheduled-jobs/1/runs", 200, "[" + runOfJob(13, 1, "PAUSED") + "]",
			"data \"openspecimen_job_runs\" \"x\" {\n  job_id = 1\n}", `unknown job run status "PAUSED"`},
		"run of another job": {"/scheduled-jobs/1/runs/10", 200, runOfJob(10, 2, "SUCCEEDED"),
			"data \"openspecimen_job_run_result_file\" \"x\" {\n  job_id = 1\n  run_id = 10\n}", `Run 10 of job 1 does not exist`},
		// Read only up to a bound: the excerpt ends in an ellipsis, not ten megabytes.
		"10 MB error body": {"/scheduled-jobs/1", 400, huge,
			"data \"openspecimen_job_runs\" \"x\" {\n  job_id = 1\n}", `Reading scheduled job 1 failed: GET /scheduled-jobs/1: 400: \[\{"code":"INTERNAL_ERROR","message":"x+…`},
	} {
		t.Run(name, func(t *testing.T) {
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && strings.TrimPrefix(r.URL.Path, "/openspecimen/rest/ng") == tc.path {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					fmt.Fprint(w, tc.body)
					return
				}
				s.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
provider "openspecimen" {
  url         = %q
  username    = "admin"
  password    = "Admin@123"
  max_retries = 0
}
%s
`, front.URL+"/openspecimen/rest/ng", tc.config),
					ExpectError: errRe(tc.want),
				}},
			})
		})
	}
}
