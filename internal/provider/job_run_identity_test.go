package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// An import names its run by JOB_ID/RUN_ID or by its identity; an identity without two
// positive ids is refused, saying what one looks like.
func TestImportedRunIDs(t *testing.T) {
	ctx := t.Context()
	var sr resource.IdentitySchemaResponse
	(&jobRunResource{}).IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &sr)
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"job_id": tftypes.Number, "run_id": tftypes.Number}}
	identity := func(jobID, runID any) *tfsdk.ResourceIdentity {
		return &tfsdk.ResourceIdentity{Schema: sr.IdentitySchema, Raw: tftypes.NewValue(typ, map[string]tftypes.Value{
			"job_id": tftypes.NewValue(tftypes.Number, jobID), "run_id": tftypes.NewValue(tftypes.Number, runID),
		})}
	}
	for name, tc := range map[string]struct {
		req          resource.ImportStateRequest
		job, run     int64
		errorSummary string
	}{
		"import id":            {req: resource.ImportStateRequest{ID: "1/42"}, job: 1, run: 42},
		"identity":             {req: resource.ImportStateRequest{Identity: identity(1, 42)}, job: 1, run: 42},
		"bad import id":        {req: resource.ImportStateRequest{ID: "42"}, errorSummary: "Invalid import id"},
		"identity without run": {req: resource.ImportStateRequest{Identity: identity(1, nil)}, errorSummary: "Invalid import identity"},
		"identity run zero":    {req: resource.ImportStateRequest{Identity: identity(1, 0)}, errorSummary: "Invalid import identity"},
	} {
		t.Run(name, func(t *testing.T) {
			var diags diag.Diagnostics
			job, run, ok := importedRunIDs(ctx, tc.req, &diags)
			if tc.errorSummary != "" {
				if ok || !diags.HasError() || diags[0].Summary() != tc.errorSummary {
					t.Fatalf("importedRunIDs = %d, %d, %t, %v; want the error %q", job, run, ok, diags, tc.errorSummary)
				}
				if tc.errorSummary == "Invalid import identity" && !strings.Contains(diags[0].Detail(), "identity = { job_id = 1, run_id = 42 }") {
					t.Errorf("the error does not show an identity: %s", diags[0].Detail())
				}
				return
			}
			if !ok || job != tc.job || run != tc.run {
				t.Fatalf("importedRunIDs = %d, %d, %t, %v; want %d, %d", job, run, ok, diags, tc.job, tc.run)
			}
		})
	}
}

// The run's identity is set on create and read, and an import block by identity (Terraform
// 1.12+) imports the run as the import by JOB_ID/RUN_ID does: the plan after it is empty.
func TestAccJobRun_importByIdentity(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	cfg := jobRunConfig(s, "  job_id = 1\n  args   = \"--cp identity\"")
	acc.ParallelTest(t, acc.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		Steps: []acc.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(jobRunAddr, map[string]knownvalue.Check{
						"job_id": knownvalue.Int64Exact(1),
						"run_id": knownvalue.Int64Func(func(v int64) error {
							if runs := s.Runs(jobQuick); len(runs) != 1 || runs[0].ID != v {
								return fmt.Errorf("identity names run %d; the server has runs %+v", v, runs)
							}
							return nil
						}),
					}),
				},
			},
			{
				Config:          cfg,
				ResourceName:    jobRunAddr,
				ImportState:     true,
				ImportStateKind: acc.ImportBlockWithResourceIdentity,
			},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 1 {
		t.Errorf("%d triggers, want the create's one: an import runs nothing", n)
	}
}
