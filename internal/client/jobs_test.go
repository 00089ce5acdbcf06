package client

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// ListRuns keeps the documented meaning on both lines (From <= startedAt <= To, a date's
// whole day, runs in progress kept): it sends the status and a fromDate in the form the
// server takes (the older line refuses the newest's, and is sent its own, widened by 14 h,
// which the client remembers), never toDate, and filters the answer on its own side.
func TestListRunsFilter(t *testing.T) {
	onEachLine(t, testListRunsFilter)
}

func testListRunsFilter(t *testing.T, line string) {
	loc := time.FixedZone("IST", 5*3600+1800)
	at := func(d, h int) *time.Time { tm := time.Date(2022, 2, d, h, 0, 0, 0, loc).UTC(); return &tm }
	sc := serverConfig()
	sc.Line = line
	sc.Timezone = "Asia/Kolkata" // the older line reads its dates in it; the client does not know it
	sc.Runs = []mockserver.RunConfig{
		seededRun(1, mockserver.StatusFailed, at(19, 10)),
		seededRun(2, mockserver.StatusSucceeded, at(20, 11)), // in the window sent, before From
		seededRun(3, mockserver.StatusSucceeded, at(20, 23)),
		seededRun(4, mockserver.StatusSucceeded, at(21, 0)),
		seededRun(5, mockserver.StatusFailed, at(21, 23)),
		seededRun(6, mockserver.StatusInProgress, at(21, 23)),
		seededRun(7, mockserver.StatusSucceeded, at(22, 0)), // after To's day
		seededRun(8, mockserver.StatusSucceeded, at(28, 0)),
	}
	e := newEnvOn(t, sc, nil)
	queries := recordQueries(e.s)
	ctx := t.Context()
	from := time.Date(2022, 2, 20, 12, 0, 0, 0, loc)
	to := time.Date(2022, 2, 22, 0, 0, 0, 0, loc).Add(-time.Nanosecond) // the whole of February 21st
	runs, err := e.c.ListRuns(ctx, 7, RunFilter{From: &from, To: &to})
	if got := ids(runs); err != nil || got != "6 5 4 3" {
		t.Fatalf("runs %s, %v", got, err)
	}
	want := []string{"fromDate=2022-02-20T06%3A30%3A00.000Z&maxResults=100"}
	if line == mockserver.LineOlder { // refused, then 06:30 UTC less 14 h
		want = append(want, "fromDate=2022-02-19+16%3A30&maxResults=100")
	}
	if got := queries(); !slices.Equal(got, want) {
		t.Fatalf("queries %q, want %q", got, want)
	}
	// A date-time To is inclusive, and max results counts the runs that match: the server's
	// 3 newest SUCCEEDED runs are 8 7 4, of which 4 matches, so the client asks for 6.
	to2 := time.Date(2022, 2, 21, 0, 0, 0, 0, time.FixedZone("IST", 5*3600+1800))
	runs, err = e.c.ListRuns(ctx, 7, RunFilter{To: &to2, Status: "succeeded", MaxResults: 3})
	if got := ids(runs); err != nil || got != "4 3 2" {
		t.Fatalf("runs %s, %v", got, err)
	}
	want = []string{"maxResults=3&status=SUCCEEDED", "maxResults=6&status=SUCCEEDED"}
	if got := queries(); !slices.Equal(got, want) {
		t.Fatalf("queries %q, want %q", got, want)
	}
	listRunsOtherFilters(t, e, from, to2)
}

