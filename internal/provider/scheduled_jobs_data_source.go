package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = (*scheduledJobsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*scheduledJobsDataSource)(nil)
)

type scheduledJobsDataSource struct {
	data *providerData
}

type scheduledJobsDataSourceModel struct {
	jobFilterModel
	Jobs types.List `tfsdk:"jobs"` // of jobObjectType
	IDs  types.List `tfsdk:"ids"`
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
			"ids": idsAttribute("jobs"),
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
	jobs, ok := cfg.listJobs(ctx, d.data.client, "plan again", &resp.Diagnostics)
	if !ok {
		return
	}
	models, ids := make([]jobModel, len(jobs)), make([]int64, len(jobs))
	for i := range jobs {
		models[i], ids[i] = jobModelFromAPI(ctx, &jobs[i], &resp.Diagnostics), jobs[i].ID
	}
	cfg.Jobs, cfg.IDs = listsOf(ctx, jobObjectType, models, ids, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
