package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ resource.Resource                   = (*scheduledJobResource)(nil)
	_ resource.ResourceWithConfigure      = (*scheduledJobResource)(nil)
	_ resource.ResourceWithImportState    = (*scheduledJobResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*scheduledJobResource)(nil)
	_ resource.ResourceWithValidateConfig = (*scheduledJobResource)(nil)
)

// scheduledJobResource is a scheduled job's definition: create POSTs it, update PUTs all of
// it, delete is OpenSpecimen's soft delete.
type scheduledJobResource struct {
	data *providerData
}

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
	StartDate         types.String `tfsdk:"start_date"`
	EndDate           types.String `tfsdk:"end_date"`
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

// NewScheduledJobResource is the factory the provider registers.
func NewScheduledJobResource() resource.Resource {
	return &scheduledJobResource{}
}

func (r *scheduledJobResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scheduled_job"
}

// scheduledJobDescription opens docs/resources/scheduled_job.md.
const scheduledJobDescription = "Defines an OpenSpecimen scheduled job: what it runs (a saved query, an internal task, " +
	"a command), on what schedule, as whom, and who receives its files.\n\n" +
	"Create sends the job once. Update sends the whole job as the configuration describes it, in place. Each refresh " +
	"reads every attribute, so a change made in OpenSpecimen's UI shows in the plan and the next apply undoes it. The " +
	"schedule is checked at plan time with the server's rules.\n\n" +
	"**A create, update or delete cut short** (no answer, Ctrl-C, a timeout) is settled before the apply ends: the " +
	"provider looks the job up and the state records what OpenSpecimen has. A create whose job is not found then is " +
	"recorded without an `id`, with a warning, since the server may still be working on it: the next plan or apply " +
	"finds it and keeps it, or creates it. No job is left on the server outside the state, and none is made twice.\n\n" +
	"**Destroy is OpenSpecimen's soft delete**: the job is disabled and renamed `<name>_<digits>`, and stays on the " +
	"server with its runs and their files (readable by id; like every disabled job, left out of job lists). Its name " +
	"is free again, so that a replacement (`-replace`, taint, `replace_triggered_by`) keeps its name. A job found " +
	"deleted or gone at refresh is removed from the state with a warning.\n\n" +
	"Runs of the job are `openspecimen_job_run` resources with `job_id = openspecimen_scheduled_job.NAME.id`, which work " +
	"in the same apply; `replace_triggered_by` runs the job again after each change of it."

// scheduleKinds says, for each repeat_schedule, which schedule attributes it needs and which
// it may have (the server's defaults fill these); every other schedule attribute must be absent.
var scheduleKinds = map[string]struct{ required, optional []string }{
	"ONDEMAND": {},
	"MINUTELY": {optional: []string{"minutely_interval"}},
	"HOURLY":   {required: []string{"minute"}, optional: []string{"hourly_interval"}},
	"DAILY":    {required: []string{"hour", "minute"}},
	"WEEKLY":   {required: []string{"day_of_week", "hour", "minute"}},
	"MONTHLY":  {required: []string{"day_of_month", "hour", "minute"}},
}

// scheduleKindsDoc tells, from scheduleKinds, what each repeat schedule needs and may have.
func scheduleKindsDoc() string {
	code := func(attrs []string) string {
		quoted := make([]string, len(attrs))
		for i, a := range attrs {
			quoted[i] = "`" + a + "`"
		}
		return strings.Join(quoted, ", ")
	}
	var kinds []string
	for _, name := range slices.Sorted(maps.Keys(scheduleKinds)) {
		k := scheduleKinds[name]
		var says []string
		if len(k.required) > 0 {
			says = append(says, "needs "+code(k.required))
		}
		if len(k.optional) > 0 {
			says = append(says, "may have "+code(k.optional))
		}
		if len(says) == 0 {
			says = append(says, "has none")
		}
		kinds = append(kinds, "`"+name+"` "+strings.Join(says, " and "))
	}
	return strings.Join(kinds, "; ")
}

// scheduleAttrs are the schedule attributes, in the order messages list them.
var scheduleAttrs = []string{"minutely_interval", "hourly_interval", "day_of_week", "day_of_month", "hour", "minute"}

