package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// Two dates are one when they name the same millisecond, in any notation; dates a
// millisecond apart, or a second apart in the same notation, are not.
func TestDateValueSemanticEquals(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", true},
		{"2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", true},
		{"2025-12-31T19:00:00-05:00", "2026-01-01T00:00:00.000Z", true},
		{"2026-01-01T00:00:00.999Z", "2026-01-01T00:00:00.9994Z", true},
		{"2026-01-01T00:00:00.999Z", "2026-01-01T00:00:00Z", false},
		{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00+01:00", false},
		{"2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", false},
		{"2026-01-01T00:00:00Z", "not a date", false},
	} {
		same, diags := dateOf(tc.a).StringSemanticEquals(t.Context(), dateOf(tc.b))
		if same != tc.same || diags.HasError() {
			t.Errorf("%s and %s: same %t (%v), want %t", tc.a, tc.b, same, diags, tc.same)
		}
	}
	if same, _ := dateNull().StringSemanticEquals(t.Context(), dateNull()); same {
		t.Error("two null dates are semantically equal: the framework compares only known values")
	}
}

// A job's date reads as the server's, in UTC, with its milliseconds when it has any.
func TestJobDate(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2100, 1, 1, 23, 59, 59, 999e6, time.UTC), "2100-01-01T23:59:59.999Z"},
		{time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), "2026-01-01T00:00:00Z"},
	} {
		if got := jobDate(&client.EpochMillis{Time: tc.at}); got.ValueString() != tc.want {
			t.Errorf("jobDate(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	if got := jobDate(nil); !got.IsNull() {
		t.Errorf("no date gave %s", got)
	}
}

// The plan keeps the date in state when the configuration names the same instant, and takes
// the configuration's otherwise.
func TestSameDateAsState(t *testing.T) {
	for _, tc := range []struct {
		config, state types.String
		want          types.String
	}{
		{types.StringValue("2026-01-01T01:00:00+01:00"), types.StringValue("2026-01-01T00:00:00Z"), types.StringValue("2026-01-01T00:00:00Z")},
		{types.StringValue("2026-01-02T00:00:00Z"), types.StringValue("2026-01-01T00:00:00Z"), types.StringValue("2026-01-02T00:00:00Z")},
		{types.StringValue("2026-01-01T00:00:00Z"), types.StringNull(), types.StringValue("2026-01-01T00:00:00Z")},
		{types.StringNull(), types.StringValue("2026-01-01T00:00:00Z"), types.StringNull()},
		{types.StringUnknown(), types.StringValue("2026-01-01T00:00:00Z"), types.StringUnknown()},
	} {
		req := planmodifier.StringRequest{ConfigValue: tc.config, StateValue: tc.state, PlanValue: tc.config}
		resp := planmodifier.StringResponse{PlanValue: req.PlanValue}
		sameDateAsState{}.PlanModifyString(t.Context(), req, &resp)
		if !resp.PlanValue.Equal(tc.want) {
			t.Errorf("config %s, state %s: planned %s, want %s", tc.config, tc.state, resp.PlanValue, tc.want)
		}
	}
}

// A text that is no RFC 3339 date is refused, showing one.
func TestDateValueValidate(t *testing.T) {
	var resp xattr.ValidateAttributeResponse
	dateOf("2026-02-01").ValidateAttribute(t.Context(), xattr.ValidateAttributeRequest{Path: path.Root("start_date")}, &resp)
	if !resp.Diagnostics.HasError() || resp.Diagnostics[0].Summary() != "Invalid date" {
		t.Fatalf("diagnostics %v, want Invalid date", resp.Diagnostics)
	}
	resp = xattr.ValidateAttributeResponse{}
	dateOf("2026-02-01T00:00:00+05:30").ValidateAttribute(t.Context(), xattr.ValidateAttributeRequest{Path: path.Root("start_date")}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("a valid date refused: %v", resp.Diagnostics)
	}
}
