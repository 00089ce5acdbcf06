package mockserver

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// queriesConfig: admin's queries 101 and 104, alice's 102, 103 shared with alice, 105 in a
// folder shared with every user, 2024 whose title is a number; bob has no Query right.
func queriesConfig() Config {
	cfg := directoryConfig()
	cfg.Users[3].NoQueryRights = true // bob
	cfg.SavedQueries = []SavedQueryConfig{
		{ID: 101, Title: "Specimens by collection protocol"},
		{ID: 102, Title: "Alice's specimens", CreatedBy: "alice", LastModifiedBy: "admin", LastModifiedOn: mustTime("2024-05-01T10:00:00Z")},
		{ID: 103, Title: "Shared specimens", SharedWith: []string{"alice"}},
		{ID: 104, Title: "Participants"},
		{ID: 105, Title: "Everyone's specimens", SharedWithAll: true},
		{ID: 2024, Title: "101"},
	}
	return cfg
}

// listQueryIDs lists the ids of a GET /saved-queries?returnList=true answer, in its order.
func listQueryIDs(t *testing.T, s *Server, auth string, query url.Values) string {
	t.Helper()
	query.Set("returnList", "true")
	r := call(t, "GET", s.URL()+"/saved-queries?"+query.Encode(), auth, "")
	if r.status != 200 {
		t.Fatalf("GET /saved-queries?%s: %d %s", query.Encode(), r.status, r.body)
	}
	var qs []savedQuerySummaryJSON
	r.decode(t, &qs)
	var ids []string
	for _, q := range qs {
		ids = append(ids, fmt.Sprint(q.ID))
	}
	return strings.Join(ids, " ")
}

func TestListSavedQueriesFilters(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} { // both lines' QueryServiceImpl agree
		cfg := queriesConfig()
		cfg.Line = line
		s := newTestServer(t, cfg)
		const admin, alice = "basic:admin:Admin@123", "basic:alice:Alice@123"
		for _, c := range []struct {
			name, auth string
			query      url.Values
			want       string
		}{
			{"an admin sees all, newest id first", admin, url.Values{}, "2024 105 104 103 102 101"},
			{"a non-admin: its own, shared with it, shared with all", alice, url.Values{}, "105 103 102"},
			{"an admin asks for a user's", admin, url.Values{"userId": {"12"}}, "105 103 102"},
			{"a non-admin's userId is itself", alice, url.Values{"userId": {"1"}}, "105 103 102"},
			{"title contains, any case", admin, url.Values{"searchString": {"SPECIMENS"}}, "105 103 102 101"},
			{"a numeric search is also the id", admin, url.Values{"searchString": {"101"}}, "2024 101"},
			{"% is any run", admin, url.Values{"searchString": {"s%by"}}, "101"},
			{"page", admin, url.Values{"startAt": {"1"}, "maxResults": {"2"}}, "105 104"},
			{"maxResults 0 is 100", admin, url.Values{"maxResults": {"0"}, "startAt": {"-1"}}, "2024 105 104 103 102 101"},
			{"no query is in a folder of an id", admin, url.Values{"folderId": {"3"}}, ""},
			{"cpId keeps queries of no collection protocol", admin, url.Values{"cpId": {"3"}}, "2024 105 104 103 102 101"},
		} {
			t.Run(line+"/"+c.name, func(t *testing.T) {
				if got := listQueryIDs(t, s, c.auth, c.query); got != c.want {
					t.Errorf("got %q, want %q", got, c.want)
				}
			})
		}
	}
}