// jobTypes says which attribute each job type needs; the other two must be absent.
var jobTypes = map[string]string{"QUERY": "saved_query_id", "INTERNAL": "task_class", "EXTERNAL": "command"}

// usesSchedule reports whether the repeat schedule kind uses the schedule attribute.
func usesSchedule(kind, attr string) bool {
	k := scheduleKinds[kind]
	return slices.Contains(k.required, attr) || slices.Contains(k.optional, attr)
}

var daysOfWeek = []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}

func (r *scheduledJobResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	userIDs := []validator.Set{setvalidator.ValueInt64sAre(int64validator.AtLeast(1))}
	resp.Schema = schema.Schema{
		MarkdownDescription: scheduledJobDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: jobDocs["id"] + " Import a job by it.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: jobDocs["name"] + " Unique among the server's jobs that are not disabled, which " +
					"OpenSpecimen compares ignoring case. A name another job has, in any case, is a warning at plan time: " +
					"the apply waits up to " + client.NameWait.String() + " for that job to give it up (deleted or renamed by the same apply, as " +
					"an item leaving the middle of a `count` list renames the items after it), then fails, having " +
					"changed nothing. Key a list of jobs by name with `for_each`. A rename that changes only case " +
					"(`Nightly` to `NIGHTLY`) may be refused by the server, which finds the job itself: rename it through " +
					"another name first.",
				Required:   true,
				Validators: nonEmpty,
			},
			"type": schema.StringAttribute{
				MarkdownDescription: jobDocs["type"] + " `QUERY` needs `saved_query_id`, `INTERNAL` `task_class`, " +
					"`EXTERNAL` `command` (the newest OpenSpecimen line refuses `EXTERNAL` jobs).",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf("QUERY", "INTERNAL", "EXTERNAL")},
			},
			"saved_query_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the saved query the job exports. Required for `QUERY` jobs, absent otherwise.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"task_class": schema.StringAttribute{
				MarkdownDescription: "Fully qualified Java class of the task an `INTERNAL` job runs (its `taskImplFqn`), " +
					"present on the server. Required for `INTERNAL` jobs, absent otherwise.",
				Optional:   true,
				Validators: nonEmpty,
			},
			"command": schema.StringAttribute{
				MarkdownDescription: "Command line an `EXTERNAL` job runs. Required for `EXTERNAL` jobs, absent otherwise.",
				Optional:            true,
				Validators:          nonEmpty,
			},
			"repeat_schedule": schema.StringAttribute{
				MarkdownDescription: jobDocs["repeat_schedule"] + " Each kind needs its schedule attributes and refuses " +
					"the others: " + scheduleKindsDoc() + ". Times are in the server's time zone.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(slices.Sorted(maps.Keys(scheduleKinds))...)},
			},
			"minutely_interval": intervalAttribute("MINUTELY", "minutes", 0, " (0, which the server keeps, runs it every minute as 1 does)"),
			"hourly_interval":   intervalAttribute("HOURLY", "hours", 1, ""),
			"hour": schema.Int64Attribute{
				MarkdownDescription: "Hour of the day the job runs, 0-23: `DAILY`, `WEEKLY` and `MONTHLY` schedules.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(0, 23)},
			},
			"minute": schema.Int64Attribute{
				MarkdownDescription: "Minute of the hour the job runs, 0-59: `HOURLY`, `DAILY`, `WEEKLY` and `MONTHLY` schedules.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(0, 59)},
			},
			"day_of_week": schema.StringAttribute{
				MarkdownDescription: "Day a `WEEKLY` job runs: `SUNDAY` to `SATURDAY`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(daysOfWeek...)},
			},
			"day_of_month": schema.Int64Attribute{
				MarkdownDescription: "Day of the month a `MONTHLY` job runs, 1-31.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 31)},
			},
			"start_date": schema.StringAttribute{
				MarkdownDescription: "When the schedule starts, RFC 3339 (for example `2025-01-01T00:00:00Z`). " +
					"Unset, the server starts it at creation, and that date is kept. The server's dates are read to the " +
					"millisecond (`2025-01-01T23:59:59.999Z`).",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.String{rfc3339Validator{}},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"end_date": schema.StringAttribute{
				MarkdownDescription: "When the schedule ends, RFC 3339, not before `start_date`; unset, it never ends.",
				Optional:            true,
				Validators:          []validator.String{rfc3339Validator{}},
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the job is `Active` (`true`, the default) or `Disabled`. A disabled job " +
					"neither runs on its schedule nor on a trigger.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"run_as_user_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the user the job's scheduled runs run as; unset, the server's default.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"recipient_user_ids": schema.SetAttribute{
				MarkdownDescription: "Ids of the users who receive the job's result files (and may download them). Defaults to none.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.Int64Type,
				Default:             setdefault.StaticValue(types.SetValueMust(types.Int64Type, nil)),
				Validators:          userIDs,
			},
			"shared_with_user_ids": schema.SetAttribute{
				MarkdownDescription: "Ids of the users the job is shared with: they see, read and run it. Defaults to none.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.Int64Type,
				Default:             setdefault.StaticValue(types.SetValueMust(types.Int64Type, nil)),
				Validators:          userIDs,
			},
			"fixed_args": schema.StringAttribute{
				MarkdownDescription: "Arguments given to every run, before a run's own `args`.",
				Optional:            true,
				Validators:          emptyIsUnset(),
			},
			"accepts_args": schema.BoolAttribute{
				MarkdownDescription: jobDocs["accepts_args"] + " Defaults to `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"args_help_text": schema.StringAttribute{
				MarkdownDescription: "Help text for the job's run-time arguments, shown in OpenSpecimen.",
				Optional:            true,
				Validators:          emptyIsUnset(),
			},
			"created_by": schema.StringAttribute{
				MarkdownDescription: jobDocs["created_by"],
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"next_run_on": schema.StringAttribute{
				MarkdownDescription: jobDocs["next_run_on"] + " Read at each refresh: it moves on as the schedule runs.",
				Computed:            true,
			},
			"active": schema.BoolAttribute{
				MarkdownDescription: jobDocs["active"],
				Computed:            true,
			},
		},
	}
}

