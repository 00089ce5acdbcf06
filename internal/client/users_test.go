package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

const routeUsers = "/users"

// directoryConfig: the client's alice (an admin) and bob, users of another domain and in
// other statuses, and ids as a production server has them.
func directoryConfig() mockserver.Config {
	sc := serverConfig()
	sc.Users = []mockserver.UserConfig{
		{LoginName: "alice", Password: alicePassword, Admin: true, ID: 40, FirstName: "Alice", LastName: "Smith"},
		{LoginName: "bob", Password: "bob-pw", ID: 41, FirstName: "Bob", LastName: "Jones"},
		{LoginName: "bob.ldap", Password: "x", ID: 42, Domain: "ldap", FirstName: "Bob", LastName: "Ldap"},
		{LoginName: "carl_x", Password: "x", ID: 43, ActivityStatus: "Closed"},
		{LoginName: "carlax", Password: "x", ID: 44},
		{LoginName: "Dora", Password: "x", ID: 45},
	}
	return sc
}

func TestGetUser(t *testing.T) {
	e := newEnvOn(t, directoryConfig(), nil)
	u, err := e.c.GetUser(t.Context(), 40)
	want := UserAccount{ID: 40, LoginName: "alice", FirstName: "Alice", LastName: "Smith", Email: "alice@example.org",
		Domain: "openspecimen", Type: "SUPER", Admin: true, ActivityStatus: "Active"}
	if err != nil || *u != want {
		t.Errorf("got %+v, %v", u, err)
	}
	if u, err := e.c.GetUser(t.Context(), 43); err != nil || u.ActivityStatus != "Closed" || u.Admin {
		t.Errorf("a closed user: %+v, %v", u, err)
	}
	_, err = e.c.GetUser(t.Context(), 1)
	if !IsCode(err, CodeUserNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// Both JSON forms of a user: the list's (domain, admin) and GET /users/{id}'s (domainName,
// type only).
func TestUserAccountJSON(t *testing.T) {
	for body, want := range map[string]UserAccount{
		`{"id":1,"loginName":"a","domain":"ldap","admin":false,"type":"SUPER"}`:      {ID: 1, LoginName: "a", Domain: "ldap", Type: "SUPER"},
		`{"id":2,"loginName":"b","domainName":"openspecimen","type":"SUPER"}`:        {ID: 2, LoginName: "b", Domain: "openspecimen", Type: "SUPER", Admin: true},
		`{"id":3,"emailAddress":"c@x","activityStatus":"Locked","type":"NONE"}`:      {ID: 3, Email: "c@x", ActivityStatus: "Locked", Type: "NONE"},
		`{"id":4,"firstName":"D","lastName":"E","admin":true,"unknown":[1,2],"x":0}`: {ID: 4, FirstName: "D", LastName: "E", Admin: true},
	} {
		var got UserAccount
		if err := json.Unmarshal([]byte(body), &got); err != nil || got != want {
			t.Errorf("%s: got %+v, %v", body, got, err)
		}
	}
	var u UserAccount
	if err := json.Unmarshal([]byte(`{"id":"x"}`), &u); err == nil {
		t.Error("a bad id is an error")
	}
}

func TestListUsers(t *testing.T) {
	e := newEnvOn(t, directoryConfig(), nil)
	for _, c := range []struct {
		f    UserFilter
		want string
	}{
		{UserFilter{LoginName: "BOB"}, "[bob bob.ldap]"},
		{UserFilter{LoginName: "bob", Domain: "ldap"}, "[bob.ldap]"},
		// The server reads _ as any one character: carlax is in its answer, not in ListUsers'.
		{UserFilter{LoginName: "carl_x", ActivityStatus: "all"}, "[carl_x]"},
		{UserFilter{LoginName: "carl"}, "[carlax]"}, // the server hides Closed users by default
	} {
		users, err := e.c.ListUsers(t.Context(), c.f)
		if got := fmt.Sprint(userLogins(users)); err != nil || got != c.want {
			t.Errorf("%+v: got %s, %v; want %s", c.f, got, err, c.want)
		}
	}
}

func userLogins(users []UserAccount) []string {
	out := []string{}
	for _, u := range users {
		out = append(out, u.LoginName)
	}
	return out
}

// ListUsers reads every page: 250 users are three pages of 100.
func TestListUsersPages(t *testing.T) {
	sc := directoryConfig()
	for i := range 250 {
		sc.Users = append(sc.Users, mockserver.UserConfig{LoginName: fmt.Sprintf("lab%03d", i), Password: "x", ID: int64(1000 + i)})
	}
	e := newEnvOn(t, sc, nil)
	users, err := e.c.ListUsers(t.Context(), UserFilter{LoginName: "lab"})
	if err != nil || len(users) != 250 || e.s.RequestCount("GET", routeUsers) != 3 {
		t.Errorf("got %d users in %d requests, %v", len(users), e.s.RequestCount("GET", routeUsers), err)
	}
}

func TestUserByLogin(t *testing.T) {
	e := newEnvOn(t, directoryConfig(), nil)
	for _, c := range []struct {
		login, domain string
		id            int64
	}{
		{"bob", "", 41},          // the default domain
		{"bob.ldap", "ldap", 42}, // another domain
		{"bob.ldap", "LDAP", 42}, // domains compare in any case, as the database does
		{"carl_x", "", 43},       // a Closed user, and _ no wildcard
		{"Dora", "openspecimen", 45},
	} {
		u, err := e.c.UserByLogin(t.Context(), c.login, c.domain)
		if err != nil || u.ID != c.id {
			t.Errorf("%s@%s: got %+v, %v; want id %d", c.login, c.domain, u, err, c.id)
		}
	}
	for _, c := range []struct{ login, domain, want string }{
		{"dora", "", `no user of domain "openspecimen" has the login name "dora"; login names that contain it: "Dora" (domain openspecimen, id 45, Active)`},
		{"bob.ldap", "", `no user of domain "openspecimen" has the login name "bob.ldap"; login names that contain it: "bob.ldap" (domain ldap, id 42, Active)`},
		{"zoe", "", `no user's login name contains "zoe", in any domain or status`},
	} {
		_, err := e.c.UserByLogin(t.Context(), c.login, c.domain)
		var le *UserLoginError
		if !errors.As(err, &le) || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.login, err, c.want)
		}
	}
}

