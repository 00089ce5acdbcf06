package mockserver

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes is the largest request body accepted.
const maxBodyBytes = 1 << 20

// Error codes of the real server, as its error code enums (ScheduledJobErrorCode,
// UserErrorCode, SavedQueryErrorCode, ActivityStatusErrorCode) spell them; README.md says
// which rule answers each.
const (
	codeJobNotFound       = "SCHEDULED_JOB_NOT_FOUND"
	codeRunNotFound       = "SCHEDULED_JOB_JOB_RUN_NOT_FOUND"
	codeOpNotAllowed      = "SCHEDULED_JOB_OP_NOT_ALLOWED"
	codeInvalidRequest    = "INVALID_REQUEST"
	codeFileNotAvailable  = "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE"
	codeFileNotFound      = "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND"
	codeInvalidCredential = "AUTH_INVALID_CREDENTIALS"
	codeInternal          = "INTERNAL_ERROR" // newest line; see internalCode

	// POST and PUT /scheduled-jobs: ScheduledJobFactoryImpl's checks.
	codeJobNameRequired      = "SCHEDULED_JOB_NAME_REQUIRED"
	codeJobDupName           = "SCHEDULED_JOB_DUP_JOB_NAME"
	codeJobRepeatRequired    = "SCHEDULED_JOB_REPEAT_SCHEDULE_REQUIRED"
	codeJobInvalidRepeat     = "SCHEDULED_JOB_INVALID_REPEAT_SCHEDULE"
	codeJobInvalidTime       = "SCHEDULED_JOB_INVALID_SCHEDULED_TIME"
	codeJobEndBeforeStart    = "SCHEDULED_JOB_END_DATE_BEFORE_START_DATE"
	codeJobInvalidType       = "SCHEDULED_JOB_INVALID_TYPE"
	codeJobQueryRequired     = "SCHEDULED_JOB_QUERY_REQ"
	codeJobTaskImplRequired  = "SCHEDULED_JOB_TASK_IMPL_FQN_REQUIRED"
	codeJobInvalidTaskImpl   = "SCHEDULED_JOB_INVALID_TASK_IMPL_FQN"
	codeJobExternalForbidden = "SCHEDULED_JOB_EXT_TASK_FORBIDDEN"
	codeJobCommandRequired   = "SCHEDULED_JOB_EXTERNAL_COMMAND_REQUIRED" // older line
	codeSavedQueryNotFound   = "QUERY_NOT_FOUND"
	codeUserNotFound         = "USER_NOT_FOUND"             // runAs
	codeUsersNotFound        = "USER_ONE_OR_MORE_NOT_FOUND" // recipients, sharedWith
	codeActivityStatus       = "ACTIVITY_STATUS_INVALID"
)

// jobNotFound is the server's answer about a job id no job has.
func jobNotFound() *apiError {
	return &apiError{codeJobNotFound, "Job does not exist."}
}

// internalCode is the code of a server error (500) on the server's line: INTERNAL_ERROR on
// the newest, internal_error on the older.
func (s *Server) internalCode() string {
	if s.line == LineOlder {
		return "internal_error"
	}
	return codeInternal
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers the real server's error body: a JSON array of {code, message}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, []apiError{{Code: code, Message: message}})
}

