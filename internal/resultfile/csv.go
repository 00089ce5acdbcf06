package resultfile

import (
	"bufio"
	"bytes"
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

// A saved-query export starts with a preamble before its header, in the server's language:
// "Exported By","<full name>", "Exported On","<date time>", maybe "Collection Protocol" (or
// "Collection Protocol Group"),"<title>", then a blank line "","". It is recognised by that
// shape, whatever its words: from minPreambleLines to maxPreambleLines records of two fields,
// a name and a value, then a blank record (its fields all empty), then the header. A plain
// CSV of two columns whose second to fifth record is blank has that shape too: it is taken
// for an export.
const (
	minPreambleLines = 2
	maxPreambleLines = 4
)

// usualSeparators are the separators a CSV file is usually written with; common.field_separator
// is one of them on most servers.
const usualSeparators = ",;\t|"

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
	held     int64    // bytes of metadata, column names and rows kept
	lastLine int      // the line the last record read ends on (1-based)
	gap      bool     // empty lines precede the last record read
	pending  []record // rows read ahead of the header, to tell a preamble from data
	guess    rune     // the usual separator the first line looks written with, when not sep; else 0
}

// record is one CSV record and the line it starts on.
type record struct {
	fields []string
	line   int
}

// decodeCSV decodes the CSV file read from src, its values separated by sep. bodyStarts is
// told, once, the byte offset where the file's header starts: after the export preamble and
// its blank line, else 0. Errors: *DecodeError (not CSV, ragged, a bad header, a header of
// one column that looks separated by another usual separator), *TooLargeError (over limit),
// *DownloadError (src or bodyStarts failed).
func decodeCSV(src io.Reader, filename string, sep rune, limit int64, keepRows bool, bodyStarts func(int64) error) (*Table, error) {
	if !ValidSeparator(sep) {
		return nil, &DecodeError{Filename: filename, Err: fmt.Errorf("%q cannot separate CSV values", sep)}
	}
	in := &recordBound{r: src, limit: limit}
	buf := bufio.NewReaderSize(in, csvReadAhead) // encoding/csv reads through it as it is
	bom := 0
	if start, _ := buf.Peek(len(byteOrderMark)); string(start) == byteOrderMark {
		bom, _ = buf.Discard(len(byteOrderMark)) // no part of the first name
	}
	r := csv.NewReader(buf)
	r.Comma = sep
	r.FieldsPerRecord = -1 // a ragged row is reported with its line, below
	d := &csvDecoder{in: in, r: r, filename: filename, limit: limit, keepRows: keepRows, guess: guessSeparator(buf, sep)}
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
	header, err := d.readHead(afterBOM)
	if err != nil {
		return nil, err
	}
	if err := d.setColumns(header, sep); err != nil {
		return nil, err
	}
	if err := d.readRows(header.line); err != nil {
		return nil, err
	}
	return &d.table, nil
}

// readHead reads the export preamble, when the file starts with one, and answers the header.
// The records of the shape of a preamble are read ahead until a blank record ends them (then
// they were the preamble) or they cannot be one (then they were the header and the first
// rows, which readRows takes from pending).
func (d *csvDecoder) readHead(bodyStarts func(int64) error) (record, error) {
	first, err := d.next()
	if err == io.EOF {
		return record{}, d.fail(0, errors.New("the file is empty; a CSV file starts with its header"))
	} else if err != nil {
		return record{}, err
	}
	head := []record{first}
	for nameValue(head[len(head)-1]) && len(head) <= maxPreambleLines {
		rec, err := d.next()
		switch {
		case err == io.EOF:
			return d.noPreamble(bodyStarts, head)
		case err != nil:
			return record{}, err
		case len(head) >= minPreambleLines && blank(rec.fields):
			return d.preamble(bodyStarts, head)
		}
		head = append(head, rec)
	}
	return d.noPreamble(bodyStarts, head)
}

// nameValue says whether rec may be a line of a preamble: a name and a value.
func nameValue(rec record) bool {
	return len(rec.fields) == 2 && rec.fields[0] != ""
}

// noPreamble answers head's first record as the header, the others pending as rows.
func (d *csvDecoder) noPreamble(bodyStarts func(int64) error, head []record) (record, error) {
	d.pending = head[1:]
	return head[0], d.startBody(bodyStarts, 0)
}

// preamble keeps the preamble's lines as metadata, its blank line just read, and answers
// the header, the record after it.
func (d *csvDecoder) preamble(bodyStarts func(int64) error, lines []record) (record, error) {
	for _, rec := range lines {
		if err := d.addMetadata(rec); err != nil {
			return record{}, err
		}
	}
	if err := d.startBody(bodyStarts, d.r.InputOffset()); err != nil {
		return record{}, err
	}
	rec, err := d.next()
	if err == io.EOF {
		return record{}, d.fail(d.lastLine, fmt.Errorf("no header follows the export preamble from line %d", lines[0].line))
	}
	return rec, err
}

func (d *csvDecoder) startBody(bodyStarts func(int64) error, offset int64) error {
	if err := bodyStarts(offset); err != nil {
		return &DownloadError{Midway: true, Err: err}
	}
	return nil
}

// addMetadata keeps one "name","value" line of the preamble.
func (d *csvDecoder) addMetadata(rec record) error {
	name, value := rec.fields[0], rec.fields[1]
	if _, dup := d.table.Metadata[name]; dup {
		return d.fail(rec.line, fmt.Errorf("the export preamble names %q twice", name))
	}
	d.table.Metadata[name] = value
	return d.hold(len(name) + len(value))
}

// setColumns checks and keeps the header: every column has a name, none twice, since the
// names are the keys of each row. Names are compared as Terraform will keep them, in NFC:
// two spellings of one name would be one key of a row. A header of one column that holds
// another usual separator than sep is a file separated by that one: decoded with sep, it
// would be one wrong column.
func (d *csvDecoder) setColumns(rec record, sep rune) error {
	header, line := rec.fields, rec.line
	if len(header) == 1 && d.guess != 0 {
		return &DecodeError{Filename: d.filename, Line: line, Separator: d.guess, Err: fmt.Errorf(
			"the header is one column holding %q: the file's values look separated by %q, not %q", d.guess, d.guess, sep)}
	}
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

// guessSeparator answers the usual separator the file's first line looks written with when
// it is not sep: the one found most often outside quotes in a line that holds no sep outside
// quotes; else 0. It peeks at the first line, leaving it in buf.
func guessSeparator(buf *bufio.Reader, sep rune) rune {
	first, _ := buf.Peek(csvReadAhead)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(first) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == sep || strings.ContainsRune(usualSeparators, c)):
			counts[c]++
		}
	}
	guess := rune(0)
	for _, c := range usualSeparators {
		if counts[sep] == 0 && counts[c] > counts[guess] {
			guess = c
		}
	}
	return guess
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// readRows reads the records after the header on headerLine (those read ahead first), each
// with one field a column.
func (d *csvDecoder) readRows(headerLine int) error {
	names := size(d.table.Columns) // each row is kept under the column names
	for {
		rec, err := d.nextRow()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case len(rec.fields) != len(d.table.Columns):
			return d.fail(rec.line, fmt.Errorf("this line has %d fields, but the header (line %d) has %d",
				len(rec.fields), headerLine, len(d.table.Columns)))
		case !d.keepRows:
			continue
		}
		if err := d.hold(names + size(rec.fields)); err != nil {
			return err
		}
		d.table.Rows = append(d.table.Rows, rec.fields)
	}
}

// nextRow answers the next row: one read ahead, else the next record.
func (d *csvDecoder) nextRow() (record, error) {
	if len(d.pending) > 0 {
		rec := d.pending[0]
		d.pending = d.pending[1:]
		return rec, nil
	}
	return d.next()
}

// next reads a record, checks that it is text, and answers it with the line it starts on.
func (d *csvDecoder) next() (record, error) {
	rec, err := d.r.Read()
	if err != nil {
		return record{}, d.readError(err)
	}
	line, _ := d.r.FieldPos(0)
	for i, field := range rec {
		if !utf8.ValidString(field) || strings.IndexByte(field, 0) >= 0 {
			at, _ := d.r.FieldPos(i)
			return record{}, d.fail(at, errors.New("this line is not text (not UTF-8, or holding a NUL byte)"))
		}
	}
	d.gap = line > d.lastLine+1 && d.lastLine > 0
	last, _ := d.r.FieldPos(len(rec) - 1)
	d.lastLine = last + strings.Count(rec[len(rec)-1], "\n")
	d.in.mark = d.r.InputOffset()
	return record{fields: rec, line: line}, nil
}

// readError is what a failed read of a record means: the file's end (io.EOF, as is), no CSV,
// a record over the limit, or a download (or output) that broke.
func (d *csvDecoder) readError(err error) error {
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return io.EOF
	case errors.As(err, &pe) && pe.StartLine == 1 && d.guess != 0: // the header does not parse with sep
		return &DecodeError{Filename: d.filename, Line: 1, Separator: d.guess, Err: fmt.Errorf(
			"the header does not parse (%v): the file's values look separated by %q, not %q", pe.Err, d.guess, d.r.Comma)}
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