// A non-admin finds any user: the server lets every signed-in user list users.
func TestUserByLoginNonAdmin(t *testing.T) {
	e := newEnvOn(t, directoryConfig(), func(cfg *Config) { cfg.Username, cfg.Password = "bob", "bob-pw" })
	if u, err := e.c.UserByLogin(t.Context(), "alice", ""); err != nil || u.ID != 40 || !u.Admin {
		t.Errorf("got %+v, %v", u, err)
	}
}

func TestUserLoginErrorBounded(t *testing.T) {
	var candidates []UserAccount
	for i := range 12 {
		candidates = append(candidates, UserAccount{ID: int64(i), LoginName: fmt.Sprintf("lab%d", i), Domain: "openspecimen"})
	}
	msg := (&UserLoginError{LoginName: "lab", Domain: "openspecimen", Candidates: candidates}).Error()
	if !strings.Contains(msg, `"lab9"`) || strings.Contains(msg, `"lab10"`) || !strings.HasSuffix(msg, "and 2 more") {
		t.Errorf("got %s", msg)
	}
	twins := []UserAccount{{ID: 1, LoginName: "x", Domain: "ldap"}, {ID: 2, LoginName: "x", Domain: "LDAP"}}
	if msg := (&UserLoginError{LoginName: "x", Domain: "ldap", Candidates: twins}).Error(); !strings.HasPrefix(msg, `2 accounts of domain "ldap" have the login name "x"`) {
		t.Errorf("got %s", msg)
	}
}
