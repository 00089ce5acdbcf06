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
	_ list.ListResource              = (*scheduledJobListResource)(nil)
	_ list.ListResourceWithConfigure = (*scheduledJobListResource)(nil)
)

// scheduledJobListResource lists the server's jobs for `terraform query`, each as the
// openspecimen_scheduled_job resource that an import of it holds.
type scheduledJobListResource struct {
	data *providerData
}

// NewScheduledJobListResource is the factory the provider registers.
func NewScheduledJobListResource() list.ListResource {
	return &scheduledJobListResource{}
}

func (l *scheduledJobListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scheduled_job"
}

func (l *scheduledJobListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds the scheduled jobs this user sees, newest first, for `terraform query` (Terraform " +
			"1.14 or later): each result is an `openspecimen_scheduled_job` with its identity (`id`) and a name such as " +
			"`job 42 \"Nightly export\": QUERY, DAILY, created by admin`. `terraform query " +
			"-generate-config-out=jobs.tf` writes a resource and an import block for each, which `terraform apply` then " +
			"imports, changing nothing; the plan after it is empty. The filters are those of the " +
			"`openspecimen_scheduled_jobs` data source. Disabled jobs are not found (OpenSpecimen's job list leaves them " +
			"out): import one by its id.",
		Attributes: map[string]schema.Attribute{
			"name_contains": schema.StringAttribute{MarkdownDescription: jobFilterDocs["name_contains"], Optional: true},
			"type": schema.StringAttribute{MarkdownDescription: jobFilterDocs["type"], Optional: true,
				Validators: emptyIsUnset(jobTypeValidators...)},
		},
	}
}

func (l *scheduledJobListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// List reads the jobs that the filters keep and streams one result per job, at most the
// query's limit.
func (l *scheduledJobListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	jobs, diags := l.jobs(ctx, req)
	stream.Results = listResults(diags, jobs, func(job *client.Job) list.ListResult { return listedJob(ctx, req, job) })
}

// jobs reads the jobs that the list block's config (the filters of the
// openspecimen_scheduled_jobs data source) keeps, at most the query's limit.
func (l *scheduledJobListResource) jobs(ctx context.Context, req list.ListRequest) ([]client.Job, diag.Diagnostics) {
	var cfg jobFilterModel
	var diags diag.Diagnostics
	if l.data == nil {
		diags.Append(unconfiguredDiagnostic("list resource"))
		return nil, diags
	}
	diags.Append(req.Config.Get(ctx, &cfg)...)
	if diags.HasError() || !l.data.loggedIn(ctx, &diags) {
		return nil, diags
	}
	jobs, _ := cfg.listJobs(ctx, l.data.client, "run the query again", &diags)
	if req.Limit > 0 && int64(len(jobs)) > req.Limit {
		jobs = jobs[:req.Limit]
	}
	return jobs, diags
}

// listedJob is one job as a result: its identity, a name to read, and with include_resource
// the resource's state, as an import of it holds.
func listedJob(ctx context.Context, req list.ListRequest, job *client.Job) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = jobDisplayName(job)
	result.Diagnostics.Append(setJobIdentity(ctx, result.Identity, types.Int64Value(job.ID))...)
	if !req.IncludeResource {
		return result
	}
	var m scheduledJobModel
	m.readFrom(ctx, job, &result.Diagnostics)
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	return result
}

// jobDisplayName names a job for a person reading query results: `job 42 "Nightly export":
// QUERY, DAILY, created by admin`.
func jobDisplayName(job *client.Job) string {
	return fmt.Sprintf("job %d %q: %s, %s, created by %s", job.ID, job.Name, cmp.Or(job.Type, "of no type"),
		cmp.Or(job.RepeatSchedule, "no schedule"), cmp.Or(job.CreatedBy.Login(), "an unknown user"))
}
