package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
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
	_ resource.ResourceWithIdentity       = (*scheduledJobResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*scheduledJobResource)(nil)
	_ resource.ResourceWithValidateConfig = (*scheduledJobResource)(nil)
)

// scheduledJobResource is a scheduled job's definition: create POSTs it, update PUTs all of
// it, delete is OpenSpecimen's soft delete.
type scheduledJobResource struct {
	data *providerData
}

// NewScheduledJobResource is the factory the provider registers.
func NewScheduledJobResource() resource.Resource {
	return &scheduledJobResource{}
}

func (r *scheduledJobResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_scheduled_job"
	// The identity of a job recorded without an id changes once, when a refresh finds it
	// (see scheduled_job_identity.go).
	resp.ResourceBehavior.MutableIdentity = true
}

// IdentitySchema names a job by its id: import by identity (Terraform 1.12 and later), and
// the results of terraform query.
func (r *scheduledJobResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = jobIdentitySchema()
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
	// OpenSpecimen refuses a blank name, task class or command (StringUtils.isBlank).
	notBlank := []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`\S`),
		"must not be blank: OpenSpecimen refuses a value of spaces only")}
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
					"(`Nightly` to `NIGHTLY`) is refused at plan time, as the server, which finds the job itself under " +
					"that name, would refuse it: rename it through another name first.",
				Required:   true,
				Validators: notBlank,
			},
			"type": schema.StringAttribute{
				MarkdownDescription: jobDocs["type"] + " `QUERY` needs `saved_query_id`, `INTERNAL` `task_class`, " +
					"`EXTERNAL` `command`. The newest OpenSpecimen line refuses to create or update `EXTERNAL` jobs: when " +
					"the server's build version tells its line, the plan fails instead of the apply.",
				Required:   true,
				Validators: jobTypeValidators,
			},
			"saved_query_id": schema.Int64Attribute{
				MarkdownDescription: jobDocs["saved_query_id"] + " Required for `QUERY` jobs, absent otherwise.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"task_class": schema.StringAttribute{
				MarkdownDescription: jobDocs["task_class"] + " A class present on the server. Required for `INTERNAL` " +
					"jobs, absent otherwise.",
				Optional:   true,
				Validators: emptyIsUnset(notBlank...),
			},
			"command": schema.StringAttribute{
				MarkdownDescription: jobDocs["command"] + " Required for `EXTERNAL` jobs, absent otherwise.",
				Optional:            true,
				Validators:          emptyIsUnset(notBlank...),
			},
			"repeat_schedule": schema.StringAttribute{
				MarkdownDescription: jobDocs["repeat_schedule"] + " Each kind needs its schedule attributes and refuses " +
					"the others: " + scheduleKindsDoc() + ". Times are in the server's time zone.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(slices.Sorted(maps.Keys(scheduleKinds))...)},
			},
			"minutely_interval": intervalAttribute("minutely_interval", "MINUTELY", 0),
			"hourly_interval":   intervalAttribute("hourly_interval", "HOURLY", 1),
			"hour": schema.Int64Attribute{
				MarkdownDescription: jobDocs["hour"],
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(0, 23)},
			},
			"minute": schema.Int64Attribute{
				MarkdownDescription: jobDocs["minute"],
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(0, 59)},
			},
			"day_of_week": schema.StringAttribute{
				MarkdownDescription: jobDocs["day_of_week"],
				Optional:            true,
				Validators:          emptyIsUnset(stringvalidator.OneOf(daysOfWeek...)),
			},
			"day_of_month": schema.Int64Attribute{
				MarkdownDescription: jobDocs["day_of_month"],
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 31)},
			},
			"start_date": schema.StringAttribute{
				MarkdownDescription: jobDocs["start_date"] + " Unset, the server starts the schedule at creation, and " +
					"that date is kept.",
				Optional:      true,
				Computed:      true,
				CustomType:    dateType{},
				Validators:    []validator.String{useNullNotEmpty()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), sameDateAsState{}},
			},
			"end_date": schema.StringAttribute{
				MarkdownDescription: jobDocs["end_date"] + " Not before `start_date`, nor, without `start_date`, before " +
					"the job is created (OpenSpecimen starts it then).",
				Optional:      true,
				CustomType:    dateType{},
				PlanModifiers: []planmodifier.String{sameDateAsState{}},
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: jobDocs["enabled"] + " Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"run_as_user_id": schema.Int64Attribute{
				MarkdownDescription: jobDocs["run_as_user_id"],
				Optional:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"recipient_user_ids": schema.SetAttribute{
				MarkdownDescription: jobDocs["recipient_user_ids"] + " Defaults to none.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.Int64Type,
				Default:             setdefault.StaticValue(types.SetValueMust(types.Int64Type, nil)),
				Validators:          userIDs,
			},
			"shared_with_user_ids": schema.SetAttribute{
				MarkdownDescription: jobDocs["shared_with_user_ids"] + " Defaults to none.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.Int64Type,
				Default:             setdefault.StaticValue(types.SetValueMust(types.Int64Type, nil)),
				Validators:          userIDs,
			},
			"fixed_args": schema.StringAttribute{
				MarkdownDescription: jobDocs["fixed_args"],
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
				MarkdownDescription: jobDocs["args_help_text"] + " OpenSpecimen shows it to whoever runs the job.",
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
// where the server's default is 1; least is the smallest the server keeps and runs.
func intervalAttribute(name, kind string, least int64) schema.Int64Attribute {
	return schema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("%s At least %d. Defaults to 1 for a `%s` schedule; absent for the others.",
			jobDocs[name], least, kind),
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
	start, okStart := m.StartDate.time()
	end, okEnd := m.EndDate.time()
	if okStart && okEnd && end.Before(start) {
		diags.AddAttributeError(path.Root("end_date"), "End date before start date", fmt.Sprintf(
			"end_date %s is before start_date %s: OpenSpecimen refuses such a job. Move end_date after start_date, or remove it.",
			m.EndDate.ValueString(), m.StartDate.ValueString()))
	}
}

// presence is what a configuration says of an attribute: null (or "", unset by the one rule),
// unknown until apply, or set.
type presence int

const (
	presenceNull presence = iota
	presenceUnknown
	presenceSet
)

func presenceOf(v attr.Value) presence {
	s, isString := v.(types.String)
	switch {
	case v.IsUnknown():
		return presenceUnknown
	case v.IsNull(), isString && isUnset(s):
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

// ModifyPlan keeps a plan that changes nothing empty (keepUnchanged), applies the server's
// rules that need the prior state, the clock or the server's line, and warns of a job that holds
// the name of a job created or renamed (warnNameTaken).
func (r *scheduledJobResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	keepUnchanged(ctx, req, resp)
	var plan, config scheduledJobModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	var state *scheduledJobModel
	if !req.State.Raw.IsNull() {
		state = new(scheduledJobModel)
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	checkRename(&plan, state, &resp.Diagnostics)
	checkEndDate(&plan, &config, time.Now(), &resp.Diagnostics)
	if r.data == nil || resp.Diagnostics.HasError() {
		return
	}
	if plan.Type.ValueString() == "EXTERNAL" && !resp.Plan.Raw.Equal(req.State.Raw) {
		// The server's line is known once the login gate has read its settings.
		if !r.data.loggedIn(ctx, &resp.Diagnostics) {
			return
		}
		checkExternal(r.data.client.Settings(), &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() || plan.Name.IsUnknown() {
		return
	}
	r.warnNameTaken(ctx, req, resp, &plan, state)
}

// keepUnchanged plans the state itself when the plan differs from it only in next_run_on and
// active: the framework marks them unknown whenever the configuration differs from the state,
// as a date in another notation does (sameDateAsState then plans the date in state).
func keepUnchanged(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() {
		return
	}
	kept := resp.Plan
	for _, name := range []string{"next_run_on", "active"} {
		var v attr.Value
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(name), &v)...)
		resp.Diagnostics.Append(kept.SetAttribute(ctx, path.Root(name), v)...)
	}
	if !resp.Diagnostics.HasError() && kept.Raw.Equal(req.State.Raw) {
		resp.Plan = kept
	}
}

// checkRename reports a rename that changes only case, which OpenSpecimen refuses: its name
// check ignores case, and finds the job itself.
func checkRename(plan, state *scheduledJobModel, diags *diag.Diagnostics) {
	if state == nil || state.ID.IsNull() || plan.Name.IsUnknown() {
		return
	}
	from, to := state.Name.ValueString(), plan.Name.ValueString()
	if from != to && strings.EqualFold(from, to) {
		diags.AddAttributeError(path.Root("name"), "Rename changes only case", fmt.Sprintf(
			"OpenSpecimen refuses to rename job %d from %q to %q: it compares job names ignoring case, and finds the job "+
				"itself under that name. Rename it through another name first (one apply each), or keep its name.",
			state.ID.ValueInt64(), from, to))
	}
}

// checkEndDate reports an end date already past for a job created without a start date:
// OpenSpecimen starts the schedule when it creates the job, and refuses an end before it.
func checkEndDate(plan, config *scheduledJobModel, now time.Time, diags *diag.Diagnostics) {
	end, ok := plan.EndDate.time()
	if ok && config.StartDate.IsNull() && plan.StartDate.IsUnknown() && end.Before(now) {
		diags.AddAttributeError(path.Root("end_date"), "End date in the past", fmt.Sprintf(
			"end_date %s is before now, and without start_date OpenSpecimen starts the job's schedule when it creates "+
				"the job: it refuses an end before the start. Move end_date into the future, set start_date before it, "+
				"or remove end_date.", plan.EndDate.ValueString()))
	}
}

// checkExternal reports the EXTERNAL job that the plan would create or update on a server of
// the newest line, which refuses EXTERNAL jobs (its build_version, read by the login gate,
// tells the line).
func checkExternal(server client.Settings, diags *diag.Diagnostics) {
	if newest, _ := server.NewestLine(); newest {
		diags.AddAttributeError(path.Root("type"), "EXTERNAL jobs refused by this server", fmt.Sprintf(
			"This OpenSpecimen server (build %s) is of the newest line, which refuses to create or update EXTERNAL "+
				"jobs: it runs no commands of its own. Use an INTERNAL job (task_class) or a QUERY job instead.", server.BuildVersion))
	}
}

// warnNameTaken looks for a job that holds the name of a job created or renamed, and warns
// of it: whether that job leaves the name in the same apply (a replacement, an item leaving a
// count list) only the apply can tell, which waits a while for it (see client.CreateJob). A
// replacement (-replace, taint, replace_triggered_by) plans its create without the prior
// state: the job it replaces, found in the private state that the first plan of -replace and
// replace_triggered_by leaves, is not a holder (a tainted job's plan has no such state: the
// warning names the replaced resource among the cases).
func (r *scheduledJobResource) warnNameTaken(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse,
	plan, state *scheduledJobModel) {
	self := replacedJobID(ctx, req.Private)
	if state != nil {
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
func replacedJobID(ctx context.Context, private privateData) int64 {
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
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, plan.ID)...)
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
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, types.Int64Null())...)
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
		resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, state.ID)...)
		resp.Diagnostics.AddError("Job update unsettled", fmt.Sprintf(
			"%s. The state records job %d as OpenSpecimen has it now; apply again to finish the change.", upperFirst(errText(err)), id))
		return
	case err != nil:
		resp.Diagnostics.Append(jobWriteDiagnostic("update", plan.Name.ValueString(), id, err))
		return
	}
	plan.readFrom(ctx, job, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, plan.ID)...)
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
	// The framework wants an identity after a read without errors, even one that removes the
	// job, also from a CLI that keeps none (it then starts from null): the one in state.
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, state.ID)...)
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
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, state.ID)...)
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
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, state.ID)...)
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

