package client

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAPIErrorForms(t *testing.T) {
	e := parseAPIError(400, "GET", "/x", []byte(`[{"code":"A","message":"one"},{"code":"B","message":"two"}]`))
	if e.Code != "A" || e.Message != "one; two" || !e.hasCode("B") || !IsCode(e, "b") {
		t.Fatalf("%+v", e)
	}
	e = parseAPIError(400, "", "", []byte(`{"code":"C","message":"m"}`))
	if e.Code != "C" || e.Error() != "400 C: m" {
		t.Fatalf("%q", e.Error())
	}
	for _, b := range []string{`[]`, `[{}]`, `{"x":1}`, `[not json`, "<html></html>", "<b>\x00\xff</b>"} {
		e = parseAPIError(502, "GET", "/x", []byte(b))
		if e.Code != "" || e.Message == "" || !strings.HasPrefix(e.Error(), "GET /x: 502") {
			t.Fatalf("%q: %+v", b, e)
		}
	}
	if IsNotFound(errors.New("x")) || IsCode(nil, "A") {
		t.Fatal("plain errors carry no code")
	}
	long := strings.Repeat("é", 1000)
	if m := parseAPIError(500, "", "", []byte(long)).Message; len([]rune(m)) != excerptLen+1 {
		t.Fatalf("excerpt of %d runes", len([]rune(m)))
	}
}

func FuzzParseAPIError(f *testing.F) {
	for _, s := range []string{`[{"code":"A","message":"m"}]`, `{"code":"C"}`, "<html><title>t</title></html>", "", "[", "\xff\xfe", `[{"code":1}]`} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseAPIError(status, "GET", "/p", body)
		if e == nil || e.StatusCode != status {
			t.Fatal("no error")
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, "GET /p: ") || !utf8Valid(msg) {
			t.Fatalf("bad message %q", msg)
		}
		if len([]rune(e.Message)) > 1001 || len([]rune(e.Code)) > 101 {
			t.Fatalf("unbounded message of %d runes", len([]rune(e.Message)))
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// The errors of StartRun read without the facts a server may leave out.
func TestStartErrors(t *testing.T) {
	if got := (&JobRunningError{JobID: 1, Run: Run{ID: 2}}).Error(); got != "job 1 already has run 2 in progress (started at an unknown time by an unknown user)" {
		t.Fatal(got)
	}
	if got := (&RunPendingError{Trigger: Trigger{JobID: 1, AfterRunID: 5}}).Error(); !strings.Contains(got, "may still be queued") ||
		!strings.Contains(got, "the first of job 1 by an unknown user with no args after run 5") {
		t.Fatal(got)
	}
}
