package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// Ephemeral resources arrived in Terraform 1.10 and OpenTofu 1.11; older CLIs skip.
var ephemeralProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"openspecimen": testAccProtoV6ProviderFactories["openspecimen"],
	"echo":         echoprovider.NewProviderServer(),
}

// The echo provider stands in for a consumer such as a storage provider: the file's bytes
// reach it, and nothing of the ephemeral resource reaches the state.
func TestAccJobRunResultFileEphemeral_reachesConsumer(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: ephemeralProviders,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
ephemeral "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = 12
}
provider "echo" {
  data = {
    content  = ephemeral.openspecimen_job_run_result_file.x.content
    filename = ephemeral.openspecimen_job_run_result_file.x.filename
  }
}
resource "echo" "consumer" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("content"), knownvalue.StringExact("id\n12\n")),
				statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("filename"), knownvalue.StringExact("specimens.csv")),
			},
			Check: func(st *terraform.State) error {
				for addr := range st.RootModule().Resources {
					if addr != "echo.consumer" {
						return fmt.Errorf("the state holds %s; only the consumer belongs there", addr)
					}
				}
				return nil
			},
		}},
	})
}

// A local-exec provisioner, built into the CLI, gets the file through an environment
// variable, byte for byte.
func TestAccJobRunResultFileEphemeral_provisioner(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	out := filepath.Join(t.TempDir(), "loaded.csv")
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + fmt.Sprintf(`
ephemeral "openspecimen_job_run_result_file" "csv" {
  job_id = 1
  run_id = 12
}
resource "terraform_data" "load" {
  provisioner "local-exec" {
    command     = "printf '%%s' \"$SPECIMENS_CSV\" > '%s'"
    environment = {
      SPECIMENS_CSV = ephemeral.openspecimen_job_run_result_file.csv.content
    }
  }
}
`, out),
			Check: func(*terraform.State) error {
				if got, err := os.ReadFile(out); err != nil || string(got) != "id\n12\n" {
					return fmt.Errorf("the provisioner wrote %q (%v), want the file's bytes", got, err)
				}
				return nil
			},
		}},
	})
}

// The ephemeral resource has the data source's limit: over it, the error says to raise it.
func TestAccJobRunResultFileEphemeral_contentLimit(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: ephemeralProviders,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
ephemeral "openspecimen_job_run_result_file" "x" {
  job_id            = 1
  run_id            = 12
  max_content_bytes = 5
}
provider "echo" {
  data = ephemeral.openspecimen_job_run_result_file.x.sha256
}
resource "echo" "consumer" {}
`,
			ExpectError: errRe(`(?s)Result file too large.*is 6 bytes, more than max_content_bytes \(5 bytes\)\.\s+Raise\s+max_content_bytes`),
		}},
	})
}

func TestAccJobRunResultFileEphemeral_errors(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: ephemeralProviders,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
ephemeral "openspecimen_job_run_result_file" "x" {
  job_id = 5
  run_id = 14
}
provider "echo" {
  data = ephemeral.openspecimen_job_run_result_file.x.sha256
}
resource "echo" "consumer" {}
`,
			ExpectError: errRe(`Run 14 of job 5 is still IN_PROGRESS`),
		}},
	})
}

// Decoded, an export's metadata and rows reach the consumer; a ragged row is refused naming
// its line.
func TestAccJobRunResultFileEphemeral_decode(t *testing.T) {
	s := mocktest.New(t, decodeMockConfig(t))
	consumer := func(run int, extra ...string) string {
		return providerBlock(s) + fmt.Sprintf(`
ephemeral "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = %d
  decode = "csv"
  %s
}
provider "echo" {
  data = {
    exported_by = ephemeral.openspecimen_job_run_result_file.x.export_metadata["Exported By"]
    labels      = [for r in ephemeral.openspecimen_job_run_result_file.x.rows : r["Label"]]
    columns     = ephemeral.openspecimen_job_run_result_file.x.columns
    content     = ephemeral.openspecimen_job_run_result_file.x.content
  }
}
resource "echo" "consumer" {}
`, run, strings.Join(extra, "\n"))
	}
	steps := map[string]resource.TestStep{
		"export": {
			Config: consumer(40),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("exported_by"), knownvalue.StringExact("Admin User")),
				statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("labels"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("SP-1"), knownvalue.StringExact("SP-2")})),
				statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("columns"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact("Label"), knownvalue.StringExact("Type")})),
				statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("content"), knownvalue.Null()),
			},
		},
		"ragged": {
			Config:      consumer(42),
			ExpectError: errRe(`(?s)Result file is not the CSV expected.*line 6: this line has 1 fields`),
		},
		"another separator set": {
			Config:      consumer(40, `separator = "|"`),
			ExpectError: errRe(`(?s)Result file has another separator.*Set separator = ","`),
		},
	}
	for name, step := range steps {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
				ProtoV6ProviderFactories: ephemeralProviders,
				Steps:                    []resource.TestStep{step},
			})
		})
	}
}

