package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// CodeUserNotFound is the server's answer about a user id no user has (UserErrorCode.NOT_FOUND).
const CodeUserNotFound = "USER_NOT_FOUND"

// UserAccount is a user account as the user list (GET /users, the server's UserSummary) and
// GET /users/{id} (UserDetail) describe it.
type UserAccount struct {
	ID        int64
	LoginName string
	FirstName string
	LastName  string
	Email     string
	// Domain is the account's authentication domain: openspecimen for a local account, else
	// the LDAP, SAML or OAuth domain it signs in through.
	Domain string
	// Type is SUPER (an admin), INSTITUTE (an institute admin), CONTACT or NONE.
	Type string
	// Admin says the account is a super admin.
	Admin bool
	// ActivityStatus is Active, Pending, Locked, Closed, Expired or Disabled (deleted).
	ActivityStatus string
}

// userWire is both JSON forms of a user: the list's UserSummary names the domain "domain"
// and has "admin"; UserDetail names it "domainName" and has only "type". Both have the
// fields of User.
type userWire struct {
	User
	DomainName     string `json:"domainName"`
	Type           string `json:"type"`
	Admin          *bool  `json:"admin"`
	ActivityStatus string `json:"activityStatus"`
}

// UnmarshalJSON reads either JSON form of a user.
func (u *UserAccount) UnmarshalJSON(b []byte) error {
	var w userWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = UserAccount{ID: w.ID, LoginName: w.LoginName, FirstName: w.FirstName, LastName: w.LastName,
		Email: w.EmailAddress, Domain: w.Domain, Type: w.Type, Admin: w.Type == "SUPER", ActivityStatus: w.ActivityStatus}
	if u.Domain == "" {
		u.Domain = w.DomainName
	}
	if w.Admin != nil {
		u.Admin = *w.Admin
	}
	return nil
}

// UserFilter selects users for ListUsers, as the server's parameters do.
type UserFilter struct {
	// LoginName keeps users whose login name contains it, in any case. The server reads %
	// and _ in it as wildcards; ListUsers keeps only true substrings.
	LoginName string
	// Domain keeps the users of this authentication domain; "" keeps every domain.
	Domain string
	// ActivityStatus keeps the users of this status; "" keeps all but Closed users (the
	// server's default), "all" every user.
	ActivityStatus string
}

// maxUserJSON bounds one user in a page's answer.
const maxUserJSON = 16 << 10

// ListUsers answers the users f keeps, reading the server's pages (GET /users?start=&
// maxResults=) to the end, sorted as the server sorts them (by first, then last name).
// Every signed-in user may list every user.
func (c *Client) ListUsers(ctx context.Context, f UserFilter) ([]UserAccount, error) {
	q := url.Values{}
	for name, v := range map[string]string{"loginName": f.LoginName, "domainName": f.Domain, "activityStatus": f.ActivityStatus} {
		if v != "" {
			q.Set(name, v)
		}
	}
	users, err := readPages[UserAccount](ctx, c, listing{path: "/users", query: q, startParam: "start", itemBound: maxUserJSON,
		what: "users", narrow: fmt.Sprintf("the login name %q", f.LoginName)})
	if err != nil {
		return nil, err
	}
	return keepContaining(users, func(u *UserAccount) string { return u.LoginName }, f.LoginName), nil
}

// GetUser reads a user account by id, whatever its status. A missing user is an error for
// which IsCode(err, CodeUserNotFound) is true.
func (c *Client) GetUser(ctx context.Context, userID int64) (*UserAccount, error) {
	return readOne(ctx, c, "/users/"+strconv.FormatInt(userID, 10), "user", func(u *UserAccount) int64 { return u.ID })
}

// UserLoginError is a login name that names no account of the domain, or several.
type UserLoginError struct {
	LoginName string
	Domain    string
	// Candidates are the accounts, of any domain and status, whose login name contains
	// LoginName in any case, in the server's order.
	Candidates []UserAccount
}

func (e *UserLoginError) Error() string {
	exact := e.exact()
	if len(exact) > 1 {
		return fmt.Sprintf("%d accounts of domain %q have the login name %q: %s", len(exact), e.Domain, e.LoginName, namedUsers(exact))
	}
	if len(e.Candidates) == 0 {
		return fmt.Sprintf("no user's login name contains %q, in any domain or status", e.LoginName)
	}
	return fmt.Sprintf("no user of domain %q has the login name %q; login names that contain it: %s",
		e.Domain, e.LoginName, namedUsers(e.Candidates))
}

// namedUsers names the first accounts of users for an error message.
func namedUsers(users []UserAccount) string {
	return nameFirst(users, func(u *UserAccount) string {
		return fmt.Sprintf("%q (domain %s, id %d, %s)", u.LoginName, u.Domain, u.ID, u.ActivityStatus)
	})
}

// exact answers the candidates of the login name itself (case-sensitive) in the domain
// (in any case, as the server's database compares names).
func (e *UserLoginError) exact() []UserAccount {
	return matching(e.Candidates, func(u *UserAccount) bool {
		return u.LoginName == e.LoginName && strings.EqualFold(u.Domain, e.Domain)
	})
}

// UserByLogin answers the one account of the domain ("" is DefaultDomain) whose login name
// is loginName (case-sensitive), whatever its status. None, or several, is a
// *UserLoginError listing the accounts whose login name contains loginName.
func (c *Client) UserByLogin(ctx context.Context, loginName, domain string) (*UserAccount, error) {
	if domain == "" {
		domain = DefaultDomain
	}
	users, err := c.ListUsers(ctx, UserFilter{LoginName: loginName, ActivityStatus: "all"})
	if err != nil {
		return nil, err
	}
	e := &UserLoginError{LoginName: loginName, Domain: domain, Candidates: users}
	exact := e.exact()
	if len(exact) != 1 {
		return nil, e
	}
	return &exact[0], nil
}
