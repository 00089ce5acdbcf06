package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
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

// serverLines are the OpenSpecimen lines the mock serves, for tests table-driven over both.
var serverLines = []string{mockserver.LineNewest, mockserver.LineOlder}

// onEachLine runs test as a subtest on each OpenSpecimen line the mock serves.
func onEachLine(t *testing.T, test func(t *testing.T, line string)) {
	t.Helper()
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) { test(t, line) })
	}
}

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

func providerBlock(s *mockserver.Server) string {
	return providerBlockAs(s.URL(), "admin", "Admin@123")
}

// providerBlockAs is the provider block of a test that logs in at url as username.
func providerBlockAs(url, username, password string) string {
	return fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = %q
  password = %q
}
`, url, username, password)
}

// configErrorCase is a provider block that a plan refuses, and the error it must show.
type configErrorCase struct {
	provider string
	want     string
}

// testConfigErrors plans each case's provider block, with a resource that uses it and none
// of the provider's environment variables set, and expects its error.
func testConfigErrors(t *testing.T, cases map[string]configErrorCase) {
	resourceBlock := `
resource "openspecimen_job_run" "x" {
  job_id = 1
}
`
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

func TestAccProvider_configErrorsURL(t *testing.T) {
	testConfigErrors(t, map[string]configErrorCase{
		"no url": {`provider "openspecimen" {
  username = "admin"
  password = "x"
}`, `Missing OpenSpecimen URL`},
		"empty url": {`provider "openspecimen" {
  url      = ""
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
	})
}

func TestAccProvider_configErrorsCredentials(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	testConfigErrors(t, map[string]configErrorCase{
		"token and password": {fmt.Sprintf(`provider "openspecimen" {
  url      = %q
  token    = "abc"
  username = "admin"
  password = "x"
}`, s.URL()), `(?s)Conflicting OpenSpecimen credentials.*sets both token and username and password. Use either token, or username and password`},
		"no credentials": {fmt.Sprintf(`provider "openspecimen" {
  url = %q
}`, s.URL()), `Missing OpenSpecimen credentials`},
		"no password": {fmt.Sprintf(`provider "openspecimen" {
  url      = %q
  username = "admin"
}`, s.URL()), `Missing OpenSpecimen password`},
	})
}

func TestAccProvider_configErrorsSettings(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	testConfigErrors(t, map[string]configErrorCase{
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
		"request_timeout too short": {fmt.Sprintf(`provider "openspecimen" {
  url             = %q
  token           = "abc"
  request_timeout = "1ns"
}`, s.URL()), `(?s)Invalid request_timeout.*"1ns" is shorter than 1s`},
		"missing ca file": {fmt.Sprintf(`provider "openspecimen" {
  url          = %q
  token        = "abc"
  ca_cert_file = "/nonexistent/ca.pem"
}`, s.URL()), `Could not read ca_cert_file`},
	})
}

// errRe compiles an expected error for ExpectError. Terraform wraps diagnostics to the
// terminal's width, so any space in the pattern also matches a line break.
func errRe(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(pattern, " ", `\s+`))
}

func TestProviderSchema_credentialsSensitive(t *testing.T) {
	var resp provider.SchemaResponse
	New("test")().Schema(context.Background(), provider.SchemaRequest{}, &resp)
	for _, name := range []string{"password", "token"} {
		a, ok := resp.Schema.Attributes[name].(schema.StringAttribute)
		if !ok || !a.Sensitive {
			t.Errorf("provider attribute %s is not a sensitive string", name)
		}
	}
}

const secretContent = "SECRET-SPECIMEN-ROW"

func secretMockConfig() mockserver.Config {
	cfg := testMockConfig()
	cfg.Jobs[0].Result = &mockserver.ResultConfig{Filename: "specimens.csv", Content: "id\n" + secretContent + "-${run_id}\n"}
	return cfg
}

