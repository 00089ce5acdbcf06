package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// runModel is a run as every type of this provider shows it.
type runModel struct {
	ID                  types.Int64  `tfsdk:"id"`
	JobID               types.Int64  `tfsdk:"job_id"`
	JobName             types.String `tfsdk:"job_name"`
	Status              types.String `tfsdk:"status"`
	Args                types.String `tfsdk:"args"`
	StartedAt           types.String `tfsdk:"started_at"`
	FinishedAt          types.String `tfsdk:"finished_at"`
	RunBy               types.String `tfsdk:"run_by"`
	Message             types.String `tfsdk:"message"`
	ResultFileAvailable types.Bool   `tfsdk:"result_file_available"`
}

func runModelFromAPI(run *client.Run) runModel {
	m := runModel{
		ID:                  types.Int64Value(run.ID),
		JobID:               types.Int64Value(run.JobID),
		JobName:             types.StringValue(run.JobName),
		Status:              types.StringValue(string(run.Status)),
		Args:                optionalString(run.Args()),
		StartedAt:           optionalTime(run.StartedAt),
		FinishedAt:          optionalTime(run.FinishedAt),
		RunBy:               types.StringValue(run.RunByLogin()),
		Message:             optionalString(run.MessageText()),
		ResultFileAvailable: types.BoolValue(run.HasResultFile()),
	}
	return m
}

// setRun copies what the server knows of the run into the resource's computed attributes.
func (m *jobRunResourceModel) setRun(run *client.Run) {
	r := runModelFromAPI(run)
	m.ID = types.StringValue(strconv.FormatInt(run.ID, 10))
	m.RunID = r.ID
	m.Status = r.Status
	m.JobName = r.JobName
	m.StartedAt = r.StartedAt
	m.FinishedAt = r.FinishedAt
	m.Message = r.Message
	m.RunBy = r.RunBy
	m.ResultFileAvailable = r.ResultFileAvailable
}

// copyRunFrom copies the computed attributes of the run from another model of the same run.
func (m *jobRunResourceModel) copyRunFrom(o *jobRunResourceModel) {
	m.ID, m.RunID, m.Status, m.JobName = o.ID, o.RunID, o.Status, o.JobName
	m.StartedAt, m.FinishedAt, m.Message, m.RunBy = o.StartedAt, o.FinishedAt, o.Message, o.RunBy
	m.ResultFileAvailable, m.TriggeredAt = o.ResultFileAvailable, o.TriggeredAt
}

// setPending records a trigger whose run is not identified yet: what the state shows of it
// (the job's name, the user, the time it was sent); the run's attributes are null.
func (m *jobRunResourceModel) setPending(t *client.Trigger) {
	m.ID, m.RunID, m.Status = types.StringNull(), types.Int64Null(), types.StringNull()
	m.StartedAt, m.FinishedAt, m.Message = types.StringNull(), types.StringNull(), types.StringNull()
	m.ResultFileAvailable = types.BoolNull()
	m.JobName, m.RunBy = optionalString(t.JobName), optionalString(t.LoginName)
	m.TriggeredAt = types.StringValue(t.SentAt.UTC().Format(time.RFC3339))
}

// pendingKey is the key of the private state that holds a trigger whose run is not
// identified yet (pendingTrigger).
const pendingKey = "pending_trigger"

// pendingTrigger is what the private state keeps of a trigger whose run is not identified
// yet, beside the job, args and user that the state holds: what finds its run
// (client.Trigger), and, when the last refresh showed that the server dropped it, why.
type pendingTrigger struct {
	SentAt         time.Time `json:"sent_at"`
	Sent           int       `json:"sent"`
	AfterRunID     int64     `json:"after_run_id"`
	LastAfterRunID int64     `json:"last_after_run_id"`
	Dropped        string    `json:"dropped,omitempty"`
}

