package mockserver

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// normalizeQueryOwners defaults each saved query's creator (the first admin), last editor
// (its creator) and reports users that are not configured, in the fields' order.
func normalizeQueryOwners(queries []SavedQueryConfig, users map[string]bool, firstAdmin string, bad *problems) {
	for i := range queries {
		q := &queries[i]
		where := fmt.Sprintf("savedQueries[%d] (id %d)", i, q.ID)
		q.CreatedBy = cmp.Or(q.CreatedBy, firstAdmin)
		q.LastModifiedBy = cmp.Or(q.LastModifiedBy, q.CreatedBy)
		checkLogins(where, "createdBy", users, bad, q.CreatedBy)
		checkLogins(where, "lastModifiedBy", users, bad, q.LastModifiedBy)
		checkLogins(where, "sharedWith", users, bad, q.SharedWith...)
	}
}

// checkLogins reports each login, named role of where, that is not a configured user.
func checkLogins(where, role string, users map[string]bool, bad *problems, logins ...string) {
	for _, login := range logins {
		if !users[login] {
			bad.add("%s: %s %q is not a configured user", where, role, login)
		}
	}
}

// visibleTo says whether the query is in the list of the user of id: it created the query,
// or the query is in a folder shared with it or with every user.
func (q *SavedQueryConfig) visibleTo(s *Server, userID int64) bool {
	if q.SharedWithAll || s.users[q.CreatedBy].id == userID {
		return true
	}
	return slices.ContainsFunc(q.SharedWith, func(login string) bool { return s.users[login].id == userID })
}

// savedQueryRoutes adds GET /saved-queries and GET /saved-queries/{id}
// (SavedQueriesController), both for users with the Query read right.
func (s *Server) savedQueryRoutes(route func(method, pattern string, auth bool, h handlerFunc)) {
	route("GET", "/saved-queries", true, withQueryRights(s.listSavedQueries))
	route("GET", "/saved-queries/{id}", true, withQueryRights(s.getSavedQuery))
}

// withQueryRights answers 400 RBAC_ACCESS_DENIED itself to a non-admin without the Query
// read right (QueryServiceImpl.ensureReadRights).
func withQueryRights(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		if u.cfg.NoQueryRights && !u.cfg.Admin {
			writeError(w, http.StatusBadRequest, codeAccessDenied, "Access denied: you do not have rights to read queries.")
			return
		}
		h(w, r, u)
	}
}

