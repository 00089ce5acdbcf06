package provider

import (
	"context"

	datasourceschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
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
	attrs := map[string]schema.Attribute{}
	for _, a := range resultFileAttrs {
		attrs[a.name] = a.ephemeral()
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: resultFileDoc + " As an ephemeral resource it is never written to the plan or the state: " +
			"use it to hand the file, without persisting it, to what may take ephemeral values: a provisioner (such as " +
			"`local-exec` on a `terraform_data` resource, as in the example), a provider block, or a write-only argument " +
			"of another provider's resource. It is read whenever Terraform needs its values, in a plan and in an apply. " +
			"Needs Terraform 1.10 or OpenTofu 1.11.",
		Attributes: attrs,
	}
}

// ephemeral is the attribute as the data source has it (dataSource): the framework's schema
// packages declare the same attribute structs, so each converts to the other's.
func (a resultFileAttr) ephemeral() schema.Attribute {
	switch d := a.dataSource().(type) {
	case datasourceschema.Int64Attribute:
		return schema.Int64Attribute(d)
	case datasourceschema.BoolAttribute:
		return schema.BoolAttribute(d)
	case datasourceschema.MapAttribute:
		return schema.MapAttribute(d)
	case datasourceschema.ListAttribute:
		return schema.ListAttribute(d)
	case datasourceschema.StringAttribute:
		return schema.StringAttribute(d)
	}
	return nil // dataSource answers no other kind
}

func (e *jobRunResultFileEphemeralResource) ConfigValidators(context.Context) []ephemeral.ConfigValidator {
	return []ephemeral.ConfigValidator{unzipDecodeConflict{}}
}

func (e *jobRunResultFileEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (e *jobRunResultFileEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m resultFileModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !e.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	m.fetch(ctx, e.data, m.request(e.data.client.Settings()), true, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
