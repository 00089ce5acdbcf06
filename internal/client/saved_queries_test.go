package client

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// queriesConfig: alice's (the admin's) queries 7 "Specimens" and 9 and 10 both "Twin"; bob's
// 8 "Bob's specimens"; 11 "Specimens 100%"; 12 titled "7"; 10 is shared with bob.
func queriesConfig() mockserver.Config {
	sc := directoryConfig()
	sc.SavedQueries = []mockserver.SavedQueryConfig{
		{ID: 7, Title: "Specimens", LastModifiedBy: "bob"},
		{ID: 8, Title: "Bob's specimens", CreatedBy: "bob"},
		{ID: 9, Title: "Twin"},
		{ID: 10, Title: "Twin", SharedWith: []string{"bob"}},
		{ID: 11, Title: "Specimens 100%"},
		{ID: 12, Title: "7"},
	}
	return sc
}

func queryIDs(qs []SavedQueryDetail) []int64 {
	out := []int64{}
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func TestListSavedQueries(t *testing.T) {
	e := newEnvOn(t, queriesConfig(), nil)
	for contains, want := range map[string]string{
		"":          "[12 11 10 9 8 7]",
		"SPECIMENS": "[11 8 7]",
		"%":         "[11]", // the server reads % as a wildcard: every title
		"7":         "[12]", // the server also answers query 7 for an all-digits search
	} {
		qs, err := e.c.ListSavedQueries(t.Context(), contains)
		if got := fmt.Sprint(queryIDs(qs)); err != nil || got != want {
			t.Errorf("%q: got %s, %v; want %s", contains, got, err, want)
		}
	}
	qs, _ := e.c.ListSavedQueries(t.Context(), "Bob")
	if len(qs) != 1 || qs[0].CreatorName() != "Bob Jones" || qs[0].LastModifiedOn == nil {
		t.Errorf("a listed query names its creator: %+v", qs)
	}
}

func TestListSavedQueriesPages(t *testing.T) {
	sc := queriesConfig()
	for i := range 150 {
		sc.SavedQueries = append(sc.SavedQueries, mockserver.SavedQueryConfig{ID: int64(100 + i), Title: fmt.Sprintf("Batch %d", i)})
	}
	e := newEnvOn(t, sc, nil)
	qs, err := e.c.ListSavedQueries(t.Context(), "batch")
	if err != nil || len(qs) != 150 || qs[0].ID != 249 || e.s.RequestCount("GET", "/saved-queries") != 2 {
		t.Errorf("got %d queries in %d requests, %v", len(qs), e.s.RequestCount("GET", "/saved-queries"), err)
	}
}

func TestGetSavedQuery(t *testing.T) {
	e := newEnvOn(t, queriesConfig(), func(cfg *Config) { cfg.Username, cfg.Password = "bob", "bob-pw" })
	// bob reads by id alice's query 9, not shared with him: the server checks only his right.
	q, err := e.c.GetSavedQuery(t.Context(), 9)
	if err != nil || q.Title != "Twin" || q.CreatedBy.LoginName != "alice" || q.CreatedBy.ID != 40 {
		t.Errorf("got %+v, %v", q, err)
	}
	if _, err := e.c.GetSavedQuery(t.Context(), 99); !IsCode(err, CodeSavedQueryNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestSavedQueryByTitle(t *testing.T) {
	e := newEnvOn(t, queriesConfig(), nil)
	q, err := e.c.SavedQueryByTitle(t.Context(), "Specimens")
	if err != nil || q.ID != 7 || q.CreatedBy.LoginName != "alice" || q.LastModifiedBy.LoginName != "bob" {
		t.Errorf("got %+v, %v", q, err)
	}
	for title, want := range map[string]string{
		"Twin": `2 saved queries are titled "Twin": "Twin" (id 10, by Alice Smith), "Twin" (id 9, by Alice Smith)`,
		"specimens": `no saved query is titled exactly "specimens"; queries whose title contains it: ` +
			`"Specimens 100%" (id 11, by Alice Smith), "Bob's specimens" (id 8, by Bob Jones), "Specimens" (id 7, by Alice Smith)`,
		"Nothing": `no saved query titled "Nothing", nor any whose title contains it, is visible to this user ` +
			`(a non-admin sees the queries it created or that are shared with it)`,
	} {
		_, err := e.c.SavedQueryByTitle(t.Context(), title)
		var te *SavedQueryTitleError
		if !errors.As(err, &te) || err.Error() != want {
			t.Errorf("%s: got %v\nwant %s", title, err, want)
		}
	}
}

// A non-admin sees its own queries and those shared with it: of the two "Twin", the one
// shared with bob.
func TestSavedQueryByTitleNonAdmin(t *testing.T) {
	e := newEnvOn(t, queriesConfig(), func(cfg *Config) { cfg.Username, cfg.Password = "bob", "bob-pw" })
	if q, err := e.c.SavedQueryByTitle(t.Context(), "Twin"); err != nil || q.ID != 10 {
		t.Errorf("got %+v, %v", q, err)
	}
	if _, err := e.c.SavedQueryByTitle(t.Context(), "Specimens"); err == nil {
		t.Error("alice's query 7 is not in bob's list")
	}
}

// A server that ignores returnList answers {"count", "queries"}: the list reads it too.
func TestListSavedQueriesObjectAnswer(t *testing.T) {
	c, mt := newRawClient(t, nil)
	mt.RegisterResponder(http.MethodGet, testRoot+"/saved-queries", httpmock.NewStringResponder(200,
		`{"count":null,"queries":[{"id":3,"title":"Specimens","createdBy":{"id":1,"firstName":"A","lastName":"B","cpCount":0}}]}`))
	qs, err := c.ListSavedQueries(t.Context(), "spec")
	if err != nil || len(qs) != 1 || qs[0].ID != 3 || qs[0].CreatorName() != "A B" {
		t.Errorf("got %+v, %v", qs, err)
	}
}
