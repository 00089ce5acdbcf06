package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ resource.Resource                   = (*jobRunResource)(nil)
	_ resource.ResourceWithConfigure      = (*jobRunResource)(nil)
	_ resource.ResourceWithImportState    = (*jobRunResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*jobRunResource)(nil)
	_ resource.ResourceWithValidateConfig = (*jobRunResource)(nil)
	_ resource.ResourceWithIdentity       = (*jobRunResource)(nil)
)

const defaultCreateTimeout = 30 * time.Minute

// maxArgsLength bounds args well below what a URL-less JSON body could carry: OpenSpecimen
// stores rtArgs in a short text column, and a longer value fails on the server with a
// message that does not name the attribute.
const maxArgsLength = 4000

// jobRunResource is one run of a scheduled job. A run cannot be deleted or cancelled in
// OpenSpecimen, so the resource's lifecycle is that of a record: create triggers, read
// refreshes, delete forgets.
type jobRunResource struct {
	data *providerData
}

type jobRunResourceModel struct {
	ID                  types.String   `tfsdk:"id"`
	JobID               types.Int64    `tfsdk:"job_id"`
	Args                types.String   `tfsdk:"args"`
	Triggers            types.Map      `tfsdk:"triggers"`
	WaitForCompletion   types.Bool     `tfsdk:"wait_for_completion"`
	IgnoreFailure       types.Bool     `tfsdk:"ignore_failure"`
	IfRunning           types.String   `tfsdk:"if_running"`
	RunID               types.Int64    `tfsdk:"run_id"`
	Status              types.String   `tfsdk:"status"`
	JobName             types.String   `tfsdk:"job_name"`
	StartedAt           types.String   `tfsdk:"started_at"`
	FinishedAt          types.String   `tfsdk:"finished_at"`
	Message             types.String   `tfsdk:"message"`
	RunBy               types.String   `tfsdk:"run_by"`
	ResultFileAvailable types.Bool     `tfsdk:"result_file_available"`
	TriggeredAt         types.String   `tfsdk:"triggered_at"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`
}

// NewJobRunResource is the factory the provider registers.
func NewJobRunResource() resource.Resource {
	return &jobRunResource{}
}

func (r *jobRunResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_run"
	// A trigger whose run is not identified yet has the identity {job_id, run_id = null}, which
	// gets its run_id once the run is found (Read or Update): Terraform core and OpenTofu check
	// only that an identity is known and fits the schema, the framework that it never
	// changes, which this flag turns off. DESIGN.md tells why.
	resp.ResourceBehavior.MutableIdentity = true
}

// jobRunDescription tells what Create, ModifyPlan and Update do with a run, in the words of
// a user: docs/resources/job_run.md opens with it.
const jobRunDescription = "Triggers one run of an OpenSpecimen scheduled job, waits for it to finish and records it.\n\n" +
	"A new run is triggered only when the resource is created or replaced: change `job_id`, `args` or " +
	"`triggers`, or use `-replace`. A run that ends `FAILED` fails the apply, and the next apply runs the job " +
	"again; with `ignore_failure = true` it is recorded instead. To keep a failed run after all, set " +
	"`ignore_failure = true` and, as a failed create is tainted, `terraform untaint` the resource.\n\n" +
	"A wait cut short (Ctrl-C, `timeouts.create`, or reads of the run failing) ends the apply with a warning, " +
	"not an error: the run is in the state, not tainted, and goes on on the server. With `wait_for_completion` " +
	"(the default), the next plan refreshes it and then waits in place for a run still `IN_PROGRESS` " +
	"(an update, bounded by `timeouts.update`), keeps a `SUCCEEDED` one, and replaces a `FAILED` one, that is " +
	"runs the job again, unless `ignore_failure` is set. Nothing is triggered twice. A run tainted by an earlier " +
	"build of this provider, which tainted a wait cut short, would be replaced: `terraform untaint` it to keep it.\n\n" +
	"On a busy server: OpenSpecimen runs at most 5 jobs at once, and a trigger sent while its threads are taken " +
	"waits in its queue, which nothing shows, until a thread frees; only then does the run exist. The resource " +
	"looks for that run for as long as `timeouts.create` allows, and never triggers the job again because the run " +
	"has not appeared yet. When the timeout (or Ctrl-C) comes first, the apply ends with a warning and the trigger " +
	"is kept in the state, with `run_id` null and `triggered_at` set: the next plan looks for its run (the first " +
	"of the job by `run_by` with these `args` after the trigger), and the next apply waits for it, in place. The " +
	"job is triggered again only when OpenSpecimen shows that the trigger was dropped, and the plan says so: " +
	"another run of the job started after it and took the job (OpenSpecimen drops a trigger that meets a run of " +
	"its job in progress, and a new trigger replaces one still queued, whoever sent it), or the job is no longer " +
	"active. A trigger that neither becomes a run nor shows as dropped (a non-admin does not see other users' " +
	"runs on the newest OpenSpecimen line) stays pending: check OpenSpecimen's Jobs view, then `-replace` the " +
	"resource to trigger the job again.\n\n" +
	"OpenSpecimen cannot delete or cancel a run, so destroying this resource only removes it from the state; " +
	"the run stays on the server."