// writeJSON answers v as JSON. The mock's answers always encode: a failure panics, and
// serve answers the line's 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJSON(v)
	if err != nil {
		panic(fmt.Sprintf("mockserver: encoding a %T answer: %v", v, err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// marshalJSON encodes v as the server's Jackson does: "<" stays "<", no final newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeHTML answers a servlet container's HTML error page.
func writeHTML(w http.ResponseWriter, status int) {
	body := htmlPage(status)
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// htmlPage is a servlet container's HTML error page for status.
func htmlPage(status int) string {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<!doctype html><html lang=\"en\"><head><title>HTTP Status " + text +
		"</title></head><body><h1>HTTP Status " + text + "</h1></body></html>"
}

// handlerFunc is a route's handler; u is the authenticated caller (nil on /sessions POST).
type handlerFunc func(w http.ResponseWriter, r *http.Request, u *user)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	route := func(method, pattern string, auth bool, h handlerFunc) {
		key := method + " " + pattern
		mux.HandleFunc(method+" "+BasePath+pattern, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.counts[key]++
			hook := s.responseHook
			s.mu.Unlock()
			if hook != nil && s.replied(w, r, hook, pattern) {
				return
			}
			var u *user
			if auth {
				var ok bool
				if u, ok = s.authenticate(w, r); !ok {
					return
				}
			}
			h(w, r, u)
		})
	}
	route("POST", "/sessions", false, s.login)
	route("DELETE", "/sessions", true, s.logout)
	// The calls that name a job or a run look it up before any right is checked, as the
	// server does: an unknown one is not found whoever asks (access.go).
	route("GET", "/scheduled-jobs", true, withJobRight(OpRead, s.listJobs))
	route("GET", "/scheduled-jobs/count", true, withJobRight(OpRead, s.countJobs))
	route("GET", "/scheduled-jobs/{jobId}", true, s.getJob)
	route("POST", "/scheduled-jobs", true, s.jsonBody(s.createJob))
	route("PUT", "/scheduled-jobs/{jobId}", true, s.jsonBody(s.updateJob))
	route("DELETE", "/scheduled-jobs/{jobId}", true, s.deleteJob)
	route("POST", "/scheduled-jobs/{jobId}/runs", true, s.jsonBody(s.triggerRun))
	route("GET", "/scheduled-jobs/{jobId}/runs", true, withJobRight(OpRead, s.listRuns))
	route("GET", "/scheduled-jobs/{jobId}/runs/{runId}", true, s.getRun)
	route("GET", "/scheduled-jobs/{jobId}/runs/{runId}/result-file", true, s.resultFile)
	route("GET", "/users/current-user", true, s.currentUser)
	s.userRoutes(route)
	s.savedQueryRoutes(route)
	route("GET", "/config-settings", true, s.configSettings)
	route("GET", "/config-settings/locale", true, s.localeSettings)
	route("GET", "/config-settings/app-props", true, s.appProps)
	return mux
}

// serve is the whole server: logging and panic recovery around dispatch.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // real time, as the latency: the log measures the request
	sw := &statusWriter{ResponseWriter: w}
	if s.logger != nil {
		defer func() {
			status := strconv.Itoa(sw.status)
			if sw.dropped {
				status = "dropped"
			} else if sw.status == 0 {
				status = "aborted"
			}
			// The path only: the query string and headers are never logged.
			s.logger.Printf("%s %s %s %s", r.Method, r.URL.Path, status, time.Since(start).Round(time.Microsecond))
		}()
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if sw.status == 0 {
				writeError(sw, http.StatusInternalServerError, s.internalCode(), fmt.Sprint(v))
			}
		}
	}()

	s.dispatch(sw, r)
}

