package client

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RunFilter selects runs for ListRuns, with OpenSpecimen's documented meaning: a run is
// "created" at its startedAt.
type RunFilter struct {
	// From keeps runs started at or after it.
	From *time.Time
	// To keeps runs started at or before it.
	To *time.Time
	// ToIsDate says that To was a date without a time: its whole day is included.
	ToIsDate bool
	// Status keeps runs of this status; "" keeps all.
	Status RunStatus
	// MaxResults caps the number of runs (sent to the server, which defaults to 100 and has no
	// offset); 0 or less leaves the server's default. The answer may hold up to 64 KiB per
	// run asked for, beside 1 MiB.
	MaxResults int
}

// GetJob reads a scheduled job. A missing job is an error for which IsNotFound is true.
func (c *Client) GetJob(ctx context.Context, jobID int64) (*Job, error) {
	o := reqOpts{method: http.MethodGet, path: jobPath(jobID), idempotent: true}
	var job Job
	if err := c.doJSON(ctx, o, &job); err != nil {
		return nil, err
	}
	if job.ID == 0 {
		return nil, &badBodyError{Method: o.method, Path: o.path, StatusCode: http.StatusOK,
			Err: fmt.Errorf("the answer has no job id")}
	}
	return &job, nil
}

// Job answers the job as GetJob reads it, read once per client: concurrent callers share
// one read, which one caller giving up does not end, and later callers get its answer. A
// failed read is not remembered. It serves the checks for which one read per process is
// enough (the job exists, is active, its name); GetJob reads afresh.
func (c *Client) Job(ctx context.Context, jobID int64) (*Job, error) {
	known := func() (Job, bool) {
		c.jobsMu.Lock()
		defer c.jobsMu.Unlock()
		j, ok := c.jobs[jobID]
		return j, ok
	}
	if j, ok := known(); ok {
		return &j, nil
	}
	detached := context.WithoutCancel(ctx)
	flight := c.jobFlight.DoChan(strconv.FormatInt(jobID, 10), func() (any, error) {
		if j, ok := known(); ok { // a flight that ended since the check above
			return j, nil
		}
		j, err := c.GetJob(detached, jobID)
		if err != nil {
			return nil, err
		}
		c.jobsMu.Lock()
		defer c.jobsMu.Unlock()
		c.jobs[jobID] = *j
		return *j, nil
	})
	select {
	case r := <-flight:
		if r.Err != nil {
			return nil, r.Err
		}
		j := r.Val.(Job) //nolint:forcetypeassert // the flight answers a Job or an error
		return &j, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("reading job %d: %w", jobID, ctx.Err())
	}
}

