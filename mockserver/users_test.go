package mockserver

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// directoryConfig: users of two institutes and two domains, in every status; ids as a
// production server might have them.
func directoryConfig() Config {
	return Config{
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true, ID: 1, FirstName: "Super", LastName: "Admin"},
			{LoginName: "alice", Password: "Alice@123", ID: 12, FirstName: "Alice", LastName: "Smith", Email: "alice@lab.example"},
			{LoginName: "alice.b", Password: "x", ID: 13, FirstName: "Alice", LastName: "Brown", Institute: "Cancer Centre"},
			{LoginName: "bob", Password: "x", ID: 14, FirstName: "Bob", LastName: "Jones", Domain: "ldap"},
			{LoginName: "carl_x", Password: "x", ID: 15, FirstName: "Carl", LastName: "Zed", ActivityStatus: "Closed"},
			{LoginName: "carlax", Password: "x", ID: 16, FirstName: "Carla", LastName: "Young", ActivityStatus: "Locked", Email: "cy@example.org"},
			{LoginName: "dora", Password: "x", ID: 17, FirstName: "Dora", LastName: "Alison", ActivityStatus: "Disabled"},
		},
	}
}

// listLogins lists the login names of a GET /users answer, in its order.
func listLogins(t *testing.T, s *Server, token string, query url.Values) []string {
	t.Helper()
	r := call(t, "GET", s.URL()+"/users?"+query.Encode(), token, "")
	if r.status != 200 {
		t.Fatalf("GET /users?%s: %d %s", query.Encode(), r.status, r.body)
	}
	var users []userSummaryJSON
	r.decode(t, &users)
	var out []string
	for _, u := range users {
		out = append(out, u.LoginName)
	}
	return out
}

func TestListUsersFilters(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} { // both lines' UserDaoImpl agree
		cfg := directoryConfig()
		cfg.Line = line
		s := newTestServer(t, cfg)
		alice := login(t, s, "alice", "Alice@123") // any signed-in user may list users
		for _, c := range []struct {
			name  string
			query url.Values
			want  string
		}{
			{"all but Closed, by first then last name", nil, "alice.b alice bob carlax dora admin"},
			{"loginName contains, any case", url.Values{"loginName": {"ALICE"}}, "alice.b alice"},
			{"loginName _ is any one character", url.Values{"loginName": {"carl_x"}, "activityStatus": {"all"}}, "carl_x carlax"},
			{"loginName % is any run", url.Values{"loginName": {"a%b"}}, "alice.b"},
			{"domainName exact", url.Values{"domainName": {"ldap"}}, "bob"},
			{"activityStatus all", url.Values{"activityStatus": {"all"}}, "alice.b alice bob carl_x carlax dora admin"},
			{"activityStatus exact", url.Values{"activityStatus": {"Locked"}}, "carlax"},
			{"Archived is Closed", url.Values{"activityStatus": {"Archived"}}, "carl_x"},
			{"searchString: first or last name", url.Values{"searchString": {"ali"}}, "alice.b alice dora"},
			{"searchString: email", url.Values{"searchString": {"lab.example"}}, "alice"},
			{"searchString: full name exactly", url.Values{"searchString": {"alice smith"}}, "alice"},
			{"searchString ignores loginName", url.Values{"searchString": {"Super"}, "loginName": {"bob"}}, "admin"},
			{"searchString does not match login names", url.Values{"searchString": {"carlax"}}, ""},
			{"name: first or last", url.Values{"name": {"jones"}}, "bob"},
			{"type", url.Values{"type": {"SUPER"}}, "admin"},
			{"page", url.Values{"start": {"1"}, "maxResults": {"2"}}, "alice bob"},
			{"start below 0 is 0, maxResults 0 is 100", url.Values{"start": {"-5"}, "maxResults": {"0"}}, "alice.b alice bob carlax dora admin"},
			{"listAll=false: own institute", url.Values{"listAll": {"false"}}, "alice bob carlax dora admin"},
		} {
			t.Run(line+"/"+c.name, func(t *testing.T) {
				if got := strings.Join(listLogins(t, s, alice, c.query), " "); got != c.want {
					t.Errorf("got %q, want %q", got, c.want)
				}
			})
		}
	}
}

func TestListUsersAdminListAll(t *testing.T) {
	s := newTestServer(t, directoryConfig())
	admin := login(t, s, "admin", "Admin@123")
	got := listLogins(t, s, admin, url.Values{"listAll": {"false"}})
	if !slices.Contains(got, "alice.b") {
		t.Errorf("an admin's listAll=false keeps every institute: %v", got)
	}
}

func TestListUsersBadParameters(t *testing.T) {
	s := newTestServer(t, directoryConfig())
	for query, code := range map[string]string{
		"start=x":         codeInvalidRequest,
		"maxResults=1.5":  codeInvalidRequest,
		"listAll=perhaps": codeInvalidRequest,
		"type=ADMIN":      codeUserInvalidType,
	} {
		r := call(t, "GET", s.URL()+"/users?"+query, "basic:admin:Admin@123", "")
		if r.status != 400 || r.apiCode() != code {
			t.Errorf("%s: %d %s, want 400 %s", query, r.status, r.body, code)
		}
	}
	if r := call(t, "GET", s.URL()+"/users", "", ""); r.status != 401 {
		t.Errorf("without credentials: %d, want 401", r.status)
	}
}