// writePending saves trigger t in private state, with why the server dropped it ("" while
// it may be queued).
func writePending(ctx context.Context, private privateData, t *client.Trigger, dropped string) diag.Diagnostics {
	b, err := json.Marshal(pendingTrigger{SentAt: t.SentAt, Sent: t.Sent, AfterRunID: t.AfterRunID, LastAfterRunID: t.LastAfterRunID, Dropped: dropped})
	if err != nil {
		return diag.Diagnostics{diag.NewErrorDiagnostic("Cannot save the pending trigger", err.Error())}
	}
	return private.SetKey(ctx, pendingKey, b)
}

// pendingOf reads the pending trigger of private state; its zero value when there is none.
func pendingOf(ctx context.Context, private privateData, diags *diag.Diagnostics) pendingTrigger {
	var p pendingTrigger
	b, d := private.GetKey(ctx, pendingKey)
	diags.Append(d...)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &p); err != nil {
			diags.AddError("Cannot read the pending trigger", "The private state of the resource is not the provider's: "+err.Error())
		}
	}
	return p
}

// readTrigger answers the trigger of a state whose run is not identified yet (run_id null),
// from the state and its private state, and why the server dropped it ("" while it may be
// queued); nil after reporting that the private state holds none (a state not written by
// this provider).
func readTrigger(ctx context.Context, state *jobRunResourceModel, private privateData, diags *diag.Diagnostics) (trig *client.Trigger, dropped string) {
	p := pendingOf(ctx, private, diags)
	if diags.HasError() {
		return nil, ""
	}
	if p.Sent == 0 {
		diags.AddError("Job run unknown", fmt.Sprintf("The state records no run of job %d (run_id is null) and no trigger of one. "+
			"Run terraform state rm on this resource, then import the run (JOB_ID/RUN_ID) or apply to trigger the job.",
			state.JobID.ValueInt64()))
		return nil, ""
	}
	return &client.Trigger{
		JobID: state.JobID.ValueInt64(), JobName: state.JobName.ValueString(), Args: state.Args.ValueString(),
		LoginName: state.RunBy.ValueString(), SentAt: p.SentAt, Sent: p.Sent,
		AfterRunID: p.AfterRunID, LastAfterRunID: p.LastAfterRunID,
	}, p.Dropped
}

