package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ datasource.DataSource                     = (*scheduledJobDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*scheduledJobDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*scheduledJobDataSource)(nil)
)

type scheduledJobDataSource struct {
	data *providerData
}

// NewScheduledJobDataSource is the factory the provider registers.
func NewScheduledJobDataSource() datasource.DataSource {
	return &scheduledJobDataSource{}
}

func (d *scheduledJobDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scheduled_job"
}

func (d *scheduledJobDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := jobAttributes()
	attrs["id"] = schema.Int64Attribute{
		MarkdownDescription: "Id of the job to read. Exactly one of `id` and `name` must be set.",
		Optional:            true,
		Computed:            true,
		Validators:          []validator.Int64{int64validator.AtLeast(1)},
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "Exact name of the job to read (case-sensitive), among the jobs this user sees: " +
			"the way to refer to a job whose id differs between servers. No such job, or several, is an error " +
			"that lists the jobs whose name contains it. A disabled job is not found by name (OpenSpecimen's job " +
			"lists leave it out): read it by `id`. Exactly one of `id` and `name` must be set.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{useNullNotEmpty()},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one scheduled job, by id or by exact name: for example to give " +
			"`openspecimen_job_run` the `job_id` of the job named \"Nightly specimen export\" on whichever server " +
			"the configuration runs against. A non-admin user sees the jobs it created or that are shared with it. " +
			"It has every attribute of the `openspecimen_scheduled_job` resource, under the same names, and " +
			"`last_run_on`.",
		Attributes: attrs,
	}
}

func (d *scheduledJobDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *scheduledJobDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *scheduledJobDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg jobModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !d.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	var job *client.Job
	if !cfg.Name.IsNull() {
		job = d.jobByName(ctx, cfg.Name.ValueString(), &resp.Diagnostics)
	} else {
		job = d.jobByID(ctx, cfg.ID.ValueInt64(), &resp.Diagnostics)
	}
	if job == nil {
		return
	}
	m := jobModelFromAPI(ctx, job, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (d *scheduledJobDataSource) jobByName(ctx context.Context, name string, diags *diag.Diagnostics) *client.Job {
	job, err := d.data.client.JobByName(ctx, name)
	var ne *client.JobNameError
	switch {
	case errors.As(err, &ne):
		advice := ""
		if ne.Several() {
			advice = " Set id instead of name to read one of them."
		}
		diags.AddAttributeError(path.Root("name"), "No single job of that name", upperFirst(err.Error())+"."+advice)
	case err != nil:
		diags.AddError("Cannot list jobs", fmt.Sprintf("Looking up the job named %q failed: %s. Check that the server is up, then plan again.", name, err))
	}
	return job
}

// jobByID reads the job, and when it started last from its newest run that this user sees:
// the job's own JSON carries lastRunOn in job lists only. Without that run, last_run_on is
// null, with a warning.
func (d *scheduledJobDataSource) jobByID(ctx context.Context, jobID int64, diags *diag.Diagnostics) *client.Job {
	job := readJob(ctx, d.data.client, jobID, diags)
	if job == nil || job.LastRunOn != nil {
		return job
	}
	runs, err := d.data.client.ListRuns(ctx, jobID, client.RunFilter{MaxResults: 1})
	if err != nil {
		diags.AddAttributeWarning(path.Root("last_run_on"), "Cannot tell the job's last run", fmt.Sprintf(
			"Reading the newest run of job %d failed: %s. last_run_on is null; the next plan reads it again.", jobID, err))
		return job
	}
	if len(runs) > 0 {
		job.LastRunOn = runs[0].StartedAt
	}
	return job
}
