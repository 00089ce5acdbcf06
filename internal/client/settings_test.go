package client

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// ReadSettings reads the server's build, export separator, date formats, locale and zone
// offset, on each line, and keeps them.
func TestReadSettings(t *testing.T) {
	for _, line := range serverLines {
		sc := serverConfig()
		sc.Line, sc.Timezone = line, "Asia/Kolkata"
		sc.Settings = mockserver.SettingsConfig{FieldSeparator: ";", DateFormat: "yyyy-MM-dd", BuildVersion: "v12.4"}
		e := newEnvOn(t, sc, nil)
		s, err := e.c.ReadSettings(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.BuildVersion != "v12.4" || s.FieldSeparator != ';' || s.DateFormat != "yyyy-MM-dd" || s.TimeFormat != "HH:mm" ||
			s.Locale != "en_US" || s.ZoneOffset == nil || *s.ZoneOffset != 5*time.Hour+30*time.Minute {
			t.Errorf("%s line: %+v", line, s)
		}
		if got := e.c.Settings(); got.BuildVersion != s.BuildVersion || got.FieldSeparator != ';' {
			t.Errorf("%s line: kept %+v", line, got)
		}
	}
}

// The build_version tells the line: the run list's fromDate is sent in that line's form from
// the first request, and on the older line in the server's zone, an hour before, instead of
// 14 hours before (every zone's). Without settings the client learns the form from a refusal.
func TestSettingsTellTheLine(t *testing.T) {
	from := time.Date(2024, 1, 15, 10, 0, 30, 0, time.UTC)
	for _, c := range []struct {
		line, version, zone string
		read                bool     // the server answers its settings, which the client reads before its first run list
		want                []string // the fromDate of each run list sent
	}{
		{mockserver.LineOlder, "", "Asia/Kolkata", true, []string{"2024-01-15 14:30"}}, // 15:30 there, less an hour
		{mockserver.LineOlder, "", "America/New_York", true, []string{"2024-01-15 04:00"}},
		{mockserver.LineNewest, "", "Asia/Kolkata", true, []string{"2024-01-15T10:00:30.000Z"}},
		{mockserver.LineOlder, "", "Asia/Kolkata", false, []string{"2024-01-15T10:00:30.000Z", "2024-01-14 20:00"}},
		// A branch names no line: the probe, in the zone learned.
		{mockserver.LineOlder, "master", "Asia/Kolkata", true, []string{"2024-01-15T10:00:30.000Z", "2024-01-15 14:30"}},
		// A build taken for the wrong line: the other form is tried and remembered.
		// (the older form is sent again an hour earlier, as for a wall time its zone skips)
		{mockserver.LineNewest, "v12.0", "UTC", true, []string{"2024-01-15 09:00", "2024-01-15 08:00", "2024-01-15T10:00:30.000Z"}},
	} {
		sc := serverConfig()
		sc.Line, sc.Timezone, sc.Settings.BuildVersion = c.line, c.zone, c.version
		e := newEnvOn(t, sc, nil)
		sent := fromDates(e.s, c.read)
		if _, err := e.c.ListRuns(t.Context(), 7, RunFilter{From: &from}); err != nil {
			t.Fatalf("%s line, %q, %s: %v", c.line, c.version, c.zone, err)
		}
		if got := sent(); len(got) != len(c.want) || !equal(got, c.want) {
			t.Errorf("%s line, build %q, zone %s, settings read %v: fromDates %q, want %q", c.line, c.version, c.zone, c.read, got, c.want)
		}
	}
}

// fromDates records the fromDate of every run list s answers from now on; without settings,
// s answers none of its settings, as a server without their routes.
func fromDates(s *mockserver.Server, settings bool) func() []string {
	var mu sync.Mutex // guards got
	var got []string
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if !settings && settingsRoute(req.Pattern) {
			return mockserver.HTMLReply(http.StatusNotFound), true
		}
		if req.Method == "GET" && req.Pattern == routeRuns {
			mu.Lock()
			got = append(got, req.Query.Get("fromDate"))
			mu.Unlock()
		}
		return mockserver.Reply{}, false
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// A setting the server does not answer stays unknown, and the client does without it: an
// older server without the routes, an error, an answer out of range.
func TestReadSettingsUnknown(t *testing.T) {
	e := newEnv(t, nil)
	e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		switch req.Pattern {
		case "/config-settings/app-props":
			return mockserver.HTMLReply(404), true
		case "/config-settings/locale":
			return mockserver.Reply{Status: 200, Body: []byte(`{"locale":"en_US","utcOffset":99999999999}`)}, true
		case "/config-settings":
			return mockserver.ErrorReply(500, "INTERNAL_ERROR", "boom"), true
		}
		return mockserver.Reply{}, false
	})
	s, err := e.c.ReadSettings(t.Context())
	if err != nil || s.BuildVersion != "" || s.FieldSeparator != 0 || s.ZoneOffset != nil || s.Locale != "en_US" {
		t.Errorf("%+v, %v", s, err)
	}
	if s.wallOffset() != -maxZoneOffset || e.c.knownFromForm() != formInstant {
		t.Errorf("without settings: wall offset %v, form %v", s.wallOffset(), e.c.knownFromForm())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := e.c.ReadSettings(ctx); err == nil {
		t.Error("ReadSettings with its context ended: no error")
	}
}

func TestLineFormOf(t *testing.T) {
	for version, want := range map[string]string{
		"v13.0": "newest", "13.1.RC2": "newest", "v14.0": "newest", "V12.2": "older", "v9.1": "older", "12.0": "older",
		"master": "", "": "", "v13": "", "release-13.0": "",
	} {
		form, ok := lineFormOf(version)
		got := ""
		switch {
		case ok && form == formInstant:
			got = "newest"
		case ok:
			got = "older"
		}
		if got != want {
			t.Errorf("lineFormOf(%q) = %q, want %q", version, got, want)
		}
	}
}

// The line is the newest from 13.0 on, the older below, unknown for a branch or nothing.
func TestSettingsNewestLine(t *testing.T) {
	for build, want := range map[string][2]bool{"v13.0": {true, true}, "13.1.RC2": {true, true}, "v12.2": {false, true},
		"master": {false, false}, "": {false, false}} {
		newest, known := Settings{BuildVersion: build}.NewestLine()
		if newest != want[0] || known != want[1] {
			t.Errorf("build_version %q: newest %t, known %t; want %t, %t", build, newest, known, want[0], want[1])
		}
	}
}

// settingsRoute reports whether a route of the mock is one of the settings' (GET
// /config-settings, its locale and app-props).
func settingsRoute(pattern string) bool { return strings.HasPrefix(pattern, "/config-settings") }

// Login reads the settings once, after the credentials: concurrent logins share one read,
// later ones read nothing, and a run list bounded by a date reads them first when no login
// did. Nothing is read before a call needs the server.
func TestLoginReadsSettingsOnce(t *testing.T) {
	for _, byLogin := range []bool{true, false} {
		e := newEnv(t, nil)
		reads := func() int { return e.s.RequestCount("GET", "/config-settings/app-props") }
		if reads() != 0 || e.s.RequestCount("POST", routeSessions) != e.logins0 {
			t.Fatal("the client touched the server before a call")
		}
		if byLogin {
			var wg sync.WaitGroup
			for range 5 {
				wg.Go(func() {
					if err := e.c.Login(t.Context()); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		from := envStart.Add(-time.Hour)
		for range 2 {
			if _, err := e.c.ListRuns(t.Context(), 7, RunFilter{From: &from}); err != nil {
				t.Fatal(err)
			}
		}
		if n := reads(); n != 1 || e.c.Settings().BuildVersion == "" {
			t.Errorf("by login %v: settings read %d times (%+v), want once", byLogin, n, e.c.Settings())
		}
		if n := e.s.RequestCount("GET", "/config-settings/locale"); n != 1 {
			t.Errorf("by login %v: locale read %d times, want once", byLogin, n)
		}
	}
}
