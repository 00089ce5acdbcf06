package mockserver

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// User activity statuses, as the server's Status enum spells them. A deleted user is
// Disabled; the user list hides Closed users unless asked for them.
var userStatuses = []string{"Active", "Pending", "Locked", "Closed", "Expired", "Disabled"}

// Defaults of a UserConfig's directory fields.
const (
	defaultDomain    = "openspecimen"
	defaultInstitute = "Default Institute"
)

const (
	codeUserInvalidType = "USER_INVALID_TYPE" // UserErrorCode.INVALID_TYPE
	// userTypeAdmin is the type of a super admin (User.Type.SUPER); every other mock user is NONE.
	userTypeAdmin = "SUPER"
	userTypeNone  = "NONE"
)

var userTypes = []string{"CONTACT", userTypeAdmin, "INSTITUTE", userTypeNone}

// applyDirectoryDefaults defaults the user's id (its position, 1, 2, ...), domain, activity
// status and institute, and reports a status the server does not know.
func (u *UserConfig) applyDirectoryDefaults(i int, bad *problems) {
	if u.ID == 0 {
		u.ID = int64(i + 1)
	}
	u.Domain = cmp.Or(u.Domain, defaultDomain)
	u.ActivityStatus = cmp.Or(u.ActivityStatus, "Active")
	u.Institute = cmp.Or(u.Institute, defaultInstitute)
	if !oneOf(u.ActivityStatus, userStatuses) {
		bad.add("users[%d] (%s): activityStatus %q is not one of %s", i, u.LoginName, u.ActivityStatus, strings.Join(userStatuses, ", "))
	}
}

// checkUserIDs reports ids that are not positive or that two users share.
func checkUserIDs(users []UserConfig, bad *problems) {
	seen := map[int64]string{}
	for i, u := range users {
		switch other, dup := seen[u.ID]; {
		case u.ID <= 0:
			bad.add("users[%d] (%s): id %d must be positive", i, u.LoginName, u.ID)
		case dup:
			bad.add("users[%d] (%s): id %d is also %s's", i, u.LoginName, u.ID, other)
		}
		seen[u.ID] = u.LoginName
	}
}

// userByID answers the user of that id, or nil.
func (s *Server) userByID(id int64) *user {
	for _, u := range s.usersList { // immutable list: no lock needed
		if u.id == id {
			return u
		}
	}
	return nil
}

// userType is the user's type as the server names it (User.Type).
func (u *user) userType() string {
	if u.cfg.Admin {
		return userTypeAdmin
	}
	return userTypeNone
}

// instituteID numbers the configured institutes 1, 2, ... in the order their first user
// comes.
func (s *Server) instituteID(name string) int64 {
	var names []string
	for _, u := range s.usersList {
		if !slices.Contains(names, u.cfg.Institute) {
			names = append(names, u.cfg.Institute)
		}
	}
	return int64(slices.Index(names, name) + 1)
}

// userSummaryJSON is the server's UserSummary, as GET /users lists users (nulls left out).
type userSummaryJSON struct {
	ID             int64  `json:"id"`
	Type           string `json:"type"`
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	LoginName      string `json:"loginName"`
	Domain         string `json:"domain"`
	EmailAddress   string `json:"emailAddress"`
	InstituteID    int64  `json:"instituteId"`
	InstituteName  string `json:"instituteName"`
	Admin          bool   `json:"admin"`
	InstituteAdmin bool   `json:"instituteAdmin"`
	CpCount        int    `json:"cpCount"`
	CreationDate   int64  `json:"creationDate"`
	ActivityStatus string `json:"activityStatus"`
}

func (s *Server) userSummary(u *user) userSummaryJSON {
	return userSummaryJSON{ID: u.id, Type: u.userType(), FirstName: u.cfg.FirstName, LastName: u.cfg.LastName,
		LoginName: u.cfg.LoginName, Domain: u.cfg.Domain, EmailAddress: u.cfg.Email,
		InstituteID: s.instituteID(u.cfg.Institute), InstituteName: u.cfg.Institute, Admin: u.cfg.Admin,
		CreationDate: s.startTime.UnixMilli(), ActivityStatus: u.cfg.ActivityStatus}
}

// userDetailJSON is the server's UserDetail, as GET /users/{id} answers a user: its domain
// is domainName, and it has no admin flag (type SUPER is an admin).
type userDetailJSON struct {
	ID                      int64  `json:"id"`
	FirstName               string `json:"firstName"`
	LastName                string `json:"lastName"`
	EmailAddress            string `json:"emailAddress"`
	DomainName              string `json:"domainName"`
	LoginName               string `json:"loginName"`
	InstituteID             int64  `json:"instituteId"`
	InstituteName           string `json:"instituteName"`
	Type                    string `json:"type"`
	ManageForms             bool   `json:"manageForms"`
	ManageWfs               bool   `json:"manageWfs"`
	ManagePrintJobs         bool   `json:"managePrintJobs"`
	Dnd                     bool   `json:"dnd"`
	APIUser                 bool   `json:"apiUser"`
	DownloadLabelsPrintFile bool   `json:"downloadLabelsPrintFile"`
	CreationDate            int64  `json:"creationDate"`
	ActivityStatus          string `json:"activityStatus"`
}

