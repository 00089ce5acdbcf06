package provider

import (
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// loginSettings are the credentials the client is given: a token, or a username, password
// and domain.
type loginSettings struct {
	token, username, password, domain string
}

// credentials resolves the login from the provider block cfg and the environment, per login
// method, as well-known providers do: the block wins, and the environment fills only what the
// block leaves unset of the method the block uses ("" is unset). A token in the block ignores
// OPENSPECIMEN_USERNAME and OPENSPECIMEN_PASSWORD; a username or password in the block ignores
// OPENSPECIMEN_TOKEN. A conflict left, both methods in the block or, with neither in the
// block, both in the environment, is an error on token that names where each value came from.
func credentials(cfg *openSpecimenProviderModel, diags *diag.Diagnostics) loginSettings {
	blockToken := cfg.Token.ValueString() != ""
	blockUser := []bool{cfg.Username.ValueString() != "", cfg.Password.ValueString() != ""}
	user := loginSettings{username: stringOrEnv(cfg.Username, envUsername), password: stringOrEnv(cfg.Password, envPassword),
		domain: stringOrEnv(cfg.Domain, envDomain)}
	token := loginSettings{token: stringOrEnv(cfg.Token, envToken)}
	envUser := []bool{user.username != "", user.password != ""}
	switch {
	case blockToken && slices.Contains(blockUser, true):
		diags.AddAttributeError(path.Root("token"), "Conflicting OpenSpecimen credentials", "The provider block sets both "+
			"token and "+namesOf(blockUser, "username", "password")+". Use either token, or username and password.")
	case blockToken || token.token != "" && !slices.Contains(envUser, true):
		return token
	case slices.Contains(blockUser, true) || token.token == "":
		return user
	default:
		diags.AddAttributeError(path.Root("token"), "Conflicting OpenSpecimen credentials", "The environment sets both "+
			envToken+" and "+namesOf(envUser, envUsername, envPassword)+", and the provider block sets neither token nor "+
			"username and password. Unset one login in the environment, or set the one to use in the provider block, "+
			"which wins over the environment.")
	}
	return loginSettings{}
}

// namesOf joins the names whose flag in set is true, with "and".
func namesOf(set []bool, names ...string) string {
	var out []string
	for i, name := range names {
		if set[i] {
			out = append(out, name)
		}
	}
	return strings.Join(out, " and ")
}

// stringOrEnv answers the configured value, or the environment variable when the value is
// null or empty: an empty variable passed through (url = var.url) means "not set".
func stringOrEnv(v types.String, env string) string {
	if s := v.ValueString(); s != "" {
		return s
	}
	return os.Getenv(env)
}
