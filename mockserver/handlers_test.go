package mockserver

import (
	"encoding/json"
	"net/http/httptest"
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
