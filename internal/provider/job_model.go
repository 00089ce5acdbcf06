package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	resourceschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// scheduledJobModel is a scheduled job as openspecimen_scheduled_job holds it; the data
// sources and the list resource show the same attributes (jobModel).
type scheduledJobModel struct {
	ID                types.Int64  `tfsdk:"id"`
	Name              types.String `tfsdk:"name"`
	Type              types.String `tfsdk:"type"`
	SavedQueryID      types.Int64  `tfsdk:"saved_query_id"`
	TaskClass         types.String `tfsdk:"task_class"`
	Command           types.String `tfsdk:"command"`
	RepeatSchedule    types.String `tfsdk:"repeat_schedule"`
	MinutelyInterval  types.Int64  `tfsdk:"minutely_interval"`
	HourlyInterval    types.Int64  `tfsdk:"hourly_interval"`
	Hour              types.Int64  `tfsdk:"hour"`
	Minute            types.Int64  `tfsdk:"minute"`
	DayOfWeek         types.String `tfsdk:"day_of_week"`
	DayOfMonth        types.Int64  `tfsdk:"day_of_month"`
	StartDate         dateValue    `tfsdk:"start_date"`
	EndDate           dateValue    `tfsdk:"end_date"`
	Enabled           types.Bool   `tfsdk:"enabled"`
	RunAsUserID       types.Int64  `tfsdk:"run_as_user_id"`
	RecipientUserIDs  types.Set    `tfsdk:"recipient_user_ids"`
	SharedWithUserIDs types.Set    `tfsdk:"shared_with_user_ids"`
	FixedArgs         types.String `tfsdk:"fixed_args"`
	AcceptsArgs       types.Bool   `tfsdk:"accepts_args"`
	ArgsHelpText      types.String `tfsdk:"args_help_text"`
	CreatedBy         types.String `tfsdk:"created_by"`
	NextRunOn         types.String `tfsdk:"next_run_on"`
	Active            types.Bool   `tfsdk:"active"`
}

// jobModel is a scheduled job as the data sources show it: every attribute of the
// resource, and what only a read knows.
type jobModel struct {
	scheduledJobModel
	LastRunOn types.String `tfsdk:"last_run_on"`
}

func jobModelFromAPI(ctx context.Context, j *client.Job, diags *diag.Diagnostics) jobModel {
	var m jobModel
	m.readFrom(ctx, j, diags)
	m.LastRunOn = optionalTime(j.LastRunOn)
	return m
}

// readFrom sets every attribute from the job as the server answers it. Of the type's and the
// schedule's attributes, only those the job's type and repeat schedule use are read. Dates
// are the server's, to the millisecond; the framework keeps the text of a date in the plan or
// the prior state that names the same instant (dateValue). A "" in m of an attribute the
// server answers none of stays "": the same unset value (keepUnset).
func (m *scheduledJobModel) readFrom(ctx context.Context, j *client.Job, diags *diag.Diagnostics) {
	kind := j.RepeatSchedule
	m.ID = types.Int64Value(j.ID)
	m.Name = types.StringValue(j.Name)
	m.Type = types.StringValue(j.Type)
	m.RepeatSchedule = types.StringValue(kind)
	m.SavedQueryID = types.Int64Null()
	if j.Type == "QUERY" && j.SavedQuery != nil {
		m.SavedQueryID = types.Int64Value(j.SavedQuery.ID)
	}
	m.TaskClass = keepUnset(m.TaskClass, usedString(j.Type == "INTERNAL", j.TaskImplFqn))
	m.Command = keepUnset(m.Command, usedString(j.Type == "EXTERNAL", j.Command))
	m.MinutelyInterval = usedInt(usesSchedule(kind, "minutely_interval"), j.MinutelyInterval)
	m.HourlyInterval = usedInt(usesSchedule(kind, "hourly_interval"), j.HourlyInterval)
	m.Hour = usedInt(usesSchedule(kind, "hour"), j.ScheduledHour)
	m.Minute = usedInt(usesSchedule(kind, "minute"), j.ScheduledMinute)
	m.DayOfWeek = keepUnset(m.DayOfWeek, usedString(usesSchedule(kind, "day_of_week"), j.ScheduledDayOfWeek))
	m.DayOfMonth = usedInt(usesSchedule(kind, "day_of_month"), j.ScheduledDayOfMonth)
	m.StartDate = jobDate(j.StartDate)
	m.EndDate = keepUnset(m.EndDate, jobDate(j.EndDate))
	m.Enabled = types.BoolValue(!j.Disabled())
	m.RunAsUserID = types.Int64Null()
	if j.RunAs != nil && j.RunAs.ID != 0 {
		m.RunAsUserID = types.Int64Value(j.RunAs.ID)
	}
	m.RecipientUserIDs = userIDSet(ctx, j.Recipients, diags)
	m.SharedWithUserIDs = userIDSet(ctx, j.SharedWith, diags)
	m.FixedArgs = keepUnset(m.FixedArgs, usedString(true, j.FixedArgs))
	m.AcceptsArgs = types.BoolValue(j.AcceptsArgs())
	m.ArgsHelpText = keepUnset(m.ArgsHelpText, optionalString(j.ArgsHelpText()))
	m.CreatedBy = optionalString(j.CreatedBy.Login())
	m.NextRunOn = optionalTime(nextRunMinute(j.NextRunOn))
	m.Active = types.BoolValue(j.Active())
}