// ImportState takes the job's id, or its identity; Read fills in the rest.
func (r *scheduledJobResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, ok := importedJobID(ctx, req, &resp.Diagnostics)
	if !ok {
		return
	}
	if !importableJob(ctx, r.data, id, &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(setJobIdentity(ctx, resp.Identity, types.Int64Value(id))...)
}

// spec is the job the configuration describes, as the client sends it. The server's rules
// are checked again first, on values that were unknown when the configuration was validated.
func (m *scheduledJobModel) spec(ctx context.Context, diags *diag.Diagnostics) client.JobSpec {
	m.checkRules(diags)
	s := client.JobSpec{
		Name: m.Name.ValueString(), Type: m.Type.ValueString(), RepeatSchedule: m.RepeatSchedule.ValueString(),
		SavedQueryID: m.SavedQueryID.ValueInt64(), TaskImplFqn: m.TaskClass.ValueString(), Command: m.Command.ValueString(),
		Schedule: client.Schedule{
			ScheduledHour: intOf(m.Hour), ScheduledMinute: intOf(m.Minute), ScheduledDayOfWeek: stringOf(m.DayOfWeek),
			ScheduledDayOfMonth: intOf(m.DayOfMonth), HourlyInterval: intOf(m.HourlyInterval), MinutelyInterval: intOf(m.MinutelyInterval),
		},
		Disabled: !m.Enabled.ValueBool(), RunAsUserID: m.RunAsUserID.ValueInt64(), FixedArgs: m.FixedArgs.ValueString(),
		AcceptsArgs: m.AcceptsArgs.ValueBool(), ArgsHelpText: m.ArgsHelpText.ValueString(),
	}
	if t, ok := m.StartDate.time(); ok {
		s.StartDate = &t
	}
	if t, ok := m.EndDate.time(); ok {
		s.EndDate = &t
	}
	diags.Append(m.RecipientUserIDs.ElementsAs(ctx, &s.RecipientIDs, false)...)
	diags.Append(m.SharedWithUserIDs.ElementsAs(ctx, &s.SharedWithIDs, false)...)
	return s
}

// stringOf is v, or nil when it is unset (null or "").
func stringOf(v types.String) *string {
	if isUnset(v) || v.IsUnknown() {
		return nil
	}
	return v.ValueStringPointer()
}

func intOf(v types.Int64) *int {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	i := int(v.ValueInt64())
	return &i
}

// errText is err's text without a final period, to be followed by another sentence.
func errText(err error) string { return strings.TrimSuffix(err.Error(), ".") }

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
