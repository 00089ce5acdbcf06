package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.ConfigValidator = unzipDecodeConflict{}
	_ ephemeral.ConfigValidator  = unzipDecodeConflict{}
)

// unzipDecodeConflict refuses `unzip = false` with `decode = "csv"`, for the result file's
// data source and ephemeral resource: unzip = false keeps a zip as it is, which no CSV
// decoding reads, and changes nothing for a file that is no zip.
type unzipDecodeConflict struct{}

func (unzipDecodeConflict) Description(context.Context) string {
	return `unzip = false conflicts with decode = "csv"`
}

func (v unzipDecodeConflict) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v unzipDecodeConflict) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	resp.Diagnostics.Append(v.validate(ctx, req.Config)...)
}

func (v unzipDecodeConflict) ValidateEphemeralResource(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	resp.Diagnostics.Append(v.validate(ctx, req.Config)...)
}

func (unzipDecodeConflict) validate(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var unzip types.Bool
	var decode types.String
	diags := config.GetAttribute(ctx, path.Root("unzip"), &unzip)
	diags.Append(config.GetAttribute(ctx, path.Root("decode"), &decode)...)
	if diags.HasError() || unzip.IsNull() || unzip.IsUnknown() || unzip.ValueBool() || decode.ValueString() != decodeCSV {
		return diags
	}
	diags.AddAttributeError(path.Root("unzip"), "Conflicting unzip and decode",
		`unzip = false keeps a zip (a saved-query export is one) as it is, and decode = "csv" cannot read a zip; `+
			`for a file that is no zip, unzip changes nothing. Remove unzip = false to decode the CSV, or remove decode `+
			`to read the zip's bytes in content_base64.`)
	return diags
}
