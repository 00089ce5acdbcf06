package mockserver

import (
	"errors"
	"time"
)

// parseDate reads a fromDate/toDate value of the run list:
//
//   - 20220221: a date, that day's start in the server's time zone loc;
//   - 20220221T061500: a date and time in loc;
//   - an RFC 3339 / ISO 8601 instant with a zone, such as 2022-02-21T06:15:00.000Z or
//     2022-02-21T11:45:00+05:30 (what the newest server versions accept).
//
// Anything else is an error (400 INVALID_REQUEST).
func parseDate(s string, loc *time.Location) (time.Time, error) {
	switch {
	case len(s) == len("20060102") && allDigits(s):
		return time.ParseInLocation("20060102", s, loc)
	case len(s) == len("20060102T150405") && allDigits(s[:8]) && s[8] == 'T' && allDigits(s[9:]):
		return time.ParseInLocation("20060102T150405", s, loc)
	case len(s) >= len("2006-01-02T15:04:05Z") && s[4] == '-' && (s[10] == 'T' || s[10] == 't'):
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("not an ISO 8601 instant with a zone, such as 2022-02-21T06:15:00.000Z")
		}
		return t, nil
	}
	return time.Time{}, errors.New("use yyyyMMdd, yyyyMMddTHHmmss or an ISO 8601 instant such as 2022-02-21T06:15:00.000Z")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
