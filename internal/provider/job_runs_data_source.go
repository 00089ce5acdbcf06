package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ datasource.DataSource              = (*jobRunsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*jobRunsDataSource)(nil)
)

const defaultMaxResults = 100

type jobRunsDataSource struct {
	data *providerData
}

type jobRunsDataSourceModel struct {
	runFilterModel
	Runs types.List `tfsdk:"runs"` // of runObjectType
	IDs  types.List `tfsdk:"ids"`
}

// NewJobRunsDataSource is the factory the provider registers.
func NewJobRunsDataSource() datasource.DataSource {
	return &jobRunsDataSource{}
}

func (d *jobRunsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_runs"
}

const dateFormsDoc = "A date (`2022-02-21` or `20220221`), a date and time " +
	"(`2022-02-21T06:15:00`, `2022-02-21 06:15`, or `20220221T061500`), both read in the provider's `timezone` " +
	"(default UTC), or RFC 3339 with a zone (`2022-02-21T06:15:00Z`, `2022-02-21T06:15:00+05:30`). " +
	"These are the provider's forms: it sends the server the form its version takes."

// runFilterDocs describe the filters of a job's runs, for the data source and the list
// resource; statusValidators and maxResultsValidators check them.
var runFilterDocs = map[string]string{
	"job_id":    "Id of the scheduled job.",
	"from_date": "Only runs started at or after this time. " + dateFormsDoc,
	"to_date": "Only runs started at or before this time; a date without a time includes that whole day. " +
		dateFormsDoc + " Runs still in progress are included, and so are runs that finished after it.",
	"status": "Only runs in this status: `IN_PROGRESS`, `SUCCEEDED` or `FAILED`.",
	"max_results": "How many runs to answer, from 1 to 1000: the newest of the runs that match, as many as the " +
		"smaller of `max_results` and the number of runs that match (min(`max_results`, matching runs)). " +
		"Defaults to 100. OpenSpecimen has no paging, so the provider asks for more runs until enough match: " +
		"when more than 10,000 runs started after `to_date`, the older ones are out of its reach " +
		"(read them in OpenSpecimen's Jobs view).",
}

var (
	statusValidators = emptyIsUnset(stringvalidator.OneOf(
		string(client.StatusInProgress), string(client.StatusSucceeded), string(client.StatusFailed)))
	maxResultsValidators = []validator.Int64{int64validator.Between(1, 1000)}
)

func (d *jobRunsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists a scheduled job's runs, newest first, filtered by start date and status: " +
			"for example the newest successful export of a job.\n\n" +
			"Like every data source, it is read again on every plan, so its list follows the server: a new run " +
			"changes it, and whatever uses it. To pin one run, use its id (for example from an `openspecimen_job_run`).",
		Attributes: map[string]schema.Attribute{
			"job_id":      schema.Int64Attribute{MarkdownDescription: runFilterDocs["job_id"], Required: true, Validators: jobIDValidators},
			"from_date":   schema.StringAttribute{MarkdownDescription: runFilterDocs["from_date"], Optional: true},
			"to_date":     schema.StringAttribute{MarkdownDescription: runFilterDocs["to_date"], Optional: true},
			"status":      schema.StringAttribute{MarkdownDescription: runFilterDocs["status"], Optional: true, Validators: statusValidators},
			"max_results": schema.Int64Attribute{MarkdownDescription: runFilterDocs["max_results"], Optional: true, Validators: maxResultsValidators},
			"runs": schema.ListNestedAttribute{
				MarkdownDescription: "The runs, newest first.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: runAttributes()},
			},
			"ids": idsAttribute("runs"),
		},
	}
}

func (d *jobRunsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *jobRunsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg jobRunsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The dates are checked here, not in ValidateConfig: what a date means, and the zone its
	// error names, come from the provider's timezone, known only once it is configured.
	filter, ok := cfg.filter(d.data.location, &resp.Diagnostics)
	if !ok {
		return
	}
	runs, ok := readRuns(ctx, d.data, cfg.JobID.ValueInt64(), filter, "", &resp.Diagnostics)
	if !ok {
		return
	}
	models, ids := make([]runModel, len(runs)), make([]int64, len(runs))
	for i := range runs {
		models[i], ids[i] = runModelFromAPI(&runs[i]), runs[i].ID
	}
	cfg.Runs, cfg.IDs = listsOf(ctx, runObjectType, models, ids, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