func TestListUsersJSON(t *testing.T) {
	s := newTestServer(t, directoryConfig())
	r := call(t, "GET", s.URL()+"/users?loginName=bob", "basic:alice:Alice@123", "")
	want := fmt.Sprintf(`[{"id":14,"type":"NONE","firstName":"Bob","lastName":"Jones","loginName":"bob","domain":"ldap",`+
		`"emailAddress":"bob@example.org","instituteId":1,"instituteName":"Default Institute","admin":false,"instituteAdmin":false,`+
		`"cpCount":0,"creationDate":%d,"activityStatus":"Active"}]`, s.startTime.UnixMilli())
	if string(r.body) != want {
		t.Errorf("got  %s\nwant %s", r.body, want)
	}
}

func TestGetUser(t *testing.T) {
	s := newTestServer(t, directoryConfig())
	alice := login(t, s, "alice", "Alice@123")
	r := call(t, "GET", s.URL()+"/users/1", alice, "") // a non-admin reads any user
	want := fmt.Sprintf(`{"id":1,"firstName":"Super","lastName":"Admin","emailAddress":"admin@example.org","domainName":"openspecimen",`+
		`"loginName":"admin","instituteId":1,"instituteName":"Default Institute","type":"SUPER","manageForms":false,"manageWfs":false,`+
		`"managePrintJobs":false,"dnd":false,"apiUser":false,"downloadLabelsPrintFile":false,"creationDate":%d,"activityStatus":"Active"}`,
		s.startTime.UnixMilli())
	if r.status != 200 || string(r.body) != want {
		t.Errorf("got  %d %s\nwant %s", r.status, r.body, want)
	}
	var closed userDetailJSON
	call(t, "GET", s.URL()+"/users/15", alice, "").decode(t, &closed)
	if closed.ActivityStatus != "Closed" || closed.LoginName != "carl_x" {
		t.Errorf("a Closed user is read by id: %+v", closed)
	}
	for path, code := range map[string]string{"/users/2": codeUserNotFound, "/users/x": codeInvalidRequest} {
		if r := call(t, "GET", s.URL()+path, alice, ""); r.status != 400 || r.apiCode() != code {
			t.Errorf("%s: %d %s, want 400 %s", path, r.status, r.body, code)
		}
	}
	var me currentUserJSON
	call(t, "GET", s.URL()+"/users/current-user", alice, "").decode(t, &me)
	if me.ID != 12 || me.LoginName != "alice" {
		t.Errorf("current-user is not GET /users/{id}: %+v", me)
	}
}

func TestUserConfigDirectory(t *testing.T) {
	cfg, err := Config{Users: []UserConfig{{LoginName: "a", Password: "p"}, {LoginName: "b", Password: "p"}}}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if u := cfg.Users[1]; u.ID != 2 || u.Domain != "openspecimen" || u.ActivityStatus != "Active" || u.Institute != "Default Institute" {
		t.Errorf("defaults: %+v", u)
	}
	for name, users := range map[string][]UserConfig{
		`id 5 is also a's`:                {{LoginName: "a", Password: "p", ID: 5}, {LoginName: "b", Password: "p", ID: 5}},
		`id -1 must be positive`:          {{LoginName: "a", Password: "p", ID: -1}},
		`activityStatus "Gone" is not`:    {{LoginName: "a", Password: "p", ActivityStatus: "Gone"}},
		`id 2 is also a's` + " (default)": {{LoginName: "a", Password: "p", ID: 2}, {LoginName: "b", Password: "p"}},
	} {
		_, err := Config{Users: users}.normalize()
		if want := strings.TrimSuffix(name, " (default)"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// A job's users are referenced by their configured ids, and its JSON names their domain.
func TestJobUsersByConfiguredID(t *testing.T) {
	cfg := directoryConfig()
	cfg.SavedQueries = []SavedQueryConfig{{ID: 7}}
	s := newTestServer(t, cfg)
	r := call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123",
		`{"name":"N","type":"QUERY","savedQuery":{"id":7},"repeatSchedule":"ONDEMAND","runAs":{"id":14},"recipients":[{"id":2}]}`)
	if r.status != 400 || r.apiCode() != codeUsersNotFound {
		t.Fatalf("user 2 is no configured id: %d %s", r.status, r.body)
	}
	r = call(t, "POST", s.URL()+"/scheduled-jobs", "basic:admin:Admin@123",
		`{"name":"N","type":"QUERY","savedQuery":{"id":7},"repeatSchedule":"ONDEMAND","runAs":{"id":14},"recipients":[{"id":12}]}`)
	var job jobJSON
	r.decode(t, &job)
	if job.RunAs == nil || job.RunAs.LoginName != "bob" || job.RunAs.Domain != "ldap" || job.Recipients[0].LoginName != "alice" {
		t.Errorf("users by id: %s", r.body)
	}
}
