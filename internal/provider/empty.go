package provider

import (
	"context"
	"fmt"
	"time"

	actionschema "github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	resourceschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The empty string is unset, wherever unset has a meaning: an argument left out, a filter
// that filters nothing, a default. A configuration passes variables through (`args =
// var.args`, whose default is ""), and a "" there must work as null does. Every string
// attribute follows one of two rules (DESIGN.md, "Empty strings"):
//
//   - "" is unset: its validators let it pass (emptyIsUnset), the code reads it with isUnset,
//     and a change between "" and null replaces nothing (requiresReplaceIfSet) and, in a
//     resource's state, is not a difference from the server's null (keepUnset);
//   - "" cannot stand for unset, where an attribute left out is computed (the state would have
//     to hold "" instead of the value learnt): it is refused, saying to use null
//     (useNullNotEmpty). A required attribute has no unset: its own validators refuse "".

// stringValue is a string attribute's value: types.String, or a custom type on it (dateValue).
type stringValue interface {
	IsNull() bool
	IsUnknown() bool
	ValueString() string
}

// isUnset reports whether v is null or "": unset, by the one rule.
func isUnset(v stringValue) bool {
	return v.IsNull() || !v.IsUnknown() && v.ValueString() == ""
}

// emptyIsUnset wraps a string attribute's validators so that "" passes them, as null does.
func emptyIsUnset(vs ...validator.String) []validator.String {
	return []validator.String{emptyOrValid{vs}}
}

// emptyOrValid runs its validators on values other than "".
type emptyOrValid struct{ validators []validator.String }

func (v emptyOrValid) Description(ctx context.Context) string {
	return "\"\" (unset), or a value that " + v.describe(ctx, validator.String.Description)
}

func (v emptyOrValid) MarkdownDescription(ctx context.Context) string {
	return "`\"\"` (unset), or a value that " + v.describe(ctx, validator.String.MarkdownDescription)
}

func (v emptyOrValid) describe(ctx context.Context, of func(validator.String, context.Context) string) string {
	out := ""
	for i, inner := range v.validators {
		if i > 0 {
			out += ", and "
		}
		out += of(inner, ctx)
	}
	return out
}

func (v emptyOrValid) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if isUnset(req.ConfigValue) {
		return
	}
	for _, inner := range v.validators {
		inner.ValidateString(ctx, req, resp)
	}
}

// useNullNotEmpty refuses "" where it cannot stand for unset: an attribute computed when left
// out, whose state would have to hold "" instead of the value the provider learns.
func useNullNotEmpty() validator.String { return useNull{} }

type useNull struct{}

func (useNull) Description(context.Context) string {
	return "must not be \"\": leave it out (null) to leave it unset"
}

func (v useNull) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (useNull) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueString() != "" {
		return
	}
	name := req.Path.String()
	resp.Diagnostics.AddAttributeError(req.Path, "Empty "+name, fmt.Sprintf("%s is \"\", which names nothing. To leave "+
		"it unset, use null (for a variable that may be empty: %s = var.x != \"\" ? var.x : null).", name, name))
}

// requiresSet is AlsoRequires with "" for unset: the attribute it is on, when set, needs the
// attributes of paths set too (not null, not "").
type requiresSet struct{ paths []path.Expression }

func (v requiresSet) Description(context.Context) string {
	return fmt.Sprintf("needs %v set too", v.paths)
}

func (v requiresSet) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v requiresSet) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if !isUnset(req.ConfigValue) {
		v.check(ctx, req.Config, req.Path, req.PathExpression, &resp.Diagnostics)
	}
}

func (v requiresSet) ValidateBool(ctx context.Context, req validator.BoolRequest, resp *validator.BoolResponse) {
	if !req.ConfigValue.IsNull() {
		v.check(ctx, req.Config, req.Path, req.PathExpression, &resp.Diagnostics)
	}
}

