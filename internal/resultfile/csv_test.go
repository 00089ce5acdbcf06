package resultfile

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// exportCSV is a saved-query export as the server writes it: preamble, blank line, header, rows.
const exportCSV = "\"Exported By\",\"Super Admin\"\n" +
	"\"Exported On\",\"01-15-2024 06:15\"\n" +
	"\"Collection Protocol\",\"CP-TB\"\n" +
	"\"\",\"\"\n" +
	"\"Label\",\"Type\"\n" +
	"\"SP-1\",\"Whole Blood\"\n" +
	"\"SP-2\",\"Plasma\"\n"

// decodeString decodes s keeping its rows, and answers the table and where its body starts.
func decodeString(t *testing.T, s string, limit int64) (*Table, int64, error) {
	t.Helper()
	start := int64(-1)
	table, err := decodeCSV(strings.NewReader(s), "r.csv", ',', limit, true, func(off int64) error {
		if start >= 0 {
			t.Errorf("bodyStarts called twice: %d, then %d", start, off)
		}
		start = off
		return nil
	})
	return table, start, err
}

func TestDecodeCSV(t *testing.T) {
	export := &Table{
		Metadata: map[string]string{"Exported By": "Super Admin", "Exported On": "01-15-2024 06:15", "Collection Protocol": "CP-TB"},
		Columns:  []string{"Label", "Type"},
		Rows:     [][]string{{"SP-1", "Whole Blood"}, {"SP-2", "Plasma"}},
	}
	header := int64(strings.Index(exportCSV, `"Label"`))
	dutch := strings.NewReplacer("Exported By", "Geëxporteerd door", "Exported On", "Geëxporteerd op",
		"Collection Protocol", "Collectieprotocol").Replace(exportCSV)
	for name, tc := range map[string]struct {
		in    string
		want  *Table
		start int64 // the header's offset
	}{
		"export": {exportCSV, export, header},
		"export, CRLF": {strings.ReplaceAll(exportCSV, "\n", "\r\n"), export,
			header + int64(strings.Count(exportCSV[:header], "\n"))},
		"export with a byte order mark": {"\ufeff" + exportCSV, export, header + 3},
		"plain with a byte order mark, kept": {"\ufeffLabel,Type\nSP-1,Whole Blood\nSP-2,Plasma\n", &Table{
			Metadata: map[string]string{}, Columns: export.Columns, Rows: export.Rows}, 0},
		"export in Dutch": {dutch, &Table{
			Metadata: map[string]string{"Geëxporteerd door": "Super Admin", "Geëxporteerd op": "01-15-2024 06:15", "Collectieprotocol": "CP-TB"},
			Columns:  export.Columns, Rows: export.Rows}, int64(strings.Index(dutch, `"Label"`))},
		"export without a protocol line": {strings.Replace(exportCSV, "\"Collection Protocol\",\"CP-TB\"\n", "", 1), &Table{
			Metadata: map[string]string{"Exported By": "Super Admin", "Exported On": "01-15-2024 06:15"},
			Columns:  export.Columns, Rows: export.Rows}, header - int64(len("\"Collection Protocol\",\"CP-TB\"\n"))},
		// Two name-value lines without the blank line: no preamble, a CSV of two columns.
		"no blank line": {"\"Exported By\",\"x\"\n\"Exported On\",\"y\"\n", &Table{Metadata: map[string]string{},
			Columns: []string{"Exported By", "x"}, Rows: [][]string{{"Exported On", "y"}}}, 0},
		// One name-value line, then a blank one: too short for a preamble.
		"a blank second row": {"a,b\n,\nc,d\n", &Table{Metadata: map[string]string{}, Columns: []string{"a", "b"},
			Rows: [][]string{{"", ""}, {"c", "d"}}}, 0},
		// Five name-value lines: too long for one.
		"five name-value lines, then a blank one": {"a,b\nc,d\ne,f\ng,h\ni,j\n,\n", &Table{Metadata: map[string]string{},
			Columns: []string{"a", "b"}, Rows: [][]string{{"c", "d"}, {"e", "f"}, {"g", "h"}, {"i", "j"}, {"", ""}}}, 0},
		"plain": {"Label,Type\nSP-1,Whole Blood\nSP-2,Plasma\n", &Table{Metadata: map[string]string{},
			Columns: export.Columns, Rows: export.Rows}, 0},
		"plain, no final line break, empty lines skipped": {"Label,Type\n\nSP-1,Whole Blood\n\nSP-2,Plasma", &Table{
			Metadata: map[string]string{}, Columns: export.Columns, Rows: export.Rows}, 0},
		"header only": {"a,b\n", &Table{Metadata: map[string]string{}, Columns: []string{"a", "b"}, Rows: [][]string{}}, 0},
		"quoted line breaks and quotes": {"a,b\n\"x\ny\",\"say \"\"hi\"\"\"\n", &Table{Metadata: map[string]string{},
			Columns: []string{"a", "b"}, Rows: [][]string{{"x\ny", `say "hi"`}}}, 0},
		"two columns, Exported By not first": {"Name,Exported By\nx,y\n", &Table{Metadata: map[string]string{},
			Columns: []string{"Name", "Exported By"}, Rows: [][]string{{"x", "y"}}}, 0},
		"empty values": {"a,b\n,\n", &Table{Metadata: map[string]string{}, Columns: []string{"a", "b"}, Rows: [][]string{{"", ""}}}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			got, start, err := decodeString(t, tc.in, DefaultMaxContentBytes)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodeCSV = %#v, want %#v", got, tc.want)
			}
			if start != tc.start {
				t.Errorf("the body starts at %d, want %d", start, tc.start)
			}
		})
	}
}

