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
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ datasource.DataSource                     = (*savedQueryDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*savedQueryDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*savedQueryDataSource)(nil)
)

type savedQueryDataSource struct {
	data *providerData
}

// NewSavedQueryDataSource is the factory the provider registers.
func NewSavedQueryDataSource() datasource.DataSource {
	return &savedQueryDataSource{}
}

// savedQueryModel is a saved query as the saved query data source shows it.
type savedQueryModel struct {
	ID              types.Int64  `tfsdk:"id"`
	Title           types.String `tfsdk:"title"`
	CreatedBy       types.String `tfsdk:"created_by"`
	CreatedByUserID types.Int64  `tfsdk:"created_by_user_id"`
	LastModifiedBy  types.String `tfsdk:"last_modified_by"`
	LastModifiedOn  types.String `tfsdk:"last_modified_on"`
}

func savedQueryModelFromAPI(q *client.SavedQueryDetail) savedQueryModel {
	m := savedQueryModel{
		ID:              types.Int64Value(q.ID),
		Title:           types.StringValue(q.Title),
		CreatedBy:       optionalString(q.CreatedBy.Login()),
		CreatedByUserID: types.Int64Null(),
		LastModifiedBy:  optionalString(q.LastModifiedBy.Login()),
		LastModifiedOn:  optionalTime(q.LastModifiedOn),
	}
	if q.CreatedBy != nil && q.CreatedBy.ID != 0 {
		m.CreatedByUserID = types.Int64Value(q.CreatedBy.ID)
	}
	return m
}

// savedQueryDocs describes each computed attribute of a saved query.
var savedQueryDocs = map[string]string{
	"created_by":         "Login name of the query's creator, its owner.",
	"created_by_user_id": "Id of the query's creator on this server.",
	"last_modified_by":   "Login name of the user who saved the query last; null when the server names none.",
	"last_modified_on":   "When the query was saved last, RFC 3339 in UTC; null when the server tells none.",
}

func (d *savedQueryDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_saved_query"
}

func (d *savedQueryDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := computedAttributes(savedQueryDocs, []string{"created_by_user_id"}, nil)
	attrs["id"] = schema.Int64Attribute{
		MarkdownDescription: "Id of the saved query to read. Read by id, any query that is not deleted is found, shared with " +
			"this user or not (the server checks only the right to read queries). Exactly one of `id` and `title` must be set.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.Int64{int64validator.AtLeast(1)},
	}
	attrs["title"] = schema.StringAttribute{
		MarkdownDescription: "Exact title of the saved query to read (case-sensitive), among the queries this user sees: " +
			"the way to refer to a query whose id differs between servers. No such query, or several (titles need not be " +
			"unique), is an error that lists the queries whose title contains it. Exactly one of `id` and `title` must be set.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{useNullNotEmpty()},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one saved query, by exact title or by id. Refer to a saved query by name, because ids " +
			"differ between a test server and production: for example to give `openspecimen_scheduled_job` the " +
			"`saved_query_id` of the query \"Specimens by collection protocol\" on whichever server the configuration runs " +
			"against. A non-admin user sees the queries it created and those shared with it (through a shared folder).",
		Attributes: attrs,
	}
}

func (d *savedQueryDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("title")),
	}
}

func (d *savedQueryDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *savedQueryDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg savedQueryModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !d.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	var q *client.SavedQueryDetail
	if !cfg.Title.IsNull() {
		q = d.queryByTitle(ctx, cfg.Title.ValueString(), &resp.Diagnostics)
	} else {
		q = d.queryByID(ctx, cfg.ID.ValueInt64(), &resp.Diagnostics)
	}
	if q == nil {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, savedQueryModelFromAPI(q))...)
}

func (d *savedQueryDataSource) queryByTitle(ctx context.Context, title string, diags *diag.Diagnostics) *client.SavedQueryDetail {
	q, err := d.data.client.SavedQueryByTitle(ctx, title)
	var te *client.SavedQueryTitleError
	switch {
	case errors.As(err, &te):
		diags.AddAttributeError(path.Root("title"), "No single saved query of that title",
			upperFirst(err.Error())+". Check title against the Queries view, or use id.")
	case err != nil:
		diags.AddError("Cannot list saved queries", fmt.Sprintf("Looking up the saved query %q failed: %s. "+
			"Check that the server is up and that this user may read queries, then plan again.", title, err))
	}
	return q
}

func (d *savedQueryDataSource) queryByID(ctx context.Context, id int64, diags *diag.Diagnostics) *client.SavedQueryDetail {
	q, err := d.data.client.GetSavedQuery(ctx, id)
	switch {
	case client.IsCode(err, client.CodeSavedQueryNotFound):
		diags.AddAttributeError(path.Root("id"), "Saved query not found",
			fmt.Sprintf("Saved query %d does not exist in OpenSpecimen, or was deleted. Check id, or refer to the query by title: ids differ between servers.", id))
	case err != nil:
		diags.AddError("Cannot read saved query", fmt.Sprintf("Reading saved query %d failed: %s", id, err))
	}
	return q
}
