package mockserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "+2", "-3", "007", "", "x", "1.5", "99999999999999999999", " 1", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseID(s)
		if err != nil {
			return
		}
		if want, err2 := strconv.ParseInt(s, 10, 64); err2 != nil || want != id {
			t.Errorf("parseID(%q) = %d, strconv says %d %v", s, id, want, err2)
		}
	})
}

// FuzzRequestBodies sends arbitrary bodies to the two routes that read one (login and
// trigger) through the whole handler: the answer is 200 or a 400 INVALID_REQUEST /
// AUTH_INVALID_CREDENTIALS JSON error, never a panic or a 5xx.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{`{}`, `{"args":"a b"}`, `{"args":null}`, `{"args":7}`, `null`, ``, ` `, `[`, `{"args":"\u0000"}`,
		`{"loginName":"admin","password":"Admin@123","domainName":"openspecimen"}`, `{"loginName":1}`, `"x"`, `{"args":"a"} junk`} {
		f.Add(s)
	}
	s, err := newServer(Config{Jobs: []JobConfig{{ID: 1, Duration: Duration(time.Hour)}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.shutdown)
	rec := httptest.NewRecorder()
	loginReq := httptest.NewRequest("POST", BasePath+"/sessions",
		strings.NewReader(`{"loginName":"admin","password":"Admin@123"}`))
	s.Handler().ServeHTTP(rec, loginReq)
	var ans struct{ Token string }
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || ans.Token == "" {
		f.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/sessions", "/scheduled-jobs/1/runs"} {
			req := httptest.NewRequest("POST", BasePath+path, strings.NewReader(body))
			req.Header.Set("X-OS-API-TOKEN", ans.Token)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			switch rec.Code {
			case 200:
			case 400:
				var errs []apiError
				if err := json.Unmarshal(rec.Body.Bytes(), &errs); err != nil || len(errs) != 1 ||
					(errs[0].Code != codeInvalidRequest && errs[0].Code != codeInvalidCredential) {
					t.Fatalf("POST %s %q: 400 %s", path, body, rec.Body)
				}
			default:
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
			}
		}
	})
}

// dateParam writes t in the run list's date form of line: the older line's in the server's
// zone loc, the newest line's with its offset.
func dateParam(line string, t time.Time, loc *time.Location) string {
	if line == LineOlder {
		return url.QueryEscape(t.In(loc).Format("2006-01-02 15:04"))
	}
	return url.QueryEscape(t.In(loc).Format("2006-01-02T15:04:05.000Z0700"))
}

// The run list on each line: its date form (the other forms 400), fromDate against
// startedAt and toDate against finishedAt (runs in progress, and runs that end after toDate,
// left out), the status, the limit, and which runs a non-admin sees.
func TestListRuns(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		t.Run(line, func(t *testing.T) { testListRuns(t, line) })
	}
}

func testListRuns(t *testing.T, line string) {
	cfg := testConfig()
	cfg.Line = line
	cfg.Timezone = "Asia/Kolkata" // +05:30: the older line's dates are read in it
	cfg.Jobs[0].SharedWith = []string{"alice"}
	s := newTestServer(t, cfg)
	loc, _ := time.LoadLocation(cfg.Timezone)
	admin, alice := login(t, s, "admin", "Admin@123"), login(t, s, "alice", "Alice@123")
	date := func(name, rfc3339 string) string { return name + "=" + dateParam(line, *mustTime(rfc3339), loc) }
	all := []int64{14, 13, 12, 11, 10}
	cases := []listRunsCase{
		{"all, newest first", admin, "", all},
		{"status", admin, "status=FAILED", []int64{11}},
		{"status and maxResults", admin, "status=SUCCEEDED&maxResults=2", []int64{14, 13}},
		{"maxResults", admin, "maxResults=1", []int64{14}},
		{"maxResults large", admin, "maxResults=1000", all},
		{"maxResults 0 is the default", admin, "maxResults=0", all},
		{"maxResults negative is the default", admin, "maxResults=-1", all},
		{"empty params", admin, "fromDate=&toDate=&status=&maxResults=", all},
		// Run 12 starts at 2022-02-22T00:00Z exactly: fromDate is inclusive.
		{"fromDate, inclusive", admin, date("fromDate", "2022-02-22T00:00:00Z"), []int64{14, 13, 12}},
		{"fromDate, a minute before", admin, date("fromDate", "2022-02-21T23:59:00Z"), []int64{14, 13, 12, 11}},
		// Run 11 started before 2022-02-22T00:00Z but finished at 00:01, run 12 at 00:02.
		{"toDate bounds the finish", admin, date("toDate", "2022-02-22T00:00:00Z"), []int64{10}},
		{"toDate, inclusive", admin, date("toDate", "2022-02-22T00:01:00Z"), []int64{11, 10}},
		{"both and status", admin, date("fromDate", "2022-02-21T00:00:00Z") + "&" + date("toDate", "2022-03-03T00:00:00Z") +
			"&status=SUCCEEDED", []int64{14, 13, 12, 10}},
	}
	// Which runs a non-admin sees: on the newest line its own (job 1 is shared with alice),
	// on the older line all.
	if line == LineOlder {
		cases = append(cases, listRunsCase{"non-admin sees every run", alice, "", all})
	} else {
		cases = append(cases, listRunsCase{"non-admin sees its own runs", alice, "", []int64{12}})
	}
	for _, c := range cases {
		r := call(t, "GET", s.URL()+"/scheduled-jobs/1/runs?"+c.query, c.auth, "")
		var runs []runOut
		r.decode(t, &runs)
		if r.status != 200 || !reflect.DeepEqual(ids(runs), c.want) {
			t.Errorf("%s (?%s): %d: ids %v, want %v (%s)", c.name, c.query, r.status, ids(runs), c.want, r.body)
		}
	}

	checkInProgressListed(t, s, admin, date)
	var runs []runOut
	if call(t, "GET", s.URL()+"/scheduled-jobs/99/runs", admin, "").decode(t, &runs); len(runs) != 0 {
		t.Errorf("unknown job: %v", ids(runs))
	}
}

