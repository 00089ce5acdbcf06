package mockserver

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// exportWriter writes CSV records as the server's CsvFileWriter does (over opencsv's
// CSVWriter): each value trimmed (StringUtils.trim), made safe for spreadsheets
// (escapeUnsafeChars: a \" becomes \\", a value starting with ;, = or @, or with + or -
// but not a number, gets a leading '), quoted with " (a " doubled), separated by sep, each
// record ended by "\n" (the line ending of the server's JVM on Linux).
type exportWriter struct {
	w   io.Writer
	sep rune
}

func (ew exportWriter) write(record ...string) error {
	var b strings.Builder
	for i, v := range record {
		if i > 0 {
			b.WriteRune(ew.sep)
		}
		b.WriteString(`"` + strings.ReplaceAll(safeValue(javaTrim(v)), `"`, `""`) + `"`)
	}
	b.WriteString("\n")
	_, err := io.WriteString(ew.w, b.String())
	return err
}

// javaTrim trims what Java's String.trim does: every character up to U+0020 at both ends.
func javaTrim(v string) string {
	return strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
}

// bigDecimal is the syntax Java's new BigDecimal(String) takes.
var bigDecimal = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// safeValue is CsvFileWriter.escapeUnsafeChars: a backslash before a quote is doubled, and a
// value a spreadsheet would take for a formula gets a leading '.
func safeValue(v string) string {
	if v == "" {
		return v
	}
	v = strings.ReplaceAll(v, `\"`, `\\"`)
	switch {
	case strings.ContainsRune(";=@", rune(v[0])):
		return "'" + v
	case (v[0] == '+' || v[0] == '-') && !bigDecimal.MatchString(v):
		return "'" + v
	}
	return v
}

// exportRows writes content, a CSV file written with commas (a configured export's rows),
// as the server writes an export's rows, with ${run_id} and ${args} substituted in each
// value. Content that is not CSV is written as it is.
func exportRows(ew exportWriter, content string, runID int64, args *string) error {
	a := ""
	if args != nil {
		a = *args
	}
	subst := strings.NewReplacer("${run_id}", strconv.FormatInt(runID, 10), "${args}", a)
	r := csv.NewReader(strings.NewReader(content))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		_, err = io.WriteString(ew.w, subst.Replace(content))
		return err
	}
	for _, rec := range records {
		for i := range rec {
			rec[i] = subst.Replace(rec[i])
		}
		if err := ew.write(rec...); err != nil {
			return err
		}
	}
	return nil
}

// checkExportContent reports configured export content that is not CSV.
func checkExportContent(content string) error {
	r := csv.NewReader(strings.NewReader(content))
	r.FieldsPerRecord = -1
	if _, err := r.ReadAll(); err != nil {
		return fmt.Errorf("content is not CSV: %v", err)
	}
	return nil
}

// javaDateFormat formats t as Java's SimpleDateFormat does with pattern, in English: the
// letters y, M, d, E, a, H, k, h, K, m, s, S, z, Z and X, text between single quotes as it
// is (” for a quote), anything else as it is.
func javaDateFormat(t time.Time, pattern string) string {
	var out bytes.Buffer
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			i = quotedText(&out, pattern, i)
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			out.WriteString(dateField(t, c, n))
			i += n
		default:
			_, size := utf8.DecodeRuneInString(pattern[i:])
			out.WriteString(pattern[i : i+size])
			i += size
		}
	}
	return out.String()
}

// quotedText writes the quoted text of pattern from the quote at i and answers where it ends.
func quotedText(out *bytes.Buffer, pattern string, i int) int {
	if i+1 < len(pattern) && pattern[i+1] == '\'' {
		out.WriteByte('\'')
		return i + 2
	}
	end := strings.IndexByte(pattern[i+1:], '\'')
	if end < 0 {
		out.WriteString(pattern[i+1:])
		return len(pattern)
	}
	out.WriteString(pattern[i+1 : i+1+end])
	return i + end + 2
}

// dateField is the value of the pattern letter c repeated n times, for t.
func dateField(t time.Time, c byte, n int) string {
	if f, ok := dateFields[c]; ok {
		return f(t, n)
	}
	return strings.Repeat(string(c), n)
}

// pad writes v with at least n digits.
func pad(v, n int) string { return fmt.Sprintf("%0*d", n, v) }

// dateFields are SimpleDateFormat's letters the mock knows, each with its value.
var dateFields = map[byte]func(t time.Time, n int) string{
	'y': func(t time.Time, n int) string {
		if n == 2 {
			return pad(t.Year()%100, 2)
		}
		return pad(t.Year(), n)
	},
	'M': monthField,
	'd': func(t time.Time, n int) string { return pad(t.Day(), n) },
	'E': func(t time.Time, n int) string {
		if n >= 4 {
			return t.Weekday().String()
		}
		return t.Weekday().String()[:3]
	},
	'a': func(t time.Time, _ int) string { return t.Format("PM") },
	'H': func(t time.Time, n int) string { return pad(t.Hour(), n) },
	'k': func(t time.Time, n int) string { return pad((t.Hour()+23)%24+1, n) },
	'h': func(t time.Time, n int) string { return pad((t.Hour()+11)%12+1, n) },
	'K': func(t time.Time, n int) string { return pad(t.Hour()%12, n) },
	'm': func(t time.Time, n int) string { return pad(t.Minute(), n) },
	's': func(t time.Time, n int) string { return pad(t.Second(), n) },
	'S': func(t time.Time, n int) string { return pad(t.Nanosecond()/int(time.Millisecond), n) },
	'z': func(t time.Time, _ int) string { return t.Format("MST") },
	'Z': func(t time.Time, _ int) string { return t.Format("-0700") },
	'X': func(t time.Time, _ int) string { return t.Format("Z07:00") },
}

func monthField(t time.Time, n int) string {
	switch {
	case n >= 4:
		return t.Month().String()
	case n == 3:
		return t.Month().String()[:3]
	}
	return pad(int(t.Month()), n)
}