// queryUserJSON is a user of a saved query in the list: the server's UserSummary with only
// the id and names set (cpCount, an int, is always written).
type queryUserJSON struct {
	ID        int64  `json:"id"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	CpCount   int    `json:"cpCount"`
}

// savedQuerySummaryJSON is the server's SavedQuerySummary, as GET /saved-queries lists a query.
type savedQuerySummaryJSON struct {
	ID             int64         `json:"id"`
	Title          string        `json:"title"`
	CreatedBy      queryUserJSON `json:"createdBy"`
	LastModifiedBy queryUserJSON `json:"lastModifiedBy"`
	LastModifiedOn int64         `json:"lastModifiedOn"`
}

// savedQueryDetailJSON is the server's SavedQueryDetail, as GET /saved-queries/{id} answers
// a query: its users are whole UserSummary objects; the mock's queries have no collection
// protocol and an empty definition.
type savedQueryDetailJSON struct {
	ID                int64           `json:"id"`
	Title             string          `json:"title"`
	CreatedBy         userSummaryJSON `json:"createdBy"`
	LastModifiedBy    userSummaryJSON `json:"lastModifiedBy"`
	LastModifiedOn    int64           `json:"lastModifiedOn"`
	DrivingForm       string          `json:"drivingForm"`
	Filters           []any           `json:"filters"`
	QueryExpression   []any           `json:"queryExpression"`
	SelectList        []any           `json:"selectList"`
	OutputColumnExprs bool            `json:"outputColumnExprs"`
	CaseSensitive     bool            `json:"caseSensitive"`
	DependentQueries  []int64         `json:"dependentQueries"`
}

// lastModifiedOn is when the query was last changed: its configured time, else the server's start.
func (s *Server) lastModifiedOn(q *SavedQueryConfig) int64 {
	if q.LastModifiedOn != nil {
		return q.LastModifiedOn.UnixMilli()
	}
	return s.startTime.UnixMilli()
}

func (s *Server) querySummary(q *SavedQueryConfig) savedQuerySummaryJSON {
	ref := func(login string) queryUserJSON {
		u := s.users[login]
		return queryUserJSON{ID: u.id, FirstName: u.cfg.FirstName, LastName: u.cfg.LastName}
	}
	return savedQuerySummaryJSON{ID: q.ID, Title: q.Title, CreatedBy: ref(q.CreatedBy),
		LastModifiedBy: ref(q.LastModifiedBy), LastModifiedOn: s.lastModifiedOn(q)}
}

// getSavedQuery is GET /saved-queries/{id}: any query, to any user with the Query read
// right (the server checks no ownership or sharing here), or 400 QUERY_NOT_FOUND.
func (s *Server) getSavedQuery(w http.ResponseWriter, r *http.Request, _ *user) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	q, ok := s.savedQueries[id] // immutable map: no lock needed
	if !ok {
		writeError(w, http.StatusBadRequest, codeSavedQueryNotFound, fmt.Sprintf("Query %d does not exist.", id))
		return
	}
	writeJSON(w, http.StatusOK, savedQueryDetailJSON{ID: q.ID, Title: q.Title,
		CreatedBy: s.userSummary(s.users[q.CreatedBy]), LastModifiedBy: s.userSummary(s.users[q.LastModifiedBy]),
		LastModifiedOn: s.lastModifiedOn(&q), DrivingForm: "Participant", Filters: []any{}, QueryExpression: []any{},
		SelectList: []any{}, DependentQueries: []int64{}})
}

// savedQueryFilter is the filter of GET /saved-queries (ListSavedQueriesCriteria).
type savedQueryFilter struct {
	userID     *int64         // the user whose own and shared queries are listed; nil: all (an admin's default)
	search     string         // searchString: title LIKE '%search%' in any case, or the id when all digits
	title      *regexp.Regexp // search's LIKE pattern; nil when search is blank
	inFolder   bool           // folderId >= 0: the mock's queries are in no folder of an id
	countReq   bool
	returnList bool
	start, max int
}

// parseSavedQueryFilter reads the parameters of GET /saved-queries for caller, who lists
// its own and shared queries unless an admin. It answers the error to write when one is
// invalid.
func parseSavedQueryFilter(v url.Values, caller *user) (f savedQueryFilter, bad *apiError) {
	p := queryParams{Values: v}
	p.id("cpId") // the mock's queries are of no collection protocol
	f.userID = p.id("userId")
	folderID := p.id("folderId")
	f.inFolder = folderID != nil && *folderID >= 0
	f.start, f.max = p.page("startAt", 25)
	f.countReq, f.returnList = p.bool("countReq", false), p.bool("returnList", false)
	p.bool("orderByStarred", false) // the mock's users star no query
	f.search = v.Get("searchString")
	f.title = blankOrLike(f.search)
	if !caller.cfg.Admin {
		f.userID = &caller.id
	}
	return f, p.invalid()
}

// keeps says whether the list keeps q.
func (f *savedQueryFilter) keeps(s *Server, q *SavedQueryConfig) bool {
	if f.inFolder || (f.userID != nil && !q.visibleTo(s, *f.userID)) {
		return false
	}
	if f.title == nil {
		return true
	}
	if isNumeric(f.search) && strconv.FormatInt(q.ID, 10) == strings.TrimLeft(f.search, "0") {
		return true
	}
	return f.title.MatchString(q.Title)
}

// isNumeric is commons-lang's StringUtils.isNumeric: only digits, at least one.
func isNumeric(v string) bool {
	return v != "" && strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}

// listSavedQueries is GET /saved-queries: the queries not deleted, newest id first; a
// non-admin's are those it created or that are shared with it (an admin's: all, or those
// of userId). returnList=true answers the array, else {"count", "queries"} (count only
// with countReq=true).
func (s *Server) listSavedQueries(w http.ResponseWriter, r *http.Request, caller *user) {
	f, bad := parseSavedQueryFilter(r.URL.Query(), caller)
	if bad != nil {
		writeError(w, http.StatusBadRequest, bad.Code, bad.Message)
		return
	}
	var kept []*SavedQueryConfig
	for id := range s.savedQueries {
		if q := s.savedQueries[id]; f.keeps(s, &q) {
			kept = append(kept, &q)
		}
	}
	slices.SortFunc(kept, func(a, b *SavedQueryConfig) int { return cmp.Compare(b.ID, a.ID) })
	total := int64(len(kept))
	kept = pageOf(kept, f.start, f.max)
	out := make([]savedQuerySummaryJSON, 0, len(kept))
	for _, q := range kept {
		out = append(out, s.querySummary(q))
	}
	if f.returnList {
		writeJSON(w, http.StatusOK, out)
		return
	}
	var count *int64
	if f.countReq {
		count = &total
	}
	writeJSON(w, http.StatusOK, struct {
		Count   *int64                  `json:"count"`
		Queries []savedQuerySummaryJSON `json:"queries"`
	}{count, out})
}
