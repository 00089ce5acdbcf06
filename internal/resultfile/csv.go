package resultfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Table is a CSV result file, decoded.
type Table struct {
	// Metadata holds the pairs of the export preamble; empty, not nil, when the file has none.
	Metadata map[string]string
	// Columns is the header, in the file's order.
	Columns []string
	// Rows holds the records after the header, each with one value per column, in Columns'
	// order; nil when the file was written to a path (its rows are there), else not nil.
	Rows [][]string
}

// preambleFirstKey is the first name of the preamble a saved-query export writes before its
// header: "Exported By","<full name>", then "Exported On", maybe "Collection Protocol", then
// a blank line ("","").
const preambleFirstKey = "Exported By"

// byteOrderMark may start a UTF-8 file.
const byteOrderMark = "\ufeff"

// csvReadAhead is how far encoding/csv reads ahead of the record it returns (its buffer).
const csvReadAhead = 4096

// errRecordTooLong is a record longer than the limit, cut short before it is read whole.
var errRecordTooLong = errors.New("record too long")

// recordBound reads r and fails once the record being read is longer than limit bytes, so
// that a file without line breaks is never read into memory whole.
type recordBound struct {
	r     io.Reader
	limit int64
	read  int64 // bytes read from r: the file's size once it is read to its end
	mark  int64 // offset of the end of the last record decoded
}