func (r *jobRunResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: jobRunDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The run's id, as a string.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"job_id": schema.Int64Attribute{
				MarkdownDescription: jobIDDoc + " Changing it triggers a new run.",
				Required:            true,
				Validators:          jobIDValidators,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"args": schema.StringAttribute{
				MarkdownDescription: argsDoc + " Changing it triggers a new run.",
				Optional:            true,
				Computed:            true,
				Validators:          argsValidators,
				PlanModifiers:       []planmodifier.String{emptyStaysUnset(), requiresReplaceIfSet()},
			},
			"triggers": schema.MapAttribute{
				MarkdownDescription: "Arbitrary values that, when any of them changes, trigger a new run " +
					"(like `keepers` in the random provider). For example a release tag or a hash of the query.",
				Optional:      true,
				ElementType:   types.StringType,
				PlanModifiers: []planmodifier.Map{triggersRequireReplace()},
			},
			"wait_for_completion": schema.BoolAttribute{
				MarkdownDescription: "Wait until the run has SUCCEEDED or FAILED. When `false`, the apply returns as soon as " +
					"the run is identified and `status` is refreshed on later plans. Defaults to `true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"ignore_failure": schema.BoolAttribute{
				MarkdownDescription: "Record a FAILED run without failing the apply. Defaults to `false`: a failed run fails " +
					"the apply, and the next apply runs the job again.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"if_running": schema.StringAttribute{
				MarkdownDescription: ifRunningDoc,
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(string(client.IfRunningWait)),
				Validators:          ifRunningValidators,
				PlanModifiers:       []planmodifier.String{emptyStaysUnset()},
			},
			"run_id": schema.Int64Attribute{
				MarkdownDescription: runDocs["id"],
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: runDocs["status"],
				Computed:            true,
				PlanModifiers:       keep,
			},
			"job_name": schema.StringAttribute{
				MarkdownDescription: runDocs["job_name"],
				Computed:            true,
				PlanModifiers:       keep,
			},
			"started_at": schema.StringAttribute{
				MarkdownDescription: runDocs["started_at"],
				Computed:            true,
				PlanModifiers:       keep,
			},
			"finished_at": schema.StringAttribute{
				MarkdownDescription: runDocs["finished_at"],
				Computed:            true,
				PlanModifiers:       keep,
			},
			"message": schema.StringAttribute{
				MarkdownDescription: runDocs["message"],
				Computed:            true,
				PlanModifiers:       keep,
			},
			"run_by": schema.StringAttribute{
				MarkdownDescription: runDocs["run_by"],
				Computed:            true,
				PlanModifiers:       keep,
			},
			"result_file_available": schema.BoolAttribute{
				MarkdownDescription: runDocs["result_file_available"],
				Computed:            true,
				PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
			},
			"triggered_at": schema.StringAttribute{
				MarkdownDescription: "When this provider sent the trigger of the run (the first one, when the server dropped " +
					"it and the job was triggered again), RFC 3339 in UTC, on the clock of the machine that ran Terraform; " +
					"null for a run imported or adopted. While `run_id` is null, the run of that trigger is not identified yet: " +
					"its run will be the first of the job by `run_by` with these `args` started after it.",
				Computed:      true,
				PlanModifiers: keep,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": emptyTimeouts(timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true})),
		},
	}
}