type listRunsCase struct {
	name, auth, query string
	want              []int64
}

// checkInProgressListed checks which dates list job 6's unfinished run 20; date answers a
// query parameter of a date as the server's line writes it.
func checkInProgressListed(t *testing.T, s *Server, admin string, date func(name, rfc3339 string) string) {
	t.Helper()
	// A run in progress has no finishedAt: listed without toDate, never with one.
	for query, want := range map[string][]int64{
		"status=IN_PROGRESS": {20},
		"status=IN_PROGRESS&" + date("toDate", "2099-01-01T00:00:00Z"): {},
		date("fromDate", "2022-03-01T00:00:00Z"):                       {20},
	} {
		var runs []runOut
		call(t, "GET", s.URL()+"/scheduled-jobs/6/runs?"+query, admin, "").decode(t, &runs)
		if !reflect.DeepEqual(ids(runs), want) {
			t.Errorf("job 6 ?%s: ids %v, want %v", query, ids(runs), want)
		}
	}
}

// Every date form but the line's own, and every bad parameter, is 400 INVALID_REQUEST.
func TestListRuns_invalid(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		other := map[string]string{LineNewest: "2022-02-21 06:15", LineOlder: "2022-02-21T06:15:00.000Z"}[line]
		s := newTestServer(t, Config{Line: line, Jobs: []JobConfig{{ID: 1}}})
		admin := login(t, s, "admin", "Admin@123")
		for _, query := range []string{
			"fromDate=" + url.QueryEscape(other), "toDate=" + url.QueryEscape(other),
			"fromDate=20220221", "toDate=20220221T061500", "fromDate=2022-02-21", "toDate=2022-02-21T06:15:00Z",
			"fromDate=" + url.QueryEscape("2022-02-21T06:15:00.000+05:30"), "fromDate=1645424100000",
			"status=DONE", "status=failed", "maxResults=ten", "maxResults=1.5",
		} {
			if r := call(t, "GET", s.URL()+"/scheduled-jobs/1/runs?"+query, admin, ""); r.status != 400 || r.apiCode() != codeInvalidRequest {
				t.Errorf("%s line, ?%s: %d %s, want 400 INVALID_REQUEST", line, query, r.status, r.body)
			}
		}
		if r := call(t, "GET", s.URL()+"/scheduled-jobs/x/runs", admin, ""); r.status != 400 || r.apiCode() != codeInvalidRequest {
			t.Errorf("%s line, job x: %d %s", line, r.status, r.body)
		}
	}
}