// optionalTime is t as RFC 3339 in UTC, or null.
func optionalTime(t *client.EpochMillis) types.String {
	if t == nil {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// runDocs describes each attribute of a run, for every schema that shows one.
var runDocs = map[string]string{
	"id":                    "The run's id.",
	"job_id":                "The job's id.",
	"job_name":              "The job's name.",
	"status":                "`IN_PROGRESS`, `SUCCEEDED` or `FAILED`.",
	"args":                  "The run-time arguments of the run; null when none.",
	"started_at":            "When the run started, RFC 3339 in UTC.",
	"finished_at":           "When the run finished, RFC 3339 in UTC; null while it runs.",
	"run_by":                "Login name of the user who ran it.",
	"message":               "The server's message, usually the error of a FAILED run; null when none.",
	"result_file_available": "Whether the run produced an output file, readable with the `openspecimen_job_run_result_file` data source.",
}

// runAttributes describes runModel for data sources.
func runAttributes() map[string]schema.Attribute {
	return computedAttributes(runDocs, []string{"id", "job_id"}, []string{"result_file_available"})
}

// runObjectType is runModel's type as an object, from the schema's run attributes.
var runObjectType = objectTypeOf(runAttributes())

// computedAttributes describes, for data sources, one computed attribute per entry of docs:
// an int64 when named in ints, a bool when named in bools, else a string.
func computedAttributes(docs map[string]string, ints, bools []string) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{}
	for name, doc := range docs {
		switch {
		case slices.Contains(ints, name):
			attrs[name] = schema.Int64Attribute{Computed: true, MarkdownDescription: doc}
		case slices.Contains(bools, name):
			attrs[name] = schema.BoolAttribute{Computed: true, MarkdownDescription: doc}
		default:
			attrs[name] = schema.StringAttribute{Computed: true, MarkdownDescription: doc}
		}
	}
	return attrs
}

// listsOf answers models as a list of objects of objType, and ids as a list in the same
// order: the two computed lists of the data sources that list runs or jobs.
func listsOf(ctx context.Context, objType types.ObjectType, models any, ids []int64, diags *diag.Diagnostics) (objs, idList types.List) {
	objs, d := types.ListValueFrom(ctx, objType, models)
	diags.Append(d...)
	idList, d = types.ListValueFrom(ctx, types.Int64Type, ids)
	diags.Append(d...)
	return objs, idList
}

// idsAttribute describes the ids list of listsOf, for a list of what (runs or jobs).
func idsAttribute(what string) schema.ListAttribute {
	return schema.ListAttribute{
		MarkdownDescription: "The " + what + "' ids, in the same order as `" + what + "`.",
		Computed:            true,
		ElementType:         types.Int64Type,
	}
}

// objectTypeOf is the type of an object with these attributes.
func objectTypeOf(attrs map[string]schema.Attribute) types.ObjectType {
	typs := make(map[string]attr.Type, len(attrs))
	for name, a := range attrs {
		typs[name] = a.GetType()
	}
	return types.ObjectType{AttrTypes: typs}
}

// runReadDiagnostic reports a failed read of a run: one that is not found (on attr, saying
// what to check), or any other failure.
func runReadDiagnostic(attr path.Path, jobID, runID int64, check string, err error) diag.Diagnostic {
	switch {
	case client.IsNotFound(err):
		return diag.NewAttributeErrorDiagnostic(attr, "Job run not found", fmt.Sprintf(
			"Run %d of job %d does not exist in OpenSpecimen, or this user cannot see it. %s", runID, jobID, check))
	case errors.Is(err, context.Canceled):
		return interruptedDiagnostic(fmt.Sprintf("Reading run %d of job %d", runID, jobID))
	}
	return diag.NewErrorDiagnostic("Cannot read job run", fmt.Sprintf("Reading run %d of job %d failed: %s", runID, jobID, withAdvice(err, "")))
}

// importedRun is the openspecimen_job_run that an import of the run holds: the run, and the
// defaults of the arguments that steer the provider; triggers and timeouts are null, as for a
// configuration without them, and triggered_at, which only the trigger knew.
func importedRun(jobID int64, run *client.Run) *jobRunResourceModel {
	m := &jobRunResourceModel{
		JobID:             types.Int64Value(jobID),
		Args:              optionalString(run.Args()),
		Triggers:          types.MapNull(types.StringType),
		WaitForCompletion: types.BoolValue(true),
		IgnoreFailure:     types.BoolValue(false),
		IfRunning:         types.StringValue(string(client.IfRunningWait)),
		TriggeredAt:       types.StringNull(),
		Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
			"create": types.StringType, "update": types.StringType,
		})},
	}
	m.setRun(run)
	return m
}

// The settings of a run start, described and checked once for the resource and the action.
const (
	jobIDDoc     = "Id of the scheduled job to run, as shown in OpenSpecimen's Jobs view."
	argsDoc      = "Run-time arguments, space separated, passed to the job as its `rtArgs`."
	ifRunningDoc = "What to do when the job already has a run in progress (OpenSpecimen would silently drop " +
		"the trigger): `wait` for that run to finish and then trigger; `fail` at once naming the running run; or " +
		"`adopt`: take that run when it was started by the same user with the same `args` (else wait). `adopt` " +
		"keeps a pipeline that was killed after its trigger from running the export twice; it is safe only when no " +
		"one else runs this job with these args as this user. `ignore` triggers anyway, for a run left " +
		"`IN_PROGRESS` by a server restart (stale; a wait for it names it and says when it may be stale): the newest " +
		"OpenSpecimen line then starts the run, while a live run, or a stale one on the older line (which blocks the " +
		"job until an administrator ends it), makes the server drop the trigger, which nothing shows: the run is not " +
		"identified, and the warning or error names the ignored run. A run that starts after the trigger is waited " +
		"for, whatever the policy but `fail`. A run this provider started earlier in the same apply is always waited " +
		"for. Defaults to `wait`."
)