// check reports each path of v whose value in config is unset (null or "").
func (v requiresSet) check(ctx context.Context, config interface {
	PathMatches(context.Context, path.Expression) (path.Paths, diag.Diagnostics)
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}, at path.Path, expr path.Expression, diags *diag.Diagnostics) {
	for _, e := range v.paths {
		matched, d := config.PathMatches(ctx, expr.Merge(e))
		diags.Append(d...)
		for _, p := range matched {
			var other attr.Value
			diags.Append(config.GetAttribute(ctx, p, &other)...)
			if s, ok := other.(types.String); other == nil || other.IsNull() || ok && isUnset(s) {
				diags.AddAttributeError(at, "Invalid Attribute Combination", fmt.Sprintf(
					"Attribute %q must be specified when %q is specified (\"\" is unset).", p, at))
			}
		}
	}
}

// requiresReplaceIfSet is RequiresReplace that takes "" and null for the same value: a change
// between them is recorded in place, and replaces (runs) nothing.
func requiresReplaceIfSet() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = req.PlanValue.IsUnknown() || isUnset(req.PlanValue) != isUnset(req.StateValue) ||
			!isUnset(req.PlanValue) && req.PlanValue.ValueString() != req.StateValue.ValueString()
	}, "Changing it replaces the resource; \"\" and null are the same value.",
		"Changing it replaces the resource; `\"\"` and `null` are the same value.")
}

// emptyStaysUnset plans an attribute that the configuration leaves out (null) as its state
// when that is "": a "" that becomes null is no change. Otherwise it leaves the plan alone, but
// for the unknown that the framework plans for a computed attribute left out, which it plans
// null. The attribute is optional and computed, so that its plan may differ from a null
// configuration.
func emptyStaysUnset() planmodifier.String { return emptyStays{} }

type emptyStays struct{}

func (emptyStays) Description(context.Context) string {
	return "left out, a \"\" in the state stays: it is the same unset value"
}

func (v emptyStays) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (emptyStays) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	switch {
	case !req.ConfigValue.IsNull():
	case !req.StateValue.IsNull() && !req.StateValue.IsUnknown() && req.StateValue.ValueString() == "":
		resp.PlanValue = req.StateValue
	case resp.PlanValue.IsUnknown():
		resp.PlanValue = types.StringNull()
	}
}

// keepUnset answers read, the value the server answers for an attribute whose unset it
// answers as null, or prior ("" in the state or the plan) when both are unset: a "" set in
// the configuration stays "" in the state, which Terraform needs, and is no difference.
func keepUnset[T stringValue](prior, read T) T {
	if isUnset(read) && !prior.IsNull() && isUnset(prior) {
		return prior
	}
	return read
}

// emptyTimeouts lets "" pass the validators of the durations of a resource's timeouts block
// (terraform-plugin-framework-timeouts): "" is the default, as null is; timeoutOf reads it.
func emptyTimeouts(b resourceschema.Block) resourceschema.Block {
	nb, ok := b.(resourceschema.SingleNestedBlock)
	if !ok {
		return b
	}
	attrs := make(map[string]resourceschema.Attribute, len(nb.Attributes))
	for name, a := range nb.Attributes {
		if sa, ok := a.(resourceschema.StringAttribute); ok {
			sa.Validators = emptyIsUnset(sa.Validators...)
			a = sa
		}
		attrs[name] = a
	}
	nb.Attributes = attrs
	return nb
}

// emptyActionTimeouts is emptyTimeouts for an action's timeouts block.
func emptyActionTimeouts(b actionschema.Block) actionschema.Block {
	nb, ok := b.(actionschema.SingleNestedBlock)
	if !ok {
		return b
	}
	attrs := make(map[string]actionschema.Attribute, len(nb.Attributes))
	for name, a := range nb.Attributes {
		if sa, ok := a.(actionschema.StringAttribute); ok {
			sa.Validators = emptyIsUnset(sa.Validators...)
			a = sa
		}
		attrs[name] = a
	}
	nb.Attributes = attrs
	return nb
}

// timeoutOf answers the duration name of a timeouts block, read by get (the timeouts
// package's Create, Update or Invoke), or the default, defaultCreateTimeout, when it is ""
// or null.
func timeoutOf(ctx context.Context, block types.Object, name string,
	get func(context.Context, time.Duration) (time.Duration, diag.Diagnostics),
) (time.Duration, diag.Diagnostics) {
	if v, ok := block.Attributes()[name].(types.String); ok && isUnset(v) {
		return defaultCreateTimeout, nil
	}
	return get(ctx, defaultCreateTimeout)
}
