package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

// A server that answers full pages forever: the list stops after 10,000 items, with an
// error that says so, instead of reading on.
func TestReadPagesBounded(t *testing.T) {
	c, mt := newRawClient(t, nil)
	page := "[" + strings.TrimSuffix(strings.Repeat(`{"id":1,"loginName":"lab"},`, pageSize), ",") + "]"
	mt.RegisterResponder(http.MethodGet, testRoot+"/users", httpmock.NewStringResponder(200, page))
	_, err := c.ListUsers(t.Context(), UserFilter{LoginName: "lab"})
	if !errors.Is(err, errTooMany) || err.Error() != `listing users: more than 10,000 match: narrow the login name "lab"` {
		t.Errorf("got %v", err)
	}
	if n := mt.GetTotalCallCount(); n != maxPages {
		t.Errorf("%d requests, want %d", n, maxPages)
	}
}

// Each list names its first item as the server's controller does: start for users, startAt
// for saved queries and jobs; every page asks for pageSize items.
func TestReadPagesParameters(t *testing.T) {
	c, mt := newRawClient(t, nil)
	var queries []string
	for _, path := range []string{"/users", "/saved-queries", "/scheduled-jobs"} {
		mt.RegisterResponder(http.MethodGet, testRoot+path, func(req *http.Request) (*http.Response, error) {
			queries = append(queries, req.URL.Path[strings.LastIndex(req.URL.Path, "/"):]+"?"+req.URL.RawQuery)
			return httpmock.NewStringResponse(200, "[]"), nil
		})
	}
	if _, err := c.ListUsers(t.Context(), UserFilter{LoginName: "a_b", Domain: "ldap"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListSavedQueries(t.Context(), "Specimens"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListJobs(t.Context(), JobFilter{NameContains: "Nightly", Type: "QUERY"}); err != nil {
		t.Fatal(err)
	}
	want := "[/users?domainName=ldap&loginName=a_b&maxResults=100&start=0 " +
		"/saved-queries?maxResults=100&returnList=true&searchString=Specimens&startAt=0 " +
		"/scheduled-jobs?maxResults=100&query=Nightly&startAt=0&type=QUERY]"
	if got := fmt.Sprint(queries); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A server error is the error, with no advice to narrow the name.
func TestReadPagesError(t *testing.T) {
	c, mt := newRawClient(t, nil)
	mt.RegisterResponder(http.MethodGet, testRoot+"/saved-queries", httpmock.NewStringResponder(400,
		`[{"code":"RBAC_ACCESS_DENIED","message":"Access denied"}]`))
	_, err := c.ListSavedQueries(t.Context(), "x")
	if !IsCode(err, "RBAC_ACCESS_DENIED") || strings.Contains(err.Error(), "narrow") {
		t.Errorf("got %v", err)
	}
}

// An answer without an id is no user or query: a bad body, not a zero value.
func TestReadOneNoID(t *testing.T) {
	c, mt := newRawClient(t, nil)
	mt.RegisterResponder(http.MethodGet, testRoot+"/users/5", httpmock.NewStringResponder(200, `{"loginName":"a"}`))
	mt.RegisterResponder(http.MethodGet, testRoot+"/saved-queries/5", httpmock.NewStringResponder(200, `{}`))
	if _, err := c.GetUser(t.Context(), 5); err == nil || !strings.Contains(err.Error(), "the answer has no user id") {
		t.Errorf("user: %v", err)
	}
	if _, err := c.GetSavedQuery(t.Context(), 5); err == nil || !strings.Contains(err.Error(), "the answer has no query id") {
		t.Errorf("query: %v", err)
	}
}