var (
	jobIDValidators     = []validator.Int64{int64validator.AtLeast(1)}
	argsValidators      = emptyIsUnset(stringvalidator.LengthAtMost(maxArgsLength), noControlCharacters{})
	ifRunningValidators = emptyIsUnset(stringvalidator.OneOf(
		string(client.IfRunningWait), string(client.IfRunningFail), string(client.IfRunningAdopt), string(client.IfRunningIgnore)))
)

// jobText names a job in diagnostics: its id, and its name when known.
func jobText(id int64, name string) string {
	if name == "" {
		return strconv.FormatInt(id, 10)
	}
	return fmt.Sprintf("%d (%s)", id, name)
}

// pendingSummary says which trigger's run is not identified yet, why (the timeout of op, an
// interrupt, or reads that failed), and how its run is known once it appears.
func pendingSummary(e *client.RunPendingError, op string, timeout time.Duration) string {
	t := &e.Trigger
	why := "the " + op + " was interrupted"
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		why = fmt.Sprintf("the %s timeout of %s ended first", op, timeout)
	case !errors.Is(e.Err, context.Canceled) && e.Err != nil:
		why = e.Err.Error()
	}
	msg := fmt.Sprintf("Job %s was triggered at %s by %s with %s, and its run is not identified yet: %s. "+
		"OpenSpecimen runs 5 jobs at once and keeps a trigger in its queue, with no run and nothing that shows it, "+
		"until a thread is free; its run will be the first of job %d by %s with %s after run %d.",
		jobText(t.JobID, t.JobName), t.SentAt.UTC().Format(time.RFC3339), cmp.Or(t.LoginName, "this user"), argsText(t.Args),
		why, t.JobID, cmp.Or(t.LoginName, "this user"), argsText(t.Args), t.AfterRunID)
	if r := e.Ignored; r != nil {
		msg += fmt.Sprintf(" Run %d in progress was ignored (if_running = \"ignore\"): if it is live, or stale on the older "+
			"OpenSpecimen line, the server drops the trigger.", r.ID)
	}
	return msg
}

// pendingDiagnostic is the resource's warning for a trigger whose run is not identified
// when op (create or update) ends: the trigger is kept in state, and the next plan looks for
// its run.
func pendingDiagnostic(e *client.RunPendingError, op string, timeout time.Duration) diag.Diagnostic {
	return diag.NewWarningDiagnostic("Job run not identified yet", pendingSummary(e, op, timeout)+
		" The trigger is kept in state, with run_id null: the next plan looks for its run and the next apply waits "+
		"for it, without triggering the job again unless OpenSpecimen shows that the trigger was dropped.")
}

// runFilterModel is the filters of a job's runs: those of the openspecimen_job_runs data
// source and of the job run list resource (runFilterDocs describes them).
type runFilterModel struct {
	JobID      types.Int64  `tfsdk:"job_id"`
	FromDate   types.String `tfsdk:"from_date"`
	ToDate     types.String `tfsdk:"to_date"`
	Status     types.String `tfsdk:"status"`
	MaxResults types.Int64  `tfsdk:"max_results"`
}