// IdentitySchema names a run by its job and its own id: import by identity (Terraform 1.12
// and later), and the results of terraform query (see job_run_identity.go).
func (r *jobRunResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"job_id": identityschema.Int64Attribute{Description: "Id of the scheduled job.", RequiredForImport: true},
			"run_id": identityschema.Int64Attribute{Description: "Id of the run.", RequiredForImport: true},
		},
	}
}

// ValidateConfig refuses timeouts that are not positive: a wait that cannot last.
func (r *jobRunResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var t timeouts.Value
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("timeouts"), &t)...)
	if resp.Diagnostics.HasError() || t.IsNull() || t.IsUnknown() {
		return
	}
	for name, get := range map[string]func(context.Context, time.Duration) (time.Duration, diag.Diagnostics){
		"create": t.Create, "update": t.Update,
	} {
		d, diags := timeoutOf(ctx, t.Object, name, get)
		if diags.HasError() {
			continue // the timeouts block reports its own parse errors
		}
		if d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("timeouts").AtName(name), "Invalid timeout",
				fmt.Sprintf("timeouts.%s is %s: it must be longer than zero, for example \"30m\".", name, d))
		}
	}
}

func (r *jobRunResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// Create checks the job, starts the run, saves it in state, then waits for it. Once the run
// is in state, nothing but a FAILED run fails the apply: an error here would taint the
// resource and the next apply would trigger the job again while the run goes on. A trigger
// whose run is not identified before the create timeout is saved in state too, pending.
func (r *jobRunResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan jobRunResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := timeoutOf(ctx, plan.Timeouts.Object, "create", plan.Timeouts.Create)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	if !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}

	jobID := plan.JobID.ValueInt64()
	st, err := r.data.client.StartRun(ctx, jobID, plan.Args.ValueString(), client.StartOptions{
		IfRunning: client.IfRunning(plan.IfRunning.ValueString()),
	})
	rec := runRecord{state: &resp.State, private: resp.Private, identity: resp.Identity, diags: &resp.Diagnostics}
	if !rec.save(ctx, &plan, st, err, "create", createTimeout) {
		if err != nil && !errors.As(err, new(*client.RunPendingError)) {
			resp.Diagnostics.Append(startDiagnostic(jobID, "create", createTimeout, err))
		}
		return
	}
	if plan.WaitForCompletion.ValueBool() {
		r.waitInState(ctx, &plan, &rec, &st.History, createTimeout, "create")
	}
}

// runRecord is where Create and Update record what a start or a look-up for a run ended with.
type runRecord struct {
	state    *tfsdk.State
	private  privateData
	identity *tfsdk.ResourceIdentity
	diags    *diag.Diagnostics
}

// privateData is the resource's private state, as the framework hands it to each call.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// save records in m and in state the run that st holds, or the trigger that err says is
// pending (with a warning: the next plan identifies its run), and answers whether a run was
// saved. Any other error is left to the caller.
func (rec *runRecord) save(ctx context.Context, m *jobRunResourceModel, st *client.Started, err error, op string, timeout time.Duration) bool {
	var pending *client.RunPendingError
	switch {
	case errors.As(err, &pending):
		m.setPending(&pending.Trigger)
		rec.diags.Append(writePending(ctx, rec.private, &pending.Trigger, "")...)
		rec.diags.Append(pendingDiagnostic(pending, op, timeout))
	case err != nil:
		return false
	default:
		m.setRun(st.Run)
		m.TriggeredAt = types.StringNull()
		if st.Trigger != nil {
			m.TriggeredAt = types.StringValue(st.Trigger.SentAt.UTC().Format(time.RFC3339))
		}
		rec.diags.Append(rec.private.SetKey(ctx, pendingKey, nil)...)
	}
	rec.diags.Append(rec.state.Set(ctx, m)...)
	rec.diags.Append(setRunIdentity(ctx, rec.identity, m.JobID.ValueInt64(), m.RunID)...)
	return pending == nil && !rec.diags.HasError()
}

