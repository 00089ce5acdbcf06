package mockserver

import (
	"fmt"
	"strings"
	"time"
)

// The run list's date forms of each line, as their messages name them.
const (
	olderDateForm  = "yyyy-MM-dd HH:mm, such as 2022-02-21 06:15"
	newestDateForm = "yyyy-MM-dd'T'HH:mm:ss.SSSX, such as 2022-02-21T06:15:00.000Z or 2022-02-21T06:15:00.000+0530"
)

// parseDate reads a fromDate/toDate value of the run list as the server of line does
// (Spring's @DateTimeFormat); anything else is an error (400 INVALID_REQUEST):
//
//   - older line (a java.util.Date, pattern yyyy-MM-dd HH:mm): a date and time read in the
//     server's zone loc; the fields are validated, and text after the minutes is ignored, as
//     SimpleDateFormat.parse ignores it. Every ISO form (T separator) and 20220221 fail.
//   - newest line (an Instant, fallback pattern yyyy-MM-dd'T'HH:mm:ss.SSSX): exactly three
//     fraction digits and a zone Z, +HH or +HHmm (no colon), nothing after it.
func parseDate(line, s string, loc *time.Location) (time.Time, error) {
	if line == LineOlder {
		return parseOlderDate(s, loc)
	}
	return parseNewestDate(s)
}

// parseOlderDate reads yyyy-MM-dd HH:mm in loc as a non-lenient SimpleDateFormat does: each
// number is one or more digits (the minutes take every digit that follows), the text after
// the minutes is ignored, and a wall time that loc skips (a daylight-saving gap, such as
// 2024-03-10 02:30 in America/New_York) is refused.
func parseOlderDate(s string, loc *time.Location) (time.Time, error) {
	var f [5]int // year, month, day, hour, minute
	rest := s
	for i, sep := range []string{"-", "-", " ", ":", ""} {
		n, after, ok := leadingNumber(rest)
		if !ok || !strings.HasPrefix(after, sep) {
			return time.Time{}, fmt.Errorf("use %s", olderDateForm)
		}
		f[i], rest = n, after[len(sep):]
	}
	t, err := dateIn(f[0], f[1], f[2], f[3], f[4], 0, 0, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%v; use %s", err, olderDateForm)
	}
	if t.Day() != f[2] || t.Hour() != f[3] || t.Minute() != f[4] { // time.Date moved it out of a gap
		return time.Time{}, fmt.Errorf("%04d-%02d-%02d %02d:%02d does not exist in %s (a daylight-saving gap); use %s",
			f[0], f[1], f[2], f[3], f[4], loc, olderDateForm)
	}
	return t, nil
}

// parseNewestDate reads yyyy-MM-dd'T'HH:mm:ss.SSSX as a strict DateTimeFormatter does.
func parseNewestDate(s string) (time.Time, error) {
	bad := fmt.Errorf("use %s", newestDateForm)
	const fixed = "0000-00-00T00:00:00.000" // the digits' places before the zone
	if len(s) <= len(fixed) {
		return time.Time{}, bad
	}
	for i := 0; i < len(fixed); i++ {
		if (fixed[i] == '0') != isDigit(s[i]) || (fixed[i] != '0' && s[i] != fixed[i]) {
			return time.Time{}, bad
		}
	}
	offset, ok := parseOffset(s[len(fixed):])
	if !ok {
		return time.Time{}, bad
	}
	num := func(from, to int) int { n, _, _ := leadingNumber(s[from:to]); return n }
	t, err := dateIn(num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19),
		num(20, 23)*int(time.Millisecond), time.FixedZone("", offset))
	if err != nil {
		return time.Time{}, fmt.Errorf("%v; use %s", err, newestDateForm)
	}
	return t, nil
}

// parseOffset reads the zone of pattern letter X: Z, or a sign and HH or HHmm, at most
// 18 hours; it answers the offset in seconds east of UTC.
func parseOffset(z string) (int, bool) {
	if z == "Z" {
		return 0, true
	}
	if len(z) != 3 && len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	for i := 1; i < len(z); i++ {
		if !isDigit(z[i]) {
			return 0, false
		}
	}
	h, m := int(z[1]-'0')*10+int(z[2]-'0'), 0
	if len(z) == 5 {
		m = int(z[3]-'0')*10 + int(z[4]-'0')
	}
	if m > 59 || h*60+m > 18*60 {
		return 0, false
	}
	sec := (h*60 + m) * 60
	if z[0] == '-' {
		sec = -sec
	}
	return sec, true
}

// dateIn is the time of these fields in loc, or an error naming the first field out of its
// range (a non-lenient calendar's check: no 31st of February, no hour 24).
func dateIn(year, month, day, hour, minute, second, nanos int, loc *time.Location) (time.Time, error) {
	switch {
	case year < 1 || year > 9999:
		return time.Time{}, fmt.Errorf("year %d is out of range", year)
	case month < 1 || month > 12:
		return time.Time{}, fmt.Errorf("month %d is out of range", month)
	case day < 1 || day > daysIn(year, month):
		return time.Time{}, fmt.Errorf("day %d is out of range", day)
	case hour > 23:
		return time.Time{}, fmt.Errorf("hour %d is out of range", hour)
	case minute > 59:
		return time.Time{}, fmt.Errorf("minute %d is out of range", minute)
	case second > 59:
		return time.Time{}, fmt.Errorf("second %d is out of range", second)
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, loc), nil
}

// daysIn is the number of days of a month.
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// leadingNumber reads the decimal digits s starts with (at most 9 are taken as the value's,
// a longer run is out of every range) and answers the text after them.
func leadingNumber(s string) (n int, rest string, ok bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		if i < 9 {
			n = n*10 + int(s[i]-'0')
		} else {
			n = 1e9
		}
		i++
	}
	return n, s[i:], i > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