// dispatch answers a request: nothing when the server is stopped or a hook's wait is
// ended; else, after the request hook and the injected latency, an injected 503 or the
// route's answer.
func (s *Server) dispatch(sw *statusWriter, r *http.Request) {
	if s.ended(r) {
		s.dropConnection(sw) // a stopped server answers nothing
		return
	}
	s.mu.Lock()
	hook := s.requestHook
	s.mu.Unlock()
	if hook != nil && !s.callHook(r, func() { hook(r.Method, relativePath(r.URL.Path)) }) {
		s.dropConnection(sw)
		return
	}

	s.mu.Lock()
	f := s.faults
	fail := f.ErrorRate > 0 && s.rng.Float64() < f.ErrorRate
	s.mu.Unlock()
	if f.Latency > 0 {
		// Injected latency is real time whatever the server's Clock.
		t := time.NewTimer(time.Duration(f.Latency))
		defer t.Stop()
		if !await(s, r, t.C, true) {
			s.dropConnection(sw)
			return
		}
	}
	if fail {
		writeError(sw, http.StatusServiceUnavailable, s.internalCode(), "Service temporarily unavailable (injected fault).")
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// No route: the mux answers 404, 405 with an Allow header (both made the line's
		// error page here), or a redirect.
		s.mux.ServeHTTP(&errorPageWriter{ResponseWriter: sw, s: s, r: r}, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// relativePath is a URL path relative to BasePath, or the whole path outside it.
func relativePath(p string) string {
	if rest, ok := strings.CutPrefix(p, BasePath); ok && (rest == "" || rest[0] == '/') {
		return rest
	}
	return p
}

// ended answers whether the request must get no answer: its listener has stopped or the
// server is closed.
func (s *Server) ended(r *http.Request) bool {
	select {
	case <-stoppedChan(r):
		return true
	case <-s.done:
		return true
	default:
		return false
	}
}

// await waits for ch. It answers false, without waiting longer, when the request's
// listener stops or the server closes first, or, with client, when the client goes away:
// the request must then end without an answer.
func await[T any](s *Server, r *http.Request, ch <-chan T, client bool) bool {
	var gone <-chan struct{}
	if client {
		gone = r.Context().Done()
	}
	select {
	case <-ch:
		return true
	case <-gone:
	case <-stoppedChan(r):
	case <-s.done:
	}
	return false
}

// callHook calls a hook for a request in a goroutine of its own and waits for it to
// return, unless the request's listener stops or the server closes first: it then answers
// false at once (the request must end without an answer) and the hook goes on alone. A
// panic in the hook is raised again here.
func (s *Server) callHook(r *http.Request, hook func()) bool {
	returned := make(chan struct{})
	var panicked any
	go func() {
		defer close(returned)
		defer func() { panicked = recover() }()
		hook()
	}()
	if !await(s, r, returned, false) {
		return false
	}
	if panicked != nil {
		panic(panicked)
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status  int
	dropped bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// errorPageWriter turns the mux's plain-text 404 and 405 into the line's error page (see
// writeErrorPage) and swallows the mux's own body.
type errorPageWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	swallow bool
}

func (w *errorPageWriter) WriteHeader(code int) {
	var detail string
	switch code {
	case http.StatusNotFound:
		detail = "No static resource " + strings.TrimPrefix(relativePath(w.r.URL.Path), "/") + "."
	case http.StatusMethodNotAllowed:
		detail = "Method '" + w.r.Method + "' is not supported."
	default:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.Header().Del("X-Content-Type-Options")
	w.s.writeErrorPage(w.ResponseWriter, w.r, code, detail)
	w.swallow = true
}

func (w *errorPageWriter) Write(p []byte) (int, error) {
	if w.swallow {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *errorPageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// problemJSON is Spring 6's problem details (RFC 9457) of an error its framework raises.
type problemJSON struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
}

// writeErrorPage answers an error that the web framework raises before the API's code (an
// unknown URL, a wrong method, an unsupported media type): on the newest line, JSON problem
// details with detail; on the older line, and outside the REST root (the container's, not
// the application's), the container's HTML page.
func (s *Server) writeErrorPage(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if s.line == LineOlder || relativePath(r.URL.Path) == r.URL.Path {
		writeHTML(w, status)
		return
	}
	body, _ := marshalJSON(problemJSON{Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: detail, Instance: r.URL.Path}) // strings and ints always encode
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// unauthorized answers 401 with an HTML body, with a Basic challenge when the request
// carried no credentials at all.
func unauthorized(w http.ResponseWriter, challenge bool) {
	if challenge {
		w.Header().Set("WWW-Authenticate", `Basic realm="OpenSpecimen"`)
	}
	writeHTML(w, http.StatusUnauthorized)
}

// authenticate checks the X-OS-API-TOKEN header, or HTTP Basic credentials when no token
// is sent, and answers 401 itself on failure.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*user, bool) {
	if tok := r.Header.Get("X-OS-API-TOKEN"); tok != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.clock.Now()
		sess := s.sessions[tok]
		if sess == nil {
			unauthorized(w, false)
			return nil, false
		}
		if now.Sub(sess.lastUsed) > s.idle {
			delete(s.sessions, tok)
			unauthorized(w, false)
			return nil, false
		}
		sess.lastUsed = now
		return sess.user, true
	}
	if login, password, ok := r.BasicAuth(); ok {
		u := s.checkCredentials(login, password)
		if u == nil || u.cfg.ResetPassword {
			unauthorized(w, false)
			return nil, false
		}
		s.mu.Lock()
		s.endOldestSessionsLocked(u, 1) // a Basic call is a login, holding a session slot while it lasts
		s.mu.Unlock()
		return u, true
	}
	unauthorized(w, r.Header.Get("Authorization") == "")
	return nil, false
}

// checkCredentials answers the user with these credentials, or nil.
func (s *Server) checkCredentials(login, password string) *user {
	u := s.users[login] // immutable map: no lock needed
	want := "\x00no such user"
	if u != nil {
		want = u.cfg.Password
	}
	// Hashes have equal lengths, so the comparison time says nothing about the password.
	got, exp := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(got[:], exp[:]) != 1 || u == nil {
		return nil
	}
	return u
}

// isJSONMediaType says whether mt is application/json or an application/*+json type.
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// jsonBody answers 415 itself, as the line's error page (see writeErrorPage), to a request
// whose body is not JSON by its Content-Type (application/json or application/*+json,
// parameters such as charset allowed), before anything else of h; as Spring does, a request
// without a Content-Type and without a body passes (h answers the missing body).
func (s *Server) jsonBody(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		ct := r.Header.Get("Content-Type")
		if ct == "" && !hasBody(r) {
			h(w, r, u)
			return
		}
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !isJSONMediaType(mt) {
			if ct == "" {
				ct = "application/octet-stream" // what Spring takes a body without a type for
			}
			s.writeErrorPage(w, r, http.StatusUnsupportedMediaType, "Content-Type '"+ct+"' is not supported.")
			return
		}
		h(w, r, u)
	}
}

// hasBody reads the first byte of r's body to tell whether it has one, and puts it back.
func hasBody(r *http.Request) bool {
	var first [1]byte
	n, _ := io.ReadFull(r.Body, first[:])
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(first[:n]), r.Body), r.Body}
	return n > 0
}

// readBody decodes the JSON request body into v, answering 400 INVALID_REQUEST itself for
// a missing, oversized or malformed body. Unknown fields are ignored.
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusBadRequest, codeInvalidRequest,
				fmt.Sprintf("Request body exceeds %d bytes.", maxBodyBytes))
		} else {
			writeError(w, http.StatusBadRequest, codeInvalidRequest, "Could not read the request body.")
		}
		return false
	}
	body := bytes.TrimSpace(buf.Bytes())
	if len(body) == 0 || string(body) == "null" {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, "Required request body is missing.")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, "Malformed JSON request: "+err.Error())
		return false
	}
	return true
}