// Written to a path, the file's rows are not kept, and need not fit the limit.
func TestDecodeCSV_withoutRows(t *testing.T) {
	got, err := decodeCSV(strings.NewReader(exportCSV), "r.csv", ',', 100, false, func(int64) error { return nil })
	if err != nil || got.Rows != nil || len(got.Metadata) != 3 || len(got.Columns) != 2 {
		t.Errorf("decodeCSV without rows = %#v, %v; want metadata and columns, rows nil", got, err)
	}
	// The rows are still checked.
	_, err = decodeCSV(strings.NewReader(exportCSV+"x\n"), "r.csv", ',', 100, false, func(int64) error { return nil })
	if e, ok := err.(*DecodeError); !ok || e.Line != 8 {
		t.Errorf("a ragged row, rows not kept: %v, want a *DecodeError on line 8", err)
	}
}

// Every way a file is not the CSV asked for names its line, counted as a user sees the file:
// its preamble included, a quoted line break counted.
func TestDecodeCSV_errors(t *testing.T) {
	for name, tc := range map[string]struct {
		in           string
		line, column int
		msg          string
	}{
		"empty":              {"", 0, 0, "the file is empty; a CSV file starts with its header"},
		"only blank":         {"\n\n", 0, 0, "the file is empty"},
		"binary":             {"PK\x03\x04\x14\x00\x08\x00\xff\xfe", 1, 0, "this line is not text"},
		"latin-1":            {"a,b\nx,caf\xe9\n", 2, 0, "this line is not text"},
		"NUL byte":           {"a,b\nx,y\x00\n", 2, 0, "this line is not text"},
		"bare quote":         {"a,b\nx,y\"z\n", 2, 4, `bare " in non-quoted-field`},
		"unterminated quote": {"a,b\n\"x,y\n", 2, 6, `extraneous or missing " in quoted-field`},
		"ragged row":         {"a,b\n1,2\n3\n", 3, 0, "this line has 1 fields, but the header (line 1) has 2"},
		"ragged row after a quoted line break": {"a,b\n\"x\ny\",2\n3,4,5\n", 4, 0,
			"this line has 3 fields, but the header (line 1) has 2"},
		"ragged row after the preamble": {exportCSV + "SP-3\n", 8, 0, "this line has 1 fields, but the header (line 5) has 2"},
		"duplicate columns":             {"a,b,a,c,b,a\n", 1, 0, `the header names "a", "b" more than once`},
		// é precomposed and e with a combining accent: one name once Terraform keeps it in NFC.
		"duplicate once normalised": {"caf\u00e9,cafe\u0301\n", 1, 0, "the header names \"cafe\u0301\" more than once"},
		"unnamed columns":           {"a,,b,\n", 1, 0, "column 2, 4 of the header has no name"},
		"both":                      {"a,a,\n", 1, 0, `the header names "a" more than once; column 3 of the header has no name`},
		// Not the shape of a preamble: a CSV whose header has two columns.
		"name-value lines, then 3 fields": {"\"Exported By\",\"x\"\n\"Exported On\",\"y\",\"z\"\n\"\",\"\"\na\n", 2, 0,
			"this line has 3 fields, but the header (line 1) has 2"},
		"preamble, no header": {"\"Exported By\",\"x\"\n\"Exported On\",\"y\"\n\"\",\"\"\n", 3, 0, "no header follows the export preamble from line 1"},
		"preamble, a name twice": {"\"Exported By\",\"x\"\n\"Exported By\",\"y\"\n\"\",\"\"\na\n", 2, 0,
			`the export preamble names "Exported By" twice`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeString(t, tc.in, DefaultMaxContentBytes)
			e, ok := err.(*DecodeError)
			if !ok || e.Filename != "r.csv" || e.Line != tc.line || e.Column != tc.column || !strings.Contains(e.Err.Error(), tc.msg) {
				t.Errorf("decodeCSV: %#v (%v), want a *DecodeError on line %d, column %d: %s", err, err, tc.line, tc.column, tc.msg)
			}
		})
	}
}

