package mockserver

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// downloadName is the name of the file a run serves: Filename with ${run_id} substituted,
// plus ".zip" when zipped.
func (rc *ResultConfig) downloadName(runID int64) string {
	name := rc.entryName(runID)
	if rc.Zip {
		name += ".zip"
	}
	return name
}

func (rc *ResultConfig) entryName(runID int64) string {
	return strings.ReplaceAll(rc.Filename, "${run_id}", strconv.FormatInt(runID, 10))
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

func (s *Server) resultFile(w http.ResponseWriter, r *http.Request, u *user) {
	s.mu.Lock()
	run, apiErr := s.findRunLocked(r, u, true)
	var (
		res      *ResultConfig
		id       int64
		args     *string
		finished time.Time
	)
	if apiErr == nil {
		status, fin := run.state(s.clock.Now())
		switch {
		case status != StatusSucceeded || run.result == nil:
			apiErr = &apiError{codeFileNotAvailable, "Job run result data file is not available."}
		case run.result.Missing:
			apiErr = &apiError{codeFileNotFound, "Job run result data file does not exist on the server."}
		default:
			res, id, args, finished = run.result, run.id, run.rtArgs, *fin
		}
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, http.StatusBadRequest, apiErr.Code, apiErr.Message)
		return
	}

	name := res.downloadName(id)
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment;filename="`+name+`"`)

	if res.GenerateBytes > 0 {
		gen := &generator{runID: id, done: s.done}
		if !res.Zip {
			h.Set("Content-Length", strconv.FormatInt(res.GenerateBytes, 10))
			_, _ = io.CopyN(w, gen, res.GenerateBytes)
			return
		}
		// Streamed zip: its length is not known up front.
		zw := zip.NewWriter(w)
		f, err := zw.CreateHeader(&zip.FileHeader{Name: res.entryName(id), Method: zip.Deflate, Modified: finished})
		if err == nil {
			_, err = io.CopyN(f, gen, res.GenerateBytes)
		}
		if err == nil {
			_ = zw.Close()
		}
		return
	}

	data := res.content(id, args)
	if res.Zip {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		f, err := zw.CreateHeader(&zip.FileHeader{Name: res.entryName(id), Method: zip.Deflate, Modified: finished})
		if err == nil {
			_, err = f.Write(data)
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			h.Del("Content-Disposition")
			writeError(w, http.StatusInternalServerError, codeInternal, err.Error())
			return
		}
		data = buf.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// generator produces endless CSV-like lines ("row,run_id,value") without holding more than
// one line in memory. It fails once the server closes, so Close never waits on a stream.
type generator struct {
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
				b = append(b, "row,run_id,value\n"...)
			} else {
				b = strconv.AppendInt(b, g.row, 10)
				b = append(b, ',')
				b = strconv.AppendInt(b, g.runID, 10)
				b = append(b, ",specimen-"...)
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
