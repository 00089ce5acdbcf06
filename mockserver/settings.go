package mockserver

import (
	"cmp"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// settingJSON is one setting as GET /config-settings answers it (ConfigSettingDetail, whose
// null fields Jackson leaves out: an unset setting has no value).
type settingJSON struct {
	Module         string   `json:"module"`
	Name           string   `json:"name"`
	Value          *string  `json:"value,omitempty"`
	Type           string   `json:"type"`
	AllowedValues  []string `json:"allowedValues"`
	ActivationDate int64    `json:"activationDate"`
	Secured        bool     `json:"secured"`
}

// noSetting is the empty ConfigSettingDetail the server answers for a setting it lacks.
type noSetting struct {
	Secured bool `json:"secured"`
}

// settingsLocked answers the settings the mock serves, sorted by module and name, as
// ConfigSettingDetail.from sorts them. s.mu must be held.
func (s *Server) settingsLocked() []settingJSON {
	st := s.settings
	set := func(module, name, typ, value string) settingJSON {
		out := settingJSON{Module: module, Name: name, Type: typ, AllowedValues: []string{},
			ActivationDate: s.startTime.UnixMilli()}
		if value != "" {
			out.Value = &value
		}
		return out
	}
	all := []settingJSON{
		set("auth", "max_login_sessions", "INT", strconv.Itoa(s.maxLogins)),
		set("auth", "token_inactive_interval", "INT", strconv.Itoa(int(s.idle/time.Minute))),
		set("auth", "verify_token_ip_address", "BOOLEAN", "false"),
		set("common", "date_format", "STRING", st.DateFormat),
		set("common", "field_separator", "STRING", st.FieldSeparator),
		set("common", "locale", "STRING", st.Locale),
		set("common", "time_format", "STRING", st.TimeFormat),
	}
	sort.Slice(all, func(a, b int) bool {
		return all[a].Module+"\x00"+all[a].Name < all[b].Module+"\x00"+all[b].Name
	})
	return all
}

// configSettings is GET /config-settings?module=&property= (ConfigurationController): with
// both, the one setting in a list, or [{"secured":false}] (an empty detail) when there is
// none; with a module, its settings ([] for an unknown one); else every setting. Any user
// may read them.
func (s *Server) configSettings(w http.ResponseWriter, r *http.Request, _ *user) {
	module, property := strings.TrimSpace(r.URL.Query().Get("module")), strings.TrimSpace(r.URL.Query().Get("property"))
	s.mu.Lock()
	all := s.settingsLocked()
	s.mu.Unlock()
	out := []any{}
	for _, st := range all {
		if (module == "" || st.Module == module) && (module == "" || property == "" || st.Name == property) {
			out = append(out, st)
		}
	}
	if module != "" && property != "" && len(out) == 0 {
		out = append(out, noSetting{})
	}
	writeJSON(w, http.StatusOK, out)
}

// localeSettings is GET /config-settings/locale (ConfigurationServiceImpl.getLocaleSettings):
// the locale, the date and time formats (the messages' when unset) and utcOffset, the
// JVM zone's offset as Utility.getTimezoneOffset answers it: milliseconds, negated (east
// of UTC is negative), the zone's standard offset without daylight saving
// (Calendar.ZONE_OFFSET).
func (s *Server) localeSettings(w http.ResponseWriter, _ *http.Request, _ *user) {
	s.mu.Lock()
	now := s.clock.Now()
	s.mu.Unlock()
	st := s.settings
	writeJSON(w, http.StatusOK, map[string]any{
		"locale":    st.Locale,
		"dateFmt":   cmp.Or(st.DateFormat, defaultDateFormat),
		"timeFmt":   cmp.Or(st.TimeFormat, defaultTimeFormat),
		"utcOffset": -standardOffset(now, s.loc).Milliseconds(),
	})
}

// standardOffset is loc's offset from UTC at t without daylight saving: t's own offset, or,
// while daylight saving is in effect, that of a day of the year when it is not.
func standardOffset(t time.Time, loc *time.Location) time.Duration {
	t = t.In(loc)
	_, off := t.Zone()
	if !t.IsDST() {
		return time.Duration(off) * time.Second
	}
	for _, m := range []time.Month{time.January, time.July} {
		if d := time.Date(t.Year(), m, 1, 12, 0, 0, 0, loc); !d.IsDST() {
			_, off = d.Zone()
			break
		}
	}
	return time.Duration(off) * time.Second
}

// appProps is GET /config-settings/app-props (ConfigurationServiceImpl.getAppProps), with
// the fields a client may use: build_version (the git tag or branch of the server's build),
// build_date (epoch milliseconds, as a string) and build_commit_revision.
func (s *Server) appProps(w http.ResponseWriter, _ *http.Request, _ *user) {
	writeJSON(w, http.StatusOK, map[string]any{
		"plugins":               []string{},
		"build_version":         s.settings.BuildVersion,
		"build_date":            strconv.FormatInt(s.startTime.UnixMilli(), 10),
		"build_commit_revision": "mockserver",
	})
}