// filter answers the client's filter of m, the dates read in loc: to_date's whole day for a
// date alone. A bad date, or from_date after to_date, is reported on its attribute, and ok
// is false. Without max_results, defaultMaxResults runs are asked for.
func (m *runFilterModel) filter(loc *time.Location, diags *diag.Diagnostics) (f client.RunFilter, ok bool) {
	from, _, fromOK := dateAttr(m.FromDate, "from_date", loc, diags)
	to, toDay, toOK := dateAttr(m.ToDate, "to_date", loc, diags)
	if to != nil && toDay {
		end := to.AddDate(0, 0, 1).Add(-time.Nanosecond) // the next midnight: a day of 23 or 25 hours counts whole
		to = &end
	}
	if !fromOK || !toOK {
		return f, false
	}
	if from != nil && to != nil && from.After(*to) {
		diags.AddAttributeError(path.Root("from_date"), "from_date after to_date",
			fmt.Sprintf("from_date %s is after to_date %s, so no run could match. Swap them or widen the window.",
				m.FromDate.ValueString(), m.ToDate.ValueString()))
		return f, false
	}
	f = client.RunFilter{From: from, To: to, Status: client.RunStatus(m.Status.ValueString()), MaxResults: defaultMaxResults}
	if !m.MaxResults.IsNull() && !m.MaxResults.IsUnknown() {
		f.MaxResults = int(m.MaxResults.ValueInt64())
	}
	return f, true
}

// readRuns reads the runs of job jobID that f keeps, once logged in. The job is read first:
// the run list of an unknown job is empty, not an error, and only the job's read can tell. A
// failed list is reported, with what to check, then (", then run the query again") if any.
func readRuns(ctx context.Context, d *providerData, jobID int64, f client.RunFilter, then string, diags *diag.Diagnostics) ([]client.Run, bool) {
	if !d.loggedIn(ctx, diags) || readJob(ctx, d.client, jobID, diags) == nil {
		return nil, false
	}
	runs, err := d.client.ListRuns(ctx, jobID, f)
	if err != nil {
		diags.AddError("Cannot list job runs", fmt.Sprintf("Listing the runs of job %d failed: %s.", jobID,
			withAdvice(err, "Check that the server is up and that this user may see the job"+then)))
		return nil, false
	}
	return runs, true
}

// dateAttr parses the date of the attribute named name, when it is set; a bad one is
// reported on it.
func dateAttr(v types.String, name string, loc *time.Location, diags *diag.Diagnostics) (t *time.Time, dateOnly, ok bool) {
	if isUnset(v) || v.IsUnknown() {
		return nil, false, true
	}
	parsed, dateOnly, err := parseFilterDate(v.ValueString(), loc)
	if err != nil {
		diags.AddAttributeError(path.Root(name), "Invalid "+name, err.Error())
		return nil, false, false
	}
	return &parsed, dateOnly, true
}

const (
	layoutDate     = "20060102"
	layoutDateTime = "20060102T150405"
)

