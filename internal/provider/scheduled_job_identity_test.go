package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// An import names its job by its id or by its identity; an identity without a positive id
// is refused, saying what one looks like.
func TestImportedJobID(t *testing.T) {
	ctx := t.Context()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.Number}}
	identity := func(id any) *tfsdk.ResourceIdentity {
		return &tfsdk.ResourceIdentity{Schema: jobIdentitySchema(), Raw: tftypes.NewValue(typ, map[string]tftypes.Value{
			"id": tftypes.NewValue(tftypes.Number, id),
		})}
	}
	for name, tc := range map[string]struct {
		req          resource.ImportStateRequest
		id           int64
		errorSummary string
	}{
		"import id":        {req: resource.ImportStateRequest{ID: " 42 "}, id: 42},
		"identity":         {req: resource.ImportStateRequest{Identity: identity(42)}, id: 42},
		"bad import id":    {req: resource.ImportStateRequest{ID: "abc"}, errorSummary: "Invalid import id"},
		"import id zero":   {req: resource.ImportStateRequest{ID: "0"}, errorSummary: "Invalid import id"},
		"identity no id":   {req: resource.ImportStateRequest{Identity: identity(nil)}, errorSummary: "Invalid import identity"},
		"identity id zero": {req: resource.ImportStateRequest{Identity: identity(0)}, errorSummary: "Invalid import identity"},
	} {
		t.Run(name, func(t *testing.T) {
			var diags diag.Diagnostics
			id, ok := importedJobID(ctx, tc.req, &diags)
			if tc.errorSummary != "" {
				if ok || !diags.HasError() || diags[0].Summary() != tc.errorSummary {
					t.Fatalf("importedJobID = %d, %t, %v; want the error %q", id, ok, diags, tc.errorSummary)
				}
				if tc.errorSummary == "Invalid import identity" && !strings.Contains(diags[0].Detail(), "identity = { id = 42 }") {
					t.Errorf("the error does not show an identity: %s", diags[0].Detail())
				}
				return
			}
			if !ok || id != tc.id {
				t.Fatalf("importedJobID = %d, %t, %v; want %d", id, ok, diags, tc.id)
			}
		})
	}
}

var needsIdentity = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

// The job's identity is set on create, and an import block by identity (Terraform 1.12+)
// imports the job as the import by id does: the plan after it is empty.
func TestAccScheduledJob_importByIdentity(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := scheduledJobConfig(s, nightlyBody("Nightly export", farStart))
	acc.ParallelTest(t, acc.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   needsIdentity,
		Steps: []acc.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentityValueMatchesState(scheduledJobAddr, at("id")),
				},
			},
			{Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateKind: acc.ImportBlockWithResourceIdentity},
			{Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateKind: acc.ImportBlockWithID},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs"); n != 1 {
		t.Errorf("%d POSTs, want the create's one: an import creates nothing", n)
	}
}

// A create whose answer is lost, and whose job is not found, leaves the job in state without
// an id and with the identity id 0 (Terraform needs one after a create without errors); the
// refresh that finds the job the server created after all sets its id, in state and identity,
// and plans nothing.
func TestAccScheduledJob_pendingCreateIdentity(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	cfg := scheduledJobConfig(s, nightlyBody("Nightly export", farStart))
	acc.ParallelTest(t, acc.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   needsIdentity,
		Steps: []acc.TestStep{
			{
				PreConfig: loseFirstJobPost(s),
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("id"), knownvalue.Null()),
					statecheck.ExpectIdentity(scheduledJobAddr, map[string]knownvalue.Check{"id": knownvalue.Int64Exact(pendingJobID)}),
				},
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					s.SetResponseHook(nil)
					if _, err := adminClient(t, s).CreateJob(context.Background(), nightlySpec("Nightly export")); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scheduledJobAddr, plancheck.ResourceActionNoop)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scheduledJobAddr, at("id"), knownvalue.NotNull()),
					statecheck.ExpectIdentityValueMatchesState(scheduledJobAddr, at("id")),
				},
			},
			{Config: cfg, ResourceName: scheduledJobAddr, ImportState: true, ImportStateKind: acc.ImportBlockWithResourceIdentity},
		},
	})
}
