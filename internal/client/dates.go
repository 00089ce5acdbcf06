package client

import (
	"fmt"
	"strings"
	"time"
)

const (
	layoutDate     = "20060102"
	layoutDateTime = "20060102T150405"
)

// ParseDate reads a date as a user would write it for a run filter. Accepted forms:
//
//   - RFC 3339, with a zone: 2022-02-21T06:15:00Z, 2022-02-21T06:15:00+05:30
//   - a date, as OpenSpecimen's page writes it: 20220221 (midnight in loc; dateOnly is true)
//   - a date and time, as OpenSpecimen's page writes it: 20220221T061500 (in loc)
//
// loc is the zone of the zone-less forms; nil means UTC.
func ParseDate(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	if loc == nil {
		loc = time.UTC
	}
	v := strings.TrimSpace(s)
	switch {
	case len(v) == len(layoutDate) && allDigits(v):
		t, err = time.ParseInLocation(layoutDate, v, loc)
		if err == nil {
			return t, true, nil
		}
	case len(v) == len(layoutDateTime) && (v[8] == 'T' || v[8] == 't') && allDigits(v[:8]) && allDigits(v[9:]):
		t, err = time.ParseInLocation(layoutDateTime, v[:8]+"T"+v[9:], loc)
		if err == nil {
			return t, false, nil
		}
	case len(v) >= len("2006-01-02T15:04:05Z"):
		t, err = time.Parse(time.RFC3339Nano, v)
		if err == nil {
			return t, false, nil
		}
	}
	why := ""
	if err != nil {
		why = " (" + err.Error() + ")"
	}
	return time.Time{}, false, fmt.Errorf("invalid date %q%s: use RFC 3339 (2022-02-21T06:15:00Z or "+
		"2022-02-21T06:15:00+05:30), a date as 20220221, or a date and time as 20220221T061500 (in %s)",
		clip(s, 60), why, loc)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// formatQueryDate writes t in the form of OpenSpecimen's page (yyyyMMddTHHmmss) in loc.
func formatQueryDate(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(layoutDateTime)
}
