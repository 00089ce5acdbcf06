package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ datasource.DataSource              = (*scheduledJobsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*scheduledJobsDataSource)(nil)
)

type scheduledJobsDataSource struct {
	data *providerData
}

type scheduledJobsDataSourceModel struct {
	NameContains types.String `tfsdk:"name_contains"`
	Type         types.String `tfsdk:"type"`
	Jobs         types.List   `tfsdk:"jobs"` // of jobObjectType
	IDs          types.List   `tfsdk:"ids"`
}

// NewScheduledJobsDataSource is the factory the provider registers.
func NewScheduledJobsDataSource() datasource.DataSource {
	return &scheduledJobsDataSource{}
}

func (d *scheduledJobsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scheduled_jobs"
}

func (d *scheduledJobsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the scheduled jobs this user sees, newest first, by name and type: for example " +
			"every export job, for `for_each`. A non-admin user sees the jobs it created or that are shared with it; " +
			"disabled jobs, deleted ones among them, are left out (OpenSpecimen's job list does not show them).",
		Attributes: map[string]schema.Attribute{
			"name_contains": schema.StringAttribute{MarkdownDescription: jobFilterDocs["name_contains"], Optional: true},
			"type": schema.StringAttribute{
				MarkdownDescription: jobFilterDocs["type"], Optional: true, Validators: emptyIsUnset(jobTypeValidators...),
			},
			"jobs": schema.ListNestedAttribute{
				MarkdownDescription: "The jobs, newest first, each with the attributes of the `openspecimen_scheduled_job` " +
					"data source.",
				Computed:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: jobAttributes()},
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "The jobs' ids, in the same order as `jobs`.",
				Computed:            true,
				ElementType:         types.Int64Type,
			},
		},
	}
}

func (d *scheduledJobsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *scheduledJobsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg scheduledJobsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !d.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	f := client.JobFilter{NameContains: cfg.NameContains.ValueString(), Type: cfg.Type.ValueString()}
	jobs, err := d.data.client.ListJobs(ctx, f)
	if err != nil {
		resp.Diagnostics.AddError("Cannot list jobs", fmt.Sprintf("Listing the scheduled jobs failed: %s. Check that the server is up, then plan again.", err))
		return
	}
	cfg.Jobs, cfg.IDs = listsOf(jobs, jobObjectType,
		func(j *client.Job) types.Object {
			m := jobModelFromAPI(ctx, j, &resp.Diagnostics)
			return m.object(ctx, &resp.Diagnostics)
		},
		func(j *client.Job) int64 { return j.ID })
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