// An apply with TF_LOG=TRACE, the CLI's and the provider's logs both captured into one file:
// neither the password nor the API token nor the result file's content is in it, and the
// state holds no token and the content only in the data source's sensitive attributes.
// Not parallel: it sets the logging environment.
func TestAccSecurity_noSecretsInLogsOrState(t *testing.T) {
	s := mocktest.New(t, secretMockConfig())
	logFile := filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logFile) // the CLI (TF_LOG_PATH) and the in-process provider's tflog sink
	token := mocktest.Login(t, s, "admin", "Admin@123")
	body := `
resource "openspecimen_job_run" "x" {
  job_id = 1
}
data "openspecimen_job_run_result_file" "x" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`
	tokenProvider := fmt.Sprintf("provider \"openspecimen\" {\n  url   = %q\n  token = %q\n}\n", s.URL(), token)
	stateClean := func(st *terraform.State) error {
		for addr, rs := range st.RootModule().Resources {
			for k, v := range rs.Primary.Attributes {
				if strings.Contains(v, token) || strings.Contains(v, "Admin@123") {
					return fmt.Errorf("state %s.%s holds a credential", addr, k)
				}
				if strings.Contains(v, secretContent) && (addr != fileAddr || k != "content") {
					return fmt.Errorf("state %s.%s holds result content", addr, k)
				}
			}
		}
		raw, _ := json.Marshal(st)
		if strings.Contains(string(raw), token) {
			return fmt.Errorf("the state holds the token")
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: providerBlock(s) + body, Check: stateClean},
			{Config: tokenProvider + body + "\n# new run\n", Check: stateClean},
		},
	})
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	logText := withoutTestConfig(string(data))
	// The log is the whole story: the CLI's lines and the provider's request lines.
	for _, want := range []string{"OpenSpecimen request", "/scheduled-jobs/1/runs", "[TRACE]"} {
		if !strings.Contains(logText, want) {
			t.Fatalf("the log (%d bytes) lacks %q: the capture does not work", len(data), want)
		}
	}
	for what, secret := range map[string]string{"password": "Admin@123", "token": token, "result content": secretContent} {
		if i := strings.Index(logText, secret); i >= 0 {
			t.Errorf("the TRACE log holds the %s: ...%s...", what, logText[max(0, i-200):min(len(logText), i+100)])
		}
	}
}

// withoutTestConfig drops the test harness's own log entries of the configuration it writes
// (which holds the credentials, as any configuration file does); every other entry, of the
// CLI or the provider, is kept. An entry is a line starting with a timestamp and its
// indented continuation lines.
func withoutTestConfig(log string) string {
	var b strings.Builder
	skip := false
	for _, line := range strings.SplitAfter(log, "\n") {
		if !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
			skip = strings.Contains(line, "sdk.helper_resource: Setting Terraform configuration")
		}
		if !skip {
			b.WriteString(line)
		}
	}
	return b.String()
}

// selfSignedCert makes a CA-less self-signed certificate for 127.0.0.1, valid until notAfter.
func selfSignedCert(t *testing.T, notAfter time.Time) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "openspecimen test"},
		NotBefore:             notAfter.Add(-48 * time.Hour),
		NotAfter:              notAfter,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// httpsMock serves the mock's API over TLS with cert, answering the REST root URL.
func httpsMock(t *testing.T, s *mockserver.Server, cert tls.Certificate) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL + mockserver.BasePath
}

