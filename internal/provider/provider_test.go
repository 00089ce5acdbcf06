package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"openspecimen": providerserver.NewProtocol6WithError(New("test")()),
}

// Job ids of testMockConfig, named for what each one is for.
const (
	jobQuick    = 1 // succeeds quickly with a zipped CSV result
	jobBroken   = 2 // fails with "Query failed: timeout"
	jobDisabled = 3
	jobSlow     = 4 // runs long enough to be observed in progress
)

func testMockConfig() mockserver.Config {
	return mockserver.Config{
		Users: []mockserver.UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "alice", Password: "Alice@123"},
		},
		Jobs: []mockserver.JobConfig{
			{ID: jobQuick, Name: "Specimen export", Type: "QUERY", Duration: mockserver.Duration(300 * time.Millisecond),
				Result: &mockserver.ResultConfig{Filename: "specimens.csv", Content: "id,args\n${run_id},${args}\n", Zip: true}},
			{ID: jobBroken, Name: "Broken job", Duration: mockserver.Duration(200 * time.Millisecond),
				Outcome: "FAILED", Message: "Query failed: timeout"},
			{ID: jobDisabled, Name: "Retired export", ActivityStatus: "Disabled"},
			{ID: jobSlow, Name: "Nightly export", Duration: mockserver.Duration(20 * time.Second)},
		},
	}
}

// newTestMock starts an in-process mock server for one test.
func newTestMock(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	s, err := mockserver.New(cfg)
	if err != nil {
		t.Fatalf("starting mock server: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func providerBlock(s *mockserver.Server) string {
	return fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = "admin"
  password = "Admin@123"
}
`, s.URL())
}

// loginToken logs in to the mock as a user would with curl, for the token tests.
func loginToken(t *testing.T, s *mockserver.Server, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"loginName": user, "password": password, "domainName": "openspecimen"})
	resp, err := http.Post(s.URL()+"/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("login answered %s without a token (%v)", resp.Status, err)
	}
	return out.Token
}

func TestAccProvider_configErrors(t *testing.T) {
	s := newTestMock(t, testMockConfig())
	resourceBlock := `
resource "openspecimen_job_run" "x" {
  job_id = 1
}
`
	cases := map[string]struct {
		provider string
		want     string
	}{
		"no url": {`provider "openspecimen" {
  username = "admin"
  password = "x"
}`, `Missing OpenSpecimen URL`},
		"relative url": {`provider "openspecimen" {
  url      = "openspecimen/rest/ng"
  username = "admin"
  password = "x"
}`, `not an absolute http or https URL`},
		"ftp url": {`provider "openspecimen" {
  url      = "ftp://example.org/openspecimen/rest/ng"
  username = "admin"
  password = "x"
}`, `not an absolute http or https URL`},
		"token and password": {fmt.Sprintf(`provider "openspecimen" {
  url      = %q
  token    = "abc"
  username = "admin"
  password = "x"
}`, s.URL()), `(?s)Invalid OpenSpecimen credentials.*use either token, or username and password`},
		"no credentials": {fmt.Sprintf(`provider "openspecimen" {
  url = %q
}`, s.URL()), `Missing OpenSpecimen credentials`},
		"no password": {fmt.Sprintf(`provider "openspecimen" {
  url      = %q
  username = "admin"
}`, s.URL()), `Missing OpenSpecimen password`},
		"bad timezone": {fmt.Sprintf(`provider "openspecimen" {
  url      = %q
  token    = "abc"
  timezone = "Mars/Olympus"
}`, s.URL()), `not an IANA time zone`},
		"bad request_timeout": {fmt.Sprintf(`provider "openspecimen" {
  url             = %q
  token           = "abc"
  request_timeout = "soon"
}`, s.URL()), `not a positive duration`},
		"missing ca file": {fmt.Sprintf(`provider "openspecimen" {
  url          = %q
  token        = "abc"
  ca_cert_file = "/nonexistent/ca.pem"
}`, s.URL()), `Could not read ca_cert_file`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, env := range []string{envURL, envUsername, envPassword, envDomain, envToken} {
				t.Setenv(env, "")
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.provider + resourceBlock,
					PlanOnly:    true,
					ExpectError: errRe(tc.want),
				}},
			})
		})
	}
}

func TestParseImportID(t *testing.T) {
	for _, tc := range []struct {
		in         string
		job, run   int64
		wantErrMsg bool
	}{
		{in: "1/42", job: 1, run: 42},
		{in: "1", wantErrMsg: true},
		{in: "a/b", wantErrMsg: true},
		{in: "0/1", wantErrMsg: true},
		{in: "1/-4", wantErrMsg: true},
		{in: "1/2/3", wantErrMsg: true},
		{in: "99999999999999999999/1", wantErrMsg: true},
	} {
		job, run, err := parseImportID(tc.in)
		if tc.wantErrMsg {
			if err == nil {
				t.Errorf("parseImportID(%q): no error", tc.in)
			}
			continue
		}
		if err != nil || job != tc.job || run != tc.run {
			t.Errorf("parseImportID(%q) = %d, %d, %v; want %d, %d", tc.in, job, run, err, tc.job, tc.run)
		}
	}
}

// errRe compiles an expected error for ExpectError. Terraform wraps diagnostics to the
// terminal's width, so any space in the pattern also matches a line break.
func errRe(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(pattern, " ", `\s+`))
}