// As in the example: a local-exec provisioner gets an export's rows, decoded, as JSON.
func TestAccJobRunResultFileEphemeral_provisionerRows(t *testing.T) {
	s := mocktest.New(t, decodeMockConfig(t))
	out := filepath.Join(t.TempDir(), "loaded.json")
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + fmt.Sprintf(`
ephemeral "openspecimen_job_run_result_file" "specimens" {
  job_id = 1
  run_id = 40
  decode = "csv"
}
resource "terraform_data" "load" {
  provisioner "local-exec" {
    command     = "printf '%%s' \"$SPECIMENS_JSON\" > '%s'"
    environment = {
      SPECIMENS_JSON = jsonencode(ephemeral.openspecimen_job_run_result_file.specimens.rows)
    }
  }
}
`, out),
			Check: func(*terraform.State) error {
				want := `[{"Label":"SP-1","Type":"Whole Blood"},{"Label":"SP-2","Type":""}]`
				if got, err := os.ReadFile(out); err != nil || string(got) != want {
					return fmt.Errorf("the provisioner wrote %q (%v), want %s", got, err, want)
				}
				return nil
			},
		}},
	})
}

// A purged file is a warning: the consumer gets null content and the apply goes on; a
// recipient of the job's files reads a run it may not read; both on each server line.
func TestAccJobRunResultFileEphemeral_purgedAndRecipient(t *testing.T) {
	consumer := func(s *mockserver.Server, user, password string, run int64) string {
		return providerBlockAs(s.URL(), user, password) + fmt.Sprintf(`
ephemeral "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = %d
}
provider "echo" {
  data = {
    content = ephemeral.openspecimen_job_run_result_file.x.content
    sha256  = ephemeral.openspecimen_job_run_result_file.x.sha256
  }
}
resource "echo" "consumer" {}
`, run)
	}
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			clock := mockserver.NewManualClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
			cfg := purgeMockConfig(line, clock)
			cfg.Users = recipientMockConfig(line, clock).Users
			cfg.Jobs[0].Recipients = []string{"carol"}
			old := clock.Now().Add(-2 * time.Hour) // finished before the hour of retention: purged
			cfg.Runs = append(cfg.Runs, mockserver.RunConfig{ID: 49, JobID: 1, Status: "SUCCEEDED", StartedAt: &old,
				FinishedAt: &old, RunBy: "admin", Result: cfg.Runs[0].Result})
			s := mocktest.New(t, cfg)
			for name, step := range map[string]resource.TestStep{
				"purged": {Config: consumer(s, "admin", "Admin@123", 49), ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("content"), knownvalue.Null()),
					statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("sha256"), knownvalue.Null()),
				}},
				"recipient": {Config: consumer(s, "carol", "Carol@123", 50), ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.consumer", at("data").AtMapKey("content"), knownvalue.StringExact("a\n1\n")),
				}},
				"neither": {Config: consumer(s, "dave", "Dave@1234", 50),
					ExpectError: errRe(`Not allowed to read the result file.*user dave`)},
			} {
				t.Run(name, func(t *testing.T) {
					resource.ParallelTest(t, resource.TestCase{
						TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
						ProtoV6ProviderFactories: ephemeralProviders,
						Steps:                    []resource.TestStep{step},
					})
				})
			}
		})
	}
}
