package mockserver

import (
	"testing"
	"time"
)

// Each line takes its one form of the run list's dates and refuses the other line's, the
// official page's (20220221, 20220221T061500) and every near miss.
// parseDateCases are the dates each line reads, and those it refuses.
var parseDateCases = []struct {
	line, in string
	want     time.Time // zero: refused
}{
	// older: yyyy-MM-dd HH:mm in the server's zone, the text after the minutes ignored.
	{LineOlder, "2022-02-21 06:15", utcDate("2022-02-21T00:45:00Z")},
	{LineOlder, "2022-02-21 06:15:59", utcDate("2022-02-21T00:45:00Z")},
	{LineOlder, "2022-02-21 06:15Z", utcDate("2022-02-21T00:45:00Z")},
	{LineOlder, "2022-02-21 06:15 junk", utcDate("2022-02-21T00:45:00Z")},
	{LineOlder, "2022-2-1 6:05", utcDate("2022-02-01T00:35:00Z")}, // SimpleDateFormat reads any number of digits
	{LineOlder, "2022-02-21T06:15:00.000Z", time.Time{}},
	{LineOlder, "2022-02-21T06:15", time.Time{}},
	{LineOlder, "2022-02-21T06:15:00Z", time.Time{}},
	{LineOlder, "20220221", time.Time{}},
	{LineOlder, "20220221T061500", time.Time{}},
	{LineOlder, "2022-02-21", time.Time{}},
	{LineOlder, "2022-02-21 06", time.Time{}},
	{LineOlder, "2022-02-21 06:", time.Time{}},
	{LineOlder, "2022-02-30 06:15", time.Time{}}, // non-lenient: no 30th of February
	{LineOlder, "2022-13-01 06:15", time.Time{}},
	{LineOlder, "2022-02-21 24:00", time.Time{}},
	{LineOlder, "2022-02-21 06:60", time.Time{}},
	{LineOlder, "2022-02-21 06:150", time.Time{}}, // the minutes take every digit: 150
	{LineOlder, " 2022-02-21 06:15", time.Time{}},
	{LineOlder, "", time.Time{}},
	// newest: yyyy-MM-dd'T'HH:mm:ss.SSSX, three fraction digits, zone Z, +HH or +HHmm.
	{LineNewest, "2022-02-21T06:15:00.000Z", utcDate("2022-02-21T06:15:00Z")},
	{LineNewest, "2022-02-21T06:15:00.000+0530", utcDate("2022-02-21T00:45:00Z")},
	{LineNewest, "2022-02-21T06:15:00.123-0100", utcDate("2022-02-21T07:15:00.123Z")},
	{LineNewest, "2022-02-21T06:15:00.000+05", utcDate("2022-02-21T01:15:00Z")},
	{LineNewest, "2022-02-21T06:15:00Z", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.00Z", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.0000Z", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000+05:30", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000+053", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000+0560", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000+1900", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000z", time.Time{}},
	{LineNewest, "2022-02-21t06:15:00.000Z", time.Time{}},
	{LineNewest, "2022-02-21T06:15:00.000Zjunk", time.Time{}},
	{LineNewest, "2022-02-30T06:15:00.000Z", time.Time{}},
	{LineNewest, "2022-02-21T24:00:00.000Z", time.Time{}},
	{LineNewest, "2022-2-21T06:15:00.000Z", time.Time{}},
	{LineNewest, "2022-02-21 06:15", time.Time{}},
	{LineNewest, "20220221", time.Time{}},
	{LineNewest, "20220221T061500", time.Time{}},
	{LineNewest, "", time.Time{}},
}

// utcDate answers the instant of an RFC 3339 text.
func utcDate(s string) time.Time { return *mustTime(s) }

func TestParseDate(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata") // +05:30, no DST
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range parseDateCases {
		got, err := parseDate(c.line, c.in, ist)
		switch {
		case c.want.IsZero() && err == nil:
			t.Errorf("%s line: %q accepted as %v, want refused", c.line, c.in, got)
		case !c.want.IsZero() && err != nil:
			t.Errorf("%s line: %q refused: %v", c.line, c.in, err)
		case !c.want.IsZero() && !got.Equal(c.want):
			t.Errorf("%s line: %q = %v, want %v", c.line, c.in, got.UTC(), c.want)
		}
	}
}

// An error names the line's form.
func TestParseDate_message(t *testing.T) {
	for line, want := range map[string]string{LineOlder: "use " + olderDateForm, LineNewest: "use " + newestDateForm} {
		if _, err := parseDate(line, "20220221", time.UTC); err == nil || err.Error() != want {
			t.Errorf("%s line: %v, want %q", line, err, want)
		}
	}
	if _, err := parseDate(LineOlder, "2022-02-30 06:15", time.UTC); err == nil || err.Error() != "day 30 is out of range; use "+olderDateForm {
		t.Errorf("older line, 30th of February: %v", err)
	}
}

// The older line refuses a wall time that the server's zone skips (a daylight-saving gap),
// as a non-lenient calendar does, and takes the times around it; the newest line's instants
// have no gap.
func TestParseDate_gap(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York") // 2024-03-10 02:00 EST became 03:00 EDT
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"2024-03-10 01:59": "2024-03-10T06:59:00Z",
		"2024-03-10 02:00": "",
		"2024-03-10 02:30": "",
		"2024-03-10 02:59": "",
		"2024-03-10 03:00": "2024-03-10T07:00:00Z",
		"2024-11-03 01:30": "2024-11-03T05:30:00Z", // the fall's repeated hour exists: its first instant
	} {
		got, err := parseDate(LineOlder, in, ny)
		switch {
		case want == "" && (err == nil || err.Error() != in+" does not exist in America/New_York (a daylight-saving gap); use "+olderDateForm):
			t.Errorf("%q: %v, %v: want refused as in the gap", in, got, err)
		case want != "" && (err != nil || !got.Equal(*mustTime(want))):
			t.Errorf("%q: %v, %v: want %s", in, got.UTC(), err, want)
		}
	}
	if _, err := parseDate(LineNewest, "2024-03-10T02:30:00.000-0500", ny); err != nil {
		t.Errorf("newest line: %v", err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"20220221", "20220221T061500", "2022-02-21T06:15:00.000Z", "2022-02-21T06:15:00.000+0530",
		"2022-02-21 06:15", "2022-02-21 06:15:00", "2022-2-1 6:5", "2022-02-21T06:15:00+05:30", "", "T", "99999999999-1-1 1:1",
		"2022-02-21T06:15:00.000Zjunk", "0000-01-01T00:00:00.000-18"} {
		f.Add(s)
	}
	zone := time.FixedZone("IST", 19800) // no DST: every wall time exists once
	f.Fuzz(func(t *testing.T, s string) {
		// An accepted value reads back to its own text: the older line's prefix in the
		// server's zone, the newest line's whole text in its own offset.
		if got, err := parseDate(LineOlder, s, zone); err == nil && canonicalOlder(s) {
			if back := got.In(zone).Format("2006-01-02 15:04"); back != s[:16] {
				t.Errorf("older line: %q parsed to %v (%s)", s, got, back)
			}
		}
		if got, err := parseDate(LineNewest, s, zone); err == nil {
			if back := got.Format("2006-01-02T15:04:05.000"); back != s[:23] {
				t.Errorf("newest line: %q parsed to %v (%s)", s, got, back)
			}
		}
	})
}

// canonicalOlder says whether s starts with yyyy-MM-dd HH:mm, each field of its full width.
func canonicalOlder(s string) bool {
	const form = "0000-00-00 00:00"
	if len(s) < len(form) || (len(s) > len(form) && isDigit(s[len(form)])) {
		return false
	}
	for i := 0; i < len(form); i++ {
		if (form[i] == '0' && !isDigit(s[i])) || (form[i] != '0' && s[i] != form[i]) {
			return false
		}
	}
	return true
}
