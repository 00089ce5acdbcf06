package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes of OpenSpecimen that this package gives a meaning to.
const (
	CodeJobNotFound        = "SCHEDULED_JOB_NOT_FOUND"
	CodeRunNotFound        = "SCHEDULED_JOB_JOB_RUN_NOT_FOUND"
	CodeInvalidCredentials = "AUTH_INVALID_CREDENTIALS"
	CodeInvalidRequest     = "INVALID_REQUEST" // a bad parameter, such as a date in a form the server does not parse
	CodeOpNotAllowed       = "SCHEDULED_JOB_OP_NOT_ALLOWED"
	CodeFileNotFound       = "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND"     // recorded, then purged
	CodeFileNotAvailable   = "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE" // none recorded
	CodeDupJobName         = "SCHEDULED_JOB_DUP_JOB_NAME"                   // a job name another job has, in any case
)

// APIError is an error answer of the server. Code and Message come from OpenSpecimen's JSON
// error array (the first entry; further messages are joined into Message). For an answer that
// is not OpenSpecimen JSON (an HTML 401 or 404 page, an empty body) Code is empty and Message
// is a short excerpt of the body.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	Method     string
	Path       string

	codes []string // every code of the array, for IsCode
}

// Error reads like "GET /scheduled-jobs/7: 400 SCHEDULED_JOB_NOT_FOUND: Job does not exist.".
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Method != "" || e.Path != "" {
		b.WriteString(strings.TrimSpace(e.Method + " " + e.Path))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// hasCode reports whether the error carries the code, in any entry of the array.
func (e *APIError) hasCode(code string) bool {
	same := func(c string) bool { return strings.EqualFold(c, code) }
	return same(e.Code) || slices.ContainsFunc(e.codes, same)
}

// IsNotFound reports whether err says that the job or the run does not exist (for this user):
// SCHEDULED_JOB_NOT_FOUND or SCHEDULED_JOB_JOB_RUN_NOT_FOUND, also when GetRun finds that the
// run belongs to another job.
func IsNotFound(err error) bool {
	return IsCode(err, CodeJobNotFound) || IsCode(err, CodeRunNotFound)
}

// IsCode reports whether err is (or wraps) an *APIError carrying the OpenSpecimen code.
func IsCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.hasCode(code)
}

// The fields of Config that a ConfigError names.
const (
	FieldURL            = "url"
	FieldToken          = "token"
	FieldUsername       = "username"
	FieldPassword       = "password"
	FieldCredentials    = "credentials" // none of token, username and password
	FieldCACert         = "ca_cert"
	FieldRequestTimeout = "request_timeout"
)

// ConfigError is a Config that New refuses: Field names the setting (one of the Field
// constants), Missing says it is absent rather than wrong.
type ConfigError struct {
	Field   string
	Missing bool
	Problem string
}

func (e *ConfigError) Error() string { return e.Problem }

// JobRunningError is returned by StartRun with IfRunningFail when the job has a run in
// progress (a trigger now would be dropped by the server). Dropped is the trigger that the
// run made the server drop, when it started after one.
type JobRunningError struct {
	JobID   int64
	JobName string
	Run     Run
	Dropped *Trigger
}

func (e *JobRunningError) Error() string {
	msg := fmt.Sprintf("job %s already has run %d in progress (%s)", jobLabel(e.JobID, e.JobName), e.Run.ID, runOrigin(&e.Run))
	if e.Dropped != nil {
		msg += fmt.Sprintf(", which started after the trigger sent at %s, and the server dropped that trigger",
			e.Dropped.SentAt.UTC().Format(time.RFC3339))
	}
	return msg
}

// The server lines a JobBusyError names.
const (
	LineNewest = "newest" // jakarta, Spring 6: a stale run does not block its job
	LineOlder  = "older"  // javax, Spring 5: a stale run blocks its job until an administrator ends it
)

// JobBusyError is a StartRun that ended (Err: its context, or reads that failed) while it
// waited for a run in progress of the job, Run, before triggering: a run that is not this
// start's, or one this client started. Stale says why Run may be stale (left IN_PROGRESS by a
// restart of the server): it has run longer than any of the job's recent runs; "" when it has
// not, or is this client's. Line is the server's line as its settings tell it (LineNewest,
// LineOlder), "" when unknown. Dropped is the trigger sent before, which Run made the server
// drop.
type JobBusyError struct {
	JobID   int64
	JobName string
	Run     Run
	Stale   string
	Line    string
	Dropped *Trigger
	Err     error
}