func TestAccSecurity_tls(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	cert, caPEM := selfSignedCert(t, time.Now().Add(24*time.Hour))
	url := httpsMock(t, s, cert)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	expired, expiredPEM := selfSignedCert(t, time.Now().Add(-24*time.Hour))
	expiredURL := httpsMock(t, s, expired)
	expiredFile := filepath.Join(t.TempDir(), "expired.pem")
	if err := os.WriteFile(expiredFile, expiredPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := func(url, extra string) string {
		return fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = "admin"
  password = "Admin@123"
%s
}
data "openspecimen_job_runs" "x" {
  job_id = 1
}
`, url, extra)
	}
	for name, tc := range map[string]struct {
		config string
		want   string
	}{
		"trusted with ca_cert_file": {cfg(url, fmt.Sprintf("  ca_cert_file = %q", caFile)), ""},
		"untrusted without it":      {cfg(url, ""), `(?s)certificate.*not trusted.*set ca_cert_file`},
		"insecure_skip_verify":      {cfg(url, "  insecure_skip_verify = true"), ""},
		"expired CA":                {cfg(expiredURL, fmt.Sprintf("  ca_cert_file = %q", expiredFile)), `(?s)expired.*not trusted.*ca_cert_file`},
	} {
		t.Run(name, func(t *testing.T) {
			step := resource.TestStep{Config: tc.config}
			if tc.want != "" {
				step.ExpectError = errRe(tc.want)
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{step},
			})
		})
	}
}

// The CLI shows warnings but plugin-testing cannot check them, so the warning of
// insecure_skip_verify is checked on Configure itself.
func TestProviderConfigure_insecureSkipVerifyWarns(t *testing.T) {
	for _, env := range []string{envURL, envUsername, envPassword, envDomain, envToken} {
		t.Setenv(env, "") // the configuration below alone
	}
	s := mocktest.New(t, testMockConfig())
	p := New("test")()
	configure := func(insecure bool) diag.Diagnostics {
		return configureAsAdmin(t, p, s, map[string]tftypes.Value{
			"insecure_skip_verify": tftypes.NewValue(tftypes.Bool, insecure),
		}).Diagnostics
	}
	d := configure(true)
	if d.HasError() || d.WarningsCount() != 1 {
		t.Fatalf("diagnostics %v, want one warning and no error", d)
	}
	w := d.Warnings()[0]
	if w.Summary() != "TLS verification is off" || !strings.Contains(w.Detail(), "Use ca_cert_file instead") {
		t.Errorf("warning %q: %q", w.Summary(), w.Detail())
	}
	if wp, ok := w.(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(path.Root("insecure_skip_verify")) {
		t.Errorf("the warning is not on insecure_skip_verify: %v", w)
	}
	if d := configure(false); len(d) != 0 {
		t.Errorf("diagnostics without insecure_skip_verify: %v", d)
	}
}

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
			Config: providerBlockAs(html.URL+"/openspecimen/rest/ng", "admin", "Admin@123") + `
resource "openspecimen_job_run" "x" {
  job_id = 1
}
`,
			ExpectError: errRe(`(?s)Cannot log in to OpenSpecimen.*is not OpenSpecimen's REST root.*Welcome to the intranet`),
		}},
	})
}

// refusedURL is a url where connections are refused: nothing listens on port 1 (a port
// freed by a test could be taken by another parallel test's mock server).
const refusedURL = "http://127.0.0.1:1/openspecimen/rest/ng"

func TestAccProvider_unreachableHost(t *testing.T) {
	closedURL := refusedURL
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
	s := mocktest.New(t, historyMockConfig(t))
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

// An empty value (an empty variable passed through) is no value: the environment variable
// stands in for it, for every attribute that has one; a value set wins.
func TestClientConfig_emptyMeansUnset(t *testing.T) {
	p := &openSpecimenProvider{version: "test"}
	for _, tc := range []struct {
		env string
		set func(*openSpecimenProviderModel, types.String)
		got func(client.Config) string
	}{
		{envURL, func(m *openSpecimenProviderModel, v types.String) { m.URL = v }, func(c client.Config) string { return c.URL }},
		{envUsername, func(m *openSpecimenProviderModel, v types.String) { m.Username = v }, func(c client.Config) string { return c.Username }},
		{envPassword, func(m *openSpecimenProviderModel, v types.String) { m.Password = v }, func(c client.Config) string { return c.Password }},
		{envDomain, func(m *openSpecimenProviderModel, v types.String) { m.Domain = v }, func(c client.Config) string { return c.Domain }},
		{envToken, func(m *openSpecimenProviderModel, v types.String) { m.Token = v }, func(c client.Config) string { return c.Token }},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, "from-env")
			for value, want := range map[string]string{"": "from-env", "configured": "configured"} {
				var cfg openSpecimenProviderModel
				tc.set(&cfg, types.StringValue(value))
				var diags diag.Diagnostics
				out, _ := p.clientConfig(&cfg, &diags)
				if got := tc.got(out); got != want || diags.HasError() {
					t.Errorf("configured %q with %s set: got %q, %v; want %q", value, tc.env, got, diags, want)
				}
			}
		})
	}
}