// listRunsOtherFilters goes on with testListRunsFilter's server and its from and to: the form
// of fromDate the server took is sent first from then on; a status alone, no filter, a bad
// status, From after To and an unknown job.
func listRunsOtherFilters(t *testing.T, e *testEnv, from, to time.Time) {
	ctx := t.Context()
	queries := recordQueries(e.s)
	runs, err := e.c.ListRuns(ctx, 7, RunFilter{From: &from})
	if got := ids(runs); err != nil || got != "8 7 6 5 4 3" || len(queries()) != 1 {
		t.Fatalf("runs %s, %v", got, err)
	}
	runs, _ = e.c.ListRuns(ctx, 7, RunFilter{Status: StatusInProgress})
	if got := ids(runs); got != "6" {
		t.Fatalf("runs %s", got)
	}
	runs, _ = e.c.ListRuns(ctx, 7, RunFilter{})
	if got := ids(runs); got != "8 7 6 5 4 3 2 1" {
		t.Fatalf("runs %s", got)
	}
	if _, err := e.c.ListRuns(ctx, 7, RunFilter{Status: "DONE"}); err == nil {
		t.Fatal("bad status accepted")
	}
	if _, err := e.c.ListRuns(ctx, 7, RunFilter{From: &to, To: &from}); err == nil || !strings.Contains(err.Error(), "after") {
		t.Fatalf("err = %v", err)
	}
	// Unknown job: [] (as the server), not an error.
	if runs, err := e.c.ListRuns(ctx, 99, RunFilter{}); err != nil || len(runs) != 0 {
		t.Fatal(runs, err)
	}
}

// seededRun is a run of job 7 by bob started at started; a finished one took ten minutes.
func seededRun(id int64, status string, started *time.Time) mockserver.RunConfig {
	r := mockserver.RunConfig{ID: id, JobID: 7, Status: status, StartedAt: started, RunBy: "bob"}
	if status != mockserver.StatusInProgress {
		end := started.Add(10 * time.Minute)
		r.FinishedAt = &end
	}
	return r
}

// recordQueries records the query of every run list s is sent (one response hook); the
// function answers the queries recorded since its last call, encoded.
func recordQueries(s *mockserver.Server) func() []string {
	var mu sync.Mutex // guards queries
	var queries []string
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if settingsRoute(req.Pattern) {
			return mockserver.HTMLReply(http.StatusNotFound), true // a server that says nothing of itself
		}
		if req.Pattern == routeRuns && req.Method == "GET" {
			mu.Lock()
			queries = append(queries, req.Query.Encode())
			mu.Unlock()
		}
		return mockserver.Reply{}, false
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		q := queries
		queries = nil
		return q
	}
}

// max_results counts runs that match, on both lines, whatever the server's own limit
// leaves out: to_date 2022-03-01T09:00:00Z, SUCCEEDED, 1 run is run 102 of 2022-02-28, though
// newer SUCCEEDED runs (started after To) fill the server's first answers; and runs that
// started before To but finished after it, or are still in progress, are kept.
func TestListRunsMaxResultsExact(t *testing.T) {
	// day(29, h) is 2022-03-01 at h, day(30, h) 2022-03-02.
	day := func(d, h int) *time.Time { tm := time.Date(2022, 2, d, h, 0, 0, 0, time.UTC); return &tm }
	onEachLine(t, func(t *testing.T, line string) {
		sc := serverConfig()
		sc.Line = line
		sc.Runs = []mockserver.RunConfig{
			seededRun(101, mockserver.StatusSucceeded, day(27, 6)),
			seededRun(102, mockserver.StatusSucceeded, day(28, 6)),
			seededRun(103, mockserver.StatusFailed, day(29, 8)),
			seededRun(104, mockserver.StatusSucceeded, day(29, 10)),
			seededRun(105, mockserver.StatusSucceeded, day(30, 6)),
			seededRun(106, mockserver.StatusInProgress, day(29, 8)),
		}
		long := seededRun(107, mockserver.StatusFailed, day(29, 8)) // ends after To
		long.FinishedAt = day(29, 11)
		sc.Runs = append(sc.Runs, long)
		e := newEnvOn(t, sc, nil)
		to := time.Date(2022, 3, 1, 9, 0, 0, 0, time.UTC)
		ctx := t.Context()
		for _, tc := range []struct {
			f    RunFilter
			want string
		}{
			{RunFilter{To: &to, Status: StatusSucceeded, MaxResults: 1}, "102"},
			{RunFilter{To: &to, Status: StatusSucceeded, MaxResults: 2}, "102 101"},
			{RunFilter{To: &to, Status: StatusInProgress, MaxResults: 1}, "106"},
			{RunFilter{To: &to, Status: StatusFailed, MaxResults: 1}, "107"},
			{RunFilter{To: &to, MaxResults: 10}, "107 106 103 102 101"},
			{RunFilter{From: day(28, 0), To: &to, MaxResults: 3}, "107 106 103"},
			{RunFilter{From: day(28, 7), MaxResults: 2}, "107 106"},
		} {
			runs, err := e.c.ListRuns(ctx, 7, tc.f)
			if got := ids(runs); err != nil || got != tc.want {
				t.Errorf("%+v: runs %s, %v; want %s", tc.f, got, err, tc.want)
			}
		}
	})
}

