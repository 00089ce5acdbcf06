package provider

import (
	"strings"
	"testing"
	"time"
)

func TestParseFilterDate(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in       string
		loc      *time.Location
		want     time.Time
		dateOnly bool
	}{
		{"20220221", time.UTC, time.Date(2022, 2, 21, 0, 0, 0, 0, time.UTC), true},
		{" 20220221 ", kolkata, time.Date(2022, 2, 21, 0, 0, 0, 0, kolkata), true},
		{"2022-02-21", time.UTC, time.Date(2022, 2, 21, 0, 0, 0, 0, time.UTC), true},
		{"2022-02-21", berlin, time.Date(2022, 2, 21, 0, 0, 0, 0, berlin), true},
		{"20220221T061500", time.UTC, time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC), false},
		{"20220221t061500", kolkata, time.Date(2022, 2, 21, 6, 15, 0, 0, kolkata), false},
		{"2022-02-21T12:00:00", berlin, time.Date(2022, 2, 21, 12, 0, 0, 0, berlin), false},
		{"2022-02-21T12:00:00.25", time.UTC, time.Date(2022, 2, 21, 12, 0, 0, 250e6, time.UTC), false},
		{"2022-02-21 12:00:00", kolkata, time.Date(2022, 2, 21, 12, 0, 0, 0, kolkata), false},
		{"2022-02-21 12:00", berlin, time.Date(2022, 2, 21, 12, 0, 0, 0, berlin), false},
		{"2022-02-21t12:00", time.UTC, time.Date(2022, 2, 21, 12, 0, 0, 0, time.UTC), false},
		{"2022-02-21T06:15:00Z", kolkata, time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC), false},
		{"2022-02-21t06:15:00z", kolkata, time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC), false},
		{"2022-02-21 06:15:00Z", kolkata, time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC), false},
		{"2022-02-21T06:15:00.5+05:30", time.UTC, time.Date(2022, 2, 21, 0, 45, 0, 500e6, time.UTC), false},
		{"2022-02-21T06:15:00-03:00", berlin, time.Date(2022, 2, 21, 9, 15, 0, 0, time.UTC), false},
	}
	for _, tc := range tests {
		got, dateOnly, err := parseFilterDate(tc.in, tc.loc)
		if err != nil || !got.Equal(tc.want) || dateOnly != tc.dateOnly {
			t.Errorf("parseFilterDate(%q) = %v, %v, %v; want %v, %v", tc.in, got, dateOnly, err, tc.want, tc.dateOnly)
		}
	}
}

func TestParseFilterDate_invalid(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"", "2022/02/21", "02-21-2022", "20221341", "2022-13-01", "2022-02-30", "20220221T256000",
		"2022-02-21T6:15", "2022-02-21T06:15:00+0530", "2022-02-21T06:15:00 UTC", "yesterday", "20220221T0615", "T061500"} {
		_, _, err := parseFilterDate(in, berlin)
		if err == nil {
			t.Errorf("parseFilterDate(%q): no error", in)
			continue
		}
		// The message names every form and the zone the zone-less ones are read in.
		for _, want := range []string{"2022-02-21", "20220221T061500", "RFC 3339", "2022-02-21 06:15", "in Europe/Berlin"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("parseFilterDate(%q) error %q lacks %q", in, err, want)
			}
		}
	}
	if _, _, err := parseFilterDate("x", nil); err == nil || !strings.Contains(err.Error(), "in UTC") {
		t.Errorf("parseFilterDate with a nil zone: %v, want the zone named UTC", err)
	}
}

func FuzzParseFilterDate(f *testing.F) {
	for _, s := range []string{"20220221", "2022-02-21", "20220221T061500", "2022-02-21 06:15", "2022-02-21T06:15:00Z",
		"2022-02-21T06:15:00.123+05:30", "", "x", "99999999T999999", "2022-02-21T06:15:00-0"} {
		f.Add(s)
	}
	loc := time.FixedZone("X", -3*3600)
	f.Fuzz(func(t *testing.T, s string) {
		tm, dateOnly, err := parseFilterDate(s, loc)
		if err != nil {
			if !strings.Contains(err.Error(), "the accepted forms are") {
				t.Fatalf("unclear error %v", err)
			}
			return
		}
		if dateOnly {
			if h, m, sec := tm.In(loc).Clock(); h != 0 || m != 0 || sec != 0 {
				t.Fatalf("date %q parsed to %v, not midnight", s, tm)
			}
			v := strings.TrimSpace(s)
			if tm.In(loc).Format(layoutDate) != v && tm.In(loc).Format("2006-01-02") != v {
				t.Fatalf("date %q round-trips to %v", s, tm)
			}
		}
	})
}
