package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A job's identity is its id: the resource sets it on create, read, update and import, and
// the list resource on each result. A create whose answer was lost, and whose job was not
// found, records the job without an id (recordPendingCreate); Terraform needs an identity
// after a create without errors, so the identity is then id 0, which no job has, until the
// refresh that finds the job sets its id. The identity changes only that once, from 0 to
// the job's id, which the resource's metadata allows (ResourceBehavior.MutableIdentity):
// Read and Update read the job by the id in state, so they never set another.

// pendingJobID is the identity of a job recorded without an id: no job has id 0.
const pendingJobID = 0

// jobIdentitySchema is openspecimen_scheduled_job's identity.
func jobIdentitySchema() identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.Int64Attribute{
				Description:       "The job's id; 0 while a create whose answer was lost is not settled (the next refresh sets it).",
				RequiredForImport: true,
			},
		},
	}
}

// setJobIdentity sets the identity of job id, when Terraform keeps one (1.12 and later);
// a null id is pendingJobID.
func setJobIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id types.Int64) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	if id.IsNull() || id.IsUnknown() {
		id = types.Int64Value(pendingJobID)
	}
	return identity.SetAttribute(ctx, path.Root("id"), id)
}

// importedJobID answers the job an import names: by the import id, or by its identity (an
// import block's identity, as terraform query -generate-config-out writes).
func importedJobID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (int64, bool) {
	if req.ID != "" || req.Identity == nil {
		id, err := strconv.ParseInt(strings.TrimSpace(req.ID), 10, 64)
		if err != nil || id < 1 {
			diags.AddError("Invalid import id", fmt.Sprintf(
				"The import id %q is not a job id: give the job's id, a positive number such as 42 (the Jobs view shows it).", req.ID))
			return 0, false
		}
		return id, true
	}
	var id types.Int64
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &id)...)
	if diags.HasError() {
		return 0, false
	}
	if id.ValueInt64() < 1 {
		diags.AddError("Invalid import identity", fmt.Sprintf(
			"The import identity names job %s: its id must be a positive number, for example identity = { id = 42 } "+
				"(the Jobs view shows it).", id))
		return 0, false
	}
	return id.ValueInt64(), true
}