// A server that refuses both date forms gets an error naming both tries: the newest form,
// and the older form, sent twice (the second time an hour earlier, see
// TestListRunsFromInDSTGap).
func TestListRunsBothFormsRefused(t *testing.T) {
	e := newEnv(t, nil)
	replyTo(e.s, "GET", routeRuns, always(mockserver.ErrorReply(400, CodeInvalidRequest, "Invalid fromDate")))
	from := time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC)
	_, err := e.c.ListRuns(t.Context(), 7, RunFilter{From: &from})
	if err == nil || !IsCode(err, CodeInvalidRequest) || e.lists() != 3 ||
		!strings.Contains(err.Error(), "refused fromDate in both forms") ||
		!strings.Contains(err.Error(), "yyyy-MM-dd'T'HH:mm:ss.SSSZ (newest line): GET /scheduled-jobs/7/runs: 400") ||
		!strings.Contains(err.Error(), "yyyy-MM-dd HH:mm (older line), also an hour earlier: GET") {
		t.Fatalf("err = %v (%d requests)", err, e.lists())
	}
}

// On a server in America/New_York, From less 14 h as a wall time can fall in the
// daylight-saving gap (2024-03-10 02:00-03:00), which the older line refuses: the older form
// is sent once more an hour earlier, a bound still at or before From, and the answer is
// exact. On the older line, so when the client learns the form (newest form, older form,
// an hour earlier) and when it knows it (older form, an hour earlier); the newest line takes
// its one form at once.
func TestListRunsFromInDSTGap(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		sc := serverConfig()
		sc.Line = line
		sc.Timezone = "America/New_York"
		at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
		for i, started := range []string{"2024-03-10T06:00:00Z", "2024-03-10T16:00:00Z", "2024-03-10T17:00:00Z"} {
			end := at(started).Add(time.Minute)
			sc.Runs = append(sc.Runs, mockserver.RunConfig{ID: int64(i + 1), JobID: 7, Status: mockserver.StatusSucceeded,
				StartedAt: at(started), FinishedAt: &end, RunBy: "alice"})
		}
		e := newEnvOn(t, sc, nil)
		e.clock.Advance(80 * 24 * time.Hour)
		var mu sync.Mutex // guards sent
		var sent []string
		e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
			if settingsRoute(req.Pattern) {
				return mockserver.HTMLReply(http.StatusNotFound), true // the zone unknown: 14 hours before
			}
			if req.Pattern == routeRuns {
				mu.Lock()
				sent = append(sent, req.Query.Get("fromDate"))
				mu.Unlock()
			}
			return mockserver.Reply{}, false
		})
		from := at("2024-03-10T16:30:00Z") // less 14 h: 2024-03-10 02:30, in New York's gap
		want := map[string][]string{
			mockserver.LineNewest: {"2024-03-10T16:30:00.000Z"},
			mockserver.LineOlder:  {"2024-03-10T16:30:00.000Z", "2024-03-10 02:30", "2024-03-10 01:30"},
		}[line]
		for try := range 2 {
			mu.Lock()
			sent = nil
			mu.Unlock()
			runs, err := e.c.ListRuns(t.Context(), 7, RunFilter{From: from})
			mu.Lock()
			got := strings.Join(sent, ", ")
			mu.Unlock()
			if err != nil || ids(runs) != "3" || got != strings.Join(want, ", ") {
				t.Fatalf("try %d: runs %s, err %v; fromDate sent: %s", try, ids(runs), err, got)
			}
			if line == mockserver.LineOlder {
				want = want[1:] // the form is known now
			}
		}
	})
}