// waitInState waits for the run of m (with the job's history hist, nil when unknown), saves
// what it saw in state and reports how the wait ended: a FAILED run (without
// ignore_failure) is an error; a wait cut short is a warning, since the run stays in state
// and the next apply waits for it again.
func (r *jobRunResource) waitInState(ctx context.Context, m *jobRunResourceModel, rec *runRecord, hist *client.History, timeout time.Duration, op string) {
	jobID, runID := m.JobID.ValueInt64(), m.RunID.ValueInt64()
	diags := rec.diags
	done, err := r.data.client.WaitForRun(ctx, jobID, runID, hist)
	if done != nil {
		m.setRun(done)
		diags.Append(rec.state.Set(ctx, m)...)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			r.data.cutWaits.note(jobID, runID, fmt.Sprintf("timeouts.%s (%s)", op, timeout))
		}
		diags.Append(waitDiagnostic(ctx, jobText(jobID, m.JobName.ValueString()), runID, op, timeout, err))
		return
	}
	if done.Status == client.StatusFailed && !m.IgnoreFailure.ValueBool() {
		diags.AddError("Job run failed", fmt.Sprintf(
			"Run %d of job %d ended FAILED: %s. Fix the job in OpenSpecimen: the next apply runs it again "+
				"(or set ignore_failure = true to record failures).",
			done.ID, jobID, cmp.Or(done.MessageText(), "no message")))
	}
}

// Read refreshes the run; for a trigger still pending, it looks once for its run (see
// readPending).
func (r *jobRunResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state jobRunResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	jobID := state.JobID.ValueInt64()
	if !r.refreshable(ctx, jobID, state.RunID, resp) {
		return
	}
	if state.RunID.IsNull() {
		r.readPending(ctx, &state, req.Private, resp)
		return
	}
	runID := state.RunID.ValueInt64()
	run, err := r.data.client.GetRun(ctx, jobID, runID)
	if err != nil {
		if client.IsUnreachable(err) {
			r.keptUnreachable(ctx, jobID, state.RunID, err, resp)
			return
		}
		if client.IsNotFound(err) {
			// Forgetting the run would make the next apply trigger the job again: a side
			// effect on production data that nobody asked for.
			resp.Diagnostics.AddWarning("Job run no longer found",
				fmt.Sprintf("Run %d of job %d is no longer on the OpenSpecimen server. It stays in state as it was last "+
					"seen and is not re-run; use -replace to run the job again, or terraform state rm to forget it.", runID, jobID))
			resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, jobID, state.RunID)...)
			return
		}
		resp.Diagnostics.AddError("Cannot read job run",
			fmt.Sprintf("Reading run %d of job %d failed: %s", runID, jobID, withAdvice(err, "")))
		return
	}
	state.setRun(run)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, jobID, state.RunID)...)
}

// refreshable logs in before a refresh, and answers whether the run can be read: a login
// refused is reported as every login is (loginDiagnostic); a server that does not answer
// keeps the run in state as last seen (keptUnreachable).
func (r *jobRunResource) refreshable(ctx context.Context, jobID int64, runID types.Int64, resp *resource.ReadResponse) bool {
	err := r.data.client.Login(ctx)
	switch {
	case err == nil:
		return true
	case client.IsUnreachable(err):
		r.keptUnreachable(ctx, jobID, runID, err, resp)
	default:
		resp.Diagnostics.Append(r.data.loginDiagnostic(ctx, err))
	}
	return false
}

