package mockserver

import (
	"testing"
	"time"
)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"20220221", "20220221T061500", "2022-02-21T06:15:00.000Z", "2022-02-21T06:15:00+05:30",
		"2022-02-21", "20221321", "2022-02-21T06:15:00", "", "T", "2022-02-21T06:15:00.000Zjunk", "99999999T999999"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseDate(s, loc)
		if err != nil {
			return
		}
		// An accepted zone-less value reads back to itself in the server's zone.
		switch len(s) {
		case 8:
			if back := got.In(loc).Format("20060102"); back != s {
				t.Errorf("%q parsed to %v (%s)", s, got, back)
			}
		case 15:
			if back := got.In(loc).Format("20060102T150405"); back != s {
				t.Errorf("%q parsed to %v (%s)", s, got, back)
			}
		default:
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				t.Errorf("%q accepted but is not RFC 3339: %v", s, err)
			}
		}
	})
}
