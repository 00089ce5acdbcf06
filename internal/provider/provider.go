package provider

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ provider.Provider                       = (*openSpecimenProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*openSpecimenProvider)(nil)
	// The kinds of Terraform 1.14 and later. Older Terraform and OpenTofu do not ask for
	// them, so the same provider works there without them.
	_ provider.ProviderWithActions       = (*openSpecimenProvider)(nil)
	_ provider.ProviderWithListResources = (*openSpecimenProvider)(nil)
)

const (
	envURL      = "OPENSPECIMEN_URL"
	envUsername = "OPENSPECIMEN_USERNAME"
	envPassword = "OPENSPECIMEN_PASSWORD"
	envDomain   = "OPENSPECIMEN_DOMAIN"
	envToken    = "OPENSPECIMEN_TOKEN"
)

// minRequestTimeout is the shortest request_timeout: below it no request would complete.
const minRequestTimeout = time.Second

// openSpecimenProvider configures one API client per provider block: every resource and data
// source of that block shares it, so a hundred job runs in one apply log in once.
type openSpecimenProvider struct {
	version string
}

type openSpecimenProviderModel struct {
	URL                types.String `tfsdk:"url"`
	Username           types.String `tfsdk:"username"`
	Password           types.String `tfsdk:"password"`
	Domain             types.String `tfsdk:"domain"`
	Token              types.String `tfsdk:"token"`
	CACertFile         types.String `tfsdk:"ca_cert_file"`
	InsecureSkipVerify types.Bool   `tfsdk:"insecure_skip_verify"`
	RequestTimeout     types.String `tfsdk:"request_timeout"`
	MaxRetries         types.Int64  `tfsdk:"max_retries"`
	Timezone           types.String `tfsdk:"timezone"`
}

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	client   *client.Client
	location *time.Location
	// loginTold is set once a failed login was reported in full (loginDiagnostic): the objects
	// that meet the same failure after it say so in a line.
	loginTold atomic.Bool
	// cutWaits are the runs whose wait timed out in this command.
	cutWaits runWaits
}

// New returns the provider factory for the given build version.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &openSpecimenProvider{version: version}
	}
}

func (p *openSpecimenProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "openspecimen"
	resp.Version = p.version
}

func (p *openSpecimenProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Triggers and reads [OpenSpecimen](https://www.openspecimen.org) scheduled jobs: " +
			"run a saved-query export from a Terraform or OpenTofu apply, wait for it, and read the file it produced.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				MarkdownDescription: "REST root of the OpenSpecimen server, for example " +
					"`https://biobank.example.org/openspecimen/rest/ng`. " + envDoc(envURL),
				Optional: true,
			},
			"username": schema.StringAttribute{
				MarkdownDescription: "Login name of the user that runs the jobs. " + envDoc(envUsername) +
					" Use either `username` and `password`, or `token`. " + loginPrecedenceDoc,
				Optional: true,
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password of `username`. " + envDoc(envPassword),
				Optional:            true,
				Sensitive:           true,
			},
			"domain": schema.StringAttribute{
				MarkdownDescription: "Login domain of `username`. " + envDoc(envDomain) + " Defaults to `openspecimen`.",
				Optional:            true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "A session token of OpenSpecimen (sent as `X-OS-API-TOKEN`), instead of `username` and " +
					"`password`: the `token` that `POST /sessions` answers at a login, not a long-lived API key (OpenSpecimen has " +
					"none). It expires after 60 minutes without use (the server setting `auth.token_inactive_interval`), and on a " +
					"server with `auth.max_login_sessions` set, a login of the same user elsewhere can end it. The provider cannot renew a " +
					"token: once it has expired or ended, requests fail (401). With `username` and `password` the provider logs in " +
					"itself and logs in again when its session ends. " +
					"Either way, give Terraform a dedicated OpenSpecimen user, so that its logins and people's do not end each " +
					"other's sessions. " + envDoc(envToken) + " " + loginPrecedenceDoc,
				Optional:  true,
				Sensitive: true,
			},
			"ca_cert_file": schema.StringAttribute{
				MarkdownDescription: "Path to a PEM bundle of certificate authorities to trust in addition to the system's, " +
					"for servers with an internal CA.",
				Optional: true,
			},
			"insecure_skip_verify": schema.BoolAttribute{
				MarkdownDescription: "Skip TLS certificate verification. Only for test servers: anyone on the network " +
					"path can then read the credentials. Defaults to `false`.",
				Optional: true,
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Timeout of one HTTP request, as a Go duration such as `30s` or `2m`. " +
					"At least `1s`; defaults to `30s`. Waiting for a run is bounded by the resource's `timeouts` instead.",
				Optional: true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a read that failed on a connection error, 429 or 5xx is retried, " +
					"with a jittered backoff. A trigger is never retried blindly. Defaults to `4`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 20)},
			},
			"timezone": schema.StringAttribute{
				MarkdownDescription: "IANA time zone (for example `Europe/Berlin`) in which the dates of this configuration " +
					"that have no zone, such as `2022-02-21 06:15`, are read. It need not be the server's: the provider sends the " +
					"server each date in the form its line accepts. Defaults to `UTC`.",
				Optional: true,
			},
		},
	}
}