// keptUnreachable keeps the run (or the pending trigger) in state as it was last seen when
// the server does not answer, with a warning rather than an error: a run in state is
// history, nothing is run without the server anyway, and a destroy, which only forgets runs,
// must not need a server that is gone for good.
func (r *jobRunResource) keptUnreachable(ctx context.Context, jobID int64, runID types.Int64, err error, resp *resource.ReadResponse) {
	what := "The trigger of job " + strconv.FormatInt(jobID, 10) + " whose run is not identified yet"
	if !runID.IsNull() {
		what = fmt.Sprintf("Run %d of job %d", runID.ValueInt64(), jobID)
	}
	resp.Diagnostics.AddWarning("OpenSpecimen unreachable: job run kept as last seen", fmt.Sprintf(
		"%s could not be refreshed: %s. It stays in state as it was last seen, and nothing is run; a destroy, which "+
			"only removes runs from the state, needs no server.", what, withAdvice(err, "")))
	resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, jobID, runID)...)
}

// readPending looks once for the run of the pending trigger (client.FindRun): a run found is
// saved, with its identity; a proof that the server dropped the trigger is kept in private
// state, for ModifyPlan to plan a new trigger and say so; otherwise the trigger stays
// pending.
func (r *jobRunResource) readPending(ctx context.Context, state *jobRunResourceModel, private privateData, resp *resource.ReadResponse) {
	trig, _ := readTrigger(ctx, state, private, &resp.Diagnostics)
	if trig == nil {
		return
	}
	run, err := r.data.client.FindRun(ctx, *trig)
	var dropped *client.TriggerDroppedError
	switch {
	case err == nil:
		state.setRun(run)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, pendingKey, nil)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	case errors.As(err, &dropped):
		resp.Diagnostics.Append(writePending(ctx, resp.Private, trig, dropped.Error())...)
	case errors.As(err, new(*client.RunPendingError)):
		resp.Diagnostics.Append(writePending(ctx, resp.Private, trig, "")...)
	case client.IsUnreachable(err):
		r.keptUnreachable(ctx, trig.JobID, state.RunID, err, resp)
		return
	default:
		resp.Diagnostics.AddError("Cannot look for the job run", fmt.Sprintf(
			"Looking for the run of the trigger of job %d sent at %s failed: %s", trig.JobID,
			trig.SentAt.UTC().Format(time.RFC3339), withAdvice(err, "")))
		return
	}
	resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, state.JobID.ValueInt64(), state.RunID)...)
}

// ModifyPlan plans what a refreshed run needs: one still IN_PROGRESS is waited for in place
// (an update), one that ended FAILED is run again (a replacement) unless ignore_failure is
// set; both only with wait_for_completion, whose runs the apply waits for. A trigger still
// pending is looked for in place, and triggered again only when the refresh showed that the
// server dropped it (see planPending).
func (r *jobRunResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var state, plan jobRunResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.RunID.IsNull() {
		planPending(ctx, &state, req.Private, resp)
		return
	}
	if !plan.WaitForCompletion.ValueBool() {
		return
	}
	switch client.RunStatus(state.Status.ValueString()) {
	case client.StatusInProgress:
	case client.StatusFailed:
		if plan.IgnoreFailure.ValueBool() || plan.IgnoreFailure.IsUnknown() {
			return
		}
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("status"))
	default:
		return
	}
	planUnknown(ctx, resp, "status", "finished_at", "message", "result_file_available")
}