// The case of the report: url = var.url with the variable empty, OPENSPECIMEN_URL set.
func TestAccProvider_emptyURLUsesEnvironment(t *testing.T) {
	s := mocktest.New(t, historyMockConfig(t))
	t.Setenv(envURL, s.URL())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
variable "url" {
  default = ""
}
provider "openspecimen" {
  url      = var.url
  username = "admin"
  password = "Admin@123"
}
data "openspecimen_job_runs" "x" {
  job_id = 1
}
`,
			ConfigStateChecks: []statecheck.StateCheck{expectIDs(13, 12, 11, 10)},
		}},
	})
}

// loginFailureBody has four objects that need the server, two of them data sources read at
// plan time and two resources.
const loginFailureBody = `
resource "openspecimen_job_run" "a" {
  job_id = 1
}
resource "openspecimen_job_run" "b" {
  job_id = 1
  args   = "b"
}
data "openspecimen_job_runs" "x" {
  job_id = 1
}
data "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = 10
}
`

// A failed login is explained once for the whole configuration, whatever the number of
// objects: the first object that meets it reports it in full, each other one that needed the
// server (the two data sources here: the resources need none at plan time) says in a line
// that it was not run for it. Counted in the real CLI's output, which plugin-testing's
// ExpectError cannot.
func TestAccProvider_loginFailureReportedOnce(t *testing.T) {
	downURL := refusedURL
	for name, tc := range map[string]struct {
		provider func(s *mockserver.Server) string
		want     string
		logins   int
	}{
		"wrong password": {func(s *mockserver.Server) string {
			return fmt.Sprintf("provider \"openspecimen\" {\n  url      = %q\n  username = \"admin\"\n  password = \"wrong\"\n}\n", s.URL())
		}, `(?i)login refused for user "admin"`, 1},
		"wrong token": {func(s *mockserver.Server) string {
			return fmt.Sprintf("provider \"openspecimen\" {\n  url   = %q\n  token = \"not-a-token\"\n}\n", s.URL())
		}, `refused the API token`, 0},
		"server down": {func(*mockserver.Server) string {
			return fmt.Sprintf("provider \"openspecimen\" {\n  url         = %q\n  username    = \"admin\"\n  password    = \"Admin@123\"\n  max_retries = 0\n}\n", downURL)
		}, `connection refused`, 0},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := mocktest.New(t, historyMockConfig(t))
			c := newCLITest(t, s, "")
			c.configureRaw(tc.provider(s) + loginFailureBody)
			out, err := c.command(t.Context(), "plan", "-input=false", "-no-color").CombinedOutput()
			if err == nil {
				t.Fatalf("the plan succeeded:\n%s", out)
			}
			full, short := strings.Count(string(out), "Error: Cannot log in to OpenSpecimen"), strings.Count(string(out), "Error: Not run: no OpenSpecimen login")
			if n := strings.Count(string(out), "Error: "); full != 1 || short != 1 || n != 2 {
				t.Fatalf("%d errors, want one titled Cannot log in to OpenSpecimen and one Not run: no OpenSpecimen login:\n%s", n, out)
			}
			if !errRe(tc.want).Match(out) {
				t.Errorf("the error does not say %q:\n%s", tc.want, out)
			}
			if n := s.RequestCount("POST", "/sessions"); n != tc.logins {
				t.Errorf("%d logins reached the server, want %d", n, tc.logins)
			}
			if n := s.RequestCount("GET", "/scheduled-jobs/{jobId}"); n != 0 {
				t.Errorf("%d reads of a job after the failed login, want none", n)
			}
		})
	}
}

// Configure hands the client to the action and the list resource as to every other kind.
func TestProviderConfigure_handsClientToNewestKinds(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resp := configureAsAdmin(t, New("test")(), s, nil)
	if resp.Diagnostics.HasError() {
		t.Fatalf("Configure: %v", resp.Diagnostics)
	}
	if resp.ResourceData == nil || resp.ActionData != resp.ResourceData || resp.ListResourceData != resp.ResourceData {
		t.Errorf("Configure handed resources %v, actions %v, list resources %v: want the same client for all",
			resp.ResourceData, resp.ActionData, resp.ListResourceData)
	}
}

// Configure sends nothing; the first object that needs the server logs in and reads what the
// server says of itself: its build_version tells its line, so that the run list's fromDate
// goes in that line's form from the first request, and its zone's offset bounds the older
// line's fromDate within hours; a server that answers none of it works all the same, and the
// client then learns the form from a refusal.
func TestProviderConfigure_readsSettings(t *testing.T) {
	from := time.Date(2024, 1, 15, 10, 0, 30, 0, time.UTC)
	for _, c := range []struct {
		name     string
		answer   bool // the server answers its settings
		wantFrom []string
	}{
		{"settings answered", true, []string{"2024-01-15 14:30"}}, // Kolkata's wall time, an hour earlier
		{"no settings", false, []string{"2024-01-15T10:00:30.000Z", "2024-01-14 20:00"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testMockConfig()
			cfg.Line, cfg.Timezone = mockserver.LineOlder, "Asia/Kolkata"
			s := mocktest.New(t, cfg)
			var mu sync.Mutex // guards sent
			var sent []string
			s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
				switch {
				case strings.HasPrefix(req.Pattern, "/config-settings") && !c.answer:
					return mockserver.HTMLReply(http.StatusNotFound), true
				case req.Pattern == "/scheduled-jobs/{jobId}/runs" && req.Method == "GET":
					mu.Lock()
					sent = append(sent, req.Query.Get("fromDate"))
					mu.Unlock()
				}
				return mockserver.Reply{}, false
			})
			resp := configureAsAdmin(t, New("test")(), s, nil)
			if resp.Diagnostics.HasError() {
				t.Fatalf("Configure: %v", resp.Diagnostics)
			}
			data, ok := resp.DataSourceData.(*providerData)
			if !ok {
				t.Fatalf("provider data %T", resp.DataSourceData)
			}
			if n := s.RequestCount("POST", "/sessions") + s.RequestCount("GET", "/config-settings/app-props"); n != 0 {
				t.Fatalf("Configure sent %d requests, want none", n)
			}
			var diags diag.Diagnostics
			if !data.loggedIn(t.Context(), &diags) {
				t.Fatalf("login: %v", diags)
			}
			if got := data.client.Settings().BuildVersion; (got == "v12.2") != c.answer {
				t.Errorf("build_version %q", got)
			}
			if _, err := data.client.ListRuns(t.Context(), 1, client.RunFilter{From: &from}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(sent) != fmt.Sprint(c.wantFrom) {
				t.Errorf("fromDates sent %q, want %q", sent, c.wantFrom)
			}
		})
	}
}

// configureAsAdmin calls p's Configure in process with the url of s, the admin's credentials
// and the attributes of extra; every other attribute is null.
func configureAsAdmin(t *testing.T, p provider.Provider, s *mockserver.Server, extra map[string]tftypes.Value) provider.ConfigureResponse {
	t.Helper()
	ctx := t.Context()
	var sr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the provider's schema is a %T, want an object", sr.Schema.Type().TerraformType(ctx))
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["url"] = tftypes.NewValue(tftypes.String, s.URL())
	vals["username"] = tftypes.NewValue(tftypes.String, "admin")
	vals["password"] = tftypes.NewValue(tftypes.String, "Admin@123")
	for name, v := range extra {
		vals[name] = v
	}
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Raw: tftypes.NewValue(typ, vals), Schema: sr.Schema}}, &resp)
	return resp
}

// A request_timeout that fires is told once: what happened (the client's words), then one
// piece of advice (check the server, raise request_timeout), never "check that the server is
// up" twice, whatever advice the caller would give otherwise.
func TestRequestTimeoutAdvisedOnce(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) }) // before Close, which waits for the handlers
	c, err := client.New(client.Config{URL: hung.URL + "/openspecimen/rest/ng", Username: "admin", Password: "x",
		RequestTimeout: 20 * time.Millisecond, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	data := &providerData{client: c, location: time.UTC}
	var diags diag.Diagnostics
	if data.loggedIn(t.Context(), &diags) || len(diags) != 1 {
		t.Fatalf("login against a hung server: %v", diags)
	}
	_, err = c.GetJob(t.Context(), 1)
	for _, detail := range []string{diags[0].Detail(), withAdvice(err, "Check that the server is up and that this user may see the job")} {
		if n := strings.Count(strings.ToLower(detail), "server is up"); n != 1 || !strings.Contains(detail, "raise request_timeout") ||
			strings.Contains(detail, "raise the request timeout") {
			t.Errorf("%d times \"server is up\" in %q", n, detail)
		}
	}
}