func (b *recordBound) Read(p []byte) (int, error) {
	if b.read-b.mark > b.limit+csvReadAhead {
		return 0, errRecordTooLong
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// csvDecoder reads one CSV file into a Table, streaming: it holds the metadata and the
// header, and the rows only with keepRows. Everything it holds is bounded by limit bytes
// (values and the column names they are kept under, as the state keeps them).
type csvDecoder struct {
	in       *recordBound
	r        *csv.Reader
	filename string
	limit    int64
	keepRows bool
	table    Table
	held     int64 // bytes of metadata, column names and rows kept
	lastLine int   // the line the last record read ends on (1-based)
	gap      bool  // empty lines precede the last record read
}

// decodeCSV decodes the CSV file read from src. bodyStarts is told, once, the byte offset
// where the file's header starts: after the export preamble and its blank line, else 0.
// Errors: *DecodeError (not CSV, ragged, a bad header), *TooLargeError (over limit),
// *DownloadError (src or bodyStarts failed).
func decodeCSV(src io.Reader, filename string, limit int64, keepRows bool, bodyStarts func(int64) error) (*Table, error) {
	in := &recordBound{r: src, limit: limit}
	buf := bufio.NewReaderSize(in, csvReadAhead) // encoding/csv reads through it as it is
	bom := 0
	if start, _ := buf.Peek(len(byteOrderMark)); string(start) == byteOrderMark {
		bom, _ = buf.Discard(len(byteOrderMark)) // no part of the first name
	}
	r := csv.NewReader(buf)
	r.FieldsPerRecord = -1 // a ragged row is reported with its line, below
	d := &csvDecoder{in: in, r: r, filename: filename, limit: limit, keepRows: keepRows}
	afterBOM := func(offset int64) error { // a file without a preamble keeps its mark
		if offset == 0 {
			return bodyStarts(0)
		}
		return bodyStarts(offset + int64(bom))
	}
	d.table.Metadata = map[string]string{}
	if keepRows {
		d.table.Rows = [][]string{}
	}
	header, line, err := d.readHead(afterBOM)
	if err != nil {
		return nil, err
	}
	if err := d.setColumns(header, line); err != nil {
		return nil, err
	}
	if err := d.readRows(line); err != nil {
		return nil, err
	}
	return &d.table, nil
}

// readHead reads the export preamble, when the file starts with one, and answers the header
// and its line. The preamble starts with a two-field line whose first field is "Exported By"
// and runs, in "name","value" lines, up to a blank line: one whose fields are all empty
// (the server writes "",""), or an empty line.
func (d *csvDecoder) readHead(bodyStarts func(int64) error) ([]string, int, error) {
	rec, line, err := d.next()
	if err == io.EOF {
		return nil, 0, d.fail(0, errors.New("the file is empty; a CSV file starts with its header"))
	} else if err != nil {
		return nil, 0, err
	}
	if len(rec) != 2 || rec[0] != preambleFirstKey {
		return rec, line, d.startBody(bodyStarts, 0)
	}
	from := line
	for {
		if err := d.addMetadata(rec, line, from); err != nil {
			return nil, 0, err
		}
		end := d.r.InputOffset()
		if rec, line, err = d.next(); err == io.EOF {
			return nil, 0, d.fail(d.lastLine, fmt.Errorf("the export preamble from line %d is not followed by a blank line and the header", from))
		} else if err != nil {
			return nil, 0, err
		}
		switch {
		case blank(rec):
			return d.headerAfter(bodyStarts, from)
		case d.gap: // an empty line ended the preamble: rec is the header
			return rec, line, d.startBody(bodyStarts, end)
		}
	}
}

// headerAfter reads the header that follows the preamble's blank line.
func (d *csvDecoder) headerAfter(bodyStarts func(int64) error, from int) ([]string, int, error) {
	if err := d.startBody(bodyStarts, d.r.InputOffset()); err != nil {
		return nil, 0, err
	}
	rec, line, err := d.next()
	if err == io.EOF {
		return nil, 0, d.fail(d.lastLine, fmt.Errorf("no header follows the export preamble from line %d", from))
	}
	return rec, line, err
}

func (d *csvDecoder) startBody(bodyStarts func(int64) error, offset int64) error {
	if err := bodyStarts(offset); err != nil {
		return &DownloadError{Midway: true, Err: err}
	}
	return nil
}

// addMetadata keeps one "name","value" line of the preamble that starts on line from.
func (d *csvDecoder) addMetadata(rec []string, line, from int) error {
	if len(rec) != 2 {
		return d.fail(line, fmt.Errorf("the export preamble from line %d holds \"name\",\"value\" lines up to a blank line, "+
			"but this line has %d fields", from, len(rec)))
	}
	if _, dup := d.table.Metadata[rec[0]]; dup {
		return d.fail(line, fmt.Errorf("the export preamble names %q twice", rec[0]))
	}
	d.table.Metadata[rec[0]] = rec[1]
	return d.hold(len(rec[0]) + len(rec[1]))
}

// setColumns checks and keeps the header: every column has a name, none twice, since the
// names are the keys of each row. Names are compared as Terraform will keep them, in NFC:
// two spellings of one name would be one key of a row.
func (d *csvDecoder) setColumns(header []string, line int) error {
	seen := map[string]bool{}
	var unnamed, twice []string
	for i, name := range header {
		key := norm.NFC.String(name)
		switch {
		case name == "":
			unnamed = append(unnamed, strconv.Itoa(i+1))
		case seen[key] && !contains(twice, strconv.Quote(name)):
			twice = append(twice, strconv.Quote(name))
		}
		seen[key] = true
	}
	var problems []string
	if len(twice) > 0 {
		problems = append(problems, "the header names "+strings.Join(twice, ", ")+" more than once")
	}
	if len(unnamed) > 0 {
		problems = append(problems, "column "+strings.Join(unnamed, ", ")+" of the header has no name")
	}
	if len(problems) > 0 {
		return d.fail(line, errors.New(strings.Join(problems, "; ")+"; each column needs a name of its own, "+
			"the key of its values in each row"))
	}
	d.table.Columns = header
	return d.hold(size(header))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// readRows reads the records after the header on headerLine, each with one field a column.
func (d *csvDecoder) readRows(headerLine int) error {
	names := size(d.table.Columns) // each row is kept under the column names
	for {
		rec, line, err := d.next()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case len(rec) != len(d.table.Columns):
			return d.fail(line, fmt.Errorf("this line has %d fields, but the header (line %d) has %d",
				len(rec), headerLine, len(d.table.Columns)))
		case !d.keepRows:
			continue
		}
		if err := d.hold(names + size(rec)); err != nil {
			return err
		}
		d.table.Rows = append(d.table.Rows, rec)
	}
}

// next reads a record, checks that it is text, and answers the line it starts on.
func (d *csvDecoder) next() ([]string, int, error) {
	rec, err := d.r.Read()
	if err != nil {
		return nil, 0, d.readError(err)
	}
	line, _ := d.r.FieldPos(0)
	for i, field := range rec {
		if !utf8.ValidString(field) || strings.IndexByte(field, 0) >= 0 {
			at, _ := d.r.FieldPos(i)
			return nil, 0, d.fail(at, errors.New("this line is not text (not UTF-8, or holding a NUL byte)"))
		}
	}
	d.gap = line > d.lastLine+1 && d.lastLine > 0
	last, _ := d.r.FieldPos(len(rec) - 1)
	d.lastLine = last + strings.Count(rec[len(rec)-1], "\n")
	d.in.mark = d.r.InputOffset()
	return rec, line, nil
}

// readError is what a failed read of a record means: the file's end (io.EOF, as is), no CSV,
// a record over the limit, or a download (or output) that broke.
func (d *csvDecoder) readError(err error) error {
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.As(err, &pe):
		return &DecodeError{Filename: d.filename, Line: pe.Line, Column: pe.Column, Err: pe.Err}
	case errors.Is(err, errRecordTooLong):
		return &TooLargeError{Filename: d.filename, Limit: d.limit, Line: d.lastLine + 1}
	}
	return &DownloadError{Midway: true, Err: err}
}

// hold counts n more bytes kept in memory, failing over the limit.
func (d *csvDecoder) hold(n int) error {
	d.held += int64(n)
	if d.held > d.limit {
		return &TooLargeError{Filename: d.filename, Limit: d.limit, Decoded: true}
	}
	return nil
}

func (d *csvDecoder) fail(line int, err error) error {
	return &DecodeError{Filename: d.filename, Line: line, Err: err}
}

// size is the bytes of the fields of rec.
func size(rec []string) int {
	n := 0
	for _, f := range rec {
		n += len(f)
	}
	return n
}

// blank reports a record whose fields are all empty.
func blank(rec []string) bool {
	for _, f := range rec {
		if f != "" {
			return false
		}
	}
	return true
}