// planPending plans the update that identifies the run of a pending trigger, and says what
// it will do: look for its run, or, when the refresh showed that the server dropped the
// trigger, trigger the job again.
func planPending(ctx context.Context, state *jobRunResourceModel, private privateData, resp *resource.ModifyPlanResponse) {
	trig, dropped := readTrigger(ctx, state, private, &resp.Diagnostics)
	if trig == nil {
		return
	}
	planUnknown(ctx, resp, "id", "run_id", "status", "started_at", "finished_at", "message", "result_file_available")
	if dropped != "" {
		resp.Diagnostics.AddWarning("Job run to be triggered again", upperFirst(dropped)+
			". No run of that trigger will appear: this apply triggers the job again.")
		return
	}
	resp.Diagnostics.AddWarning("Job run not identified yet", fmt.Sprintf(
		"The trigger of job %s sent at %s by %s with %s has no run yet: it may still be queued on the OpenSpecimen server. "+
			"This apply looks for its run (the first of that user with these args after run %d) and waits for it, "+
			"without triggering the job again.", jobText(trig.JobID, trig.JobName), trig.SentAt.UTC().Format(time.RFC3339),
		cmp.Or(trig.LoginName, "this user"), argsText(trig.Args), trig.AfterRunID))
}

// planUnknown plans the computed attributes named as unknown: the apply learns them.
func planUnknown(ctx context.Context, resp *resource.ModifyPlanResponse, attrs ...string) {
	for _, a := range attrs {
		var v attr.Value = types.StringUnknown()
		switch a {
		case "run_id":
			v = types.Int64Unknown()
		case "result_file_available":
			v = types.BoolUnknown()
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(a), v)...)
	}
}

// Update waits in place for a run that was still IN_PROGRESS (see ModifyPlan), and
// identifies the run of a trigger still pending (see updatePending); otherwise it only
// records changes of the arguments that steer the provider. What the run is never changes
// here: those arguments require replacement.
func (r *jobRunResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state jobRunResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := timeoutOf(ctx, plan.Timeouts.Object, "update", plan.Timeouts.Update)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if state.RunID.IsNull() {
		if r.data.loggedIn(ctx, &resp.Diagnostics) {
			r.updatePending(ctx, &plan, &state, req.Private, resp, timeout)
		}
		return
	}
	// The run never changes here (see above): nor does its identity.
	resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, state.JobID.ValueInt64(), state.RunID)...)
	if !plan.Status.IsUnknown() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	plan.copyRunFrom(&state)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if r.data.loggedIn(ctx, &resp.Diagnostics) {
		r.waitInState(ctx, &plan, &runRecord{state: &resp.State, diags: &resp.Diagnostics}, nil, timeout, "update")
	}
}

// updatePending identifies the run of a pending trigger, until the update timeout: it looks
// for it (client.AwaitRun), or, when the plan said so because the refresh showed the trigger
// dropped, triggers the job again (client.StartRun resuming the trigger, which takes a late
// run of it first). The run found is saved and waited for; a trigger still pending, or
// shown dropped only now, stays in state with a warning.
func (r *jobRunResource) updatePending(ctx context.Context, plan, state *jobRunResourceModel, private privateData, resp *resource.UpdateResponse, timeout time.Duration) {
	trig, droppedBefore := readTrigger(ctx, state, private, &resp.Diagnostics)
	if trig == nil {
		return
	}
	plan.copyRunFrom(state)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...) // still pending, whatever happens next
	resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, plan.JobID.ValueInt64(), plan.RunID)...)
	rec := runRecord{state: &resp.State, private: resp.Private, identity: resp.Identity, diags: &resp.Diagnostics}
	var st *client.Started
	var err error
	if droppedBefore != "" {
		st, err = r.data.client.StartRun(ctx, trig.JobID, trig.Args, client.StartOptions{
			IfRunning: client.IfRunning(plan.IfRunning.ValueString()), Resume: trig,
		})
	} else {
		st, err = r.data.client.AwaitRun(ctx, *trig)
	}
	var dropped *client.TriggerDroppedError
	if errors.As(err, &dropped) && dropped.Inactive == nil {
		resp.Diagnostics.Append(writePending(ctx, resp.Private, trig, dropped.Error())...)
		resp.Diagnostics.AddWarning("Job run to be triggered again", upperFirst(dropped.Error())+
			". No run of that trigger will appear: the next plan says that it triggers the job again.")
		return
	}
	if !rec.save(ctx, plan, st, err, "update", timeout) {
		if err != nil && !errors.As(err, new(*client.RunPendingError)) {
			resp.Diagnostics.Append(startDiagnostic(trig.JobID, "update", timeout, err))
		}
		return
	}
	if plan.WaitForCompletion.ValueBool() {
		r.waitInState(ctx, plan, &rec, &st.History, timeout, "update")
	}
}

