package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Settings are what an OpenSpecimen server says of itself through GET /config-settings and
// its app-props and locale routes (no right is needed to read them). A setting the server
// did not answer is the zero value: the client then falls back to what it does without it.
type Settings struct {
	// BuildVersion is app-props' build_version: the git tag or branch the server was built
	// from, such as "v12.2" or "master".
	BuildVersion string
	// FieldSeparator is common.field_separator, the character between the values of the
	// server's CSV exports; 0 when unknown.
	FieldSeparator rune
	// DateFormat and TimeFormat are the Java SimpleDateFormat patterns the server writes
	// dates and times with (an export's "Exported On": DateFormat, a space, TimeFormat).
	DateFormat, TimeFormat string
	// Locale is the server's locale, as Java writes one ("en_US").
	Locale string
	// ZoneOffset is the standard offset from UTC (east positive, without daylight saving)
	// of the server JVM's time zone, in which the older line reads the run list's dates;
	// nil when unknown.
	ZoneOffset *time.Duration
}

// serverSettings holds what ReadSettings learned.
type serverSettings struct {
	mu sync.Mutex // guards known
	// known is what ReadSettings last read; its zero value until then.
	known Settings
}

// Settings answers what ReadSettings read, the zero value before it.
func (c *Client) Settings() Settings {
	c.settings.mu.Lock()
	defer c.settings.mu.Unlock()
	return c.settings.known
}

// newestLineMajor is the first major version of OpenSpecimen's newest line (jakarta, Spring
// 6): 13.0 brings the OAuth auth domains of that line, while the javax build of 12.x ships
// Spring 5.
const newestLineMajor = 13

// buildMajor reads the major version of a build_version such as "v12.2" or "13.0.RC1".
var buildMajor = regexp.MustCompile(`^[vV]?(\d+)\.\d+`)

// NewestLine reports whether the server is of OpenSpecimen's newest line (jakarta, Spring 6)
// as its build_version tells; known is false when it tells no line (a branch name, or no
// build_version read).
func (s Settings) NewestLine() (newest, known bool) {
	form, known := lineFormOf(s.BuildVersion)
	return known && form == formInstant, known
}

// lineFormOf answers the run list's fromDate form of the line a build_version names, and
// false when it names none (a branch such as "master").
func lineFormOf(buildVersion string) (fromDateForm, bool) {
	m := buildMajor.FindStringSubmatch(buildVersion)
	if m == nil {
		return 0, false
	}
	major, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	if major >= newestLineMajor {
		return formInstant, true
	}
	return formMinute, true
}

// ReadSettings reads the server's settings and keeps them for the client's own use: the
// build_version tells the server's line, so that the run list's fromDate is sent in its form
// from the first request (without it, ListRuns learns the form from a refusal); the zone's
// offset bounds the older line's fromDate within hours rather than the 14 hours of every
// zone. Each setting the server does not answer (an older server without the route, an
// error) stays unknown, and the client works as without it; ReadSettings fails only when ctx
// ends. Three GETs, one for each route.
func (c *Client) ReadSettings(ctx context.Context) (Settings, error) {
	var s Settings
	for _, read := range []func(context.Context, *Settings) error{c.readAppProps, c.readLocale, c.readSeparator} {
		if err := read(ctx, &s); err != nil {
			if ctx.Err() != nil {
				return Settings{}, fmt.Errorf("reading OpenSpecimen's settings: %w", ctx.Err())
			}
			c.logger.DebugContext(ctx, "an OpenSpecimen setting could not be read: going on without it", "error", err)
		}
	}
	c.settings.mu.Lock()
	c.settings.known = s
	c.settings.mu.Unlock()
	if form, ok := lineFormOf(s.BuildVersion); ok {
		c.setFromForm(form)
	}
	c.logger.DebugContext(ctx, "read OpenSpecimen's settings", "build_version", s.BuildVersion,
		"field_separator", string(s.FieldSeparator), "zone_offset", s.ZoneOffset)
	return s, nil
}

// readAppProps reads build_version (GET /config-settings/app-props).
func (c *Client) readAppProps(ctx context.Context, s *Settings) error {
	var props struct {
		BuildVersion *string `json:"build_version"`
	}
	if err := c.getSetting(ctx, "/config-settings/app-props", nil, &props); err != nil {
		return err
	}
	if props.BuildVersion != nil {
		s.BuildVersion = *props.BuildVersion
	}
	return nil
}

// readLocale reads the locale, the date and time formats and the zone's offset (GET
// /config-settings/locale): utcOffset is Java's Calendar.ZONE_OFFSET in milliseconds,
// negated (east of UTC is negative).
func (c *Client) readLocale(ctx context.Context, s *Settings) error {
	var loc struct {
		Locale    string   `json:"locale"`
		DateFmt   string   `json:"dateFmt"`
		TimeFmt   string   `json:"timeFmt"`
		UTCOffset *float64 `json:"utcOffset"`
	}
	if err := c.getSetting(ctx, "/config-settings/locale", nil, &loc); err != nil {
		return err
	}
	s.Locale, s.DateFormat, s.TimeFormat = loc.Locale, loc.DateFmt, loc.TimeFmt
	if loc.UTCOffset != nil && *loc.UTCOffset >= -float64(maxZoneOffset/time.Millisecond) &&
		*loc.UTCOffset <= float64(maxZoneOffset/time.Millisecond) {
		off := -time.Duration(*loc.UTCOffset) * time.Millisecond
		s.ZoneOffset = &off
	}
	return nil
}

// readSeparator reads common.field_separator (GET /config-settings?module=common&property=
// field_separator, answered as a list of one setting, without value when it is unset).
func (c *Client) readSeparator(ctx context.Context, s *Settings) error {
	var list []struct {
		Value *string `json:"value"`
	}
	q := url.Values{"module": {"common"}, "property": {"field_separator"}}
	if err := c.getSetting(ctx, "/config-settings", q, &list); err != nil {
		return err
	}
	if len(list) != 1 || list[0].Value == nil {
		return nil
	}
	r, size := utf8.DecodeRuneInString(*list[0].Value)
	if size == 0 || r == utf8.RuneError {
		return errors.New("common.field_separator is not a character")
	}
	s.FieldSeparator = r
	return nil
}

// getSetting sends one GET of a settings route.
func (c *Client) getSetting(ctx context.Context, path string, q url.Values, out any) error {
	return c.doJSON(ctx, reqOpts{method: http.MethodGet, path: path, query: q, idempotent: true}, out)
}

// wallOffset answers how far from a UTC instant the older line's fromDate is written, as a
// wall time the server reads in its zone: the zone's standard offset less dstGap (its daylight
// saving may move its clocks an hour on), so that the bound is at or before the instant and
// at most a few hours before it; unknown, every zone's: maxZoneOffset before.
func (s Settings) wallOffset() time.Duration {
	if s.ZoneOffset == nil {
		return -maxZoneOffset
	}
	return *s.ZoneOffset - dstGap
}

// formatFrom writes from in the form f for this server (see fromDateForm.format): the older
// form as a wall time at wallOffset from from's UTC time, truncated to the minute.
func (f fromDateForm) formatFrom(from time.Time, s Settings) string {
	if f == formMinute {
		from = from.Add(maxZoneOffset + s.wallOffset()) // format writes it maxZoneOffset earlier
	}
	return f.format(from)
}
