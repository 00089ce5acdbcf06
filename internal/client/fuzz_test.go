package client

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b)), Request: r, ContentLength: int64(len(b))}, nil
}

// FuzzParseAnswers feeds arbitrary 200 answers to GetJob, GetRun and ListRuns: each returns
// a well-formed value or a clear error, never a panic, and never a run of another job, a
// run without an id or a run with an unknown status.
func FuzzParseAnswers(f *testing.F) {
	for _, s := range []string{
		`{"id":7,"name":"Export","activityStatus":"Active"}`,
		`{"id":5,"jobId":7,"status":"SUCCEEDED","startedAt":1645424100000,"finishedAt":"1645424160000","rtArgs":null,"runBy":{"loginName":"admin"}}`,
		`[{"id":5,"jobId":7,"status":"IN_PROGRESS","startedAt":1.5e12},{"id":6,"jobId":7,"status":"failed"}]`,
		`{"id":5,"jobId":8,"status":"SUCCEEDED"}`, `{"id":5,"jobId":7,"status":"PAUSED"}`, `[{"id":1,"status":"DONE"}]`,
		``, `null`, `[]`, `{}`, `{"id":`, `<html>login</html>`, `{"startedAt":"x"}`, `{"id":5,"jobId":7,"status":"FAILED","startedAt":1e300}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := New(Config{URL: "http://os.example/rest/ng", Token: "t", MaxRetries: 0,
			HTTPClient: &http.Client{Transport: bodyTransport(body)}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if job, err := c.GetJob(ctx, 7); err == nil && job.ID == 0 {
			t.Fatalf("GetJob accepted a job without id: %q", body)
		} else if err != nil && strings.TrimSpace(err.Error()) == "" {
			t.Fatal("empty error")
		}
		if run, err := c.GetRun(ctx, 7, 5); err == nil {
			if run.ID == 0 || run.JobID != 7 {
				t.Fatalf("GetRun accepted run %+v from %q", run, body)
			}
			if _, perr := ParseRunStatus(string(run.Status)); perr != nil {
				t.Fatalf("GetRun accepted status %q", run.Status)
			}
		}
		runs, err := c.ListRuns(ctx, 7, RunFilter{Status: StatusSucceeded})
		if err == nil {
			for i, r := range runs {
				if r.Status != StatusSucceeded {
					t.Fatalf("ListRuns kept a %q run", r.Status)
				}
				if i > 0 && runs[i-1].ID < r.ID {
					t.Fatalf("ListRuns not newest first: %v", runs)
				}
			}
		}
	})
}