// When ever more runs newer than To fill the answers, ListRuns asks for more up to its bound,
// then, instead of answering fewer runs than match, says that they started after the to date
// and that the server has no offset to reach past them. No request asks for more than the
// bound, and a MaxResults above it is refused before any request.
func TestListRunsBound(t *testing.T) {
	e := newEnv(t, nil)
	var mu sync.Mutex // guards asked
	var asked []string
	e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if req.Pattern != routeRuns {
			return mockserver.Reply{}, false
		}
		n, _ := strconv.Atoi(req.Query.Get("maxResults"))
		mu.Lock()
		asked = append(asked, req.Query.Get("maxResults"))
		mu.Unlock()
		runs := make([]Run, n)
		for i := range runs {
			runs[i] = Run{ID: int64(100_000 - i), JobID: 7, Status: StatusSucceeded, StartedAt: &EpochMillis{envStart}}
		}
		b, _ := json.Marshal(runs)
		return mockserver.Reply{Body: b}, true
	})
	to := envStart.Add(-time.Hour)
	_, err := e.c.ListRuns(t.Context(), 7, RunFilter{To: &to, MaxResults: 1})
	want := "1 2 4 8 16 32 64 128 256 512 1024 2048 4096 8192 10000"
	if err == nil || !strings.Contains(err.Error(), "the newest 10000 runs that OpenSpecimen lists hold 0 that match, fewer than "+
		"the 1 asked for, and older runs may match too: 10000 of them started after the to date 2023-12-31T23:00:00Z, "+
		"and OpenSpecimen's run list has no offset to reach past them (a from date does not help)") || strings.Join(asked, " ") != want {
		t.Fatalf("err = %v; asked %v", err, asked)
	}

	_, err = e.c.ListRuns(t.Context(), 7, RunFilter{To: &to, MaxResults: 10_001})
	mu.Lock()
	defer mu.Unlock()
	if err == nil || err.Error() != "max results 10001 is more than the 10000 runs that a run list reads at most" || len(asked) != len(strings.Fields(want)) {
		t.Fatalf("err = %v; asked %v", err, asked)
	}
}

// runsReply is a run list answer holding runs, in that order.
func runsReply(t *testing.T, runs ...Run) mockserver.Reply {
	t.Helper()
	b, err := json.Marshal(runs)
	if err != nil {
		t.Fatal(err)
	}
	return mockserver.Reply{Body: b}
}

// Run lists of other server versions: in another order, longer than maxResults, with a run
// that has no startedAt, or with a status this client does not know.
func TestListRunsOtherAnswers(t *testing.T) {
	e := newEnv(t, nil)
	started := func(d int) *EpochMillis { return &EpochMillis{time.Date(2022, 2, d, 0, 0, 0, 0, time.UTC)} }
	mk := func(id int64, st RunStatus, at *EpochMillis) Run {
		return Run{ID: id, JobID: 7, Status: st, StartedAt: at}
	}
	replyTo(e.s, "GET", routeRuns, always(runsReply(t,
		mk(3, StatusSucceeded, started(20)), mk(8, StatusSucceeded, nil), mk(7, StatusFailed, started(22)), mk(1, StatusFailed, started(19)))))
	ctx := t.Context()
	// Sorted newest first, and capped after the client's filter (the server ignored maxResults).
	runs, err := e.c.ListRuns(ctx, 7, RunFilter{MaxResults: 2})
	if got := ids(runs); err != nil || got != "8 7" {
		t.Fatalf("runs %s, %v", got, err)
	}
	// A run without startedAt is in no date window.
	from := time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC)
	runs, err = e.c.ListRuns(ctx, 7, RunFilter{From: &from})
	if got := ids(runs); err != nil || got != "7 3 1" {
		t.Fatalf("runs %s, %v", got, err)
	}
	replyTo(e.s, "GET", routeRuns, always(runsReply(t, mk(4, StatusSucceeded, started(20)), mk(9, "STOPPED", started(22)))))
	if _, err := e.c.ListRuns(ctx, 7, RunFilter{}); err == nil || !strings.Contains(err.Error(), "STOPPED") {
		t.Fatalf("err = %v", err)
	}
}