func (p *openSpecimenProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg openSpecimenProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !allKnown(ctx, req.Config, &resp.Diagnostics) {
		return
	}
	clientCfg, location := p.clientConfig(&cfg, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// No request here: the client logs in when a call first needs the server (loggedIn), so
	// that a command that needs none, such as the destroy of job runs, runs without it.
	c, err := client.New(clientCfg)
	if err != nil {
		resp.Diagnostics.Append(configErrorDiagnostic(err))
		return
	}
	if clientCfg.InsecureSkipVerify {
		resp.Diagnostics.AddAttributeWarning(path.Root("insecure_skip_verify"), "TLS verification is off",
			"insecure_skip_verify is true: the server's certificate is not checked, so anyone on the network path "+
				"can read the credentials. Use ca_cert_file instead outside of tests.")
	}
	data := &providerData{client: c, location: location}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

// allKnown reports unknown values (from resources not yet created), which cannot configure
// a client, on their attributes; Terraform calls Configure again once they are known.
func allKnown(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) bool {
	known := true
	for name := range config.Schema.GetAttributes() {
		var v attr.Value
		diags.Append(config.GetAttribute(ctx, path.Root(name), &v)...)
		if v != nil && v.IsUnknown() {
			known = false
			diags.AddAttributeError(path.Root(name), "Unknown OpenSpecimen "+name,
				"The provider cannot connect while "+name+" is unknown. Set it from a value known at plan time"+
					envHint(name)+".")
		}
	}
	return known
}

// loginPrecedenceDoc tells how the block's login and the environment's combine (credentials).
const loginPrecedenceDoc = "The provider block wins over the environment, per login method: a `token` in the block " +
	"ignores `" + envUsername + "` and `" + envPassword + "`, and `username` or `password` in the block ignore `" + envToken +
	"`; the environment fills only what the block leaves unset of the method it uses. Both methods in the block, or, " +
	"with neither in the block, both in the environment, is an error."

// envDoc tells where an attribute's environment variable stands in for it.
func envDoc(env string) string {
	return "May also be set with `" + env + "`, which is used when the attribute is unset or empty."
}

// providerEnv names the environment variable that stands in for an attribute.
var providerEnv = map[string]string{
	"url": envURL, "username": envUsername, "password": envPassword, "domain": envDomain, "token": envToken,
}

func envHint(name string) string {
	if env, ok := providerEnv[name]; ok {
		return ", or use the " + env + " environment variable"
	}
	return ""
}

// clientConfig reads what the provider's own attributes hold (files, durations, zones) into
// the client's configuration, which client.New checks.
func (p *openSpecimenProvider) clientConfig(cfg *openSpecimenProviderModel, diags *diag.Diagnostics) (client.Config, *time.Location) {
	login := credentials(cfg, diags)
	out := client.Config{
		URL:                stringOrEnv(cfg.URL, envURL),
		Token:              login.token,
		Username:           login.username,
		Password:           login.password,
		Domain:             login.domain,
		InsecureSkipVerify: cfg.InsecureSkipVerify.ValueBool(),
		MaxRetries:         -1,
		UserAgent:          "terraform-provider-openspecimen/" + p.version,
		Logger:             slog.New(tflogHandler{}),
	}
	loc := time.UTC
	if !cfg.MaxRetries.IsNull() {
		out.MaxRetries = int(cfg.MaxRetries.ValueInt64())
	}
	if s := cfg.RequestTimeout.ValueString(); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil || d <= 0:
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				"request_timeout "+strconv.Quote(s)+" is not a positive duration. Use a Go duration such as 30s or 2m.")
		case d < minRequestTimeout:
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				"request_timeout "+strconv.Quote(s)+" is shorter than "+minRequestTimeout.String()+
					", too short for any request to reach the server and back. Use a Go duration such as 30s or 2m.")
		}
		out.RequestTimeout = d
	}
	if tz := cfg.Timezone.ValueString(); tz != "" {
		var err error
		loc, err = time.LoadLocation(tz)
		if err != nil {
			diags.AddAttributeError(path.Root("timezone"), "Invalid timezone",
				"timezone "+strconv.Quote(tz)+" is not an IANA time zone name. Use a name such as UTC or Europe/Berlin.")
		}
	}
	if f := cfg.CACertFile.ValueString(); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			diags.AddAttributeError(path.Root("ca_cert_file"), "Unreadable CA bundle",
				"Could not read ca_cert_file "+strconv.Quote(f)+": "+err.Error()+". Point it at a readable PEM file.")
		}
		out.CACertPEM = b
	}
	return out, loc
}