func TestListSavedQueriesDefaultsAndJSON(t *testing.T) {
	cfg := queriesConfig()
	for i := 0; i < 30; i++ {
		cfg.SavedQueries = append(cfg.SavedQueries, SavedQueryConfig{ID: int64(3000 + i)})
	}
	s := newTestServer(t, cfg)
	var page struct {
		Count   *int64                  `json:"count"`
		Queries []savedQuerySummaryJSON `json:"queries"`
	}
	call(t, "GET", s.URL()+"/saved-queries", "basic:admin:Admin@123", "").decode(t, &page)
	if page.Count != nil || len(page.Queries) != 25 {
		t.Errorf("without returnList: count %v and %d queries, want null and the default 25", page.Count, len(page.Queries))
	}
	call(t, "GET", s.URL()+"/saved-queries?countReq=true&searchString=specimens", "basic:admin:Admin@123", "").decode(t, &page)
	if page.Count == nil || *page.Count != 4 {
		t.Errorf("countReq: count %v, want 4", page.Count)
	}
	r := call(t, "GET", s.URL()+"/saved-queries?returnList=true&searchString=alice", "basic:alice:Alice@123", "")
	want := `[{"id":102,"title":"Alice's specimens","createdBy":{"id":12,"firstName":"Alice","lastName":"Smith","cpCount":0},` +
		`"lastModifiedBy":{"id":1,"firstName":"Super","lastName":"Admin","cpCount":0},"lastModifiedOn":1714557600000}]`
	if string(r.body) != want {
		t.Errorf("got  %s\nwant %s", r.body, want)
	}
}

func TestGetSavedQuery(t *testing.T) {
	s := newTestServer(t, queriesConfig())
	// alice reads by id a query she does not see in her list: the server checks only the right.
	r := call(t, "GET", s.URL()+"/saved-queries/104", "basic:alice:Alice@123", "")
	var q savedQueryDetailJSON
	r.decode(t, &q)
	if r.status != 200 || q.Title != "Participants" || q.CreatedBy.LoginName != "admin" || q.CreatedBy.Domain != "openspecimen" ||
		!q.CreatedBy.Admin || q.LastModifiedBy.LoginName != "admin" || q.LastModifiedOn != s.startTime.UnixMilli() {
		t.Errorf("got %d %s", r.status, r.body)
	}
	for path, code := range map[string]string{"/saved-queries/7": codeSavedQueryNotFound, "/saved-queries/x": codeInvalidRequest} {
		if r := call(t, "GET", s.URL()+path, "basic:alice:Alice@123", ""); r.status != 400 || r.apiCode() != code {
			t.Errorf("%s: %d %s, want 400 %s", path, r.status, r.body, code)
		}
	}
}

func TestSavedQueriesNeedTheQueryRight(t *testing.T) {
	s := newTestServer(t, queriesConfig())
	for _, path := range []string{"/saved-queries", "/saved-queries/101"} {
		if r := call(t, "GET", s.URL()+path, "basic:bob:x", ""); r.status != 400 || r.apiCode() != codeAccessDenied {
			t.Errorf("%s without the Query right: %d %s", path, r.status, r.body)
		}
	}
	for _, query := range []string{"startAt=x", "returnList=maybe", "userId=me"} {
		if r := call(t, "GET", s.URL()+"/saved-queries?"+query, "basic:admin:Admin@123", ""); r.status != 400 || r.apiCode() != codeInvalidRequest {
			t.Errorf("%s: %d %s", query, r.status, r.body)
		}
	}
}

func TestSavedQueryConfigUsers(t *testing.T) {
	_, err := Config{SavedQueries: []SavedQueryConfig{{ID: 1, CreatedBy: "nobody", SharedWith: []string{"ghost"}}}}.normalize()
	for _, want := range []string{`createdBy "nobody" is not a configured user`, `sharedWith "ghost" is not a configured user`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %s", err, want)
		}
	}
	// The problems come in the fields' order, the same on every run.
	want := `savedQueries[0] (id 1): createdBy "nobody" is not a configured user` + "\n" +
		`savedQueries[0] (id 1): lastModifiedBy "nobody" is not a configured user` + "\n" +
		`savedQueries[0] (id 1): sharedWith "ghost" is not a configured user`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("got %v, want it to end with\n%s", err, want)
	}
	cfg, err := Config{SavedQueries: []SavedQueryConfig{{ID: 1}}}.normalize()
	if err != nil || cfg.SavedQueries[0].CreatedBy != "admin" || cfg.SavedQueries[0].LastModifiedBy != "admin" {
		t.Errorf("defaults: %+v, %v", cfg.SavedQueries, err)
	}
}
