package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// jobModel is a scheduled job as the job data sources show it.
type jobModel struct {
	ID             types.Int64  `tfsdk:"id"`
	Name           types.String `tfsdk:"name"`
	Type           types.String `tfsdk:"type"`
	ActivityStatus types.String `tfsdk:"activity_status"`
	Active         types.Bool   `tfsdk:"active"`
	RepeatSchedule types.String `tfsdk:"repeat_schedule"`
	NextRunOn      types.String `tfsdk:"next_run_on"`
	LastRunOn      types.String `tfsdk:"last_run_on"`
	AcceptsArgs    types.Bool   `tfsdk:"accepts_args"`
	ArgsHelpText   types.String `tfsdk:"args_help_text"`
	CreatedBy      types.String `tfsdk:"created_by"`
	RunAs          types.String `tfsdk:"run_as"`
}

// object is the job as an object value (TestJobModelObjectMatchesSchema holds it to the schema).
func (m jobModel) object() types.Object {
	return types.ObjectValueMust(jobObjectType.AttrTypes, map[string]attr.Value{
		"id": m.ID, "name": m.Name, "type": m.Type, "activity_status": m.ActivityStatus, "active": m.Active,
		"repeat_schedule": m.RepeatSchedule, "next_run_on": m.NextRunOn, "last_run_on": m.LastRunOn,
		"accepts_args": m.AcceptsArgs, "args_help_text": m.ArgsHelpText, "created_by": m.CreatedBy, "run_as": m.RunAs,
	})
}

func jobModelFromAPI(j *client.Job) jobModel {
	return jobModel{
		ID:             types.Int64Value(j.ID),
		Name:           types.StringValue(j.Name),
		Type:           optionalString(j.Type),
		ActivityStatus: optionalString(j.ActivityStatus),
		Active:         types.BoolValue(j.Active()),
		RepeatSchedule: optionalString(j.RepeatSchedule),
		NextRunOn:      optionalTime(j.NextRunOn),
		LastRunOn:      optionalTime(j.LastRunOn),
		AcceptsArgs:    types.BoolValue(j.AcceptsArgs()),
		ArgsHelpText:   optionalString(j.ArgsHelpText()),
		CreatedBy:      optionalString(j.CreatedBy.Login()),
		RunAs:          optionalString(j.RunAs.Login()),
	}
}

// jobDocs describes each attribute of a job, for every schema that shows one.
var jobDocs = map[string]string{
	"id":              "The job's id.",
	"name":            "The job's name.",
	"type":            "`QUERY` (a saved-query export), `INTERNAL` or `EXTERNAL`.",
	"activity_status": "`Active` or `Disabled`.",
	"active": "Whether the server would run a trigger of the job now (its `isActiveJob`): `Active`, and for a " +
		"`QUERY` job its saved query still exists. A trigger of a job that is not active is dropped by the server.",
	"repeat_schedule": "`ONDEMAND`, `MINUTELY`, `HOURLY`, `DAILY`, `WEEKLY` or `MONTHLY`.",
	"next_run_on":     "When the schedule runs the job next, RFC 3339 in UTC; null for an on-demand or disabled job.",
	"last_run_on":     "When the job's newest run started, RFC 3339 in UTC; null when it never ran. In a list of jobs (`openspecimen_scheduled_jobs`, or a job read by `name`) it is OpenSpecimen's own `lastRunOn`; a job read by `id` takes it from the newest run this user can see (on the newest server line, a non-admin sees only its own runs).",
	"accepts_args":    "Whether the job takes run-time arguments (`args` of `openspecimen_job_run`).",
	"args_help_text":  "The job's help text for its run-time arguments; null when none.",
	"created_by":      "Login name of the job's creator.",
	"run_as":          "Login name of the user the job's scheduled runs run as; null when none is set.",
}

// jobAttributes describes jobModel for data sources.
func jobAttributes() map[string]schema.Attribute {
	return computedAttributes(jobDocs, []string{"id"}, []string{"active", "accepts_args"})
}

// jobObjectType is jobModel's type as an object, from the schema's job attributes.
var jobObjectType = objectTypeOf(jobAttributes())