// A list of 1000 runs with long messages, over 1 MiB, is read whole: the bound grows with
// the runs asked for. An answer over it says so, and to ask for fewer runs.
func TestListRunsLargeAnswer(t *testing.T) {
	sc := serverConfig()
	long := strings.Repeat("Query failed: the export of table participant timed out. ", 20)
	for id := int64(1); id <= 1000; id++ {
		r := pastRun(id, 7, "alice", "", mockserver.StatusFailed, time.Second)
		r.Message = long
		sc.Runs = append(sc.Runs, r)
	}
	e := newEnvOn(t, sc, nil)
	runs, err := e.c.ListRuns(t.Context(), 7, RunFilter{MaxResults: 1000})
	if err != nil || len(runs) != 1000 || runs[0].MessageText() != long || len(runs)*len(long) <= 1<<20 {
		t.Fatalf("%d runs, err %v", len(runs), err)
	}

	big := make([]Run, 20)
	for i := range big {
		msg := strings.Repeat("x", 64<<10)
		big[i] = Run{ID: int64(i + 1), JobID: 7, Status: StatusFailed, Message: &msg}
	}
	replyTo(e.s, "GET", routeRuns, always(runsReply(t, big...)))
	lists := e.lists()
	_, err = e.c.ListRuns(t.Context(), 7, RunFilter{MaxResults: 1})
	want := "GET /scheduled-jobs/7/runs: the answer is larger than 1114112 bytes (1.1 MiB), the bound for a list of 1 runs " +
		"(64 KiB a run, beside 1 MiB): ask for fewer runs"
	if err == nil || err.Error() != want || classify(err) != classRefused || e.lists() != lists+1 {
		t.Fatalf("err = %v (%d requests)", err, e.lists()-lists)
	}
}

func ids(runs []Run) string {
	var s []string
	for _, r := range runs {
		s = append(s, itoa(r.ID))
	}
	return strings.Join(s, " ")
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestGetJobNotFound(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.c.GetJob(t.Context(), 99)
	if !IsNotFound(err) || err.Error() != "GET /scheduled-jobs/99: 400 SCHEDULED_JOB_NOT_FOUND: Job does not exist." {
		t.Fatalf("err = %v", err)
	}
}

func TestGetRun(t *testing.T) {
	sc := serverConfig()
	sc.Runs = []mockserver.RunConfig{pastRun(5, 8, "bob", "x", mockserver.StatusSucceeded, 10*time.Second)}
	e := newEnvOn(t, sc, nil)
	ctx := t.Context()
	if got, err := e.c.GetRun(ctx, 8, 5); err != nil || got.ID != 5 || got.Args() != "x" || got.RunByLogin() != "bob" {
		t.Fatal(got, err)
	}
	// The server finds run 5 under job 7 too: the client must not.
	_, err := e.c.GetRun(ctx, 7, 5)
	if !IsNotFound(err) || !strings.Contains(err.Error(), "belongs to job 8, not to job 7") {
		t.Fatalf("err = %v", err)
	}
	if _, err := e.c.GetRun(ctx, 7, 12345); !IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}
	replyTo(e.s, "GET", routeRun, always(mockserver.Reply{Body: []byte(`{"id":5,"jobId":8,"status":"PAUSED"}`)}))
	if _, err := e.c.GetRun(ctx, 8, 5); err == nil || !strings.Contains(err.Error(), "PAUSED") {
		t.Fatalf("err = %v", err)
	}
	replyTo(e.s, "GET", routeRun, always(mockserver.Reply{Body: []byte(`{"status":"FAILED"}`)}))
	if _, err := e.c.GetRun(ctx, 8, 5); err == nil || !strings.Contains(err.Error(), "no run id") {
		t.Fatalf("err = %v", err)
	}
}