// userRoutes adds GET /users and GET /users/{id} (UserController).
func (s *Server) userRoutes(route func(method, pattern string, auth bool, h handlerFunc)) {
	route("GET", "/users", true, s.listUsers)
	route("GET", "/users/{id}", true, s.getUser)
}

// getUser is GET /users/{id}: any signed-in user may read any user, whatever its status.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, _ *user) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	u := s.userByID(id)
	if u == nil {
		writeError(w, http.StatusBadRequest, codeUserNotFound, "User not found.")
		return
	}
	writeJSON(w, http.StatusOK, userDetailJSON{ID: u.id, FirstName: u.cfg.FirstName, LastName: u.cfg.LastName,
		EmailAddress: u.cfg.Email, DomainName: u.cfg.Domain, LoginName: u.cfg.LoginName,
		InstituteID: s.instituteID(u.cfg.Institute), InstituteName: u.cfg.Institute, Type: u.userType(),
		CreationDate: s.startTime.UnixMilli(), ActivityStatus: u.cfg.ActivityStatus})
}

// userQuery is the filter of GET /users (UserListCriteria, UserDaoImpl).
type userQuery struct {
	search        string         // searchString: first, last or full name, or email; when set, name and loginName are ignored
	searchPattern *regexp.Regexp // search's LIKE pattern; nil when search is blank
	name          *regexp.Regexp // first or last name
	login         *regexp.Regexp // loginName
	domain        string         // domainName, exact
	status        string         // "": all but Closed; "all": all
	userType      string
	ownInstitute  bool // listAll=false
	start, max    int
}

// parseUserQuery reads the parameters of GET /users. It answers the error to write when one
// is invalid.
func parseUserQuery(v url.Values) (q userQuery, bad *apiError) {
	q.search = v.Get("searchString")
	q.searchPattern = blankOrLike(q.search)
	q.name, q.login = blankOrLike(v.Get("name")), blankOrLike(v.Get("loginName"))
	q.domain, q.status, q.userType = v.Get("domainName"), strings.TrimSpace(v.Get("activityStatus")), v.Get("type")
	if strings.EqualFold(q.status, "Archived") {
		q.status = "Closed"
	}
	if q.userType != "" && !oneOf(q.userType, userTypes) {
		return q, &apiError{codeUserInvalidType, fmt.Sprintf("Invalid user type %s.", q.userType)}
	}
	p := queryParams{Values: v}
	q.start, q.max = p.page("start", 100)
	q.ownInstitute = !p.bool("listAll", true)
	return q, p.invalid()
}

// blankOrLike is nil for a blank filter (no restriction), else its LIKE '%v%' pattern.
func blankOrLike(v string) *regexp.Regexp {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return likePattern(v)
}

// keeps says whether the list of caller keeps u.
func (q *userQuery) keeps(u, caller *user) bool {
	c := u.cfg
	return q.matchesNames(c) && (q.domain == "" || strings.EqualFold(c.Domain, q.domain)) &&
		(q.userType == "" || u.userType() == q.userType) &&
		(!q.ownInstitute || caller.cfg.Admin || c.Institute == caller.cfg.Institute) && q.keepsStatus(c.ActivityStatus)
}

// matchesNames applies searchString, or else name and loginName: each a case-insensitive
// LIKE '%v%' (% and _ unescaped); searchString also matches the full name exactly.
func (q *userQuery) matchesNames(c UserConfig) bool {
	if p := q.searchPattern; p != nil {
		return p.MatchString(c.FirstName) || p.MatchString(c.LastName) || p.MatchString(c.Email) ||
			strings.EqualFold(c.FirstName+" "+c.LastName, q.search)
	}
	return (q.name == nil || q.name.MatchString(c.FirstName) || q.name.MatchString(c.LastName)) &&
		(q.login == nil || q.login.MatchString(c.LoginName))
}

// keepsStatus applies activityStatus: none keeps all but Closed users, "all" every one.
func (q *userQuery) keepsStatus(status string) bool {
	switch {
	case q.status == "":
		return status != "Closed"
	case strings.EqualFold(q.status, "all"):
		return true
	}
	return strings.EqualFold(status, q.status)
}

// listUsers is GET /users: every signed-in user may list all users (listAll=false keeps a
// non-admin to its institute's), sorted by first then last name, a page of start and
// maxResults.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, caller *user) {
	q, bad := parseUserQuery(r.URL.Query())
	if bad != nil {
		writeError(w, http.StatusBadRequest, bad.Code, bad.Message)
		return
	}
	var kept []*user
	for _, u := range s.usersList {
		if q.keeps(u, caller) {
			kept = append(kept, u)
		}
	}
	slices.SortStableFunc(kept, func(a, b *user) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.cfg.FirstName), strings.ToLower(b.cfg.FirstName)),
			cmp.Compare(strings.ToLower(a.cfg.LastName), strings.ToLower(b.cfg.LastName)), cmp.Compare(a.id, b.id))
	})
	kept = pageOf(kept, q.start, q.max)
	out := make([]userSummaryJSON, 0, len(kept))
	for _, u := range kept {
		out = append(out, s.userSummary(u))
	}
	writeJSON(w, http.StatusOK, out)
}
