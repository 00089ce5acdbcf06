package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ datasource.DataSource                     = (*userDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*userDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*userDataSource)(nil)
)

type userDataSource struct {
	data *providerData
}

// NewUserDataSource is the factory the provider registers.
func NewUserDataSource() datasource.DataSource {
	return &userDataSource{}
}

// userModel is a user account as the user data source shows it.
type userModel struct {
	ID             types.Int64  `tfsdk:"id"`
	LoginName      types.String `tfsdk:"login_name"`
	Domain         types.String `tfsdk:"domain"`
	FirstName      types.String `tfsdk:"first_name"`
	LastName       types.String `tfsdk:"last_name"`
	Email          types.String `tfsdk:"email"`
	Admin          types.Bool   `tfsdk:"admin"`
	ActivityStatus types.String `tfsdk:"activity_status"`
}

func userModelFromAPI(u *client.UserAccount) userModel {
	return userModel{
		ID:             types.Int64Value(u.ID),
		LoginName:      types.StringValue(u.LoginName),
		Domain:         optionalString(u.Domain),
		FirstName:      optionalString(u.FirstName),
		LastName:       optionalString(u.LastName),
		Email:          optionalString(u.Email),
		Admin:          types.BoolValue(u.Admin),
		ActivityStatus: optionalString(u.ActivityStatus),
	}
}

// userDocs describes each computed attribute of a user.
var userDocs = map[string]string{
	"first_name": "The user's first name.",
	"last_name":  "The user's last name.",
	"email":      "The user's email address.",
	"admin":      "Whether the user is a super administrator of the server (user type `SUPER`).",
	"activity_status": "The account's status, in the server's words: `Active`, `Pending` (a sign-up not yet approved), " +
		"`Locked`, `Expired`, `Closed` or `Disabled` (deleted). A user of any status is found.",
}

func (d *userDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func (d *userDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := computedAttributes(userDocs, nil, []string{"admin"})
	attrs["id"] = schema.Int64Attribute{
		MarkdownDescription: "Id of the user to read. Exactly one of `id` and `login_name` must be set.",
		Optional:            true,
		Computed:            true,
		Validators:          []validator.Int64{int64validator.AtLeast(1)},
	}
	attrs["login_name"] = schema.StringAttribute{
		MarkdownDescription: "Login name of the user to read, exactly (case-sensitive), in `domain`: the way to refer to a " +
			"user whose id differs between servers. No such user is an error that lists the users whose login name " +
			"contains it. Exactly one of `id` and `login_name` must be set.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{useNullNotEmpty()},
	}
	attrs["domain"] = schema.StringAttribute{
		MarkdownDescription: "The authentication domain of `login_name`: `openspecimen` (the default) for a local account, " +
			"else the name of the LDAP, SAML or OAuth domain the user signs in through. Read by `id`, the user's domain.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{useNullNotEmpty(), stringvalidator.AlsoRequires(path.MatchRoot("login_name"))},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one OpenSpecimen user, by login name or by id. Refer to a user by name, because ids " +
			"differ between a test server and production: for example to give `openspecimen_scheduled_job` the " +
			"`run_as_user_id` of the user `export-bot` on whichever server the configuration runs against. " +
			"Every signed-in user may read every user, whatever its status.",
		Attributes: attrs,
	}
}

func (d *userDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("login_name")),
	}
}

func (d *userDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *userDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg userModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !d.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	var u *client.UserAccount
	if !cfg.LoginName.IsNull() {
		u = d.userByLogin(ctx, cfg.LoginName.ValueString(), cfg.Domain.ValueString(), &resp.Diagnostics)
	} else {
		u = d.userByID(ctx, cfg.ID.ValueInt64(), &resp.Diagnostics)
	}
	if u == nil {
		return
	}
	m := userModelFromAPI(u)
	if !cfg.Domain.IsNull() {
		m.Domain = cfg.Domain // the server compares domains in any case: keep the configured spelling
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

func (d *userDataSource) userByLogin(ctx context.Context, login, domain string, diags *diag.Diagnostics) *client.UserAccount {
	u, err := d.data.client.UserByLogin(ctx, login, domain)
	var le *client.UserLoginError
	switch {
	case errors.As(err, &le):
		diags.AddAttributeError(path.Root("login_name"), "No single user of that login name",
			upperFirst(err.Error())+". Check login_name and domain against the Users view, or use id.")
	case err != nil:
		diags.AddError("Cannot list users", fmt.Sprintf("Looking up the user %q failed: %s. Check that the server is up, then plan again.", login, err))
	}
	return u
}

func (d *userDataSource) userByID(ctx context.Context, id int64, diags *diag.Diagnostics) *client.UserAccount {
	u, err := d.data.client.GetUser(ctx, id)
	switch {
	case client.IsCode(err, client.CodeUserNotFound):
		diags.AddAttributeError(path.Root("id"), "User not found",
			fmt.Sprintf("User %d does not exist in OpenSpecimen. Check id, or refer to the user by login_name: ids differ between servers.", id))
	case err != nil:
		diags.AddError("Cannot read user", fmt.Sprintf("Reading user %d failed: %s", id, err))
	}
	return u
}