// nextRunMinute is the minute a job's schedule runs it next. OpenSpecimen answers nextRunOn
// with the seconds and milliseconds of the moment it was read (ScheduledJobDetail.from),
// which schedules, firing at whole minutes, do not have: kept, every refresh would change it.
func nextRunMinute(t *client.EpochMillis) *client.EpochMillis {
	if t == nil {
		return nil
	}
	return &client.EpochMillis{Time: t.Truncate(time.Minute)}
}

// usedString is s when the job uses the attribute and s is not empty, else null.
func usedString(used bool, s *string) types.String {
	if !used || s == nil {
		return types.StringNull()
	}
	return optionalString(*s)
}

func usedInt(used bool, i *int) types.Int64 {
	if !used || i == nil {
		return types.Int64Null()
	}
	return types.Int64Value(int64(*i))
}

// jobDate is a job's start or end date as RFC 3339 in UTC, with its milliseconds when it has
// any, so that the date sent back by an update is the server's to the millisecond; null
// when the job has none.
func jobDate(t *client.EpochMillis) dateValue {
	if t == nil {
		return dateNull()
	}
	return dateOf(t.UTC().Format("2006-01-02T15:04:05.999Z07:00"))
}

func userIDSet(ctx context.Context, users []client.User, diags *diag.Diagnostics) types.Set {
	ids := []int64{}
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	set, d := types.SetValueFrom(ctx, types.Int64Type, ids)
	diags.Append(d...)
	return set
}

// jobDocs says what each attribute of a job holds, for every type that shows one: the
// resource adds how to set it.
var jobDocs = map[string]string{
	"id":   "The job's id.",
	"name": "The job's name.",
	"type": "`QUERY` (a saved-query export), `INTERNAL` or `EXTERNAL`.",
	"saved_query_id": "Id of the saved query a `QUERY` job exports (`data.openspecimen_saved_query` finds it by " +
		"title); null for the other types.",
	"task_class": "Fully qualified Java class of the task an `INTERNAL` job runs (its `taskImplFqn`); null for " +
		"the other types.",
	"command":         "Command line an `EXTERNAL` job runs; null for the other types.",
	"repeat_schedule": "`ONDEMAND`, `MINUTELY`, `HOURLY`, `DAILY`, `WEEKLY` or `MONTHLY`.",
	"minutely_interval": "A `MINUTELY` job runs every this many minutes (0 runs it every minute, as 1 does); null " +
		"for the other schedules.",
	"hourly_interval": "An `HOURLY` job runs every this many hours; null for the other schedules.",
	"hour": "Hour of the day the job runs, 0-23, in the server's time zone: `DAILY`, `WEEKLY` and `MONTHLY` " +
		"schedules; null for the others.",
	"minute": "Minute of the hour the job runs, 0-59: `HOURLY`, `DAILY`, `WEEKLY` and `MONTHLY` schedules; null " +
		"for the others.",
	"day_of_week":  "Day a `WEEKLY` job runs, `SUNDAY` to `SATURDAY`; null for the other schedules.",
	"day_of_month": "Day of the month a `MONTHLY` job runs, 1-31; null for the other schedules.",
	"start_date": "When the schedule starts, RFC 3339, to the millisecond (`2025-01-01T23:59:59.999Z`). The same " +
		"instant in another notation (`2025-01-02T00:59:59.999+01:00`) is the same date.",
	"end_date": "When the schedule ends, RFC 3339, as `start_date`; null when it never ends.",
	"enabled": "Whether the job is `Active` (`true`) or `Disabled` (`false`). A disabled job runs neither on its " +
		"schedule nor on a trigger, and OpenSpecimen's job lists and name look-ups leave it out: it is found by id only.",
	"run_as_user_id": "Id of the user the job's scheduled runs run as (`data.openspecimen_user` finds it by login " +
		"name); null when none is set, and OpenSpecimen then runs them as its system user.",
	"recipient_user_ids":   "Ids of the users who receive the job's result files, and may download them.",
	"shared_with_user_ids": "Ids of the users the job is shared with: they see, read and run it.",
	"fixed_args":           "Arguments given to every run, before a run's own `args`; null when none.",
	"accepts_args":         "Whether the job takes run-time arguments (`args` of `openspecimen_job_run`).",
	"args_help_text":       "The job's help text for its run-time arguments; null when none.",
	"created_by":           "Login name of the job's creator.",
	"next_run_on": "When the schedule runs the job next, to the minute, RFC 3339 in UTC; null for an on-demand job. " +
		"OpenSpecimen computes it whatever the job's status and dates: a disabled job, or one past its end date, has " +
		"one too.",
	"active": "Whether the server would run a trigger of the job now (its `isActiveJob`): `Active`, and for a " +
		"`QUERY` job its saved query still exists. A trigger of a job that is not active is dropped by the server.",
	"last_run_on": "When the job's newest run started, RFC 3339 in UTC; null when it never ran. In a list of jobs " +
		"(`openspecimen_scheduled_jobs`, or a job read by `name`) it is OpenSpecimen's own `lastRunOn`; a job read by " +
		"`id` takes it from the newest run this user can see (on the newest server line, a non-admin sees only its own runs).",
}