// The result file as the server streams it; the file name of every Content-Disposition
// form the server's versions and proxies write; no file.
func TestOpenResultFile(t *testing.T) {
	sc := serverConfig()
	result := &mockserver.ResultConfig{Filename: "scheduled_query_3_${run_id}.csv", Content: "id\n${run_id}\n", Zip: true}
	sc.Runs = []mockserver.RunConfig{
		pastRun(101, 7, "alice", "", mockserver.StatusSucceeded, time.Second),
		pastRun(102, 7, "alice", "", mockserver.StatusFailed, time.Second),
	}
	sc.Runs[0].Result = result
	e := newEnvOn(t, sc, nil)
	rf, err := e.c.OpenResultFile(t.Context(), 7, 101)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rf.Body)
	rf.Body.Close()
	if err != nil || rf.Filename != "scheduled_query_3_101.csv.zip" || rf.ContentType != "application/zip" || len(b) == 0 {
		t.Fatalf("file %q %q, %d bytes, err %v", rf.Filename, rf.ContentType, len(b), err)
	}
	if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil || len(zr.File) != 1 || zr.File[0].Name != "scheduled_query_3_101.csv" {
		t.Fatalf("not the zipped CSV: %v", err)
	}
	if _, err := e.c.OpenResultFile(t.Context(), 7, 102); !IsCode(err, "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE") || IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}

	tests := []struct{ header, want string }{
		{`attachment;filename="scheduled_query_3_101.csv.zip"`, "scheduled_query_3_101.csv.zip"},
		{`attachment;filename=scheduled_query_3_101.csv.zip`, "scheduled_query_3_101.csv.zip"},
		{`attachment; filename=my report.csv`, "my report.csv"},
		{`attachment; filename="../../etc/passwd"`, "passwd"},
		{`attachment; filename="a;b.csv`, "a;b.csv"},
		{`attachment; filename=..\..\x.csv; size=3`, "x.csv"},
		{``, ""},
		{`attachment; filename=""`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			e := newEnv(t, nil)
			payload := strings.Repeat("PK\x03\x04data", 1000)
			h := http.Header{"Content-Type": {"application/zip"}}
			if tc.header != "" {
				h.Set("Content-Disposition", tc.header)
			}
			replyTo(e.s, "GET", routeResult, always(mockserver.Reply{Header: h, Body: []byte(payload)}))
			rf, err := e.c.OpenResultFile(t.Context(), 7, 101)
			if err != nil {
				t.Fatal(err)
			}
			defer rf.Body.Close()
			b, err := io.ReadAll(rf.Body)
			if err != nil || string(b) != payload || rf.Filename != tc.want || rf.ContentType != "application/zip" {
				t.Fatalf("file %q %q, %d bytes, err %v", rf.Filename, rf.ContentType, len(b), err)
			}
			if strings.Contains(e.log.all(), "data") {
				t.Fatal("file contents logged")
			}
		})
	}
}

// A stream that stalls is ended by the request timeout, which bounds each pause.
func TestResultFileIdleTimeout(t *testing.T) {
	c, mt := newRawClient(t, func(c *Config) { c.RequestTimeout = 30 * time.Millisecond })
	mt.RegisterResponder("GET", testRoot+"/scheduled-jobs/7/runs/1/result-file", func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: -1,
			Body: io.NopCloser(io.MultiReader(strings.NewReader("first"), ctxReader{r.Context()}))}, nil
	})
	rf, err := c.OpenResultFile(t.Context(), 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Body.Close()
	b, err := io.ReadAll(rf.Body)
	var te *timeoutError
	if string(b) != "first" || !errors.As(err, &te) {
		t.Fatalf("read %q, err %v", b, err)
	}
}

// ctxReader blocks until its context ends: a stalled stream.
type ctxReader struct{ ctx context.Context }