// TriggerRun queues a run of the job: the raw POST /scheduled-jobs/{id}/runs. The server
// answers the job, not the run, and silently drops the trigger while the job has a run in
// progress or is disabled: use StartRun to learn which run a trigger created. The request is
// not idempotent and is never retried by the transport (a 401 leads to a new login and one
// repeat: the server did not act on it).
func (c *Client) TriggerRun(ctx context.Context, jobID int64, args string) (*Job, error) {
	o := reqOpts{method: http.MethodPost, path: jobPath(jobID) + "/runs", body: map[string]string{"args": args}}
	var job Job
	if err := c.doJSON(ctx, o, &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// ListRuns lists the job's runs, newest first, that match f.
//
// It sends the filter to the server (dates as yyyyMMddTHHmmss in the client's Location, as
// OpenSpecimen's page documents them, widened by a day on both sides) and filters the answer
// again on its own side with the documented meaning (From <= startedAt <= To, in-progress
// runs included), because server versions differ: some parse other date forms, and some
// compare toDate with finishedAt, which leaves in-progress runs out of the server's answer.
// That last limitation cannot be repaired here: on such versions, when To is set, a run still
// in progress may be missing. Every run's status is checked: an unknown one is an error.
//
// An unknown job answers an empty list, as the server does; use GetJob to tell.
func (c *Client) ListRuns(ctx context.Context, jobID int64, f RunFilter) ([]Run, error) {
	q, to, err := f.query(c.loc)
	if err != nil {
		return nil, err
	}
	o := reqOpts{method: http.MethodGet, path: jobPath(jobID) + "/runs", query: q, idempotent: true}
	o.maxBody, o.tooLarge = f.answerBound()
	var runs []Run
	if err := c.doJSON(ctx, o, &runs); err != nil {
		return nil, err
	}
	out := runs[:0]
	for _, r := range runs {
		st, err := ParseRunStatus(string(r.Status))
		if err != nil {
			return nil, fmt.Errorf("run %d of job %d: %w", r.ID, jobID, err)
		}
		r.Status = st
		if f.keeps(&r, to) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if f.MaxResults > 0 && len(out) > f.MaxResults {
		out = out[:f.MaxResults]
	}
	return out, nil
}

// query answers the list's query parameters for f (dates widened by a day on both sides,
// in loc) and the upper bound of the runs' start that keeps applies: exclusive when
// ToIsDate, inclusive otherwise.
func (f *RunFilter) query(loc *time.Location) (q url.Values, to time.Time, err error) {
	q = url.Values{}
	if f.Status != "" {
		if f.Status, err = ParseRunStatus(string(f.Status)); err != nil {
			return nil, to, err
		}
		q.Set("status", string(f.Status))
	}
	if f.To != nil {
		to = *f.To
		if f.ToIsDate {
			to = to.In(loc).AddDate(0, 0, 1)
		}
	}
	if f.From != nil && f.To != nil && f.From.After(to) {
		return nil, to, fmt.Errorf("from date %s is after to date %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	if f.From != nil {
		q.Set("fromDate", formatQueryDate(f.From.Add(-24*time.Hour), loc))
	}
	if f.To != nil {
		q.Set("toDate", formatQueryDate(to.Add(24*time.Hour), loc))
	}
	if f.MaxResults > 0 {
		q.Set("maxResults", strconv.Itoa(f.MaxResults))
	}
	return q, to, nil
}

// serverMaxResults is how many runs the server lists when it is not told.
const serverMaxResults = 100

// answerBound answers the bound of the list's answer, which grows with the runs asked for,
// and what to do when an answer exceeds it.
func (f *RunFilter) answerBound() (int64, string) {
	n := f.MaxResults
	if n <= 0 {
		n = serverMaxResults
	}
	return maxJSONBody + int64(n)*maxRunJSON, fmt.Sprintf(
		"the bound for a list of %d runs (64 KiB a run, beside 1 MiB): ask for fewer runs (a smaller max_results)", n)
}

// keeps reports whether the run matches f, with the documented meaning: From <= startedAt
// <= to (see query), in-progress runs included.
func (f *RunFilter) keeps(r *Run, to time.Time) bool {
	if f.Status != "" && r.Status != f.Status {
		return false
	}
	if f.From == nil && f.To == nil {
		return true
	}
	if r.StartedAt == nil {
		return false
	}
	s := r.StartedAt.Time
	if f.From != nil && s.Before(*f.From) {
		return false
	}
	if f.To == nil {
		return true
	}
	if f.ToIsDate {
		return s.Before(to)
	}
	return !s.After(to)
}

// GetRun reads one run. The server finds a run by its id alone, so the answer's jobId is
// checked: a run of another job is a not-found error (IsNotFound) naming both.
func (c *Client) GetRun(ctx context.Context, jobID, runID int64) (*Run, error) {
	o := reqOpts{method: http.MethodGet, path: fmt.Sprintf("%s/runs/%d", jobPath(jobID), runID), idempotent: true}
	var run Run
	if err := c.doJSON(ctx, o, &run); err != nil {
		return nil, err
	}
	if run.ID == 0 {
		return nil, &badBodyError{Method: o.method, Path: o.path, StatusCode: http.StatusOK,
			Err: fmt.Errorf("the answer has no run id")}
	}
	if run.JobID != jobID {
		return nil, &APIError{StatusCode: http.StatusBadRequest, Code: CodeRunNotFound, codes: []string{CodeRunNotFound},
			Method: o.method, Path: o.path,
			Message: fmt.Sprintf("run %d belongs to job %d, not to job %d", runID, run.JobID, jobID)}
	}
	st, err := ParseRunStatus(string(run.Status))
	if err != nil {
		return nil, fmt.Errorf("run %d of job %d: %w", runID, jobID, err)
	}
	run.Status = st
	return &run, nil
}

// ResultFile is a run's output file, streamed. The caller closes Body.
type ResultFile struct {
	Filename    string // from Content-Disposition, without any directory; "" when absent
	ContentType string
	Length      int64 // the Content-Length the server announced; -1 when it sent none (OpenSpecimen does not)
	Body        io.ReadCloser
}

// OpenResultFile starts the download of a run's output file. The body is streamed, not
// buffered; each pause in it longer than the request timeout ends it with an error. A run
// without a file is an error with code SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE.
func (c *Client) OpenResultFile(ctx context.Context, jobID, runID int64) (*ResultFile, error) {
	o := reqOpts{method: http.MethodGet, path: fmt.Sprintf("%s/runs/%d/result-file", jobPath(jobID), runID),
		idempotent: true, stream: true}
	resp, err := c.do(ctx, o)
	if err != nil {
		return nil, err
	}
	return &ResultFile{
		Filename:    dispositionFilename(resp.Header.Get("Content-Disposition")),
		ContentType: resp.Header.Get("Content-Type"),
		Length:      resp.ContentLength,
		Body:        resp.Body,
	}, nil
}

// dispositionFilename reads the file name of a Content-Disposition header, quoted or not
// (older OpenSpecimen versions leave the quotes out, so a name may hold spaces), and keeps
// only its last path element.
func dispositionFilename(h string) string {
	var name string
	if _, params, err := mime.ParseMediaType(h); err == nil {
		name = params["filename"]
	}
	if name == "" {
		lower := strings.ToLower(h)
		if i := strings.Index(lower, "filename="); i >= 0 {
			v := strings.TrimSpace(h[i+len("filename="):])
			if strings.HasPrefix(v, `"`) {
				v = v[1:]
				if j := strings.Index(v, `"`); j >= 0 {
					v = v[:j]
				}
			} else if j := strings.Index(v, ";"); j >= 0 {
				v = v[:j]
			}
			name = strings.TrimSpace(v)
		}
	}
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
}

func jobPath(jobID int64) string { return "/scheduled-jobs/" + strconv.FormatInt(jobID, 10) }

// JobFilter selects jobs for ListJobs.
type JobFilter struct {
	// NameContains keeps jobs whose name contains it, in any case. The server reads % and _
	// in it as wildcards; ListJobs keeps only true substrings.
	NameContains string
	// Type keeps jobs of this type (INTERNAL, EXTERNAL, QUERY); "" keeps all.
	Type string
}

const (
	jobsPage     = 100      // jobs asked for per request
	maxJobsPages = 100      // pages read at most: 10,000 jobs
	maxJobJSON   = 64 << 10 // bound of one job in a page's answer (its recipients, users it is shared with)
)

// ListJobs answers the jobs the user sees that f keeps, newest id first, reading the
// server's pages (GET /scheduled-jobs?query=&type=&startAt=&maxResults=) to the end. A
// non-admin sees the jobs it created or that are shared with it; deleted jobs are left out.
func (c *Client) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	var out []Job
	for page := 0; page < maxJobsPages; page++ {
		q := url.Values{"startAt": {strconv.Itoa(page * jobsPage)}, "maxResults": {strconv.Itoa(jobsPage)}}
		if f.NameContains != "" {
			q.Set("query", f.NameContains)
		}
		if f.Type != "" {
			q.Set("type", f.Type)
		}
		o := reqOpts{method: http.MethodGet, path: "/scheduled-jobs", query: q, idempotent: true,
			maxBody:  maxJSONBody + jobsPage*maxJobJSON,
			tooLarge: fmt.Sprintf("the bound for a page of %d jobs (64 KiB a job, beside 1 MiB)", jobsPage)}
		var jobs []Job
		if err := c.doJSON(ctx, o, &jobs); err != nil {
			return nil, err
		}
		for _, j := range jobs {
			if strings.Contains(strings.ToLower(j.Name), strings.ToLower(f.NameContains)) {
				out = append(out, j)
			}
		}
		if len(jobs) < jobsPage {
			return out, nil
		}
	}
	return nil, fmt.Errorf("listing jobs: more than %d jobs match %q: narrow the name", maxJobsPages*jobsPage, f.NameContains)
}

// JobNameError is a name that names no job, or several, among those the user sees.
type JobNameError struct {
	Name       string
	Candidates []Job // jobs whose name contains Name in any case, newest first
}

func (e *JobNameError) Error() string {
	var names []string
	for _, j := range e.Candidates {
		names = append(names, fmt.Sprintf("%q (id %d)", j.Name, j.ID))
	}
	switch exact := e.exact(); {
	case len(exact) > 1:
		return fmt.Sprintf("%d jobs are named %q: %s; use job_id", len(exact), e.Name, strings.Join(names, ", "))
	case len(names) == 0:
		return fmt.Sprintf("no job named %q, nor any whose name contains it, is visible to this user (a non-admin sees the jobs it created or that are shared with it)", e.Name)
	default:
		return fmt.Sprintf("no job is named exactly %q; jobs whose name contains it: %s", e.Name, strings.Join(names, ", "))
	}
}

func (e *JobNameError) exact() []Job {
	var out []Job
	for _, j := range e.Candidates {
		if j.Name == e.Name {
			out = append(out, j)
		}
	}
	return out
}

// JobByName answers the one job named exactly name (case-sensitive) among those the user
// sees. No such job, or several, is a *JobNameError listing the jobs whose name contains name.
func (c *Client) JobByName(ctx context.Context, name string) (*Job, error) {
	jobs, err := c.ListJobs(ctx, JobFilter{NameContains: name})
	if err != nil {
		return nil, err
	}
	e := &JobNameError{Name: name, Candidates: jobs}
	exact := e.exact()
	if len(exact) != 1 {
		return nil, e
	}
	return &exact[0], nil
}