// intervalAttribute is minutely_interval or hourly_interval: used by one repeat schedule,
// where the server's default is 1; least is the smallest the server keeps and runs, note
// what it does.
func intervalAttribute(kind, unit string, least int64, note string) schema.Int64Attribute {
	return schema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("A `%s` job runs every this many %s, at least %d%s. Defaults to 1 for a `%s` "+
			"schedule; absent for the others.", kind, unit, least, note, kind),
		Optional:      true,
		Computed:      true,
		Validators:    []validator.Int64{int64validator.AtLeast(least)},
		PlanModifiers: []planmodifier.Int64{intervalDefault{kind: kind}},
	}
}

func (r *scheduledJobResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig applies the server's rules at plan time: each type's attribute, each
// repeat schedule's fields present and the others absent, the end not before the start. A
// value unknown until apply is neither missing nor unexpected here: Create and Update check
// the rules again on the known values, before anything is sent.
func (r *scheduledJobResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m scheduledJobModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.checkRules(&resp.Diagnostics)
}

// checkRules reports what of m the server's rules refuse.
func (m *scheduledJobModel) checkRules(diags *diag.Diagnostics) {
	given := m.presences()
	if t := m.Type; !t.IsNull() && !t.IsUnknown() {
		checkJobType(t.ValueString(), given, diags)
	}
	if k := m.RepeatSchedule; !k.IsNull() && !k.IsUnknown() {
		checkSchedule(k.ValueString(), given, diags)
	}
	start, okStart := parseDate(m.StartDate)
	end, okEnd := parseDate(m.EndDate)
	if okStart && okEnd && end.Before(start) {
		diags.AddAttributeError(path.Root("end_date"), "End date before start date", fmt.Sprintf(
			"end_date %s is before start_date %s: OpenSpecimen refuses such a job. Move end_date after start_date, or remove it.",
			m.EndDate.ValueString(), m.StartDate.ValueString()))
	}
}

// presence is what a configuration says of an attribute: null, unknown until apply, or set.
type presence int

const (
	presenceNull presence = iota
	presenceUnknown
	presenceSet
)

func presenceOf(v attr.Value) presence {
	switch {
	case v.IsUnknown():
		return presenceUnknown
	case v.IsNull():
		return presenceNull
	}
	return presenceSet
}

// presences says, of each of the type's and the schedule's attributes, whether m has it.
func (m *scheduledJobModel) presences() map[string]presence {
	p := presenceOf
	return map[string]presence{
		"saved_query_id": p(m.SavedQueryID), "task_class": p(m.TaskClass), "command": p(m.Command),
		"minutely_interval": p(m.MinutelyInterval), "hourly_interval": p(m.HourlyInterval),
		"hour": p(m.Hour), "minute": p(m.Minute), "day_of_week": p(m.DayOfWeek), "day_of_month": p(m.DayOfMonth),
	}
}

// checkJobType reports the type's attribute known to be null, and another type's known to be set.
func checkJobType(typ string, given map[string]presence, diags *diag.Diagnostics) {
	need, ok := jobTypes[typ]
	if !ok {
		return // the type's own validator reports it
	}
	if given[need] == presenceNull {
		diags.AddAttributeError(path.Root(need), "Missing "+need, fmt.Sprintf(
			"A job of type %s needs %s. Set it, or choose another type.", typ, need))
	}
	for other, attr := range jobTypes {
		if other != typ && given[attr] == presenceSet {
			diags.AddAttributeError(path.Root(attr), "Unexpected "+attr, fmt.Sprintf(
				"%s is for jobs of type %s, and this job is of type %s. Remove it.", attr, other, typ))
		}
	}
}

// checkSchedule reports a field the kind needs known to be null, and one it does not use
// known to be set.
func checkSchedule(kind string, given map[string]presence, diags *diag.Diagnostics) {
	k, ok := scheduleKinds[kind]
	if !ok {
		return // repeat_schedule's own validator reports it
	}
	for _, attr := range k.required {
		if given[attr] == presenceNull {
			diags.AddAttributeError(path.Root(attr), "Missing "+attr, fmt.Sprintf(
				"repeat_schedule %s needs %s. Set %s.", kind, strings.Join(k.required, ", "), attr))
		}
	}
	for _, attr := range scheduleAttrs {
		if !usesSchedule(kind, attr) && given[attr] == presenceSet {
			diags.AddAttributeError(path.Root(attr), "Unexpected "+attr, fmt.Sprintf(
				"repeat_schedule %s does not use %s (OpenSpecimen would ignore it). Remove it, or change repeat_schedule.", kind, attr))
		}
	}
}

// parseDate reads a known RFC 3339 value; ok is false for null, unknown or invalid ones
// (the validator reports these).
func parseDate(v types.String) (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	return t, err == nil
}

// ModifyPlan looks at plan time for a job that holds the name of a job created or renamed,
// and warns of it: whether that job leaves the name in the same apply (a replacement, an
// item leaving a count list) only the apply can tell, which waits a while for it (see
// client.CreateJob). A replacement (-replace, taint, replace_triggered_by) plans its create
// without the prior state: the job it replaces, found in the private state that the first
// plan of -replace and replace_triggered_by leaves, is not a holder (a tainted job's plan
// has no such state: the warning names the replaced resource among the cases).
func (r *scheduledJobResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	var plan scheduledJobModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Name.IsUnknown() {
		return
	}
	self := replacedJobID(ctx, req.Private)
	if !req.State.Raw.IsNull() {
		var state scheduledJobModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		self = state.ID.ValueInt64()
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateJobID, []byte(strconv.FormatInt(self, 10)))...)
		if resp.Diagnostics.HasError() || state.Name.Equal(plan.Name) {
			return
		}
	}
	if !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	jobs, err := r.data.client.JobsNamed(ctx, plan.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddWarning("Cannot check the job name", fmt.Sprintf(
			"Looking up the jobs named %q failed: %s. The apply checks again before creating or renaming the job.",
			plan.Name.ValueString(), errText(err)))
		return
	}
	for i, j := range jobs {
		if j.ID != self {
			resp.Diagnostics.AddAttributeWarning(path.Root("name"), "Job name taken", nameHolder(plan.Name.ValueString(), &jobs[i])+
				" "+nameAdvice(j.ID, "If it does, the apply waits a while for the name to be free; if it does not, the apply fails."))
			return
		}
	}
}

