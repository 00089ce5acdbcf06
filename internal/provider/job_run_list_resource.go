package provider

import (
	"cmp"
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ list.ListResource              = (*jobRunListResource)(nil)
	_ list.ListResourceWithConfigure = (*jobRunListResource)(nil)
)

// jobRunListResource lists a job's runs for `terraform query`, each as the
// openspecimen_job_run resource that an import of it would hold.
type jobRunListResource struct {
	data *providerData
}

// NewJobRunListResource is the factory the provider registers.
func NewJobRunListResource() list.ListResource {
	return &jobRunListResource{}
}

func (l *jobRunListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_run"
}

func (l *jobRunListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds a scheduled job's runs, newest first, for `terraform query` (Terraform 1.14 or later): " +
			"each result is an `openspecimen_job_run` with its identity (`job_id`, `run_id`) and a name such as " +
			"`run 42 of job 1: SUCCEEDED, started 2024-01-15T06:15:02Z by admin, args \"--cp CP-TB\"`. " +
			"`terraform query -generate-config-out=runs.tf` writes a resource and an import block for each, which " +
			"`terraform apply` then imports without running the job. The filters are those of the " +
			"`openspecimen_job_runs` data source; the list block's `limit` (default 100) also bounds the runs read.",
		Attributes: jobRunFilterAttributes(),
	}
}

// jobRunFilterAttributes are the job_runs data source's filters as list block attributes.
func jobRunFilterAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"job_id":      schema.Int64Attribute{MarkdownDescription: runFilterDocs["job_id"], Required: true, Validators: jobIDValidators},
		"from_date":   schema.StringAttribute{MarkdownDescription: runFilterDocs["from_date"], Optional: true},
		"to_date":     schema.StringAttribute{MarkdownDescription: runFilterDocs["to_date"], Optional: true},
		"status":      schema.StringAttribute{MarkdownDescription: runFilterDocs["status"], Optional: true, Validators: statusValidators},
		"max_results": schema.Int64Attribute{MarkdownDescription: runFilterDocs["max_results"], Optional: true, Validators: maxResultsValidators},
	}
}

func (l *jobRunListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// List reads the job (the run list of an unknown job is empty, not an error), then its
// runs, and streams one result per run.
func (l *jobRunListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg runFilterModel // the list block's config: the filters of the openspecimen_job_runs data source
	runs, diags := l.runs(ctx, req, &cfg)
	stream.Results = listResults(diags, runs, func(run *client.Run) list.ListResult {
		return listedRun(ctx, req, cfg.JobID.ValueInt64(), run)
	})
}

// runs reads the list block's config into cfg, and the runs it asks for, at most the query's
// limit.
func (l *jobRunListResource) runs(ctx context.Context, req list.ListRequest, cfg *runFilterModel) ([]client.Run, diag.Diagnostics) {
	var diags diag.Diagnostics
	if l.data == nil {
		diags.Append(unconfiguredDiagnostic("list resource"))
		return nil, diags
	}
	diags.Append(req.Config.Get(ctx, cfg)...)
	if diags.HasError() {
		return nil, diags
	}
	filter, ok := cfg.filter(l.data.location, &diags)
	if !ok {
		return nil, diags
	}
	if req.Limit > 0 {
		filter.MaxResults = min(filter.MaxResults, int(req.Limit)) // the query's limit bounds the runs read too
	}
	runs, _ := readRuns(ctx, l.data, cfg.JobID.ValueInt64(), filter, ", then run the query again", &diags)
	return runs, diags
}

// listedRun is one run as a result: its identity, a name to read, and with include_resource
// the resource's state.
func listedRun(ctx context.Context, req list.ListRequest, jobID int64, run *client.Run) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = runDisplayName(jobID, run)
	result.Diagnostics.Append(setRunIdentity(ctx, result.Identity, jobID, types.Int64Value(run.ID))...)
	if !req.IncludeResource {
		return result
	}
	result.Diagnostics.Append(result.Resource.Set(ctx, importedRun(jobID, run))...)
	return result
}

// runDisplayName names a run for a person reading query results: "run 42 of job 1:
// SUCCEEDED, started 2024-01-15T06:15:02Z by admin, args "--cp CP-TB"".
func runDisplayName(jobID int64, run *client.Run) string {
	started := "start unknown"
	if run.StartedAt != nil {
		started = "started " + startedText(run)
	}
	return fmt.Sprintf("run %d of job %d: %s, %s by %s, %s", run.ID, jobID, run.Status, started,
		cmp.Or(run.RunByLogin(), "an unknown user"), argsText(run.Args()))
}
