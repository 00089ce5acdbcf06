package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// importableJob reads the job an import of openspecimen_scheduled_job names and reports one
// that OpenSpecimen deleted (disabled and renamed): the import's Read would drop it from the
// state as deleted, leaving only Terraform's "Cannot import non-existent remote object". A job
// not found is left to that Read, which says so. It answers whether the import may go on.
func importableJob(ctx context.Context, data *providerData, id int64, diags *diag.Diagnostics) bool {
	if !data.loggedIn(ctx, diags) {
		return false
	}
	job, err := data.client.GetJob(ctx, id)
	if err != nil || !job.DeletedSince("") {
		return true
	}
	diags.AddError("Job deleted", fmt.Sprintf("Scheduled job %d was deleted in OpenSpecimen (it is disabled and renamed "+
		"%q): there is nothing to import. Remove the import to have this resource create the job anew, or import a job "+
		"that exists.", id, job.Name))
	return false
}
