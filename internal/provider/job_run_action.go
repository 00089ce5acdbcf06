package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/action/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ action.Action                   = (*jobRunAction)(nil)
	_ action.ActionWithConfigure      = (*jobRunAction)(nil)
	_ action.ActionWithValidateConfig = (*jobRunAction)(nil)
)

// Progress reports of a run in progress: each one reads the run once.
const (
	defaultProgressInterval = 30 * time.Second
	minProgressInterval     = time.Second
)

// jobRunAction runs a job once per invoke, like the openspecimen_job_run resource's create,
// and keeps nothing in state: `terraform apply -invoke`, or a resource's action_trigger.
type jobRunAction struct {
	data *providerData
}

type jobRunActionModel struct {
	JobID             types.Int64    `tfsdk:"job_id"`
	Args              types.String   `tfsdk:"args"`
	WaitForCompletion types.Bool     `tfsdk:"wait_for_completion"`
	IgnoreFailure     types.Bool     `tfsdk:"ignore_failure"`
	IfRunning         types.String   `tfsdk:"if_running"`
	ProgressInterval  types.String   `tfsdk:"progress_interval"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

// NewJobRunAction is the factory the provider registers.
func NewJobRunAction() action.Action {
	return &jobRunAction{}
}

func (a *jobRunAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_run"
}

func (a *jobRunAction) Schema(ctx context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Runs an OpenSpecimen scheduled job now, once per invoke, and by default waits for the run " +
			"to finish, without keeping anything in state: a day-two operation such as \"run the export now\". Invoke it " +
			"with `terraform apply -invoke=action.openspecimen_job_run.NAME`, or from a resource's " +
			"`lifecycle { action_trigger { ... } }`. Requires Terraform 1.14 or later; to record a run in state, " +
			"or on OpenTofu, use the `openspecimen_job_run` resource.\n\n" +
			"Its run is identified as the resource identifies its own: the job is checked (it exists, it is active), " +
			"triggered once, and the run found is the oldest newer one by this user with these args. While it waits, the " +
			"action reports the run's id, its status, and how long it has run against how long the job's recent runs took. " +
			"A FAILED run fails the action with the run's message.\n\n" +
			"On a busy server, the trigger waits in OpenSpecimen's queue until one of its 5 threads frees, and the action " +
			"looks for its run until the timeout, never triggering again because the run has not appeared yet; only a run " +
			"of the job that took it after the trigger (OpenSpecimen then dropped the trigger) leads to another trigger. " +
			"When the timeout comes first, the action fails: the trigger may still be queued, and the error says when the " +
			"job was triggered, as whom and with which args, and how to find its run (the `openspecimen_job_runs` data " +
			"source, or OpenSpecimen's Jobs view). Invoking the action again would trigger the job once more.",
		Attributes: map[string]schema.Attribute{
			"job_id": schema.Int64Attribute{
				MarkdownDescription: jobIDDoc,
				Required:            true,
				Validators:          jobIDValidators,
			},
			"args": schema.StringAttribute{
				MarkdownDescription: argsDoc,
				Optional:            true,
				Validators:          argsValidators,
			},
			"wait_for_completion": schema.BoolAttribute{
				MarkdownDescription: "Wait until the run has SUCCEEDED or FAILED. When `false`, the action ends as soon as " +
					"the run is identified. Defaults to `true`.",
				Optional: true,
			},
			"ignore_failure": schema.BoolAttribute{
				MarkdownDescription: "Report a FAILED run without failing the action. Defaults to `false`.",
				Optional:            true,
			},
			"if_running": schema.StringAttribute{
				MarkdownDescription: ifRunningDoc,
				Optional:            true,
				Validators:          ifRunningValidators,
			},
			"progress_interval": schema.StringAttribute{
				MarkdownDescription: "How often a run in progress is reported while the action waits, as a Go duration of " +
					"at least `1s`. Reports cost no request. Defaults to `30s`.",
				Optional: true,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": emptyActionTimeouts(timeouts.BlockWithOpts(ctx, timeouts.Opts{
				InvokeDescription: "How long the action may take, starting the run and waiting for it, as a Go duration " +
					"such as `30m` (the default). A run still in progress then goes on on the server, and the action fails.",
			})),
		},
	}
}

// ValidateConfig refuses a timeout or a progress interval that cannot be honoured.
func (a *jobRunAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var cfg jobRunActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !cfg.Timeouts.IsNull() && !cfg.Timeouts.IsUnknown() {
		if d, diags := timeoutOf(ctx, cfg.Timeouts.Object, "invoke", cfg.Timeouts.Invoke); !diags.HasError() && d <= 0 {
			resp.Diagnostics.AddAttributeError(path.Root("timeouts").AtName("invoke"), "Invalid timeout",
				fmt.Sprintf("timeouts.invoke is %s: it must be longer than zero, for example \"30m\".", d))
		}
	}
	cfg.progressInterval(&resp.Diagnostics)
}

// progressInterval answers progress_interval, or its default; a bad one is reported on it.
func (m *jobRunActionModel) progressInterval(diags *diag.Diagnostics) time.Duration {
	if isUnset(m.ProgressInterval) || m.ProgressInterval.IsUnknown() {
		return defaultProgressInterval
	}
	s := m.ProgressInterval.ValueString()
	d, err := time.ParseDuration(s)
	if err != nil || d < minProgressInterval {
		diags.AddAttributeError(path.Root("progress_interval"), "Invalid progress_interval",
			"progress_interval "+strconv.Quote(s)+" is not a Go duration of at least 1s. Use a value such as 30s or 2m.")
		return defaultProgressInterval
	}
	return d
}

func (a *jobRunAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// Invoke checks the job, starts one run and, unless told not to, waits for it, reporting
// its progress. Nothing is kept in state: a second invoke runs the job again.
func (a *jobRunAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	if a.data == nil {
		resp.Diagnostics.Append(unconfiguredDiagnostic("action"))
		return
	}
	var cfg jobRunActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := timeoutOf(ctx, cfg.Timeouts.Object, "invoke", cfg.Timeouts.Invoke)
	resp.Diagnostics.Append(diags...)
	every := cfg.progressInterval(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !a.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}

	inv := &jobRunInvocation{
		c: a.data.client, jobID: cfg.JobID.ValueInt64(), timeout: timeout,
		progress: resp.SendProgress, diags: &resp.Diagnostics,
	}
	run := inv.start(ctx, cfg.Args.ValueString(), client.IfRunning(cfg.IfRunning.ValueString()))
	if run == nil {
		return
	}
	if !cfg.WaitForCompletion.IsNull() && !cfg.WaitForCompletion.ValueBool() {
		inv.say("Run %d of job %s is %s; not waiting for it (wait_for_completion = false).", run.ID, inv.job, run.Status)
		return
	}
	run = inv.wait(ctx, run, every)
	if run != nil {
		inv.finished(run, cfg.IgnoreFailure.ValueBool())
	}
}

// unconfiguredDiagnostic reports a kind that the provider's Configure handed no client.
func unconfiguredDiagnostic(kind string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Provider not configured", "The provider handed no OpenSpecimen client to the "+kind+
		" openspecimen_job_run. This is a bug in the provider: please report it.")
}

// jobRunInvocation is one invoke of the action: the job, how long its runs usually take,
// and where progress and diagnostics go.
type jobRunInvocation struct {
	c        *client.Client
	jobID    int64
	job      string         // the job for messages: id and name
	timeout  time.Duration  // the invoke timeout
	hist     client.History // the job's recent finished runs, as StartRun read them
	usual    time.Duration  // how long its runs usually take (the wait's predicted end); 0 when unknown
	usualOf  int            // how many runs usual is made from
	progress func(action.InvokeProgressEvent)
	diags    *diag.Diagnostics
}

func (inv *jobRunInvocation) say(format string, args ...any) {
	if inv.progress != nil {
		inv.progress(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
	}
}

// start starts one run (client.StartRun, which checks the job), answering nil after
// reporting why it could not.
func (inv *jobRunInvocation) start(ctx context.Context, args string, ifRunning client.IfRunning) *client.Run {
	inv.say("Starting a run of job %d with %s.", inv.jobID, argsText(args))
	st, err := inv.c.StartRun(ctx, inv.jobID, args, client.StartOptions{IfRunning: ifRunning})
	if err != nil {
		inv.diags.Append(actionStartDiagnostic(inv.jobID, inv.timeout, err))
		return nil
	}
	run := st.Run
	inv.job = jobText(inv.jobID, run.JobName)
	inv.hist = st.History
	inv.usual, inv.usualOf = st.History.Usual()
	inv.say("Run %d of job %s started at %s by %s; %s.", run.ID, inv.job, startedText(run),
		cmp.Or(run.RunByLogin(), "an unknown user"), inv.usualText())
	return run
}

// wait waits for the run and answers it finished; nil after reporting a wait cut short.
// Every every, it reports how long the run has been in progress (no request: the run is
// IN_PROGRESS until the wait ends). The wait runs beside the reports, as WaitForRun has no
// callback, and ends with ctx.
func (inv *jobRunInvocation) wait(ctx context.Context, run *client.Run, every time.Duration) *client.Run {
	type waited struct {
		run *client.Run
		err error
	}
	done := make(chan waited, 1)
	go func() {
		seen, err := inv.c.WaitForRun(ctx, inv.jobID, run.ID, &inv.hist)
		done <- waited{seen, err}
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case w := <-done:
			if w.err != nil {
				inv.diags.Append(waitDiagnostic(ctx, inv.job, run.ID, "invoke", inv.timeout, w.err))
				return nil
			}
			return w.run
		case <-tick.C:
			inv.say("Run %d of job %s: %s for %s; %s.", run.ID, inv.job, run.Status, roundSeconds(ranFor(run)), inv.usualText())
		}
	}
}

// finished reports the end of the run: a FAILED one fails the action unless ignoreFailure.
func (inv *jobRunInvocation) finished(run *client.Run, ignoreFailure bool) {
	took := roundSeconds(ranFor(run))
	if run.Status != client.StatusFailed {
		inv.say("Run %d of job %s %s after %s.", run.ID, inv.job, run.Status, took)
		return
	}
	msg := cmp.Or(run.MessageText(), "no message")
	if ignoreFailure {
		inv.say("Run %d of job %s FAILED after %s (ignore_failure = true): %s.", run.ID, inv.job, took, msg)
		return
	}
	inv.diags.AddError("Job run failed", fmt.Sprintf(
		"Run %d of job %s ended FAILED after %s: %s. Fix the job in OpenSpecimen and invoke the action again "+
			"(or set ignore_failure = true to report failures without failing).", run.ID, inv.job, took, msg))
}

// usualText says how long the job's runs usually take, for progress messages.
func (inv *jobRunInvocation) usualText() string {
	if inv.usualOf == 0 {
		return "no finished run of this job tells how long it usually takes"
	}
	return fmt.Sprintf("its runs usually take %s (median of the last %d)", roundSeconds(inv.usual), inv.usualOf)
}

// actionStartDiagnostic reports a run that could not be started: a trigger whose run is not
// identified is an error, which says how to find its run; the rest as the resource says it.
func actionStartDiagnostic(jobID int64, timeout time.Duration, err error) diag.Diagnostic {
	var pending *client.RunPendingError
	if errors.As(err, &pending) {
		return diag.NewErrorDiagnostic("Job run not identified", pendingSummary(pending, "invoke", timeout)+fmt.Sprintf(
			" The trigger may still be queued: invoking the action again would trigger the job once more. Look for its run "+
				"with the openspecimen_job_runs data source (job_id = %d) or in OpenSpecimen's Jobs view.", jobID))
	}
	return startDiagnostic(jobID, "invoke", timeout, err)
}

// ranFor answers how long the run ran: until it finished, or until now; from when it
// started on the server (from now when the server did not say).
func ranFor(run *client.Run) time.Duration {
	if run.StartedAt == nil {
		return 0
	}
	end := time.Now()
	if run.FinishedAt != nil {
		end = run.FinishedAt.Time
	}
	return max(0, end.Sub(run.StartedAt.Time))
}

// roundSeconds rounds d to the second, or to a tenth of one below ten seconds.
func roundSeconds(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func startedText(run *client.Run) string {
	if run.StartedAt == nil {
		return "an unknown time"
	}
	return run.StartedAt.UTC().Format(time.RFC3339)
}

func argsText(args string) string {
	if args == "" {
		return "no args"
	}
	return "args " + strconv.Quote(args)
}
