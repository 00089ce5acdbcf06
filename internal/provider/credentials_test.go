package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// The provider block wins over the environment, per login method: the environment fills only
// what the block leaves unset of the method it uses, and a conflict left names where each
// value came from. Through the real CLI (the environment is the CLI's), on each: a plan reads
// a data source, which logs in.
func TestAccProvider_credentialsPrecedence(t *testing.T) {
	s := mocktest.New(t, historyMockConfig(t))
	token := mocktest.Login(t, s, "admin", "Admin@123")
	for _, tc := range []struct {
		name, block string
		env         map[string]string
		want        string // "" for a plan that succeeds
	}{
		{"username in the block, a token in the environment", `username = "admin"
  password = "Admin@123"`, map[string]string{envToken: "stale-token"}, ""},
		{"token in the block, username and password in the environment", fmt.Sprintf("token = %q", token),
			map[string]string{envUsername: "ci-user", envPassword: "wrong"}, ""},
		{"username in the block, its password in the environment", `username = "admin"`,
			map[string]string{envPassword: "Admin@123", envToken: "stale-token"}, ""},
		{"both in the block", fmt.Sprintf("token    = %q\n  username = \"admin\"\n  password = \"Admin@123\"", token), nil,
			`Conflicting OpenSpecimen credentials.*The provider block sets both token and username and password`},
		{"both in the environment", "", map[string]string{envToken: token, envUsername: "admin", envPassword: "Admin@123"},
			`Conflicting OpenSpecimen credentials.*The environment sets both OPENSPECIMEN_TOKEN and OPENSPECIMEN_USERNAME and ` +
				`OPENSPECIMEN_PASSWORD, and the provider block sets neither`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLITest(t, s, "")
			c.configureRaw(fmt.Sprintf("provider \"openspecimen\" {\n  url = %q\n  %s\n}\n", s.URL(), tc.block) +
				"data \"openspecimen_job_runs\" \"x\" {\n  job_id = 1\n}\n")
			for _, env := range []string{envUsername, envPassword, envDomain, envToken} {
				c.env = append(c.env, env+"="+tc.env[env])
			}
			out, err := c.command(t.Context(), "plan", "-input=false", "-no-color").CombinedOutput()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("the plan failed:\n%s", out)
			case tc.want != "" && (err == nil || !errRe(tc.want).Match(out)):
				t.Fatalf("the plan does not fail saying %q:\n%s", tc.want, out)
			case tc.want != "" && strings.Count(string(out), "Error: ") != 1:
				t.Fatalf("more than one error:\n%s", out)
			}
		})
	}
}
