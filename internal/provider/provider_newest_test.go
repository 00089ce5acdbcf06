package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// Configure hands the client to the action and the list resource as to every other kind.
func TestProviderConfigure_handsClientToNewestKinds(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	ctx := t.Context()
	p := New("test")()
	var sr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the provider's schema is a %T, want an object", sr.Schema.Type().TerraformType(ctx))
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["url"] = tftypes.NewValue(tftypes.String, s.URL())
	vals["username"] = tftypes.NewValue(tftypes.String, "admin")
	vals["password"] = tftypes.NewValue(tftypes.String, "Admin@123")
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Raw: tftypes.NewValue(typ, vals), Schema: sr.Schema}}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("Configure: %v", resp.Diagnostics)
	}
	if resp.ResourceData == nil || resp.ActionData != resp.ResourceData || resp.ListResourceData != resp.ResourceData {
		t.Errorf("Configure handed resources %v, actions %v, list resources %v: want the same client for all",
			resp.ResourceData, resp.ActionData, resp.ListResourceData)
	}
}
