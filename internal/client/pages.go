package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// listing is a list the server answers in pages of pageSize, from startParam.
type listing struct {
	path       string
	query      url.Values // the list's own parameters
	startParam string     // the parameter of the first item: start or startAt
	itemBound  int64      // the bound of one item in a page's answer
	what       string     // what the list holds, for messages
	narrow     string     // what to narrow when more than errTooMany match, e.g. the name "x"
}

const (
	pageSize = 100 // items asked for per request
	maxPages = 100 // pages read at most: 10,000 items, errTooMany's number
)

// errTooMany is a list longer than maxPages pages.
var errTooMany = errors.New("more than 10,000 match")

// readPages reads every page of l (GET with maxResults=pageSize), to the first page with
// fewer than pageSize items; more than maxPages pages is errTooMany, advising to narrow
// l.narrow.
func readPages[T any](ctx context.Context, c *Client, l listing) ([]T, error) {
	var out []T
	for page := 0; page < maxPages; page++ {
		q := url.Values{l.startParam: {strconv.Itoa(page * pageSize)}, "maxResults": {strconv.Itoa(pageSize)}}
		for name, vs := range l.query {
			q[name] = vs
		}
		o := reqOpts{method: http.MethodGet, path: l.path, query: q, idempotent: true,
			maxBody:  maxJSONBody + pageSize*l.itemBound,
			tooLarge: fmt.Sprintf("the bound for a page of %d %s (%d KiB each, beside 1 MiB)", pageSize, l.what, l.itemBound>>10)}
		var items pageAnswer[T]
		if err := c.doJSON(ctx, o, &items); err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < pageSize {
			return out, nil
		}
	}
	return nil, fmt.Errorf("listing %s: %w: narrow %s", l.what, errTooMany, l.narrow)
}

// pageAnswer is a page of a list: a JSON array, or an object holding it as "queries" (the
// saved query list of a server that ignores returnList).
type pageAnswer[T any] []T

func (a *pageAnswer[T]) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var page struct {
			Queries []T `json:"queries"`
		}
		err := json.Unmarshal(t, &page)
		*a = page.Queries
		return err
	}
	return json.Unmarshal(b, (*[]T)(a))
}

// keepContaining keeps the items whose name contains part in any case: the server's LIKE
// reads % and _ in part as wildcards, which match more.
func keepContaining[T any](items []T, name func(*T) string, part string) []T {
	return matching(items, func(item *T) bool { return strings.Contains(strings.ToLower(name(item)), strings.ToLower(part)) })
}

// matching answers the items that match keeps, in their order.
func matching[T any](items []T, keep func(*T) bool) []T {
	var out []T
	for i := range items {
		if keep(&items[i]) {
			out = append(out, items[i])
		}
	}
	return out
}

// maxNamedCandidates bounds the candidates an error message names.
const maxNamedCandidates = 10

// nameFirst names the first maxNamedCandidates items for an error message, each as name
// says, and how many more there are.
func nameFirst[T any](items []T, name func(*T) string) string {
	var names []string
	for i := range items[:min(len(items), maxNamedCandidates)] {
		names = append(names, name(&items[i]))
	}
	if more := len(items) - maxNamedCandidates; more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(names, ", ")
}

// readOne reads the one object at path (GET), as sendOne does.
func readOne[T any](ctx context.Context, c *Client, path, what string, id func(*T) int64) (*T, error) {
	return sendOne(ctx, c, reqOpts{method: http.MethodGet, path: path, idempotent: true}, what, id)
}

// sendOne sends o and reads the one object it answers; an answer whose id is 0 has no
// object of what and is a bad body.
func sendOne[T any](ctx context.Context, c *Client, o reqOpts, what string, id func(*T) int64) (*T, error) {
	var v T
	if err := c.doJSON(ctx, o, &v); err != nil {
		return nil, err
	}
	if id(&v) == 0 {
		return nil, &badBodyError{Method: o.method, Path: o.path, StatusCode: http.StatusOK, Err: fmt.Errorf("the answer has no %s id", what)}
	}
	return &v, nil
}
