package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A job's start_date and end_date are dateValues: RFC 3339 text (timetypes.RFC3339) that
// means an instant, kept by OpenSpecimen to the millisecond. Two values are semantically
// equal when they name the same millisecond, in any notation: "2025-01-01T01:00:00+01:00" and
// "2025-01-01T00:00:00.000Z" are one date. timetypes.RFC3339's own semantic equality is not
// that: it compares the texts as re-formatted in their own offsets, to the second, so the
// same instant in two offsets differs and two dates a few milliseconds apart do not.
var (
	_ basetypes.StringTypable                    = dateType{}
	_ basetypes.StringValuableWithSemanticEquals = dateValue{}
	_ xattr.ValidateableAttribute                = dateValue{}
)

// dateType is the type of dateValue.
type dateType struct{ basetypes.StringType }

func (dateType) String() string { return "provider.dateType" }

func (dateType) ValueType(context.Context) attr.Value { return dateValue{} }

func (t dateType) Equal(o attr.Type) bool {
	other, ok := o.(dateType)
	return ok && t.StringType.Equal(other.StringType)
}

func (dateType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return dateValue{RFC3339: timetypes.RFC3339{StringValue: in}}, nil
}

func (t dateType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return dateValue{RFC3339: timetypes.RFC3339{StringValue: s}}, nil
}

// dateValue is a date and time in RFC 3339 text, such as 2025-01-01T00:00:00Z.
type dateValue struct{ timetypes.RFC3339 }

func dateNull() dateValue { return dateValue{RFC3339: timetypes.NewRFC3339Null()} }

func dateOf(s string) dateValue {
	return dateValue{RFC3339: timetypes.RFC3339{StringValue: basetypes.NewStringValue(s)}}
}

func (dateValue) Type(context.Context) attr.Type { return dateType{} }

func (v dateValue) Equal(o attr.Value) bool {
	other, ok := o.(dateValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// instant answers the millisecond v names; ok is false for null, unknown or invalid values
// (ValidateAttribute reports these).
func (v dateValue) instant() (ms int64, ok bool) {
	t, ok := v.time()
	return t.UnixMilli(), ok
}

// time answers the time v names; ok is false for null, unknown or invalid values.
func (v dateValue) time() (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	return t, err == nil
}

// StringSemanticEquals reports whether the two dates name the same millisecond.
func (v dateValue) StringSemanticEquals(_ context.Context, other basetypes.StringValuable) (bool, diag.Diagnostics) {
	o, ok := other.(dateValue)
	if !ok {
		return false, nil
	}
	a, okA := v.instant()
	b, okB := o.instant()
	return okA && okB && a == b, nil
}

// ValidateAttribute refuses a text that is not an RFC 3339 date and time, saying what one
// looks like. "" is unset, which the attribute's own validators take or refuse.
func (v dateValue) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if isUnset(v) || v.IsUnknown() {
		return
	}
	if _, ok := v.time(); !ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid date", fmt.Sprintf(
			"%s %q is not an RFC 3339 date and time. Write it as 2025-01-01T00:00:00Z, or with an offset such as "+
				"2025-01-01T02:00:00+02:00.", req.Path, v.ValueString()))
	}
}

// sameDateAsState plans the date in state when the configuration names the same instant in
// another notation, so that rewriting a date changes nothing. The framework compares values
// semantically when it reads and applies, never when it plans.
type sameDateAsState struct{}

func (sameDateAsState) Description(context.Context) string {
	return "a date naming the same instant as the one in state is no change"
}

func (m sameDateAsState) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (sameDateAsState) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.StateValue.IsNull() || req.StateValue.IsUnknown() {
		return
	}
	config := dateValue{RFC3339: timetypes.RFC3339{StringValue: req.ConfigValue}}
	if same, _ := config.StringSemanticEquals(ctx, dateValue{RFC3339: timetypes.RFC3339{StringValue: req.StateValue}}); same {
		resp.PlanValue = req.StateValue
	}
}
