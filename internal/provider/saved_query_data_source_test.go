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

const queryAddr = "data.openspecimen_saved_query.x"

// queriesMockConfig: on server line, the users of directoryMockConfig and saved queries
// whose titles share words: admin's 7 and 9, alice's 8 "Alice's specimens" (last saved by
// admin), two "Twin" (10 shared with alice), 12 in a folder shared with all, 13 titled "7".
func queriesMockConfig(t testing.TB, line string) mockserver.Config {
	cfg := directoryMockConfig(line, 100)
	cfg.SavedQueries = []mockserver.SavedQueryConfig{
		{ID: 7, Title: "Specimens by collection protocol"},
		{ID: 8, Title: "Alice's specimens", CreatedBy: "alice", LastModifiedBy: "admin",
			LastModifiedOn: mocktest.Time(t, "2024-05-01T10:00:00Z")},
		{ID: 9, Title: "Twin"},
		{ID: 10, Title: "Twin", SharedWith: []string{"alice"}},
		{ID: 11, Title: "Participants"},
		{ID: 12, Title: "Everyone's specimens", SharedWithAll: true},
		{ID: 13, Title: "7"},
	}
	return cfg
}

func savedQueryConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
data "openspecimen_saved_query" "x" {
%s
}
`, body)
}

func TestAccSavedQueryDataSource_byTitle(t *testing.T) {
	for _, line := range []string{mockserver.LineNewest, mockserver.LineOlder} {
		t.Run(line, func(t *testing.T) {
			s := mocktest.New(t, queriesMockConfig(t, line))
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: savedQueryConfig(s, `title = "Alice's specimens"`) + `
data "openspecimen_saved_query" "numeric" {
  title = "7"
}
`,
					ConfigStateChecks: append(expectJob(queryAddr, map[string]knownvalue.Check{
						"id":                 knownvalue.Int64Exact(8),
						"title":              knownvalue.StringExact("Alice's specimens"),
						"created_by":         knownvalue.StringExact("alice"),
						"created_by_user_id": knownvalue.Int64Exact(102),
						"last_modified_by":   knownvalue.StringExact("admin"),
						"last_modified_on":   knownvalue.StringExact("2024-05-01T10:00:00Z"),
					}),
						// The server also answers query 7 for the search "7": the title decides.
						statecheck.ExpectKnownValue("data.openspecimen_saved_query.numeric", at("id"), knownvalue.Int64Exact(13)),
					),
				}},
			})
		})
	}
}

func TestAccSavedQueryDataSource_byID(t *testing.T) {
	s := mocktest.New(t, queriesMockConfig(t, mockserver.LineNewest))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: savedQueryConfig(s, `id = 7`),
			ConfigStateChecks: expectJob(queryAddr, map[string]knownvalue.Check{
				"title":              knownvalue.StringExact("Specimens by collection protocol"),
				"created_by":         knownvalue.StringExact("admin"),
				"created_by_user_id": knownvalue.Int64Exact(101),
				"last_modified_by":   knownvalue.StringExact("admin"),
				"last_modified_on":   knownvalue.NotNull(),
			}),
		}},
	})
}

func TestAccSavedQueryDataSource_refused(t *testing.T) {
	s := mocktest.New(t, queriesMockConfig(t, mockserver.LineNewest))
	for name, tc := range map[string]struct{ body, err string }{
		"several": {`title = "Twin"`, `(?s)No single saved query of that title.*2 saved queries are titled "Twin": "Twin" \(id 10, by Super Admin\), "Twin" \(id 9, by Super Admin\).*use id`},
		"no exact title": {`title = "specimens"`, `No saved query is titled exactly "specimens"; queries whose title contains it: ` +
			`"Everyone's specimens" \(id 12, by Super Admin\), "Alice's specimens" \(id 8, by Alice Smith\), "Specimens by collection protocol" \(id 7, by Super Admin\)`},
		"unknown":    {`title = "Nothing"`, `No saved query titled "Nothing", nor any whose title contains it, is visible to this user`},
		"unknown id": {`id = 99`, `Saved query 99 does not exist in OpenSpecimen, or was deleted`},
		"neither":    {``, `(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[id,title\]`},
		"both":       {"id = 7\ntitle = \"Twin\"", `(?s)Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[id,title\]`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: savedQueryConfig(s, tc.body), ExpectError: errRe(tc.err)}},
			})
		})
	}
}

// A non-admin sees the queries it created or that are shared with it: of the two "Twin",
// the one shared with alice. By id, it reads any query: the server checks only its right.
func TestAccSavedQueryDataSource_nonAdmin(t *testing.T) {
	for _, line := range []string{mockserver.LineNewest, mockserver.LineOlder} {
		t.Run(line, func(t *testing.T) {
			s := mocktest.New(t, queriesMockConfig(t, line))
			provider := providerBlockAs(s.URL(), "alice", "Alice@123")
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config: provider + `
data "openspecimen_saved_query" "x" {
  title = "Twin"
}
data "openspecimen_saved_query" "not_shared" {
  id = 11
}
`,
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(queryAddr, at("id"), knownvalue.Int64Exact(10)),
							statecheck.ExpectKnownValue("data.openspecimen_saved_query.not_shared", at("title"), knownvalue.StringExact("Participants")),
						},
					},
					{
						Config: provider + `
data "openspecimen_saved_query" "x" {
  title = "Participants"
}
`,
						ExpectError: errRe(`No saved query titled "Participants", nor any whose title contains it, is visible to this user`),
					},
				},
			})
		})
	}
}

// A user without the right to read queries gets the server's refusal, named.
func TestAccSavedQueryDataSource_noQueryRights(t *testing.T) {
	cfg := queriesMockConfig(t, mockserver.LineNewest)
	cfg.Users[1].NoQueryRights = true // alice
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlockAs(s.URL(), "alice", "Alice@123") + `
data "openspecimen_saved_query" "x" {
  title = "Twin"
}
`,
			ExpectError: errRe(`Cannot list saved queries.*RBAC_ACCESS_DENIED.*may read queries`),
		}},
	})
}
