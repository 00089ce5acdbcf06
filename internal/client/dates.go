package client

import (
	"time"
)

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