// pathID parses the id path segment name (jobId, id), answering 400 INVALID_REQUEST itself
// when it is not a number.
func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := parseID(r.PathValue(name))
	if err != nil {
		bad := invalidParam(name, r.PathValue(name))
		writeError(w, http.StatusBadRequest, bad.Code, bad.Message)
		return 0, false
	}
	return id, true
}

// invalidParam is the server's 400 INVALID_REQUEST for a parameter whose value it cannot
// convert.
func invalidParam(name, value string) *apiError {
	return &apiError{codeInvalidRequest, fmt.Sprintf("Invalid value %q for parameter %s.", value, name)}
}

// queryParams reads a list's query parameters as Spring binds them; bad names the first one
// it could not convert, "" while all could.
type queryParams struct {
	url.Values
	bad string
}

// invalid is the 400 INVALID_REQUEST to answer for the first bad parameter, or nil.
func (p *queryParams) invalid() *apiError {
	if p.bad == "" {
		return nil
	}
	return invalidParam(p.bad, p.Get(p.bad))
}

func (p *queryParams) note(name string, err error) {
	if err != nil && p.bad == "" {
		p.bad = name
	}
}

// id reads an id parameter as parseID does; nil when it is absent or bad.
func (p *queryParams) id(name string) *int64 {
	if p.Get(name) == "" {
		return nil
	}
	id, err := parseID(p.Get(name))
	if p.note(name, err); err != nil {
		return nil
	}
	return &id
}