// configFields maps the fields that client.New names in a *client.ConfigError to the
// provider's attributes and the words of the diagnostic.
var configFields = map[string]struct{ attr, name, hint string }{
	client.FieldURL: {"url", "URL", "Set url in the provider block or the " + envURL + " environment variable to the server's REST root, " +
		"for example https://biobank.example.org/openspecimen/rest/ng."},
	client.FieldToken:    {"token", "credentials", "Set either token, or username and password, in the provider block or the environment."},
	client.FieldUsername: {"username", "username", "Set username or " + envUsername + "."},
	client.FieldPassword: {"password", "password", "Set password or " + envPassword + "."},
	client.FieldCredentials: {"username", "credentials", "Set username and password (or " + envUsername + " and " + envPassword +
		"), or an API token (or " + envToken + ")."},
	client.FieldCACert:         {"ca_cert_file", "CA bundle", "Point ca_cert_file at a PEM file of CA certificates."},
	client.FieldRequestTimeout: {"request_timeout", "request_timeout", "Use a positive Go duration such as 30s."},
}

// configErrorDiagnostic puts a configuration that client.New refused on its attribute.
func configErrorDiagnostic(err error) diag.Diagnostic {
	var ce *client.ConfigError
	if !errors.As(err, &ce) {
		return diag.NewErrorDiagnostic("Invalid OpenSpecimen provider configuration", err.Error())
	}
	f, ok := configFields[ce.Field]
	if !ok {
		return diag.NewErrorDiagnostic("Invalid OpenSpecimen provider configuration", err.Error())
	}
	title := "Invalid OpenSpecimen " + f.name
	if ce.Missing {
		title = "Missing OpenSpecimen " + f.name
	}
	return diag.NewAttributeErrorDiagnostic(path.Root(f.attr), title, upperFirst(err.Error())+". "+f.hint)
}