// privateJobID is the private state key of the job's id, which ModifyPlan leaves for the
// plan of a replacement's create.
const privateJobID = "job_id"

// replacedJobID answers the id of the job that a plan without prior state replaces: the one
// the first plan of a replacement left in the private state; 0 when none.
func replacedJobID(ctx context.Context, private interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
}) int64 {
	if private == nil {
		return 0
	}
	b, _ := private.GetKey(ctx, privateJobID)
	id, _ := strconv.ParseInt(string(b), 10, 64)
	return id
}

// nameHolder says that the job holder has the name.
func nameHolder(name string, holder *client.Job) string {
	if holder.Name != name {
		return fmt.Sprintf("Job %d is already named %q, the same name as %q to OpenSpecimen, which ignores case.",
			holder.ID, holder.Name, name)
	}
	return fmt.Sprintf("Job %d is already named %q.", holder.ID, holder.Name)
}

// nameAdvice says what to do about job id holding a name, whether this configuration
// manages it or not; then tells what the apply does, in its own words.
func nameAdvice(id int64, apply string) string {
	return fmt.Sprintf("Does this apply delete or rename job %d (a replaced resource, or an item removed from the "+
		"middle of a count list, which renames the items after it)? %s For a list of jobs, key them by name with "+
		"for_each rather than count, so that no job takes another's name. If no resource of this configuration "+
		"manages job %d, import it (terraform import openspecimen_scheduled_job.NAME %d, or an import block with "+
		"id = \"%d\") or choose another name.", id, apply, id, id, id)
}