// What is kept (metadata, names, and each row's values under their column names) is bounded;
// so is any one record, even when rows are not kept, before it is read whole.
func TestDecodeCSV_limit(t *testing.T) {
	in := "ab,cd\n" + strings.Repeat("1,2\n", 10) // each row holds 4+2 bytes; the header 4
	if _, _, err := decodeString(t, in, 4+10*6); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	_, _, err := decodeString(t, in, 4+10*6-1)
	if e, ok := err.(*TooLargeError); !ok || !e.Decoded || e.Limit != 63 || e.Filename != "r.csv" {
		t.Errorf("over the limit: %#v (%v), want a *TooLargeError, Decoded", err, err)
	}
	long := &countingReader{r: io.MultiReader(strings.NewReader("a\n1\n"), zeroReader{})}
	_, err = decodeCSV(long, "r.csv", ',', 1000, false, func(int64) error { return nil })
	if e, ok := err.(*TooLargeError); !ok || e.Line != 3 || e.Limit != 1000 {
		t.Errorf("an endless record: %#v (%v), want a *TooLargeError from line 3", err, err)
	}
	if long.n > 1000+2*csvReadAhead {
		t.Errorf("an endless record was read for %d bytes before it was refused", long.n)
	}
}

// A download that breaks midway, or a body that cannot be written, is a *DownloadError.
func TestDecodeCSV_readErrors(t *testing.T) {
	_, err := decodeCSV(&failingReader{n: 1000}, "r.csv", ',', DefaultMaxContentBytes, true, func(int64) error { return nil })
	if e, ok := err.(*DownloadError); !ok || !e.Midway {
		t.Errorf("a broken download: %#v, want a *DownloadError midway", err)
	}
	full := errors.New("no space left on device")
	_, err = decodeCSV(strings.NewReader(exportCSV), "r.csv", ',', DefaultMaxContentBytes, true, func(int64) error { return full })
	if e, ok := err.(*DownloadError); !ok || !errors.Is(e, full) {
		t.Errorf("a body that cannot be written: %#v, want a *DownloadError with the cause", err)
	}
}

// The file is decoded with the separator asked for (the server's common.field_separator),
// preamble included; a header that, so decoded, is one column holding another usual
// separator is an error naming the separator the file looks written with.
func TestDecodeCSV_separator(t *testing.T) {
	semi := strings.ReplaceAll(exportCSV, `","`, `";"`)
	got, err := decodeCSV(strings.NewReader(semi), "r.csv", ';', DefaultMaxContentBytes, true, func(int64) error { return nil })
	if err != nil || got.Metadata["Exported By"] != "Super Admin" || len(got.Columns) != 2 || len(got.Rows) != 2 {
		t.Errorf("a ; export read with ;: %#v, %v", got, err)
	}
	for _, tc := range []struct {
		in        string
		sep, want rune
		line      int
	}{
		{semi, ',', ';', 1}, // its preamble is then no preamble: one column
		{"a\tb\n1\t2\n", ';', '\t', 1},
		{"\"Exported By\"|\"x\"\n", ',', '|', 1},
		{"a;b\n1;2\n", '\t', ';', 1},
	} {
		_, err := decodeCSV(strings.NewReader(tc.in), "r.csv", tc.sep, DefaultMaxContentBytes, true, func(int64) error { return nil })
		e, ok := err.(*DecodeError)
		if !ok || e.Separator != tc.want || e.Line != tc.line ||
			!strings.Contains(e.Error(), fmt.Sprintf("the file's values look separated by %q, not %q", tc.want, tc.sep)) {
			t.Errorf("%q read with %q: %#v (%v), want the separator %q named", tc.in, tc.sep, err, err, tc.want)
		}
	}
	// One column without another separator is fine; so is one whose name holds another in quotes.
	for _, in := range []string{"id\n1\n", "\"id;x\"\n1\n"} {
		if got, err := decodeCSV(strings.NewReader(in), "r.csv", ',', 100, true, func(int64) error { return nil }); err != nil || len(got.Rows) != 1 {
			t.Errorf("%q, one column: %#v, %v", in, got, err)
		}
	}
	if _, err := decodeCSV(strings.NewReader("a\n"), "r.csv", '"', 100, true, func(int64) error { return nil }); err == nil ||
		err.Error() != `decoding r.csv as CSV: '"' cannot separate CSV values` {
		t.Errorf("a quote as separator: %v", err)
	}
}
