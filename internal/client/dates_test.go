package client

import (
	"testing"
	"time"
)

// Each line's fromDate form is a bound at or before From however the server reads it: the
// newest line's instant to the millisecond, the older line's minute in any zone the server
// may have (UTC-12 to UTC+14).
func TestFromDateForm(t *testing.T) {
	from := time.Date(2022, 2, 21, 11, 45, 30, 123456789, time.FixedZone("IST", 5*3600+1800))
	if got := formInstant.format(from); got != "2022-02-21T06:15:30.123Z" {
		t.Fatalf("instant %q", got)
	}
	got := formMinute.format(from)
	if got != "2022-02-20 16:15" {
		t.Fatalf("minute %q", got)
	}
	for off := -12 * time.Hour; off <= maxZoneOffset; off += 15 * time.Minute {
		read, err := time.ParseInLocation("2006-01-02 15:04", got, time.FixedZone("", int(off/time.Second)))
		if err != nil || read.After(from) {
			t.Fatalf("in UTC%+v the server reads %q as %v, after %v", off, got, read, from)
		}
	}
	if formInstant.other() != formMinute || formMinute.other() != formInstant {
		t.Fatal("other")
	}
}