// int reads an integer parameter, def when it is absent.
func (p *queryParams) int(name string, def int) int {
	n, err := intParam(p.Values, name, def)
	p.note(name, err)
	return n
}

// bool reads a boolean parameter as Spring converts one, def when it is absent.
func (p *queryParams) bool(name string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(p.Get(name))) {
	case "":
		return def
	case "true", "on", "yes", "1":
		return true
	case "false", "off", "no", "0":
		return false
	}
	p.note(name, fmt.Errorf("not a boolean: %q", p.Get(name)))
	return false
}

// page reads a list's first item (parameter startName) and maxResults (default defMax) as
// AbstractListCriteria does: a negative start is 0, a maxResults of 0 or less is 100.
func (p *queryParams) page(startName string, defMax int) (start, maxItems int) {
	start, maxItems = p.int(startName, 0), p.int("maxResults", defMax)
	return max(start, 0), cmp.Or(max(maxItems, 0), 100)
}

// parseID reads an id as Java's Long.valueOf does: an optional sign and decimal digits.
func parseID(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "+-0123456789") != "" {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

type userJSON struct {
	ID           int64  `json:"id"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	LoginName    string `json:"loginName"`
	EmailAddress string `json:"emailAddress"`
	Domain       string `json:"domain"`
}

func (u *user) json() userJSON {
	return userJSON{ID: u.id, FirstName: u.cfg.FirstName, LastName: u.cfg.LastName,
		LoginName: u.cfg.LoginName, EmailAddress: u.cfg.Email, Domain: u.cfg.Domain}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *user) {
	var body struct {
		LoginName  string `json:"loginName"`
		Password   string `json:"password"`
		DomainName string `json:"domainName"`
	}
	if !readBody(w, r, &body) {
		return
	}
	u := s.checkCredentials(body.LoginName, body.Password)
	if u == nil || (body.DomainName != "" && body.DomainName != "openspecimen") {
		writeError(w, http.StatusBadRequest, codeInvalidCredential, "Invalid login name, password or domain.")
		return
	}
	if u.cfg.ResetPassword {
		writeJSON(w, http.StatusOK, map[string]string{"resetPasswordToken": rand.Text()})
		return
	}
	token := rand.Text()
	s.mu.Lock()
	s.logins++
	s.sessions[token] = &session{user: u, lastUsed: s.clock.Now(), login: s.logins}
	s.endOldestSessionsLocked(u, 0)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id":             u.id,
		"firstName":      u.cfg.FirstName,
		"lastName":       u.cfg.LastName,
		"loginName":      u.cfg.LoginName,
		"emailAddress":   u.cfg.Email,
		"domainName":     "openspecimen",
		"token":          token,
		"admin":          u.cfg.Admin,
		"instituteAdmin": false,
		"timeZone":       s.loc.String(),
	})
}

// endOldestSessionsLocked ends u's oldest sessions so that, with taken more logins that hold
// no token (a Basic-auth call), at most maxLogins remain, as auth.max_login_sessions does at
// each login on the newest line; their tokens then get 401. The older line, or maxLogins 0,
// has no limit. s.mu must be held.
func (s *Server) endOldestSessionsLocked(u *user, taken int) {
	if s.line == LineOlder || s.maxLogins == 0 {
		return
	}
	var tokens []string
	for tok, sess := range s.sessions {
		if sess.user == u {
			tokens = append(tokens, tok)
		}
	}
	keep := max(s.maxLogins-taken, 0)
	if len(tokens) <= keep {
		return
	}
	slices.SortFunc(tokens, func(a, b string) int { return s.sessions[a].login - s.sessions[b].login })
	for _, tok := range tokens[:len(tokens)-keep] {
		delete(s.sessions, tok)
	}
}

// currentUser answers the calling user's summary, as GET /users/current-user does: how a
// client that holds only a token learns who it is.
func (s *Server) currentUser(w http.ResponseWriter, _ *http.Request, u *user) {
	writeJSON(w, http.StatusOK, currentUserJSON{userJSON: u.json(), Admin: u.cfg.Admin})
}

type currentUserJSON struct {
	userJSON
	Admin bool `json:"admin"`
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *user) {
	if tok := r.Header.Get("X-OS-API-TOKEN"); tok != "" {
		s.mu.Lock()
		delete(s.sessions, tok)
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]string{"Status": "Success"})
}

// triggerRun queues a trigger and answers the JOB, as the real server does (see
// enqueueLocked): it replaces the job's trigger still queued, and its run record is created
// when it gets a pool thread after the job's StartDelay (with no delay and a free thread,
// right after the answer is written). A trigger of a job not active, or with a run in
// progress at that moment, is then dropped without a word.
func (s *Server) triggerRun(w http.ResponseWriter, r *http.Request, u *user) {
	jobID, ok := pathID(w, r, "jobId")
	if !ok {
		return
	}
	var body struct {
		Args *string `json:"args"`
	}
	if !readBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	j := s.jobs[jobID]
	var denied *apiError
	if j == nil {
		denied = jobNotFound()
	} else {
		denied = jobAccess(u, j)
	}
	hook := s.triggerHook
	s.mu.Unlock()
	if denied != nil {
		writeError(w, http.StatusBadRequest, denied.Code, denied.Message)
		return
	}
	if hook != nil && !s.callHook(r, func() { hook(jobID, u.cfg.LoginName) }) {
		s.dropConnection(w)
		return
	}
	s.mu.Lock()
	drop := s.faults.DropResponseRate > 0 && s.rng.Float64() < s.faults.DropResponseRate
	ev := s.enqueueLocked(u, j, body.Args)
	out := s.jobJSON(j, s.clock.Now())
	s.mu.Unlock()
	if !drop {
		writeJSON(w, http.StatusOK, out)
		_ = http.NewResponseController(w).Flush()
	}
	// A ready trigger starts after the answer, when a thread is free.
	s.mu.Lock()
	ev = append(ev, s.dispatchLocked()...)
	s.mu.Unlock()
	if len(ev) > 0 {
		s.callHook(r, ev.call)
	}
	if drop {
		s.dropConnection(w)
	}
}

// dropConnection closes the connection without an answer.
func (s *Server) dropConnection(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok {
		sw.dropped = true
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

type runJSON struct {
	ID          int64    `json:"id"`
	JobID       int64    `json:"jobId"`
	JobName     string   `json:"jobName"`
	Status      string   `json:"status"`
	StartedAt   int64    `json:"startedAt"`
	FinishedAt  *int64   `json:"finishedAt"`
	RtArgs      *string  `json:"rtArgs"`
	Message     *string  `json:"message"`
	LogFilePath *string  `json:"logFilePath"`
	RunBy       userJSON `json:"runBy"`
}

func (s *Server) runJSON(r *run, now time.Time) runJSON {
	snap := s.snapshot(r, now)
	out := runJSON{
		ID:          snap.ID,
		JobID:       snap.JobID,
		JobName:     snap.JobName,
		Status:      snap.Status,
		StartedAt:   snap.StartedAt.UnixMilli(),
		RtArgs:      snap.RtArgs,
		Message:     snap.Message,
		LogFilePath: snap.LogFilePath,
		RunBy:       r.runBy.json(),
	}
	if snap.FinishedAt != nil {
		ms := snap.FinishedAt.UnixMilli()
		out.FinishedAt = &ms
	}
	return out
}

// listRuns answers a job's runs, newest first (by id), as many as maxResults.
//
// The dates are in the line's one form (see parseDate). fromDate keeps runs started at or
// after it; toDate keeps runs FINISHED at or before it, on both lines, as the server
// compares it with finishedAt: a run in progress (no finishedAt) is never in an answer that
// used toDate, nor a run that started before toDate and finished after it.
//
// It needs the Read right (withJobRight) and checks nothing about the job: an unknown job,
// or one the caller may not read, answers the runs runListed shows it, often [].
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, u *user) {
	jobID, ok := pathID(w, r, "jobId")
	if !ok {
		return
	}
	q, invalid := parseRunQuery(r.URL.Query(), s.line, s.loc)
	if invalid != "" {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, invalid)
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	out := []runJSON{}
	for i := len(s.runs) - 1; i >= 0 && len(out) < q.limit; i-- {
		if run := s.runs[i]; q.keeps(run, jobID, now) && s.runListed(run, u) {
			out = append(out, s.runJSON(run, now))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// runQuery is the filter of a run list, read from its query parameters.
type runQuery struct {
	from, to *time.Time
	status   string // "" keeps every status
	limit    int
}

// parseRunQuery reads the run list's parameters, the dates in the form of line (in loc
// when it has no zone). It answers the message of the 400 INVALID_REQUEST to write when
// one is invalid, else "".
func parseRunQuery(q url.Values, line string, loc *time.Location) (rq runQuery, invalid string) {
	rq = runQuery{status: q.Get("status"), limit: 100}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"fromDate", &rq.from}, {"toDate", &rq.to}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseDate(line, v, loc)
			if err != nil {
				return rq, fmt.Sprintf("Invalid %s %q: %v", p.name, v, err)
			}
			*p.dst = &t
		}
	}
	if rq.status != "" && !oneOf(rq.status, runStatuses) {
		return rq, fmt.Sprintf("Invalid status %q: use one of IN_PROGRESS, SUCCEEDED, FAILED.", rq.status)
	}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return rq, fmt.Sprintf("Invalid maxResults %q: use an integer.", v)
		}
		if n > 0 { // 0 or less means the default, as on the server
			rq.limit = n
		}
	}
	return rq, ""
}

// keeps reports whether the run list of job jobID keeps run at now: fromDate bounds its
// start, toDate its finish (a run without one is left out), status its status.
func (q runQuery) keeps(run *run, jobID int64, now time.Time) bool {
	st, finished := run.state(now)
	switch {
	case run.job.cfg.ID != jobID:
		return false
	case q.from != nil && run.startedAt.Before(*q.from):
		return false
	case q.to != nil && (finished == nil || finished.After(*q.to)):
		return false
	}
	return q.status == "" || st == q.status
}

// runListed reports whether the run list shows run to u. The newest line shows a non-admin
// only the runs it ran, of jobs it created or that are shared with it; the older line
// applies no user filter.
func (s *Server) runListed(run *run, u *user) bool {
	if s.line == LineOlder || u.cfg.Admin {
		return true
	}
	return run.runBy == u && run.job.visibleTo(u)
}

// findRunLocked looks a run up by runId ALONE, as the real server does (jobId is only
// checked to be a number), and then checks with access that the caller may see it. It
// answers the error to write when not. s.mu must be held.
func (s *Server) findRunLocked(r *http.Request, u *user, access func(*user, *run) *apiError) (*run, *apiError) {
	for _, name := range []string{"jobId", "runId"} {
		if _, err := parseID(r.PathValue(name)); err != nil {
			return nil, invalidParam(name, r.PathValue(name))
		}
	}
	runID, _ := parseID(r.PathValue("runId"))
	run := s.runByID[runID]
	if run == nil {
		return nil, &apiError{codeRunNotFound, "Job run does not exist."}
	}
	if denied := access(u, run); denied != nil {
		return nil, denied
	}
	return run, nil
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, u *user) {
	s.mu.Lock()
	run, apiErr := s.findRunLocked(r, u, runAccess)
	var out runJSON
	if apiErr == nil {
		out = s.runJSON(run, s.clock.Now())
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, http.StatusBadRequest, apiErr.Code, apiErr.Message)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
