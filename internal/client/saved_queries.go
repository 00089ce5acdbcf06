package client

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// CodeSavedQueryNotFound is the server's answer about a saved query id that no query, or a
// deleted one, has (SavedQueryErrorCode.NOT_FOUND).
const CodeSavedQueryNotFound = "QUERY_NOT_FOUND"

// SavedQueryDetail is a saved query as the query list (GET /saved-queries, the server's
// SavedQuerySummary) and GET /saved-queries/{id} (SavedQueryDetail) describe it. In the
// list its users carry only their id and names; read by id, their whole summary.
type SavedQueryDetail struct {
	ID             int64        `json:"id"`
	Title          string       `json:"title"`
	CreatedBy      *User        `json:"createdBy"` // its owner
	LastModifiedBy *User        `json:"lastModifiedBy"`
	LastModifiedOn *EpochMillis `json:"lastModifiedOn"`
}

// CreatorName is the first and last name of the query's creator, "" when unknown.
func (q *SavedQueryDetail) CreatorName() string {
	if q.CreatedBy == nil {
		return ""
	}
	return strings.TrimSpace(q.CreatedBy.FirstName + " " + q.CreatedBy.LastName)
}

// maxQueryJSON bounds one query in a page's answer.
const maxQueryJSON = 16 << 10

// ListSavedQueries answers the saved queries this user sees whose title contains
// titleContains in any case ("" keeps all), newest id first, reading the server's pages
// (GET /saved-queries?searchString=&startAt=&maxResults=&returnList=true) to the end. A
// non-admin sees the queries it created and those shared with it; an admin every query.
// The server reads % and _ as wildcards, and an all-digits search as an id too;
// ListSavedQueries keeps only titles that truly contain it.
func (c *Client) ListSavedQueries(ctx context.Context, titleContains string) ([]SavedQueryDetail, error) {
	q := url.Values{"returnList": {"true"}}
	if titleContains != "" {
		q.Set("searchString", titleContains)
	}
	queries, err := readPages[SavedQueryDetail](ctx, c, listing{path: "/saved-queries", query: q, startParam: "startAt",
		itemBound: maxQueryJSON, what: "saved queries", narrow: fmt.Sprintf("the title %q", titleContains)})
	if err != nil {
		return nil, err
	}
	return keepContaining(queries, func(q *SavedQueryDetail) string { return q.Title }, titleContains), nil
}

// GetSavedQuery reads a saved query by id. The server answers any query that is not
// deleted to a user with the Query read right, shared with it or not. A missing query is an
// error for which IsCode(err, CodeSavedQueryNotFound) is true.
func (c *Client) GetSavedQuery(ctx context.Context, queryID int64) (*SavedQueryDetail, error) {
	return readOne(ctx, c, "/saved-queries/"+strconv.FormatInt(queryID, 10), "query", func(q *SavedQueryDetail) int64 { return q.ID })
}

// SavedQueryTitleError is a title that names no saved query, or several, among those the
// user sees.
type SavedQueryTitleError struct {
	Title string
	// Candidates are the queries whose title contains Title in any case, newest first.
	Candidates []SavedQueryDetail
}

func (e *SavedQueryTitleError) Error() string {
	exact := e.exact()
	switch {
	case len(exact) > 1:
		return fmt.Sprintf("%d saved queries are titled %q: %s", len(exact), e.Title, namedQueries(exact))
	case len(e.Candidates) == 0:
		return fmt.Sprintf("no saved query titled %q, nor any whose title contains it, is visible to this user "+
			"(a non-admin sees the queries it created or that are shared with it)", e.Title)
	}
	return fmt.Sprintf("no saved query is titled exactly %q; queries whose title contains it: %s", e.Title, namedQueries(e.Candidates))
}

// namedQueries names the first queries for an error message.
func namedQueries(queries []SavedQueryDetail) string {
	return nameFirst(queries, func(q *SavedQueryDetail) string {
		return fmt.Sprintf("%q (id %d, by %s)", q.Title, q.ID, q.CreatorName())
	})
}

func (e *SavedQueryTitleError) exact() []SavedQueryDetail {
	return matching(e.Candidates, func(q *SavedQueryDetail) bool { return q.Title == e.Title })
}

// SavedQueryByTitle answers the one saved query titled exactly title (case-sensitive)
// among those the user sees, read by id (its users whole). None, or several, is a
// *SavedQueryTitleError listing the queries whose title contains title.
func (c *Client) SavedQueryByTitle(ctx context.Context, title string) (*SavedQueryDetail, error) {
	queries, err := c.ListSavedQueries(ctx, title)
	if err != nil {
		return nil, err
	}
	e := &SavedQueryTitleError{Title: title, Candidates: queries}
	exact := e.exact()
	if len(exact) != 1 {
		return nil, e
	}
	return c.GetSavedQuery(ctx, exact[0].ID)
}
