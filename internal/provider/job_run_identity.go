package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A run's identity is its job's id and its own (jobRunResource.IdentitySchema): the
// resource sets it on create, read and import, and the list resource on each result.

// setRunIdentity sets the identity of a run, when Terraform keeps one (1.12 and later): its
// run_id is null while the run of a pending trigger is not identified.
func setRunIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, jobID int64, runID types.Int64) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	diags := identity.SetAttribute(ctx, path.Root("job_id"), types.Int64Value(jobID))
	diags.Append(identity.SetAttribute(ctx, path.Root("run_id"), runID)...)
	return diags
}

// importedRunIDs answers the run an import names: by the import id JOB_ID/RUN_ID, or by
// its identity (an import block's identity, as terraform query -generate-config-out writes).
func importedRunIDs(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (jobID, runID int64, ok bool) {
	if req.ID != "" || req.Identity == nil {
		jobID, runID, err := parseImportID(req.ID)
		if err != nil {
			diags.AddError("Invalid import id", err.Error())
			return 0, 0, false
		}
		return jobID, runID, true
	}
	var job, run types.Int64
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("job_id"), &job)...)
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("run_id"), &run)...)
	if diags.HasError() {
		return 0, 0, false
	}
	if job.ValueInt64() < 1 || run.ValueInt64() < 1 {
		diags.AddError("Invalid import identity", fmt.Sprintf(
			"The import identity names job %s and run %s: both must be positive numbers, for example "+
				"identity = { job_id = 1, run_id = 42 }.", job, run))
		return 0, 0, false
	}
	return job.ValueInt64(), run.ValueInt64(), true
}