// loggedIn logs in to OpenSpecimen before a call that needs the server (client.Login: once
// per provider, shared by concurrent callers, a refusal remembered) and reports a login that
// failed (loginDiagnostic). It answers whether the call may go on.
func (d *providerData) loggedIn(ctx context.Context, diags *diag.Diagnostics) bool {
	err := d.client.Login(ctx)
	if err != nil {
		diags.Append(d.loginDiagnostic(ctx, err))
	}
	return err == nil
}

// loginDiagnostic reports a failed login (or check of the API token) of an object that could
// not run for it: in full the first time (the reason, and what to do), and in a line for each
// object after it, so that a wrong password in a configuration of a hundred runs is explained
// once, while every object that was not run still says so (Terraform needs an error of each).
// An interrupt is no failed login: it is told as such, each time.
func (d *providerData) loginDiagnostic(ctx context.Context, err error) diag.Diagnostic {
	const title = "Cannot log in to OpenSpecimen"
	if ctx.Err() != nil {
		return interruptedDiagnostic("Logging in to OpenSpecimen")
	}
	if !d.loginTold.CompareAndSwap(false, true) {
		return diag.NewErrorDiagnostic("Not run: no OpenSpecimen login", "Nothing was run here: the provider could not "+
			"log in to OpenSpecimen, as the error \""+title+"\" says, with what to do.")
	}
	var refused *client.LoginError
	if errors.As(err, &refused) {
		return diag.NewErrorDiagnostic(title, upperFirst(refused.Reason)+". Nothing was run.")
	}
	return diag.NewErrorDiagnostic(title, upperFirst(withAdvice(err, "Check that the server is up and reachable at url"))+
		", then run Terraform again; nothing was run.")
}

// interruptedDiagnostic reports a call that an interrupt (Ctrl-C) ended, what naming it
// ("Reading scheduled job 1"), without the context's words: nothing was run.
func interruptedDiagnostic(what string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Interrupted: nothing was run", what+" was interrupted: nothing was run.")
}

// withAdvice answers err's text, and what to do: what to set in the provider's configuration
// when the request failed for want of it (ca_cert_file for a server certificate that this
// machine does not trust, request_timeout for a server that did not answer in time), else
// check, the caller's own advice ("" for none). Each piece of advice is given once.
func withAdvice(err error, check string) string {
	switch {
	case client.IsUntrustedCertificate(err):
		return err.Error() + ". If the server's certificate is signed by an internal CA, set ca_cert_file to that CA's " +
			"PEM certificate (and check that it has not expired)"
	case client.IsRequestTimeout(err):
		return err.Error() + ". Check that the server is up; if it is only slow, raise request_timeout"
	case check == "":
		return err.Error()
	}
	return strings.TrimSuffix(err.Error(), ".") + ". " + check
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (p *openSpecimenProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewJobRunResource,
		NewScheduledJobResource,
	}
}

func (p *openSpecimenProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewJobRunsDataSource,
		NewJobRunResultFileDataSource,
		NewScheduledJobDataSource,
		NewScheduledJobsDataSource,
		NewUserDataSource,
		NewSavedQueryDataSource,
	}
}

func (p *openSpecimenProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewJobRunResultFileEphemeralResource,
	}
}

func (p *openSpecimenProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{
		NewJobRunAction,
	}
}

func (p *openSpecimenProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewJobRunListResource,
		NewScheduledJobListResource,
	}
}

// providerDataFrom unpacks what the provider's Configure handed over. It is nil while
// Terraform only validates, when no type reads or writes anything.
func providerDataFrom(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider: please report it.", v))
	}
	return data
}

// listResults streams one result per item, made by result, as long as Terraform reads on; or
// the diagnostics, when they hold an error.
func listResults[T any](diags diag.Diagnostics, items []T, result func(*T) list.ListResult) iter.Seq[list.ListResult] {
	if diags.HasError() {
		return list.ListResultsStreamDiagnostics(diags)
	}
	return func(push func(list.ListResult) bool) {
		for i := range items {
			if !push(result(&items[i])) {
				return
			}
		}
	}
}
