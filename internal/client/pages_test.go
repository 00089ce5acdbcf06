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
// error that says so and names what to narrow, instead of reading on.
func TestReadPagesBounded(t *testing.T) {
	for _, tc := range []struct {
		path, item string
		list       func(c *Client) error
		want       string
	}{
		{"/users", `{"id":1,"loginName":"lab"}`, func(c *Client) error {
			_, err := c.ListUsers(t.Context(), UserFilter{LoginName: "lab"})
			return err
		}, `listing users: more than 10,000 match: narrow the login name "lab"`},
		{"/saved-queries", `{"id":1,"title":"lab"}`, func(c *Client) error {
			_, err := c.ListSavedQueries(t.Context(), "lab")
			return err
		}, `listing saved queries: more than 10,000 match: narrow the title "lab"`},
		{"/scheduled-jobs", `{"id":1,"name":"lab"}`, func(c *Client) error {
			_, err := c.ListJobs(t.Context(), JobFilter{NameContains: "lab"})
			return err
		}, `listing jobs: more than 10,000 match: narrow the name "lab"`},
	} {
		c, mt := newRawClient(t, nil)
		page := "[" + strings.TrimSuffix(strings.Repeat(tc.item+",", pageSize), ",") + "]"
		mt.RegisterResponder(http.MethodGet, testRoot+tc.path, httpmock.NewStringResponder(200, page))
		if err := tc.list(c); !errors.Is(err, errTooMany) || err.Error() != tc.want {
			t.Errorf("%s: got %v", tc.path, err)
		}
		if n := mt.GetTotalCallCount(); n != maxPages {
			t.Errorf("%s: %d requests, want %d", tc.path, n, maxPages)
		}
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

// An answer without an id is no user, query, job or run: a bad body, not a zero value.
func TestReadOneNoID(t *testing.T) {
	c, mt := newRawClient(t, nil)
	mt.RegisterResponder(http.MethodGet, testRoot+"/users/5", httpmock.NewStringResponder(200, `{"loginName":"a"}`))
	mt.RegisterResponder(http.MethodGet, testRoot+"/saved-queries/5", httpmock.NewStringResponder(200, `{}`))
	mt.RegisterResponder(http.MethodGet, testRoot+"/scheduled-jobs/5", httpmock.NewStringResponder(200, `{"name":"a"}`))
	mt.RegisterResponder(http.MethodGet, testRoot+"/scheduled-jobs/5/runs/6", httpmock.NewStringResponder(200, `{"jobId":5}`))
	if _, err := c.GetUser(t.Context(), 5); err == nil || !strings.Contains(err.Error(), "the answer has no user id") {
		t.Errorf("user: %v", err)
	}
	if _, err := c.GetSavedQuery(t.Context(), 5); err == nil || !strings.Contains(err.Error(), "the answer has no query id") {
		t.Errorf("query: %v", err)
	}
	var bad *badBodyError
	if _, err := c.GetJob(t.Context(), 5); !errors.As(err, &bad) || !strings.Contains(err.Error(), "the answer has no job id") {
		t.Errorf("job: %v", err)
	}
	if _, err := c.GetRun(t.Context(), 5, 6); !errors.As(err, &bad) || !strings.Contains(err.Error(), "the answer has no run id") {
		t.Errorf("run: %v", err)
	}
}