// Delete leaves the server alone: OpenSpecimen has no way to delete or cancel a run, and the
// run's output is history the biobank keeps.
func (r *jobRunResource) Delete(ctx context.Context, req resource.DeleteRequest, _ *resource.DeleteResponse) {
	var state jobRunResourceModel
	if diags := req.State.Get(ctx, &state); !diags.HasError() {
		tflog.Info(ctx, "removing job run from state only; runs cannot be deleted in OpenSpecimen", map[string]any{
			"job_id": state.JobID.ValueInt64(), "run_id": state.RunID.ValueInt64(),
		})
	}
}

func (r *jobRunResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	jobID, runID, ok := importedRunIDs(ctx, req, &resp.Diagnostics)
	if !ok || !r.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	run, err := r.data.client.GetRun(ctx, jobID, runID)
	if err != nil {
		resp.Diagnostics.Append(runReadDiagnostic(path.Empty(), jobID, runID,
			serverAnswer(err)+"Check both ids in the Jobs view; the import id is JOB_ID/RUN_ID.", err))
		return
	}
	resp.Diagnostics.Append(setRunIdentity(ctx, resp.Identity, jobID, types.Int64Value(runID))...)
	resp.Diagnostics.Append(resp.State.Set(ctx, importedRun(jobID, run))...)
}

// readJob reads the job, reporting an unknown one on job_id: OpenSpecimen answers the run
// list of an unknown job with an empty list, not an error, so only this read can tell.
func readJob(ctx context.Context, c *client.Client, jobID int64, diags *diag.Diagnostics) *client.Job {
	job, err := c.GetJob(ctx, jobID)
	if err != nil {
		switch {
		case client.IsNotFound(err):
			diags.Append(jobNotFoundDiagnostic(jobID))
		case errors.Is(err, context.Canceled):
			diags.Append(interruptedDiagnostic(fmt.Sprintf("Reading scheduled job %d", jobID)))
		default:
			diags.AddError("Cannot read job", fmt.Sprintf("Reading scheduled job %d failed: %s", jobID, withAdvice(err, "")))
		}
		return nil
	}
	return job
}

// serverAnswer quotes the message of the server's error answer, which tells for example the
// job a run belongs to when it is not the one asked for; "" when there is none.
func serverAnswer(err error) string {
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Message == "" {
		return ""
	}
	return "(The server's answer: " + strings.TrimSuffix(ae.Message, ".") + ".) "
}

func parseImportID(id string) (jobID, runID int64, err error) {
	jobPart, runPart, ok := strings.Cut(id, "/")
	if ok {
		jobID, err = strconv.ParseInt(jobPart, 10, 64)
		if err == nil {
			runID, err = strconv.ParseInt(runPart, 10, 64)
		}
	}
	if !ok || err != nil || jobID < 1 || runID < 1 {
		return 0, 0, fmt.Errorf("the import id %q is not JOB_ID/RUN_ID with two positive numbers, for example 1/42", id)
	}
	return jobID, runID, nil
}

// jobNotFoundDiagnostic reports, on job_id, a job that the server does not show this user.
func jobNotFoundDiagnostic(jobID int64) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("job_id"), "Job not found", fmt.Sprintf(
		"Scheduled job %d does not exist in OpenSpecimen, or this user cannot see it. Check job_id against the Jobs view.", jobID))
}