func (r ctxReader) Read([]byte) (int, error) {
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

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

// jobsByName: names that share a substring, some with % or _; bob created job 24 and job 25
// is shared with him.
func jobsByName() mockserver.Config {
	sc := serverConfig()
	sc.Jobs = append(sc.Jobs,
		mockserver.JobConfig{ID: 20, Name: "CP export"},
		mockserver.JobConfig{ID: 21, Name: "CP export 100%", Type: "INTERNAL"},
		mockserver.JobConfig{ID: 22, Name: "CP_export"},
		mockserver.JobConfig{ID: 23, Name: "cp export"},
		mockserver.JobConfig{ID: 24, Name: "CPXexport", CreatedBy: "bob"},
		mockserver.JobConfig{ID: 25, Name: "Twin", SharedWith: []string{"bob"}},
		mockserver.JobConfig{ID: 26, Name: "Twin"},
	)
	return sc
}

func jobIDs(jobs []Job) []int64 {
	out := []int64{}
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func TestListJobs(t *testing.T) {
	e := newEnvOn(t, jobsByName(), nil)
	for _, c := range []struct {
		f    JobFilter
		want []int64
	}{
		// The server's LIKE reads _ as any character: CPXexport and "CP export" are not kept.
		{JobFilter{NameContains: "CP_export"}, []int64{22}},
		{JobFilter{NameContains: "cp export"}, []int64{23, 21, 20}},
		{JobFilter{NameContains: "100%"}, []int64{21}},
		{JobFilter{NameContains: "export", Type: "INTERNAL"}, []int64{21}},
	} {
		jobs, err := e.c.ListJobs(t.Context(), c.f)
		if err != nil || fmt.Sprint(jobIDs(jobs)) != fmt.Sprint(c.want) {
			t.Errorf("%+v: %v, %v; want %v", c.f, jobIDs(jobs), err, c.want)
		}
	}
	// Pages are read to the end.
	sc := serverConfig()
	for i := range 250 {
		sc.Jobs = append(sc.Jobs, mockserver.JobConfig{ID: int64(100 + i), Name: fmt.Sprintf("Bulk %d", i)})
	}
	e = newEnvOn(t, sc, nil)
	jobs, err := e.c.ListJobs(t.Context(), JobFilter{NameContains: "bulk"})
	if err != nil || len(jobs) != 250 || jobs[0].ID != 349 || jobs[249].ID != 100 {
		t.Fatalf("%d jobs, %v", len(jobs), err)
	}
	if n := e.s.RequestCount("GET", "/scheduled-jobs"); n != 3 {
		t.Errorf("%d pages read for 250 jobs, want 3", n)
	}
}

func TestJobByName(t *testing.T) {
	e := newEnvOn(t, jobsByName(), nil)
	for name, want := range map[string]int64{"CP export": 20, "cp export": 23, "CP_export": 22, "CP export 100%": 21} {
		j, err := e.c.JobByName(t.Context(), name)
		if err != nil || j.ID != want {
			t.Errorf("%q: %+v, %v; want job %d", name, j, err, want)
		}
	}
	var ne *JobNameError
	_, err := e.c.JobByName(t.Context(), "Twin")
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), `2 jobs are named "Twin"`) || !strings.Contains(err.Error(), "id 25") {
		t.Errorf("ambiguous: %v", err)
	}
	_, err = e.c.JobByName(t.Context(), "CP EXPORT")
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), `"CP export" (id 20)`) || !strings.Contains(err.Error(), "no job is named exactly") {
		t.Errorf("no exact match: %v", err)
	}
	_, err = e.c.JobByName(t.Context(), "Nothing")
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "shared with it") {
		t.Errorf("unknown: %v", err)
	}
	// A non-admin sees the jobs it created or that are shared with it: one Twin, and job 7.
	bob := newEnvOn(t, jobsByName(), func(c *Config) { c.Username, c.Password = "bob", "bob-pw" })
	if j, err := bob.c.JobByName(t.Context(), "Twin"); err != nil || j.ID != 25 {
		t.Errorf("bob's Twin: %+v, %v", j, err)
	}
	if jobs, err := bob.c.ListJobs(t.Context(), JobFilter{}); err != nil || fmt.Sprint(jobIDs(jobs)) != "[25 24 7]" {
		t.Errorf("bob's jobs: %v, %v", jobIDs(jobs), err)
	}
}

// A name that many jobs contain names the first ten of them, as for users and queries.
func TestJobNameErrorBounded(t *testing.T) {
	var candidates []Job
	for i := range 12 {
		candidates = append(candidates, Job{ID: int64(i), Name: fmt.Sprintf("Export %d", i)})
	}
	msg := (&JobNameError{Name: "Export", Candidates: candidates}).Error()
	if !strings.Contains(msg, `"Export 9" (id 9)`) || strings.Contains(msg, `"Export 10"`) || !strings.Contains(msg, "and 2 more (a disabled job") {
		t.Errorf("got %s", msg)
	}
}

