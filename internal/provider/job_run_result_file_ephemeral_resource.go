package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var (
	_ ephemeral.EphemeralResource              = (*jobRunResultFileEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*jobRunResultFileEphemeralResource)(nil)
)

// jobRunResultFileEphemeralResource is the data source without a trace: the file's bytes
// reach other providers' arguments but are never written to a plan or the state, which is
// what patient data needs.
type jobRunResultFileEphemeralResource struct {
	data *providerData
}

// NewJobRunResultFileEphemeralResource is the factory the provider registers.
func NewJobRunResultFileEphemeralResource() ephemeral.EphemeralResource {
	return &jobRunResultFileEphemeralResource{}
}

func (e *jobRunResultFileEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_run_result_file"
}

func (e *jobRunResultFileEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: resultFileDoc + " As an ephemeral resource it is never written to the plan or the state: " +
			"use it to hand the file to another provider without persisting its contents. Needs Terraform 1.10 or OpenTofu 1.11.",
		Attributes: map[string]schema.Attribute{
			"job_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the scheduled job.",
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"run_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the run, usually `openspecimen_job_run.<name>.run_id`.",
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"unzip": schema.BoolAttribute{MarkdownDescription: unzipDoc, Optional: true},
			"entry": schema.StringAttribute{
				MarkdownDescription: entryDoc,
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"filename":       schema.StringAttribute{MarkdownDescription: "The file's name (after unzipping).", Computed: true},
			"content_type":   schema.StringAttribute{MarkdownDescription: "The file's media type.", Computed: true},
			"size":           schema.Int64Attribute{MarkdownDescription: "The file's size in bytes.", Computed: true},
			"sha256":         schema.StringAttribute{MarkdownDescription: "Hex SHA-256 of the file's bytes.", Computed: true},
			"content":        schema.StringAttribute{MarkdownDescription: contentDoc, Computed: true, Sensitive: true},
			"content_base64": schema.StringAttribute{MarkdownDescription: contentBase64Doc, Computed: true, Sensitive: true},
		},
	}
}

func (e *jobRunResultFileEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (e *jobRunResultFileEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m resultFileModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.fetch(ctx, e.data.client, "", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