// startDiagnostic reports a start of a run that failed, for the resource and the action: op
// names the timeout that bounded it (create, update, invoke). A trigger whose run is not
// identified is not reported here: the resource keeps it (pendingDiagnostic), the action
// fails naming it.
func startDiagnostic(jobID int64, op string, timeout time.Duration, err error) diag.Diagnostic {
	var running *client.JobRunningError
	var inactive *client.JobInactiveError
	var busy *client.JobBusyError
	switch {
	case errors.As(err, &busy) && errors.Is(err, context.DeadlineExceeded):
		return diag.NewErrorDiagnostic("Job busy until the timeout", fmt.Sprintf("A run of job %d could not be started "+
			"within the %s timeout of %s: %s. %s", jobID, op, timeout, busy, busyAdvice(busy, op)))
	case errors.As(err, &inactive) && inactive.Deleted:
		return diag.NewAttributeErrorDiagnostic(path.Root("job_id"), "Job deleted", upperFirst(inactive.Error())+
			". Set job_id to a job that exists (a job of an openspecimen_scheduled_job resource is created again, under a new "+
			"id, by its next apply).")
	case errors.As(err, &inactive):
		return diag.NewAttributeErrorDiagnostic(path.Root("job_id"), "Job not active", upperFirst(inactive.Error())+
			". Make it active in OpenSpecimen, or use an active job.")
	case errors.As(err, &running):
		return diag.NewErrorDiagnostic("Job already running", upperFirst(running.Error())+
			", and if_running = \"fail\". Wait for it to finish, or set if_running = \"wait\".")
	case client.IsNotFound(err):
		return jobNotFoundDiagnostic(jobID)
	case errors.Is(err, context.DeadlineExceeded):
		return diag.NewErrorDiagnostic("Timed out starting job run", fmt.Sprintf(
			"A run of job %d could not be started within the %s timeout of %s, and nothing was run: %s. If the server is "+
				"only slow, raise timeouts.%s.", jobID, op, timeout, err, op))
	case errors.As(err, &busy) && errors.Is(err, context.Canceled):
		return interruptedDiagnostic(fmt.Sprintf("Waiting for run %d of job %d to finish, before the trigger,", busy.Run.ID, jobID))
	case errors.Is(err, context.Canceled):
		return interruptedDiagnostic(fmt.Sprintf("Starting a run of job %d, before the trigger,", jobID))
	default:
		return diag.NewErrorDiagnostic("Cannot start job run", fmt.Sprintf("Starting a run of job %d failed: %s", jobID, withAdvice(err, "")))
	}
}

// busyAdvice says what to do about the run that kept the job busy until the timeout of op: a
// run that may be stale is ended as the server's line allows (if_running = "ignore" on the
// newest, an administrator on the older, which blocks the job); a long run is waited for
// longer, or not at all.
func busyAdvice(busy *client.JobBusyError, op string) string {
	const ignore = "set if_running = \"ignore\": OpenSpecimen's newest line starts the run beside it"
	const admin = "an OpenSpecimen administrator must end it: on the older line it blocks the job, and every trigger is " +
		"dropped until then (if_running = \"ignore\" would not help)"
	switch {
	case busy.Stale == "":
		return fmt.Sprintf("If that run is only long, raise timeouts.%s; set if_running = \"fail\" to fail at once while "+
			"the job is busy.", op)
	case busy.Line == client.LineNewest:
		return "If it is stale, " + ignore + ", which this server is."
	case busy.Line == client.LineOlder:
		return "If it is stale, " + admin + ", which this server is."
	}
	return "If it is stale: on OpenSpecimen's newest line (13 and later), " + ignore + "; on the older line, " + admin + "."
}

// noControlCharacters rejects newlines and other control characters in args: OpenSpecimen
// splits args on spaces, and a newline would reach the job as part of an argument.
type noControlCharacters struct{}

func (noControlCharacters) Description(context.Context) string {
	return "must not contain newlines or other control characters"
}

func (v noControlCharacters) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (noControlCharacters) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for i, c := range req.ConfigValue.ValueString() {
		if c < 0x20 || c == 0x7f {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid args",
				fmt.Sprintf("args contains the control character %q at position %d. OpenSpecimen passes args "+
					"to the job as one space-separated line: use spaces between arguments.", c, i))
			return
		}
	}
}