func TestJobJSON(t *testing.T) {
	sc := jobsByName()
	// newEnvOn's clock stands still (the test never sleeps): its schedule never fires.
	sc.Jobs = append(sc.Jobs, mockserver.JobConfig{ID: 27, Name: "Nightly", Type: "INTERNAL", RepeatSchedule: "DAILY",
		RtArgsProvided: true, RtArgsHelpText: "--cp <cp>", RunAs: "bob"},
		mockserver.JobConfig{ID: 28, Name: "Orphan", SavedQueryDeleted: true})
	e := newEnvOn(t, sc, nil)
	j, err := e.c.GetJob(t.Context(), 27)
	if err != nil {
		t.Fatal(err)
	}
	if j.Type != "INTERNAL" || j.RepeatSchedule != "DAILY" || !j.AcceptsArgs() || deref(j.RtArgsHelpText) != "--cp <cp>" ||
		j.RunAs == nil || j.RunAs.LoginName != "bob" || j.CreatedBy == nil || j.NextRunOn == nil || j.IsActiveJob == nil || !*j.IsActiveJob {
		t.Errorf("job 27: %+v", j)
	}
	if j, err := e.c.GetJob(t.Context(), 28); err != nil || j.IsActiveJob == nil || *j.IsActiveJob {
		t.Errorf("job 28: %+v, %v", j, err)
	}
}

// A page of jobs with long lists of recipients and users it is shared with (about 20 KB a
// job, 2 MB a page) is read: a page's bound grows with the jobs asked for.
func TestListJobsLargePage(t *testing.T) {
	sc := serverConfig()
	var users []string
	for i := range 150 {
		name := fmt.Sprintf("user-with-a-long-login-name-%03d", i)
		sc.Users = append(sc.Users, mockserver.UserConfig{LoginName: name, Password: "pw"})
		users = append(users, name)
	}
	for i := range 100 {
		sc.Jobs = append(sc.Jobs, mockserver.JobConfig{ID: int64(100 + i), Name: fmt.Sprintf("Shared %d", i), SharedWith: users})
	}
	e := newEnvOn(t, sc, nil)
	jobs, err := e.c.ListJobs(t.Context(), JobFilter{NameContains: "shared"})
	if err != nil || len(jobs) != 100 {
		t.Fatalf("%d jobs, %v", len(jobs), err)
	}
}

// Concurrent lists with a from date on the older line all learn its form and succeed; the
// form is then remembered: a later list sends it first, in one request.
func TestListRunsFromFormConcurrent(t *testing.T) {
	sc := serverConfig()
	sc.Line = mockserver.LineOlder
	sc.Runs = []mockserver.RunConfig{pastRun(1, 7, "bob", "", mockserver.StatusSucceeded, time.Minute)}
	e := newEnvOn(t, sc, nil)
	from := envStart.Add(-48 * time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			runs, err := e.c.ListRuns(t.Context(), 7, RunFilter{From: &from})
			if err == nil && ids(runs) != "1" {
				err = errors.New("runs " + ids(runs))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	lists := e.lists()
	if _, err := e.c.ListRuns(t.Context(), 7, RunFilter{From: &from}); err != nil || e.lists() != lists+1 || e.c.knownFromForm() != formMinute {
		t.Fatalf("err %v, %d requests", err, e.lists()-lists)
	}
}

func TestTriggerBody(t *testing.T) {
	e := newEnv(t, withToken)
	var mu sync.Mutex // guards body and ctype
	var body []byte
	var ctype string
	e.s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		mu.Lock()
		defer mu.Unlock()
		if req.Method == "POST" && req.Pattern == routeRuns {
			body, ctype = req.Body, req.Header.Get("Content-Type")
		}
		return mockserver.Reply{}, false
	})
	err := e.c.triggerRun(t.Context(), 7, "a b")
	mu.Lock()
	defer mu.Unlock()
	if err != nil || string(body) != `{"args":"a b"}` || ctype != "application/json" {
		t.Fatalf("err %v body %s ctype %s", err, body, ctype)
	}
	e.clock.Advance(time.Duration(startDelay))
	if runs := e.s.Runs(7); len(runs) != 1 || runs[0].RtArgs == nil || *runs[0].RtArgs != "a b" {
		t.Fatalf("runs %+v", runs)
	}
}
