package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	osprovider "github.com/openspecimen-iac/terraform-provider-openspecimen/internal/provider"
)

// provider drives the real provider over its plugin protocol in this process, as Terraform
// would over gRPC: the same schema, configuration, data source code and state encoding, but
// no Terraform CLI around it, so that what is measured is the provider alone.
type provider struct {
	srv    tfprotov6.ProviderServer
	schema *tfprotov6.GetProviderSchemaResponse
}

// newProvider answers a provider configured for the mock at url, as its admin.
func newProvider(ctx context.Context, url string) (*provider, error) {
	attrs := map[string]tftypes.Value{"url": str(url), "username": str(user), "password": str(password)}
	srv := providerserver.NewProtocol6(osprovider.New("bench")())()
	sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, err
	}
	if err := diagErr(sch.Diagnostics); err != nil {
		return nil, err
	}
	p := &provider{srv: srv, schema: sch}
	cfg, err := dynamicValue(sch.Provider, attrs)
	if err != nil {
		return nil, err
	}
	resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg, TerraformVersion: "1.5.7"})
	if err != nil {
		return nil, err
	}
	if err := diagErr(resp.Diagnostics); err != nil {
		return nil, fmt.Errorf("configuring the provider: %w", err)
	}
	return p, nil
}

// readDataSource reads data source typeName with attrs (the rest null) and answers its state.
func (p *provider) readDataSource(ctx context.Context, typeName string, attrs map[string]tftypes.Value) (map[string]tftypes.Value, error) {
	sch, ok := p.schema.DataSourceSchemas[typeName]
	if !ok {
		return nil, fmt.Errorf("no data source %s", typeName)
	}
	cfg, err := dynamicValue(sch, attrs)
	if err != nil {
		return nil, err
	}
	resp, err := p.srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typeName, Config: cfg})
	if err != nil {
		return nil, err
	}
	if err := diagErr(resp.Diagnostics); err != nil {
		return nil, err
	}
	v, err := resp.State.Unmarshal(sch.ValueType())
	if err != nil {
		return nil, err
	}
	out := map[string]tftypes.Value{}
	if err := v.As(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// dynamicValue encodes an object of sch's type with attrs set and every other attribute null.
func dynamicValue(sch *tfprotov6.Schema, attrs map[string]tftypes.Value) (*tfprotov6.DynamicValue, error) {
	typ, ok := sch.ValueType().(tftypes.Object)
	if !ok {
		return nil, fmt.Errorf("schema value type %s is not an object", sch.ValueType())
	}
	vals := map[string]tftypes.Value{}
	for name, t := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(t, nil)
	}
	for name, v := range attrs {
		if _, ok := typ.AttributeTypes[name]; !ok {
			return nil, fmt.Errorf("no attribute %q", name)
		}
		vals[name] = v
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		return nil, err
	}
	return &dv, nil
}

func diagErr(ds []*tfprotov6.Diagnostic) error {
	var msgs []string
	for _, d := range ds {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			msgs = append(msgs, d.Summary+": "+d.Detail)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// str and num build attribute values.
func str(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

func num(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }
