package mockserver

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// downloadName is the name of the file a run serves: Filename with ${run_id} substituted,
// plus ".zip" when zipped; an export's is scheduled_query_<queryId>_<runId>.csv.zip.
func (rc *ResultConfig) downloadName(runID int64) string {
	name := rc.entryName(runID)
	if rc.zipped() {
		name += ".zip"
	}
	return name
}

func (rc *ResultConfig) entryName(runID int64) string {
	if rc.Export {
		return fmt.Sprintf("scheduled_query_%d_%d.csv", rc.queryID, runID)
	}
	return strings.ReplaceAll(rc.Filename, "${run_id}", strconv.FormatInt(runID, 10))
}

// zipped: an export is always zipped, as the server zips every saved-query export.
func (rc *ResultConfig) zipped() bool { return rc.Zip || rc.Export }

// writePreamble writes what the server writes before an export's header
// (DefaultQueryExportProcessor.headers): "name","value" lines in the settings' words
// (localised labels, separator, and "Exported On" as the run's start in its user's zone,
// in the date and time formats), then a blank line "","". Nothing when the file is no
// export.
func (f servedFile) writePreamble(w io.Writer) error {
	if !f.res.Export {
		return nil
	}
	ew, labels := exportWriter{w: w, sep: f.settings.separator()}, f.settings.ExportLabels
	lines := [][2]string{
		{labels.ExportedBy, f.exportedBy},
		{labels.ExportedOn, javaDateFormat(f.started.In(f.userLoc), f.settings.dateTimeFormat())},
	}
	switch {
	case f.res.CollectionProtocolGroup != "":
		lines = append(lines, [2]string{labels.CollectionProtocolGroup, f.res.CollectionProtocolGroup})
	case f.res.CollectionProtocol != "":
		lines = append(lines, [2]string{labels.CollectionProtocol, f.res.CollectionProtocol})
	}
	for _, l := range append(lines, [2]string{"", ""}) {
		if err := ew.write(l[0], l[1]); err != nil {
			return err
		}
	}
	return nil
}

// content is the file's bytes (not zipped) for Content or ContentBase64.
func (rc *ResultConfig) content(runID int64, args *string) []byte {
	if rc.ContentBase64 != "" {
		b, _ := base64.StdEncoding.DecodeString(rc.ContentBase64) // validated by normalize
		return b
	}
	a := ""
	if args != nil {
		a = *args
	}
	return []byte(strings.NewReplacer("${run_id}", strconv.FormatInt(runID, 10), "${args}", a).Replace(rc.Content))
}

// resultFile streams a run's output file, as GET .../runs/{runId}/result-file does: the
// headers are sent before the body, so the answer has no Content-Length (it is chunked),
// whatever the file's size.
func (s *Server) resultFile(w http.ResponseWriter, r *http.Request, u *user) {
	f, apiErr := s.fileToServe(r, u)
	if apiErr != nil {
		writeError(w, http.StatusBadRequest, apiErr.Code, apiErr.Message)
		return
	}
	name := f.res.downloadName(f.runID)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment;filename="`+name+`"`)
	if f.res.GenerateBytes > 0 {
		s.writeGenerated(w, f)
		return
	}
	s.writeContent(w, f)
}

// startStream sends the answer's status and headers before any of its body: net/http then
// streams the body chunked, without a Content-Length, as the server does.
func startStream(w http.ResponseWriter) {
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
}

// servedFile is the result file of one run, as read under the server's lock.
type servedFile struct {
	res        *ResultConfig
	runID      int64
	args       *string
	started    time.Time // when the export began: its "Exported On"
	finished   time.Time
	exportedBy string         // the full name of the run's user
	userLoc    *time.Location // the run's user's zone
	settings   SettingsConfig
}

// fileToServe finds the run of the request and its file, or answers the error to write:
// the run is unknown or not the caller's, has no file (not SUCCEEDED, or none configured),
// or its file is gone (Missing, or purged: the clock is past the run's end plus the file
// retention). A gone file's run keeps its logFilePath.
func (s *Server) fileToServe(r *http.Request, u *user) (servedFile, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	run, apiErr := s.findRunLocked(r, u, fileAccess)
	if apiErr != nil {
		return servedFile{}, apiErr
	}
	now := s.clock.Now()
	status, fin := run.state(now)
	switch {
	case status != StatusSucceeded || run.result == nil:
		return servedFile{}, &apiError{codeFileNotAvailable, "Job run result data file is not available."}
	case run.result.Missing || now.After(fin.Add(s.retention)):
		return servedFile{}, &apiError{codeFileNotFound, "Job run result data file does not exist on the server."}
	}
	f := servedFile{res: run.result, runID: run.id, args: run.rtArgs, started: run.startedAt, finished: *fin,
		userLoc: s.loc, settings: s.settings}
	if run.runBy != nil {
		f.exportedBy = run.runBy.cfg.FirstName + " " + run.runBy.cfg.LastName
		if loc, err := time.LoadLocation(run.runBy.cfg.TimeZone); err == nil && run.runBy.cfg.TimeZone != "" {
			f.userLoc = loc
		}
	}
	return f, nil
}

// writeGenerated streams GenerateBytes generated bytes (after an export's preamble), zipped
// on the fly when zipped.
func (s *Server) writeGenerated(w http.ResponseWriter, f servedFile) {
	gen := &generator{runID: f.runID, done: s.done, sep: ","}
	if f.res.Export {
		gen.sep = string(f.settings.separator())
	}
	startStream(w)
	if !f.res.zipped() {
		_, _ = io.CopyN(w, gen, f.res.GenerateBytes)
		return
	}
	zw := zip.NewWriter(w)
	entry, err := zw.CreateHeader(&zip.FileHeader{Name: f.res.entryName(f.runID), Method: zip.Deflate, Modified: f.finished})
	if err == nil {
		err = f.writePreamble(entry)
	}
	if err == nil {
		_, err = io.CopyN(entry, gen, f.res.GenerateBytes)
	}
	if err == nil {
		_ = zw.Close()
	}
}

// writeContent writes the file's Content or ContentBase64 (an export: its preamble, then
// its rows as the server writes them), zipped when zipped.
func (s *Server) writeContent(w http.ResponseWriter, f servedFile) {
	data := f.res.content(f.runID, f.args)
	if f.res.Export {
		var buf bytes.Buffer // writes to it do not fail
		_ = f.writePreamble(&buf)
		_ = exportRows(exportWriter{w: &buf, sep: f.settings.separator()}, f.res.Content, f.runID, f.args)
		data = buf.Bytes()
	}
	if f.res.zipped() {
		zipped, err := zipOne(f.res.entryName(f.runID), f.finished, data)
		if err != nil {
			w.Header().Del("Content-Disposition")
			writeError(w, http.StatusInternalServerError, s.internalCode(), err.Error())
			return
		}
		data = zipped
	}
	startStream(w)
	_, _ = w.Write(data)
}

// zipOne answers a zip archive holding data as its one entry, name.
func zipOne(name string, modified time.Time, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	entry, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err == nil {
		_, err = entry.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	return buf.Bytes(), err
}

// generator produces endless CSV-like lines ("row,run_id,value", sep between the values)
// without holding more than one line in memory. It fails once the server closes, so Close
// never waits on a stream.
type generator struct {
	sep   string
	runID int64
	row   int64
	line  []byte // the rest of the current line, in buf
	buf   []byte
	done  <-chan struct{}
}

func (g *generator) Read(p []byte) (int, error) {
	select {
	case <-g.done:
		return 0, io.ErrClosedPipe
	default:
	}
	n := 0
	for n < len(p) {
		if len(g.line) == 0 {
			// One buffer for every line: the generator must outrun any client it is measured with.
			b := g.buf[:0]
			if g.row == 0 {
				b = append(b, "row"+g.sep+"run_id"+g.sep+"value\n"...)
			} else {
				b = strconv.AppendInt(b, g.row, 10)
				b = append(b, g.sep...)
				b = strconv.AppendInt(b, g.runID, 10)
				b = append(b, g.sep+"specimen-"...)
				b = strconv.AppendInt(b, g.row*7919%100000, 10)
				b = append(b, '\n')
			}
			g.buf, g.line = b, b
			g.row++
		}
		c := copy(p[n:], g.line)
		g.line = g.line[c:]
		n += c
	}
	return n, nil
}
