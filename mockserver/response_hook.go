package mockserver

import (
	"bytes"
	"cmp"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Request is what a response hook learns of a request: copies, which it may keep.
type Request struct {
	Method string
	// Path is the URL path relative to BasePath, e.g. "/scheduled-jobs/7/runs".
	Path string
	// Pattern is the route, as RequestCount names it: "/scheduled-jobs/{jobId}/runs".
	Pattern string
	Query   url.Values
	Header  http.Header
	// Body is the request body, of which at most 1 MiB and a byte is read. The route's
	// handler reads it in full afterwards.
	Body []byte
}

// Reply is an answer that a response hook gives in place of the server's.
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Header is added to the answer. Content-Type defaults to application/json when Body
	// is not empty; Content-Length is always the length of Body.
	Header http.Header
	Body   []byte
	// Drop closes the connection without any answer instead (the other fields are not
	// used), as a proxy that resets it. Go's transport sends an idempotent request (a GET)
	// again, once, on its own, when this happens on a connection it reused: a test that
	// counts such requests gives its client a transport without keep-alives.
	Drop bool
}

// ErrorReply is the real server's error answer: status, with the JSON array
// [{"code": code, "message": message}].
func ErrorReply(status int, code, message string) Reply {
	body, _ := marshalJSON([]apiError{{Code: code, Message: message}}) // strings always encode
	return Reply{Status: status, Body: body}
}

// HTMLReply is the servlet container's HTML error page with status, such as the real
// server's 401 or 404, or a proxy's 502.
func HTMLReply(status int) Reply {
	return Reply{Status: status, Header: http.Header{"Content-Type": {"text/html;charset=utf-8"}},
		Body: []byte(htmlPage(status))}
}

// SetResponseHook sets a function called for every request that reaches a route (a known
// method and path), after the request is counted (RequestCount) and before it is
// authenticated. When the function answers true, its Reply is the answer, and the route's
// handler does not run: the request has no effect (a login opens no session, a trigger
// starts no run). When it answers false, the server answers as usual. A test uses it for
// answers the server would not give by itself: a proxy's 502 or 429, an error at the n-th
// login, an answer of another server version; or to see what a client sends. nil removes
// it. It is called as the other hooks are (see SetTriggerHook): outside the server's lock,
// in a goroutine that the request waits for unless the server stops or closes first.
func (s *Server) SetResponseHook(f func(Request) (Reply, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responseHook = f
}

// replied calls the response hook for a request of the route method and pattern, and
// writes the reply it gives. It answers whether the request is answered (or ended without
// an answer, when the server stopped while the hook ran).
func (s *Server) replied(w http.ResponseWriter, r *http.Request, hook func(Request) (Reply, bool), pattern string) bool {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1)) // a read error is the handler's to meet
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	req := Request{Method: r.Method, Path: relativePath(r.URL.Path), Pattern: pattern,
		Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	var rep Reply
	var ok bool
	if !s.callHook(r, func() { rep, ok = hook(req) }) {
		s.dropConnection(w)
		return true
	}
	if !ok {
		return false
	}
	if rep.Drop {
		s.dropConnection(w)
		return true
	}
	h := w.Header()
	for k, v := range rep.Header {
		h[k] = append([]string(nil), v...)
	}
	if len(rep.Body) > 0 && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.Body)))
	w.WriteHeader(cmp.Or(rep.Status, http.StatusOK))
	_, _ = w.Write(rep.Body)
	return true
}