// jobFilterDocs describes the filters of a job list, for the data source and the list
// resource.
var jobFilterDocs = map[string]string{
	"name_contains": "Only jobs whose name contains this text, in any case (`%` and `_` are plain characters here).",
	"type":          "Only jobs of this type: `QUERY`, `INTERNAL` or `EXTERNAL`.",
}

// jobFilterModel is the filters of a job list: those of the openspecimen_scheduled_jobs data
// source and of the scheduled job list resource (jobFilterDocs describes them).
type jobFilterModel struct {
	NameContains types.String `tfsdk:"name_contains"`
	Type         types.String `tfsdk:"type"`
}

// listJobs answers the jobs that m keeps. A failed list is reported, saying to check the
// server and then to do again.
func (m *jobFilterModel) listJobs(ctx context.Context, c *client.Client, again string, diags *diag.Diagnostics) ([]client.Job, bool) {
	jobs, err := c.ListJobs(ctx, client.JobFilter{NameContains: m.NameContains.ValueString(), Type: m.Type.ValueString()})
	if err != nil {
		diags.AddError("Cannot list jobs", fmt.Sprintf("Listing the scheduled jobs failed: %s. Check that the server is up, then %s.", err, again))
		return nil, false
	}
	return jobs, true
}

// jobTypeValidators accept the job types OpenSpecimen knows.
var jobTypeValidators = []validator.String{stringvalidator.OneOf(slices.Sorted(maps.Keys(jobTypes))...)}

// jobAttributes describes jobModel for data sources: each attribute of the resource, computed,
// with its type, and last_run_on.
func jobAttributes() map[string]schema.Attribute {
	var resp resource.SchemaResponse
	(&scheduledJobResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	attrs := map[string]schema.Attribute{
		"last_run_on": schema.StringAttribute{Computed: true, MarkdownDescription: jobDocs["last_run_on"]},
	}
	for name, a := range resp.Schema.Attributes {
		attrs[name] = computedLike(a, jobDocs[name])
	}
	return attrs
}

// computedLike is a computed data source attribute of a's type, described by doc.
func computedLike(a resourceschema.Attribute, doc string) schema.Attribute {
	switch a := a.(type) {
	case resourceschema.StringAttribute:
		return schema.StringAttribute{Computed: true, MarkdownDescription: doc, CustomType: a.CustomType}
	case resourceschema.Int64Attribute:
		return schema.Int64Attribute{Computed: true, MarkdownDescription: doc}
	case resourceschema.BoolAttribute:
		return schema.BoolAttribute{Computed: true, MarkdownDescription: doc}
	case resourceschema.SetAttribute:
		return schema.SetAttribute{Computed: true, MarkdownDescription: doc, ElementType: a.ElementType}
	}
	// TestJobAttributesMatchResource fails on any other kind.
	return schema.DynamicAttribute{Computed: true, MarkdownDescription: doc}
}

// jobObjectType is jobModel's type as an object, from the schema's job attributes.
var jobObjectType = objectTypeOf(jobAttributes())