// The JSON of a run, nulls included.
func TestListRuns_json(t *testing.T) {
	s := newTestServer(t, testConfig())
	var raw []map[string]json.RawMessage
	call(t, "GET", s.URL()+"/scheduled-jobs/1/runs?status=FAILED", login(t, s, "admin", "Admin@123"), "").decode(t, &raw)
	want := map[string]string{"id": "11", "jobId": "1", "jobName": `"Specimen export"`, "status": `"FAILED"`,
		"startedAt": "1645487940000", "finishedAt": "1645488060000", "rtArgs": "null", "message": `"Query failed"`, "logFilePath": "null"}
	for k, v := range want {
		if string(raw[0][k]) != v {
			t.Errorf("%s = %s, want %s", k, raw[0][k], v)
		}
	}
	var by map[string]any
	if err := json.Unmarshal(raw[0]["runBy"], &by); err != nil {
		t.Fatalf("runBy: %v", err)
	}
	for _, k := range []string{"id", "firstName", "lastName", "loginName", "emailAddress", "domain"} {
		if _, ok := by[k]; !ok {
			t.Errorf("runBy lacks %s", k)
		}
	}
}

// problem is Spring 6's problem details, as a test reads them.
type problem struct {
	Type, Title, Detail, Instance string
	Status                        int
}

// checkErrorPage checks that r is the line's error page of status: JSON problem details with
// detail on the newest line, the container's HTML page on the older.
func checkErrorPage(t *testing.T, line, what string, r response, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s line, %s: %d %s, want %d", line, what, r.status, r.body, status)
		return
	}
	if line == LineOlder {
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<h1>HTTP Status "+strconv.Itoa(status)) {
			t.Errorf("%s line, %s: %s %s, want the HTML page", line, what, r.header.Get("Content-Type"), r.body)
		}
		return
	}
	var p problem
	if err := json.Unmarshal(r.body, &p); err != nil || r.header.Get("Content-Type") != "application/problem+json" ||
		p != (problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Instance: p.Instance}) ||
		!strings.HasPrefix(p.Instance, BasePath+"/") {
		t.Errorf("%s line, %s: %s %s, want problem details %q", line, what, r.header.Get("Content-Type"), r.body, detail)
	}
}

// An unknown URL (404) and a wrong method (405, with Allow) answer the line's error page;
// outside the REST root it is always the container's HTML page.
func TestRoutingErrors(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		s := newTestServer(t, Config{Line: line, Jobs: []JobConfig{{ID: 1}}})
		tok := login(t, s, "admin", "Admin@123")
		for _, c := range []struct {
			method, path string
			want         int
			detail       string
		}{
			{"GET", "/nothing-here", 404, "No static resource nothing-here."},
			{"GET", "/scheduled-jobs/1/runs/2/3/4", 404, "No static resource scheduled-jobs/1/runs/2/3/4."},
			{"PATCH", "/scheduled-jobs/1", 405, "Method 'PATCH' is not supported."},
			{"DELETE", "/scheduled-jobs/1/runs", 405, "Method 'DELETE' is not supported."},
			{"GET", "/sessions", 405, "Method 'GET' is not supported."},
		} {
			r := call(t, c.method, s.URL()+c.path, tok, "")
			checkErrorPage(t, line, c.method+" "+c.path, r, c.want, c.detail)
			if c.want == 405 && r.header.Get("Allow") == "" {
				t.Errorf("%s line, %s %s: 405 without Allow", line, c.method, c.path)
			}
		}
		var p problem
		if r := call(t, "GET", s.URL()+"/nothing-here", tok, ""); line == LineNewest && (json.Unmarshal(r.body, &p) != nil || p.Instance != BasePath+"/nothing-here") {
			t.Errorf("newest line: the 404's instance: %s", r.body)
		}
		r := call(t, "GET", strings.TrimSuffix(s.URL(), BasePath)+"/", tok, "")
		if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s line, GET / outside the REST root: %d %s", line, r.status, r.header.Get("Content-Type"))
		}
	}
}

// A server error carries INTERNAL_ERROR on the newest line, internal_error on the older:
// an injected fault (503) as a failure inside the server (500).
func TestServerErrorCode(t *testing.T) {
	for line, code := range map[string]string{LineNewest: "INTERNAL_ERROR", LineOlder: "internal_error"} {
		s := newTestServer(t, Config{Line: line, Jobs: []JobConfig{{ID: 1}}})
		tok := login(t, s, "admin", "Admin@123")
		s.SetFaults(FaultConfig{ErrorRate: 1})
		if r := call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, ""); r.status != 503 || r.apiCode() != code {
			t.Errorf("%s line, injected fault: %d %s, want 503 %s", line, r.status, r.body, code)
		}
		s.SetFaults(FaultConfig{})
		s.SetRequestHook(func(string, string) { panic("a failure inside the server") })
		if r := call(t, "GET", s.URL()+"/scheduled-jobs/1", tok, ""); r.status != 500 || r.apiCode() != code {
			t.Errorf("%s line, failure: %d %s, want 500 %s", line, r.status, r.body, code)
		}
	}
}