// parseFilterDate reads a date as a user writes it in a run filter (the provider's forms: the
// server takes none of them, and the client sends it what its line takes). Accepted forms:
//
//   - a date: 2022-02-21, or 20220221 (midnight in loc; dateOnly is true)
//   - a date and time without a zone, in loc: 2022-02-21T06:15:00, 2022-02-21T06:15,
//     2022-02-21 06:15:00, 2022-02-21 06:15, or 20220221T061500
//   - RFC 3339, with a zone: 2022-02-21T06:15:00Z, 2022-02-21T06:15:00+05:30
//
// The T may be lower case or a space. loc is the zone of the zone-less forms; nil means UTC.
func parseFilterDate(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	loc = cmp.Or(loc, time.UTC)
	v := normalizeDate(s)
	layout, dateOnly, zoned := dateLayout(v)
	if layout != "" {
		if zoned {
			t, err = time.Parse(layout, v)
		} else {
			t, err = time.ParseInLocation(layout, v, loc)
		}
		if err == nil {
			return t, dateOnly, nil
		}
	}
	why := ""
	if err != nil {
		why = " (" + err.Error() + ")"
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return time.Time{}, false, fmt.Errorf("invalid date %q%s: the accepted forms are a date, 2022-02-21 or 20220221; "+
		"a date and time in %s, 2022-02-21T06:15:00, 2022-02-21 06:15 or 20220221T061500; "+
		"or RFC 3339 with a zone, 2022-02-21T06:15:00Z or 2022-02-21T06:15:00+05:30", s, why, loc)
}

// normalizeDate trims v and writes the separator of date and time as T, and a zone Z in
// upper case.
func normalizeDate(s string) string {
	v := strings.ToUpper(strings.TrimSpace(s))
	if len(v) > 10 && v[4] == '-' && v[10] == ' ' {
		v = v[:10] + "T" + v[11:]
	}
	return v
}

// dateLayout answers the layout of the form v has the shape of ("" for none), whether it is
// a date alone, and whether it carries its own zone.
func dateLayout(v string) (layout string, dateOnly, zoned bool) {
	n := len(v)
	switch {
	case n == len(layoutDate) && allDigits(v):
		return layoutDate, true, false
	case n == len(layoutDateTime) && v[8] == 'T' && allDigits(v[:8]) && allDigits(v[9:]):
		return layoutDateTime, false, false
	case n == len("2006-01-02"):
		return "2006-01-02", true, false
	case n == len("2006-01-02T15:04"):
		return "2006-01-02T15:04", false, false
	case n > len("2006-01-02T15:04:05") && (v[n-1] == 'Z' || v[n-6] == '+' || v[n-6] == '-'):
		return time.RFC3339Nano, false, true
	case n >= len("2006-01-02T15:04:05"):
		return "2006-01-02T15:04:05", false, false // a fraction of a second is accepted too
	}
	return "", false, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// runWaits remembers, for one provider process (one CLI command), the runs whose wait ended at
// its timeout before the run did, and which timeout: a result file read of such a run in the
// same apply then says why the run is still in progress and what to do.
type runWaits struct {
	mu  sync.Mutex          // guards cut
	cut map[[2]int64]string // job id and run id: the timeout, such as "timeouts.create (2s)"
}

// note records that the wait for run of job ended at timeout.
func (w *runWaits) note(job, run int64, timeout string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cut == nil {
		w.cut = map[[2]int64]string{}
	}
	w.cut[[2]int64{job, run}] = timeout
}

// of answers the timeout that ended the wait for run of job, "" when none did.
func (w *runWaits) of(job, run int64) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cut[[2]int64{job, run}]
}

// waitDiagnostic reports a wait for a run of job that ended before the run did, for the
// resource (op create or update) and the action (op invoke). For the resource it is a
// warning: the run is in state, not tainted, and the next apply waits for it again. For the
// action it is an error: nothing is kept to wait for next time, and whoever relies on the
// action must not take the run for done.
func waitDiagnostic(ctx context.Context, job string, runID int64, op string, timeout time.Duration, err error) diag.Diagnostic {
	next := "The run is recorded in state and goes on on the server; the next apply waits for it " +
		"(and runs the job again only if it FAILED)."
	newDiagnostic := func(summary, detail string) diag.Diagnostic { return diag.NewWarningDiagnostic(summary, detail) }
	if op == "invoke" {
		next = "The run goes on on the server; its end is shown in OpenSpecimen's Jobs view. Invoking the action " +
			"again starts another run once this one has finished (if_running = \"wait\")."
		newDiagnostic = func(summary, detail string) diag.Diagnostic { return diag.NewErrorDiagnostic(summary, detail) }
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return newDiagnostic("Job run still in progress at the timeout", fmt.Sprintf(
			"Run %d of job %s did not finish within the %s timeout of %s. %s Raise timeouts.%s, or set "+
				"wait_for_completion = false.", runID, job, op, timeout, next, op))
	case ctx.Err() != nil:
		return newDiagnostic("Interrupted while waiting for job run", fmt.Sprintf(
			"Waiting for run %d of job %s was interrupted. %s", runID, job, next))
	default:
		return newDiagnostic("Cannot read job run", fmt.Sprintf(
			"Waiting for run %d of job %s failed: %s. %s", runID, job, withAdvice(err, ""), next))
	}
}
