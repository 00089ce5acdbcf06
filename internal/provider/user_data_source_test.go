package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const userAddr = "data.openspecimen_user.x"

// directoryMockConfig: on server line, the test users with ids as a production server might
// have them (idBase + 1, + 2, ...): alice and alice.b, bob of the ldap domain, a Closed and
// a Locked user, a deleted one.
func directoryMockConfig(line string, idBase int64) mockserver.Config {
	cfg := testMockConfig()
	cfg.Line = line
	cfg.Users = []mockserver.UserConfig{
		{LoginName: "admin", Password: "Admin@123", Admin: true, ID: idBase + 1, FirstName: "Super", LastName: "Admin"},
		{LoginName: "alice", Password: "Alice@123", ID: idBase + 2, FirstName: "Alice", LastName: "Smith", Email: "alice@lab.example"},
		{LoginName: "alice.b", Password: "x", ID: idBase + 3, FirstName: "Alice", LastName: "Brown"},
		{LoginName: "bob", Password: "x", ID: idBase + 4, Domain: "ldap"},
		{LoginName: "carl", Password: "x", ID: idBase + 5, ActivityStatus: "Closed"},
		{LoginName: "dora", Password: "x", ID: idBase + 6, ActivityStatus: "Locked"},
		{LoginName: "erin_1700000000000", Password: "x", ID: idBase + 7, ActivityStatus: "Disabled"},
	}
	return cfg
}

func userConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
data "openspecimen_user" "x" {
%s
}
`, body)
}

func TestAccUserDataSource_byLoginName(t *testing.T) {
	for _, line := range []string{mockserver.LineNewest, mockserver.LineOlder} {
		t.Run(line, func(t *testing.T) {
			s := mocktest.New(t, directoryMockConfig(line, 100))
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: userConfig(s, `login_name = "alice"`) + `
data "openspecimen_user" "admin" {
  login_name = "admin"
  domain     = "openspecimen"
}
data "openspecimen_user" "ldap" {
  login_name = "bob"
  domain     = "ldap"
}
data "openspecimen_user" "closed" {
  login_name = "carl"
}
data "openspecimen_user" "ldap_any_case" {
  login_name = "bob"
  domain     = "LDAP"
}
`,
					ConfigStateChecks: append(expectJob(userAddr, map[string]knownvalue.Check{
						"id":              knownvalue.Int64Exact(102),
						"login_name":      knownvalue.StringExact("alice"),
						"domain":          knownvalue.StringExact("openspecimen"),
						"first_name":      knownvalue.StringExact("Alice"),
						"last_name":       knownvalue.StringExact("Smith"),
						"email":           knownvalue.StringExact("alice@lab.example"),
						"admin":           knownvalue.Bool(false),
						"activity_status": knownvalue.StringExact("Active"),
					}),
						statecheck.ExpectKnownValue("data.openspecimen_user.admin", at("admin"), knownvalue.Bool(true)),
						statecheck.ExpectKnownValue("data.openspecimen_user.admin", at("id"), knownvalue.Int64Exact(101)),
						statecheck.ExpectKnownValue("data.openspecimen_user.ldap", at("id"), knownvalue.Int64Exact(104)),
						statecheck.ExpectKnownValue("data.openspecimen_user.closed", at("activity_status"), knownvalue.StringExact("Closed")),
						statecheck.ExpectKnownValue("data.openspecimen_user.ldap_any_case", at("id"), knownvalue.Int64Exact(104)),
						statecheck.ExpectKnownValue("data.openspecimen_user.ldap_any_case", at("domain"), knownvalue.StringExact("LDAP")),
					),
				}},
			})
		})
	}
}

func TestAccUserDataSource_byID(t *testing.T) {
	s := mocktest.New(t, directoryMockConfig(mockserver.LineNewest, 100))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: userConfig(s, `id = 101`) + `