// A trigger whose body is not declared JSON is refused 415, the line's error page, before
// anything else of the trigger (the job, the caller's rights, the body); a JSON type with
// parameters passes, and so does no type with no body (400: the body is missing).
func TestTrigger_contentType(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		s := newTestServer(t, Config{Line: line, Jobs: []JobConfig{{ID: 1, Duration: Duration(time.Hour)}},
			Users: []UserConfig{{LoginName: "admin", Password: "Admin@123", Admin: true}, {LoginName: "dave", Password: "Dave@123", NoJobRights: true}}})
		admin, dave := login(t, s, "admin", "Admin@123"), login(t, s, "dave", "Dave@123")
		trigger := func(tok, job, ctype, body string) response {
			req, err := http.NewRequest("POST", s.URL()+"/scheduled-jobs/"+job+"/runs", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-OS-API-TOKEN", tok)
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return response{status: resp.StatusCode, header: resp.Header, body: b}
		}
		for _, c := range []struct {
			tok, job, ctype, body, detail string
		}{
			{admin, "1", "text/plain", `{}`, "Content-Type 'text/plain' is not supported."},
			{admin, "1", "", `{}`, "Content-Type 'application/octet-stream' is not supported."},
			{admin, "1", "application/x-www-form-urlencoded", ``, "Content-Type 'application/x-www-form-urlencoded' is not supported."},
			{admin, "99", "text/plain", `{}`, "Content-Type 'text/plain' is not supported."},
			{admin, "x", "text/plain", `{}`, "Content-Type 'text/plain' is not supported."},
			{dave, "1", "text/plain", `{}`, "Content-Type 'text/plain' is not supported."},
		} {
			checkErrorPage(t, line, fmt.Sprintf("job %s, %q", c.job, c.ctype), trigger(c.tok, c.job, c.ctype, c.body), 415, c.detail)
		}
		if n := len(s.Runs(1)); n != 0 {
			t.Errorf("%s line: a refused trigger ran: %d runs", line, n)
		}
		if r := trigger(admin, "1", "", ""); r.status != 400 || r.apiCode() != codeInvalidRequest {
			t.Errorf("%s line, no type and no body: %d %s, want 400 INVALID_REQUEST", line, r.status, r.body)
		}
		for _, ctype := range []string{"application/json; charset=UTF-8", "Application/JSON", "application/vnd.openspecimen+json"} {
			if r := trigger(admin, "1", ctype, `{}`); r.status != 200 {
				t.Errorf("%s line, %q: %d %s", line, ctype, r.status, r.body)
			}
		}
	}
}

// On the newest line with maxLoginSessions, a login ends the user's oldest sessions beyond
// the limit (their tokens get 401), not other users'; the older line, and a limit of 0,
// end none.
func TestMaxLoginSessions(t *testing.T) {
	for _, c := range []struct {
		line  string
		max   int
		ended bool // the first of three sessions is ended
	}{{LineNewest, 2, true}, {LineOlder, 2, false}, {LineNewest, 0, false}} {
		cfg := testConfig()
		cfg.Line, cfg.MaxLoginSessions = c.line, c.max
		s := newTestServer(t, cfg)
		bob := login(t, s, "bob", "Bob@123")
		alice := []string{login(t, s, "alice", "Alice@123"), login(t, s, "alice", "Alice@123"), login(t, s, "alice", "Alice@123")}
		want := map[string]int{alice[0]: 200, alice[1]: 200, alice[2]: 200, bob: 200}
		if c.ended {
			want[alice[0]] = 401
		}
		for tok, status := range want {
			if r := call(t, "GET", s.URL()+"/users/current-user", tok, ""); r.status != status {
				t.Errorf("%s line, max %d: %d, want %d", c.line, c.max, r.status, status)
			}
		}
	}
	// Four logins of the limit 1: only the last session lives.
	cfg := testConfig()
	cfg.MaxLoginSessions = 1
	s := newTestServer(t, cfg)
	var toks []string
	for range 4 {
		toks = append(toks, login(t, s, "alice", "Alice@123"))
	}
	for i, tok := range toks {
		if r := call(t, "GET", s.URL()+"/users/current-user", tok, ""); (r.status == 200) != (i == 3) {
			t.Errorf("limit 1, session %d of 4: %d", i+1, r.status)
		}
	}
}

