package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// triggersRequireReplace is the plan modifier of openspecimen_job_run's triggers: a change
// of them runs the job again, but no triggers at all and an empty map are the same triggers,
// so `triggers = {}` removed, set to null, or written where there were none is recorded in
// place and runs nothing.
func triggersRequireReplace() planmodifier.Map {
	return mapplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !noTriggers(req.StateValue) || !noTriggers(req.PlanValue)
	}, "a change of triggers runs the job again; null and empty are the same triggers",
		"a change of `triggers` runs the job again; null and `{}` are the same triggers")
}

// noTriggers reports whether m is known to hold no trigger: null or empty.
func noTriggers(m types.Map) bool {
	return !m.IsUnknown() && len(m.Elements()) == 0
}