data "openspecimen_user" "ldap" {
  id = 104
}
data "openspecimen_user" "deleted" {
  id = 107
}
`,
			ConfigStateChecks: append(expectJob(userAddr, map[string]knownvalue.Check{
				"login_name":      knownvalue.StringExact("admin"),
				"domain":          knownvalue.StringExact("openspecimen"),
				"first_name":      knownvalue.StringExact("Super"),
				"email":           knownvalue.StringExact("admin@example.org"),
				"admin":           knownvalue.Bool(true), // GET /users/{id} tells it by the type SUPER
				"activity_status": knownvalue.StringExact("Active"),
			}),
				statecheck.ExpectKnownValue("data.openspecimen_user.ldap", at("domain"), knownvalue.StringExact("ldap")),
				statecheck.ExpectKnownValue("data.openspecimen_user.deleted", at("activity_status"), knownvalue.StringExact("Disabled")),
			),
		}},
	})
}

func TestAccUserDataSource_refused(t *testing.T) {
	s := mocktest.New(t, directoryMockConfig(mockserver.LineNewest, 100))
	for name, tc := range map[string]struct{ body, err string }{
		"case differs": {`login_name = "Alice"`, `(?s)No single user of that login name.*No user of domain "openspecimen" has the login name "Alice"; ` +
			`login names that contain it: "alice.b" \(domain openspecimen, id 103, Active\), "alice" \(domain openspecimen, id 102, Active\).*use id`},
		"other domain": {`login_name = "bob"`, `No user of domain "openspecimen" has the login name "bob"; login names that contain it: "bob" \(domain ldap, id 104, Active\)`},
		"unknown":      {`login_name = "zoe"`, `No user's login name contains "zoe", in any domain or status`},
		"unknown id":   {`id = 1`, `User 1 does not exist in OpenSpecimen`},
		"neither":      {``, `(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[id,login_name\]`},
		"both":         {"id = 101\nlogin_name = \"admin\"", `(?s)Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[id,login_name\]`},
		"domain alone": {"id = 101\ndomain = \"ldap\"", `(?s)Invalid Attribute Combination.*login_name.*must be specified when.*domain.*is specified`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: userConfig(s, tc.body), ExpectError: errRe(tc.err)}},
			})
		})
	}
}

// A non-admin reads any user: the server lets every signed-in user list and read users.
func TestAccUserDataSource_nonAdmin(t *testing.T) {
	s := mocktest.New(t, directoryMockConfig(mockserver.LineOlder, 100))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlockAs(s.URL(), "alice", "Alice@123") + `
data "openspecimen_user" "x" {
  login_name = "admin"
}
data "openspecimen_user" "by_id" {
  id = 105
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(userAddr, at("id"), knownvalue.Int64Exact(101)),
				statecheck.ExpectKnownValue(userAddr, at("admin"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.openspecimen_user.by_id", at("login_name"), knownvalue.StringExact("carl")),
			},
		}},
	})
}

// One configuration, two servers whose ids differ (a test server and production): the user
// and the saved query are found by name on each, with each server's ids.
func TestAccUserAndSavedQuery_idsDifferBetweenServers(t *testing.T) {
	for base, queryID := range map[int64]int64{100: 7, 500: 31} {
		t.Run(fmt.Sprint(base), func(t *testing.T) {
			cfg := directoryMockConfig(mockserver.LineNewest, base)
			cfg.SavedQueries = []mockserver.SavedQueryConfig{{ID: queryID, Title: "Specimens by collection protocol", CreatedBy: "alice"}}
			s := mocktest.New(t, cfg)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: userConfig(s, `login_name = "alice"`) + `
data "openspecimen_saved_query" "x" {
  title = "Specimens by collection protocol"
}
`,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(userAddr, at("id"), knownvalue.Int64Exact(base+2)),
						statecheck.ExpectKnownValue(queryAddr, at("id"), knownvalue.Int64Exact(queryID)),
						statecheck.ExpectKnownValue(queryAddr, at("created_by_user_id"), knownvalue.Int64Exact(base+2)),
					},
				}},
			})
		})
	}
}