func (e *JobBusyError) Error() string {
	msg := fmt.Sprintf("waiting for run %d of job %s (%s) to finish before triggering", e.Run.ID, jobLabel(e.JobID, e.JobName),
		runOrigin(&e.Run))
	if e.Dropped != nil {
		msg = fmt.Sprintf("after the trigger sent at %s, %s again", e.Dropped.SentAt.UTC().Format(time.RFC3339), msg)
	}
	if e.Stale != "" {
		msg += " (" + e.Stale + ")"
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap answers why the wait ended.
func (e *JobBusyError) Unwrap() error { return e.Err }

// TriggerDroppedError says that the server dropped a trigger that StartRun sent: a run that
// is not the trigger's started after it and took the job (Run), or the job is not active
// (Inactive). No run of the trigger will ever appear.
type TriggerDroppedError struct {
	Trigger  Trigger
	Run      *Run
	Inactive *JobInactiveError
}

func (e *TriggerDroppedError) Error() string {
	t := &e.Trigger
	msg := fmt.Sprintf("OpenSpecimen dropped the trigger of job %s sent at %s by %s with %s: ", jobLabel(t.JobID, t.JobName),
		t.SentAt.UTC().Format(time.RFC3339), orUnknown(t.LoginName), argsText(t.Args))
	if e.Inactive != nil {
		return msg + e.Inactive.Error()
	}
	return msg + fmt.Sprintf("run %d (%s) started after it and took the job", e.Run.ID, runOrigin(e.Run))
}

// Unwrap answers the job's inactivity, if that is the proof.
func (e *TriggerDroppedError) Unwrap() error {
	if e.Inactive == nil {
		return nil
	}
	return e.Inactive
}

// RunPendingError says that a trigger may have queued a run that was not found: the server
// creates a run when one of the threads of its pool (shared by all jobs) takes the trigger,
// and nothing it shows tells a trigger still queued from one that it dropped. Trigger holds
// what finds the run later (FindRun, AwaitRun). Err is why the look-up ended: the caller's
// context, or reads that failed. Ignored is the run in progress that IfRunningIgnore
// triggered past, if any.
type RunPendingError struct {
	Trigger Trigger
	Ignored *Run
	Err     error
}

func (e *RunPendingError) Error() string {
	t := &e.Trigger
	msg := fmt.Sprintf("the run of the trigger of job %s sent at %s by %s with %s is not identified yet, and the "+
		"trigger may still be queued: its run will be the first of job %d by %s with %s after run %d",
		jobLabel(t.JobID, t.JobName), t.SentAt.UTC().Format(time.RFC3339), orUnknown(t.LoginName), argsText(t.Args),
		t.JobID, orUnknown(t.LoginName), argsText(t.Args), t.AfterRunID)
	if r := e.Ignored; r != nil {
		msg += fmt.Sprintf(" (run %d in progress, %s, was ignored: if it is live, or stale on the older OpenSpecimen line, "+
			"the server drops every trigger until it ends, which a stale run does only when an OpenSpecimen administrator "+
			"ends it)", r.ID, runOrigin(r))
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap answers why the look-up ended.
func (e *RunPendingError) Unwrap() error { return e.Err }

// runOrigin says who started the run and when, for error messages.
func runOrigin(r *Run) string {
	since := "at an unknown time"
	if r.StartedAt != nil {
		since = "at " + r.StartedAt.UTC().Format(time.RFC3339)
	}
	return "started " + since + " by " + orUnknown(r.RunByLogin())
}

// jobLabel names a job in messages: its id, and its name when known.
func jobLabel(id int64, name string) string {
	if name == "" {
		return strconv.FormatInt(id, 10)
	}
	return fmt.Sprintf("%d (%s)", id, name)
}

// argsText writes a run's args for messages.
func argsText(args string) string {
	if args == "" {
		return "no args"
	}
	return "args " + strconv.Quote(args)
}

// JobInactiveError is returned by StartRun, before any trigger, for a job that OpenSpecimen
// would not run: it drops the triggers of such a job without a word. Deleted tells a job
// that OpenSpecimen's delete left (disabled and renamed) from one that is only inactive.
type JobInactiveError struct {
	JobID   int64
	Name    string
	Reason  string // Job.InactiveReason
	Deleted bool
}

func (e *JobInactiveError) Error() string {
	return fmt.Sprintf("scheduled job %d (%s) cannot run: %s, and OpenSpecimen silently ignores its triggers",
		e.JobID, e.Name, e.Reason)
}

// inactiveError answers the *JobInactiveError of a job that the server would not run now
// (Job.InactiveReason at the client's clock), nil for a job it would run.
func (c *Client) inactiveError(job *Job) *JobInactiveError {
	why := job.InactiveReason(c.now())
	if why == "" {
		return nil
	}
	return &JobInactiveError{JobID: job.ID, Name: job.Name, Reason: why, Deleted: job.DeletedSince("")}
}

// LoginError is a login or API token that will not work however often it is tried:
// credentials or a token the server refused, a password that must be reset in OpenSpecimen
// before the API can be used, or a url that is not OpenSpecimen's REST root (WrongURL).
// Error() is Reason alone; Err holds the server's answer when there was one.
type LoginError struct {
	Reason        string
	ResetRequired bool
	WrongURL      bool // the url answered as something else than OpenSpecimen's REST root: see notRESTRoot
	Err           error
}

func (e *LoginError) Error() string { return e.Reason }

// Unwrap returns the underlying error, if any.
func (e *LoginError) Unwrap() error { return e.Err }

// errClass is what a failed request says of the server and of a retry.
type errClass int

const (
	classNone      errClass = iota // no error
	classRefused                   // a clear answer or a failure that a retry does not mend: 4xx, 501, a refused login, bad data
	classBusy                      // the server answered that it cannot work now: 429, 5xx but 501
	classTransient                 // no complete answer: whether the server acted is unknown
)

// classify is the one classification of request errors, for retries, StartRun and WaitForRun.
// A trigger that failed with classBusy or classTransient may have started a run.
func classify(err error) errClass {
	if err == nil {
		return classNone
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.StatusCode == 429 || ae.StatusCode >= 500 && ae.StatusCode != 501 {
			return classBusy
		}
		return classRefused
	}
	var te *transportError
	var ne net.Error
	var be *badBodyError
	if errors.As(err, &te) || errors.As(err, &ne) || errors.As(err, &be) || errors.Is(err, io.ErrUnexpectedEOF) {
		return classTransient
	}
	return classRefused
}

// Consecutive transient read errors that the waits and look-ups tolerate.
const maxTransientFailures = 5

// isTransient reports whether a read failed in a way that may pass: the server was busy, no
// answer came, or another login ended the session right after ours began (sessionLostError).
func isTransient(err error) bool {
	var lost *sessionLostError
	c := classify(err)
	return c == classBusy || c == classTransient || errors.As(err, &lost)
}

// sessionLostError is a 401 to a request repeated right after a new login: another login as
// the same user ended the new session (auth.max_login_sessions), and the server did not act
// on the request. classify sees it as the refusal it is, so a one-off call fails with it;
// isTransient counts it as a read that may pass, for the waits and look-ups that read again
// on their own schedule (with a new login), up to maxTransientFailures in a row.
type sessionLostError struct{ *APIError }

func (e *sessionLostError) Unwrap() error { return e.APIError }

// badBodyError is a 2xx answer whose body is not the JSON expected.
type badBodyError struct {
	Method, Path string
	StatusCode   int
	ContentType  string
	Excerpt      string
	Err          error
}

func (e *badBodyError) Error() string {
	what := "a body that is not OpenSpecimen JSON"
	if e.Excerpt == "" {
		what = "an empty body, not OpenSpecimen JSON"
	}
	msg := fmt.Sprintf("%s %s: server answered %d with %s: is the url the REST root (of the form %s)?",
		e.Method, e.Path, e.StatusCode, what, restRootExample)
	if e.ContentType != "" {
		msg += " (Content-Type " + e.ContentType + ")"
	}
	if e.Excerpt != "" {
		msg += fmt.Sprintf(" Body starts: %q", e.Excerpt)
	}
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

func (e *badBodyError) Unwrap() error { return e.Err }

// page reports whether the body is empty or an HTML page: no OpenSpecimen answer at all,
// unlike JSON that lacks a field or is cut short.
func (e *badBodyError) page() bool {
	return e.Excerpt == "" || strings.HasPrefix(e.Excerpt, "<") || strings.Contains(strings.ToLower(e.ContentType), "html")
}

// restRootExample is the form of the url, for the messages that ask for it.
const restRootExample = "https://host/openspecimen/rest/ng"

// notRESTRoot reports whether err, the answer to a request that every OpenSpecimen server
// serves (the login, the current user), says that the url is not its REST root: a redirect,
// 404 or 405 (no such route, on every server line), or a 2xx that is empty or an HTML page.
// A 401 or 403 is a refusal of the credentials, whatever its body.
func notRESTRoot(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode/100 == 3 || ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusMethodNotAllowed
	}
	var be *badBodyError
	return errors.As(err, &be) && be.page()
}

// wrongURLError is the *LoginError of an answer for which notRESTRoot holds, naming the url
// root and the form it should have.
func wrongURLError(root string, err error) *LoginError {
	answer := err.Error()
	var be *badBodyError
	if errors.As(err, &be) {
		answer = fmt.Sprintf("%s %s: %d with a page that is not OpenSpecimen JSON", be.Method, be.Path, be.StatusCode)
		if strings.HasPrefix(be.Excerpt, "<") {
			answer += ": " + htmlExcerpt(be.Excerpt)
		} else if be.Excerpt != "" {
			answer += fmt.Sprintf(": %q", be.Excerpt)
		}
	}
	return &LoginError{WrongURL: true, Err: err, Reason: fmt.Sprintf(
		"the url %q is not OpenSpecimen's REST root (%s): set url to the REST root, of the form %s",
		root, answer, restRootExample)}
}

// answerTooLargeError is a 2xx answer longer than the bound of its request (reqOpts.maxBody).
// A retry does not mend it.
type answerTooLargeError struct {
	Method, Path string
	Limit        int64
	Hint         string // what the bound is and what to do; "" for a request whose answers are all far smaller
}

func (e *answerTooLargeError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "more than any OpenSpecimen answer to this request: is the url the REST root (of the form " + restRootExample + ")?"
	}
	return fmt.Sprintf("%s %s: the answer is larger than %d bytes (%.1f MiB), %s",
		e.Method, e.Path, e.Limit, float64(e.Limit)/(1<<20), hint)
}

const excerptLen = 200

var (
	reScriptStyle = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>`)
	reTitle       = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title\s*>`)
	reTag         = regexp.MustCompile(`(?s)<[^>]*>`)
	reSpace       = regexp.MustCompile(`\s+`)
)

// parseAPIError builds an APIError from an error answer. body may be a prefix of the real
// body (reads are bounded). It never fails: an unparsable body gives a short excerpt.
func parseAPIError(status int, method, path string, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path}
	trimmed := strings.TrimSpace(string(body))
	switch {
	case trimmed == "":
		e.Message = "empty body"
	case strings.HasPrefix(trimmed, "[") && e.fromArray(trimmed):
	case strings.HasPrefix(trimmed, "{") && e.fromObject(trimmed):
	case strings.HasPrefix(trimmed, "<"):
		e.Message = htmlExcerpt(trimmed)
	default:
		e.Message = excerpt(trimmed)
	}
	return e
}

// fromArray reads OpenSpecimen's error array [{"code", "message"}, ...] into e: the first
// code, every code for IsCode, the messages joined. It reports whether body was one.
func (e *APIError) fromArray(body string) bool {
	var entries []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(body), &entries) != nil || len(entries) == 0 {
		return false
	}
	var msgs []string
	for _, en := range entries {
		if en.Code != "" {
			e.codes = append(e.codes, clip(en.Code, 100))
		}
		if m := strings.TrimSpace(en.Message); m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(e.codes) > 0 {
		e.Code = e.codes[0]
	}
	e.Message = clip(strings.Join(msgs, "; "), 1000)
	return e.Code != "" || e.Message != ""
}

// fromObject reads one error object, which some filters answer instead of the documented
// array, into e. It reports whether body was one.
func (e *APIError) fromObject(body string) bool {
	var one struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &one) != nil || one.Code == "" && one.Message == "" && one.Error == "" {
		return false
	}
	e.Code = clip(one.Code, 100)
	if e.Code != "" {
		e.codes = []string{e.Code}
	}
	e.Message = clip(strings.TrimSpace(one.Message+" "+one.Error), 1000)
	return true
}

// htmlExcerpt summarises an HTML page: its title, else its text.
func htmlExcerpt(s string) string {
	s = reScriptStyle.ReplaceAllString(s, " ")
	if m := reTitle.FindStringSubmatch(s); m != nil {
		if t := excerpt(html.UnescapeString(reTag.ReplaceAllString(m[1], " "))); t != "" {
			return "HTML page: " + t
		}
	}
	text := excerpt(html.UnescapeString(reTag.ReplaceAllString(s, " ")))
	if text == "" {
		return "HTML page without text"
	}
	return "HTML page: " + text
}

// excerpt collapses white space and keeps at most excerptLen runes of valid UTF-8.
func excerpt(s string) string {
	return clip(strings.TrimSpace(reSpace.ReplaceAllString(strings.ToValidUTF8(s, "?"), " ")), excerptLen)
}

// clip cuts s to at most n runes, marking the cut, and drops control characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