// A Basic-auth call is a login too: on the newest line with maxLoginSessions it counts
// against the limit, ending the user's oldest token sessions so that, with it, at most the
// limit remain; the older line ends none.
func TestBasicAuthCountsAgainstMaxLoginSessions(t *testing.T) {
	for _, c := range []struct {
		line  string
		alive []int // the statuses of the two token sessions after a Basic call
	}{{LineNewest, []int{401, 200}}, {LineOlder, []int{200, 200}}} {
		cfg := testConfig()
		cfg.Line, cfg.MaxLoginSessions = c.line, 2
		s := newTestServer(t, cfg)
		toks := []string{login(t, s, "alice", "Alice@123"), login(t, s, "alice", "Alice@123")}
		if r := call(t, "GET", s.URL()+"/users/current-user", "basic:alice:Alice@123", ""); r.status != 200 {
			t.Fatalf("%s line, Basic: %d", c.line, r.status)
		}
		for i, tok := range toks {
			if r := call(t, "GET", s.URL()+"/users/current-user", tok, ""); r.status != c.alive[i] {
				t.Errorf("%s line, session %d after a Basic call: %d, want %d", c.line, i+1, r.status, c.alive[i])
			}
		}
	}
}

// GET /config-settings answers the server's settings (ConfigurationController,
// ConfigurationServiceImpl) to any user: one setting in a list for a module and a property
// ([{"secured":false}] for an unknown one), a module's, or all; /locale the locale, the
// date and time formats (the messages' when unset) and utcOffset (Utility.getTimezoneOffset:
// milliseconds, negated, without daylight saving); /app-props build_version, by line.
func TestConfigSettings(t *testing.T) {
	for _, line := range []string{LineNewest, LineOlder} {
		cfg := Config{Line: line, Timezone: "America/New_York", MaxLoginSessions: 2, Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true}, {LoginName: "dave", Password: "Dave@123", NoJobRights: true}},
			Settings: SettingsConfig{FieldSeparator: ";", TimeFormat: "HH:mm:ss"}}
		s, clock := newManualServer(t, cfg)
		clock.Set(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)) // daylight saving time in New York
		dave := "basic:dave:Dave@123"
		for query, want := range map[string]string{
			"module=common&property=field_separator": `[{"module":"common","name":"field_separator","value":";","type":"STRING","allowedValues":[],"activationDate":1705312800000,"secured":false}]`,
			"module=common&property=date_format":     `[{"module":"common","name":"date_format","type":"STRING","allowedValues":[],"activationDate":1705312800000,"secured":false}]`,
			"module=common&property=nope":            `[{"secured":false}]`,
			"module=nope":                            `[]`,
		} {
			if r := call(t, "GET", s.URL()+"/config-settings?"+query, dave, ""); r.status != 200 || string(r.body) != want {
				t.Errorf("%s line, ?%s: %d %s\nwant %s", line, query, r.status, r.body, want)
			}
		}
		var all []settingJSON
		call(t, "GET", s.URL()+"/config-settings?module=auth", dave, "").decode(t, &all)
		if len(all) != 3 || all[0].Name != "max_login_sessions" || *all[0].Value != "2" || *all[1].Value != "60" {
			t.Errorf("%s line, auth settings: %+v", line, all)
		}
		call(t, "GET", s.URL()+"/config-settings", dave, "").decode(t, &all)
		if len(all) != 7 || all[3].Module != "common" || all[3].Name != "date_format" {
			t.Errorf("%s line, all settings: %+v", line, all)
		}
		var locale map[string]any
		call(t, "GET", s.URL()+"/config-settings/locale", dave, "").decode(t, &locale)
		if locale["locale"] != "en_US" || locale["dateFmt"] != "dd MMM yyyy" || locale["timeFmt"] != "HH:mm:ss" || locale["utcOffset"] != float64(5*3600*1000) {
			t.Errorf("%s line, locale: %v", line, locale)
		}
		var props map[string]any
		call(t, "GET", s.URL()+"/config-settings/app-props", dave, "").decode(t, &props)
		if want := map[string]string{LineNewest: "v13.0", LineOlder: "v12.2"}[line]; props["build_version"] != want {
			t.Errorf("%s line, build_version %v, want %s", line, props["build_version"], want)
		}
		if r := call(t, "GET", s.URL()+"/config-settings", "", ""); r.status != 401 {
			t.Errorf("%s line, without credentials: %d", line, r.status)
		}
	}
}
