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

// ParseDate reads a date as a user writes it in a run filter (user syntax: the server takes
// none of these forms; see fromDateForm for what ListRuns sends). Accepted forms:
//
//   - a date: 2022-02-21, or 20220221 (midnight in loc; dateOnly is true)
//   - a date and time without a zone, in loc: 2022-02-21T06:15:00, 2022-02-21T06:15,
//     2022-02-21 06:15:00, 2022-02-21 06:15, or 20220221T061500
//   - RFC 3339, with a zone: 2022-02-21T06:15:00Z, 2022-02-21T06:15:00+05:30
//
// The T may be lower case or a space. loc is the zone of the zone-less forms; nil means UTC.
func ParseDate(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	if loc == nil {
		loc = time.UTC
	}
	v := normalizeDate(s)
	layout, dateOnly, zoned := dateLayout(v)
	if layout != "" {
		if zoned {
			t, err = time.Parse(layout, v)
		} else {
			t, err = time.ParseInLocation(layout, v, loc)
		}
		if err == nil {
			return t, dateOnly, nil
		}
	}
	why := ""
	if err != nil {
		why = " (" + err.Error() + ")"
	}
	return time.Time{}, false, fmt.Errorf("invalid date %q%s: the accepted forms are a date, 2022-02-21 or 20220221; "+
		"a date and time in %s, 2022-02-21T06:15:00, 2022-02-21 06:15 or 20220221T061500; "+
		"or RFC 3339 with a zone, 2022-02-21T06:15:00Z or 2022-02-21T06:15:00+05:30",
		clip(s, 60), why, loc)
}

// normalizeDate trims v and writes the separator of date and time as T, and a zone Z in
// upper case.
func normalizeDate(s string) string {
	v := strings.ToUpper(strings.TrimSpace(s))
	if len(v) > 10 && v[4] == '-' && v[10] == ' ' {
		v = v[:10] + "T" + v[11:]
	}
	return v
}

// dateLayout answers the layout of the form v has the shape of ("" for none), whether it is
// a date alone, and whether it carries its own zone.
func dateLayout(v string) (layout string, dateOnly, zoned bool) {
	n := len(v)
	switch {
	case n == len(layoutDate) && allDigits(v):
		return layoutDate, true, false
	case n == len(layoutDateTime) && v[8] == 'T' && allDigits(v[:8]) && allDigits(v[9:]):
		return layoutDateTime, false, false
	case n == len("2006-01-02"):
		return "2006-01-02", true, false
	case n == len("2006-01-02T15:04"):
		return "2006-01-02T15:04", false, false
	case n > len("2006-01-02T15:04:05") && (v[n-1] == 'Z' || v[n-6] == '+' || v[n-6] == '-'):
		return time.RFC3339Nano, false, true
	case n >= len("2006-01-02T15:04:05"):
		return "2006-01-02T15:04:05", false, false // a fraction of a second is accepted too
	}
	return "", false, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fromDateForm is a form of the run list's fromDate that one OpenSpecimen line parses; no
// line parses both. ListRuns sends the form the server last took (formInstant first), and
// the other on a 400 INVALID_REQUEST.
type fromDateForm int

const (
	// formInstant is the newest line's (Spring 6, an Instant): yyyy-MM-dd'T'HH:mm:ss.SSSZ,
	// exactly three fraction digits, written in UTC: 2022-02-21T06:15:00.000Z.
	formInstant fromDateForm = iota
	// formMinute is the older line's (Spring 5, a Date): yyyy-MM-dd HH:mm, read in the server
	// JVM's zone, which the client does not know: 2022-02-21 06:15.
	formMinute
)

// maxZoneOffset is the largest distance of a time zone's offset from UTC (Pacific/Kiritimati,
// +14:00; the most negative is -12:00).
const maxZoneOffset = 14 * time.Hour

// dstGap is the length of a daylight-saving gap: the wall times a zone skips when it moves
// its clocks forward (an hour; half an hour in a few zones).
const dstGap = time.Hour

// format writes from in the form f, as a bound the server compares with startedAt (>=) that
// is at or before from whatever the server's zone: formInstant truncates to the millisecond;
// formMinute writes from's UTC wall time less maxZoneOffset, truncated to the minute. The
// server's answer then holds every run started at or after from, and maybe earlier ones,
// which the caller filters out. A from earlier than that (such as from less dstGap) is a
// wider bound, as safe.
func (f fromDateForm) format(from time.Time) string {
	if f == formMinute {
		return from.UTC().Add(-maxZoneOffset).Truncate(time.Minute).Format("2006-01-02 15:04")
	}
	return from.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

// other answers the form of the other line.
func (f fromDateForm) other() fromDateForm {
	if f == formMinute {
		return formInstant
	}
	return formMinute
}

// tried names the form as getRunsFrom sends it, for the error of a server that refuses it.
func (f fromDateForm) tried() string {
	if f == formMinute {
		return f.String() + ", also an hour earlier"
	}
	return f.String()
}

func (f fromDateForm) String() string {
	if f == formMinute {
		return "yyyy-MM-dd HH:mm (older line)"
	}
	return "yyyy-MM-dd'T'HH:mm:ss.SSSZ (newest line)"
}