// nameTakenDiagnostic reports a name refused at apply, by the server or before the POST.
func nameTakenDiagnostic(op, job string, e *client.JobNameTakenError) diag.Diagnostic {
	var detail string
	switch {
	case e.Self:
		detail = fmt.Sprintf("OpenSpecimen refused to rename job %s, which it takes for a job of that name already "+
			"(it compares names ignoring case): %s. Rename it through another name first (one apply each), or keep its name.",
			job, errText(e.Err))
	case e.Holder == nil:
		detail = fmt.Sprintf("OpenSpecimen refused to %s job %s: another job has that name, one this user cannot see "+
			"(names are compared ignoring case; %s). Choose another name, or ask an OpenSpecimen administrator for "+
			"that job's id to import it.", op, job, errText(e.Err))
	default:
		detail = nameHolder(e.Name, e.Holder) + fmt.Sprintf(" Job %s was not %sd: the name stayed taken for %s. ",
			job, op, e.Waited.Round(time.Second)) + nameAdvice(e.Holder.ID, "Then it did not do so in time: apply again.")
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("name"), "Job name taken", detail)
}

func (r *scheduledJobResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan scheduledJobModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec := plan.spec(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	job, err := r.data.client.CreateJob(ctx, spec)
	var unknown *client.JobCreateUnknownError
	switch {
	case errors.As(err, &unknown):
		recordPendingCreate(ctx, req, resp, unknown)
		return
	case err != nil:
		resp.Diagnostics.Append(jobWriteDiagnostic("create", plan.Name.ValueString(), 0, err))
		return
	}
	plan.readFrom(ctx, job, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// privatePendingCreate is the private state key of a create whose outcome is unknown: the
// client.CreateAttempt that finds its job.
const privatePendingCreate = "pending_create"

// recordPendingCreate records a job whose POST got no answer, or was cut short (Ctrl-C, a
// timeout), and that was not found afterwards: the server may still create it. The state
// holds the plan without an id (unknown values null) and, in private, what Read needs to
// find the job; the warning says so. An error would taint it, and a tainted job found later
// would be replaced.
func recordPendingCreate(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse, e *client.JobCreateUnknownError) {
	attempt, err := json.Marshal(e.Attempt)
	if err != nil {
		resp.Diagnostics.AddError("Cannot record the job", fmt.Sprintf("Encoding %+v: %s. This is a bug in the provider: please report it.", e.Attempt, err))
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privatePendingCreate, attempt)...)
	pending, err := tftypes.Transform(req.Plan.Raw, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	if err != nil {
		resp.Diagnostics.AddError("Cannot record the job", fmt.Sprintf("Recording job %q: %s. This is a bug in the provider: please report it.", e.Attempt.Name, err))
		return
	}
	resp.State.Raw = pending
	resp.Diagnostics.AddWarning("Job creation unsettled", fmt.Sprintf(
		"%s. The state records job %q without an id: the next plan or apply looks for it and keeps it if OpenSpecimen "+
			"created it, or creates it. Do not create it by hand in the meantime.", upperFirst(errText(e)), e.Attempt.Name))
}

func (r *scheduledJobResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state scheduledJobModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec := plan.spec(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	id := state.ID.ValueInt64()
	job, err := r.data.client.UpdateJob(ctx, id, state.Name.ValueString(), spec)
	var lost *client.JobWriteLostError
	switch {
	case errors.As(err, &lost) && lost.Job != nil:
		state.readFrom(ctx, lost.Job, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		resp.Diagnostics.AddError("Job update unsettled", fmt.Sprintf(
			"%s. The state records job %d as OpenSpecimen has it now; apply again to finish the change.", upperFirst(errText(err)), id))
		return
	case err != nil:
		resp.Diagnostics.Append(jobWriteDiagnostic("update", plan.Name.ValueString(), id, err))
		return
	}
	plan.readFrom(ctx, job, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// jobWriteDiagnostic reports a refused or failed create or update of the job named name.
func jobWriteDiagnostic(op, name string, id int64, err error) diag.Diagnostic {
	job := strconv.Quote(name)
	if id != 0 {
		job = fmt.Sprintf("%d (%s)", id, job)
	}
	var taken *client.JobNameTakenError
	var deleted *client.JobDeletedError
	switch {
	case errors.As(err, &taken):
		return nameTakenDiagnostic(op, job, taken)
	case errors.As(err, &deleted):
		return diag.NewErrorDiagnostic("Job deleted", fmt.Sprintf(
			"Job %s was deleted outside Terraform (it is Disabled and renamed %q), so it was not updated. Apply again: "+
				"the refresh removes it from the state and the job is created anew; or import another job.", job, deleted.Job.Name))
	case client.IsNotFound(err):
		return diag.NewErrorDiagnostic("Job not found", fmt.Sprintf(
			"Job %s is no longer on the server, or this user cannot see it: %s. Refresh, then apply again to create it.", job, errText(err)))
	}
	return diag.NewErrorDiagnostic("Cannot "+op+" job", fmt.Sprintf(
		"OpenSpecimen did not %s job %s: %s. Fix what the server names, then apply again.", op, job, errText(err)))
}

func (r *scheduledJobResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state scheduledJobModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	if state.ID.IsNull() {
		r.readPendingCreate(ctx, req, resp, &state)
		return
	}
	id := state.ID.ValueInt64()
	job, err := r.data.client.GetJob(ctx, id)
	switch {
	case client.IsNotFound(err):
		resp.Diagnostics.AddWarning("Scheduled job gone", fmt.Sprintf(
			"Job %d (%s) is no longer on the server, or this user cannot see it. It is removed from the state; "+
				"the next apply creates it again.", id, state.Name.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot read scheduled job", fmt.Sprintf(
			"Reading job %d (%s) failed: %s. Check that the server is up and that this user may read the job, then plan again.",
			id, state.Name.ValueString(), errText(err)))
		return
	case job.DeletedSince(state.Name.ValueString()):
		resp.Diagnostics.AddWarning("Scheduled job deleted", fmt.Sprintf(
			"Job %d was deleted in OpenSpecimen (it is Disabled and renamed %q). It is removed from the state; the "+
				"next apply creates the job again, under a new id.", id, job.Name))
		resp.State.RemoveResource(ctx)
		return
	}
	state.readFrom(ctx, job, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// readPendingCreate settles a job recorded without an id (see recordPendingCreate): found, it
// is the job in state; not found, it leaves the state, and the next apply creates it.
func (r *scheduledJobResource) readPendingCreate(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse, state *scheduledJobModel) {
	raw, diags := req.Private.GetKey(ctx, privatePendingCreate)
	resp.Diagnostics.Append(diags...)
	var attempt client.CreateAttempt
	if err := json.Unmarshal(raw, &attempt); err != nil || attempt.Name == "" {
		attempt = client.CreateAttempt{Name: state.Name.ValueString(), Disabled: !state.Enabled.ValueBool()}
	}
	job, err := r.data.client.FindCreatedJob(ctx, attempt)
	switch {
	case err != nil:
		resp.Diagnostics.AddError("Cannot tell whether the job was created", fmt.Sprintf(
			"Job %q is in the state without an id: a request that may have created it got no answer. Looking for it "+
				"failed: %s. Check that the server is up, then plan again.", attempt.Name, errText(err)))
		return
	case job == nil:
		resp.Diagnostics.AddWarning("Job not created", fmt.Sprintf(
			"Job %q, in the state without an id since a request that may have created it got no answer, is not on "+
				"the server. It is removed from the state; the next apply creates it.", attempt.Name))
		resp.State.RemoveResource(ctx)
		return
	}
	tflog.Info(ctx, "the job whose creation was unsettled was created", map[string]any{"job_id": job.ID, "name": job.Name})
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privatePendingCreate, nil)...)
	state.readFrom(ctx, job, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// Delete is OpenSpecimen's soft delete: the job is disabled and renamed, and stays on the
// server with its runs. A job recorded without an id (see recordPendingCreate) that Read
// could not settle is only forgotten.
func (r *scheduledJobResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state scheduledJobModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || state.ID.IsNull() || !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	id := state.ID.ValueInt64()
	job, err := r.data.client.DeleteJob(ctx, id, state.Name.ValueString())
	switch {
	case client.IsNotFound(err):
		tflog.Info(ctx, "scheduled job already gone", map[string]any{"job_id": id})
	case err != nil:
		resp.Diagnostics.AddError("Cannot delete scheduled job", fmt.Sprintf(
			"Deleting job %d (%s) failed: %s. Check that the server is up and that this user created the job "+
				"or is an administrator, then destroy again.", id, state.Name.ValueString(), errText(err)))
	default:
		tflog.Info(ctx, "scheduled job deleted (disabled and renamed; its runs stay)", map[string]any{
			"job_id": id, "name": job.Name,
		})
	}
}

// ImportState takes the job's id; Read fills in the rest.
func (r *scheduledJobResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, err := strconv.ParseInt(strings.TrimSpace(req.ID), 10, 64)
	if err != nil || id < 1 {
		resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf(
			"The import id %q is not a job id: give the job's id, a positive number such as 42 (the Jobs view shows it).", req.ID))
		return
	}
	if !importableJob(ctx, r.data, id, &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

// spec is the job the configuration describes, as the client sends it. The server's rules
// are checked again first, on values that were unknown when the configuration was validated.
func (m *scheduledJobModel) spec(ctx context.Context, diags *diag.Diagnostics) client.JobSpec {
	m.checkRules(diags)
	s := client.JobSpec{
		Name: m.Name.ValueString(), Type: m.Type.ValueString(), RepeatSchedule: m.RepeatSchedule.ValueString(),
		SavedQueryID: m.SavedQueryID.ValueInt64(), TaskImplFqn: m.TaskClass.ValueString(), Command: m.Command.ValueString(),
		Schedule: client.Schedule{
			ScheduledHour: intOf(m.Hour), ScheduledMinute: intOf(m.Minute), ScheduledDayOfWeek: m.DayOfWeek.ValueStringPointer(),
			ScheduledDayOfMonth: intOf(m.DayOfMonth), HourlyInterval: intOf(m.HourlyInterval), MinutelyInterval: intOf(m.MinutelyInterval),
		},
		Disabled: !m.Enabled.ValueBool(), RunAsUserID: m.RunAsUserID.ValueInt64(), FixedArgs: m.FixedArgs.ValueString(),
		AcceptsArgs: m.AcceptsArgs.ValueBool(), ArgsHelpText: m.ArgsHelpText.ValueString(),
	}
	if t, ok := parseDate(m.StartDate); ok {
		s.StartDate = &t
	}
	if t, ok := parseDate(m.EndDate); ok {
		s.EndDate = &t
	}
	diags.Append(m.RecipientUserIDs.ElementsAs(ctx, &s.RecipientIDs, false)...)
	diags.Append(m.SharedWithUserIDs.ElementsAs(ctx, &s.SharedWithIDs, false)...)
	return s
}

func intOf(v types.Int64) *int {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	i := int(v.ValueInt64())
	return &i
}

// readFrom sets every attribute from the job as the server answers it. Of the type's and the
// schedule's attributes, only those the job's type and repeat schedule use are read; a date
// at the same millisecond as the one in m keeps m's form.
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
	m.TaskClass = usedString(j.Type == "INTERNAL", j.TaskImplFqn)
	m.Command = usedString(j.Type == "EXTERNAL", j.Command)
	m.MinutelyInterval = usedInt(usesSchedule(kind, "minutely_interval"), j.MinutelyInterval)
	m.HourlyInterval = usedInt(usesSchedule(kind, "hourly_interval"), j.HourlyInterval)
	m.Hour = usedInt(usesSchedule(kind, "hour"), j.ScheduledHour)
	m.Minute = usedInt(usesSchedule(kind, "minute"), j.ScheduledMinute)
	m.DayOfWeek = usedString(usesSchedule(kind, "day_of_week"), j.ScheduledDayOfWeek)
	m.DayOfMonth = usedInt(usesSchedule(kind, "day_of_month"), j.ScheduledDayOfMonth)
	m.StartDate = sameDate(m.StartDate, j.StartDate)
	m.EndDate = sameDate(m.EndDate, j.EndDate)
	m.Enabled = types.BoolValue(!strings.EqualFold(j.ActivityStatus, "Disabled"))
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
	m.NextRunOn = optionalTime(j.NextRunOn)
	m.Active = types.BoolValue(j.Active())
}

// errText is err's text without a final period, to be followed by another sentence.
func errText(err error) string { return strings.TrimSuffix(err.Error(), ".") }

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

// sameDate is the server's date, as prior's text when that names the same millisecond (the
// configuration's form is kept), else jobDate's form.
func sameDate(prior types.String, t *client.EpochMillis) types.String {
	if t == nil {
		return types.StringNull()
	}
	if p, ok := parseDate(prior); ok && p.UnixMilli() == t.UnixMilli() {
		return prior
	}
	return types.StringValue(jobDate(t.Time))
}

// jobDate is a job's start or end date as RFC 3339 in UTC, with its milliseconds when it has
// any, so that the date sent back by an update is the server's to the millisecond.
func jobDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999Z07:00") }

func userIDSet(ctx context.Context, users []client.User, diags *diag.Diagnostics) types.Set {
	ids := []int64{}
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	set, d := types.SetValueFrom(ctx, types.Int64Type, ids)
	diags.Append(d...)
	return set
}

// intervalDefault plans the server's default interval, 1, for an interval left unset under
// the repeat schedule that uses it, and null under the others.
type intervalDefault struct{ kind string }

func (d intervalDefault) Description(context.Context) string {
	return fmt.Sprintf("defaults to 1 for a %s schedule, null otherwise", d.kind)
}

func (d intervalDefault) MarkdownDescription(ctx context.Context) string { return d.Description(ctx) }

func (d intervalDefault) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if !req.ConfigValue.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var kind types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("repeat_schedule"), &kind)...)
	switch {
	case kind.IsUnknown():
		resp.PlanValue = types.Int64Unknown()
	case kind.ValueString() == d.kind:
		resp.PlanValue = types.Int64Value(1)
	default:
		resp.PlanValue = types.Int64Null()
	}
}

// rfc3339Validator accepts RFC 3339 dates, such as 2025-01-01T00:00:00Z.
type rfc3339Validator struct{}

func (rfc3339Validator) Description(context.Context) string {
	return "must be an RFC 3339 date and time, such as 2025-01-01T00:00:00Z"
}

func (v rfc3339Validator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (rfc3339Validator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid date", fmt.Sprintf(
			"%s %q is not an RFC 3339 date and time. Write it as 2025-01-01T00:00:00Z, or with an offset such as "+
				"2025-01-01T02:00:00+02:00.", req.Path, req.ConfigValue.ValueString()))
	}
}
