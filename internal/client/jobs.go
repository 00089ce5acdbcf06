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

// RunFilter selects runs for ListRuns, with OpenSpecimen's documented meaning: From and To
// bound the run's start (startedAt), and runs in progress are included.
type RunFilter struct {
	// From keeps runs started at or after it.
	From *time.Time
	// To keeps runs started at or before it.
	To *time.Time
	// Status keeps runs of this status; "" keeps all.
	Status RunStatus
	// MaxResults is how many runs ListRuns answers at most: the newest that match, and never
	// fewer than match. 0 or less means 100, the server's default.
	MaxResults int
}

// GetJob reads a scheduled job. A missing job is an error for which IsNotFound is true.
func (c *Client) GetJob(ctx context.Context, jobID int64) (*Job, error) {
	return readOne(ctx, c, jobPath(jobID), "job", func(j *Job) int64 { return j.ID })
}

// triggerRun queues a run of the job: the raw POST /scheduled-jobs/{id}/runs. The server
// answers the job, not the run, and the trigger waits for a thread of its pool (shared by all
// jobs). A newer trigger of the same job, anyone's, replaces it while it waits; when it gets
// a thread, the server silently drops it if the job has a run in progress or is not active
// (Job.InactiveReason). Only StartRun calls it, which learns which run a trigger created.
// The request is not idempotent and is never retried by the transport (a 401 leads to a new
// login and one repeat: the server did not act on it).
func (c *Client) triggerRun(ctx context.Context, jobID int64, args string) error {
	o := reqOpts{method: http.MethodPost, path: jobPath(jobID) + "/runs", body: map[string]string{"args": args}}
	var job Job
	return c.doJSON(ctx, o, &job)
}

// maxListedRuns bounds the runs one ListRuns asks the server for in one request.
const maxListedRuns = 10_000

// ListRuns answers the newest runs of the job that match f, newest first: f.MaxResults of
// them (100 when not set), or every run that matches when fewer do.
//
// The server's own filters do not have that meaning: it compares toDate with the runs'
// finishedAt (leaving out runs in progress and runs that ended after To), and it applies
// maxResults before any filter of the client's. So ListRuns never sends toDate. It sends
// the status, a fromDate at or before From (see listOnce) and a maxResults, and filters
// the answer on its own side. The answer is newest first by id and holds every run that
// matches, so the runs kept from it are the newest that match: when they are enough, or the
// answer is shorter than asked for (no older run is left), the list is exact. Otherwise it
// asks again for twice as many runs, up to maxListedRuns (f.MaxResults above it is an
// error); past that it fails: the runs that do not match fill the answer (they started after
// To), and the server has no offset to reach past them. Every run's status is checked: an
// unknown one is an error.
//
// An unknown job answers an empty list, as the server does; use GetJob to tell.
func (c *Client) ListRuns(ctx context.Context, jobID int64, f RunFilter) ([]Run, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	want := f.MaxResults
	if want <= 0 {
		want = serverMaxResults
	}
	for ask := min(want, maxListedRuns); ; ask = min(2*ask, maxListedRuns) {
		answer, err := c.listOnce(ctx, jobID, &f, ask)
		if err != nil {
			return nil, err
		}
		kept, err := f.keep(jobID, answer)
		if err != nil {
			return nil, err
		}
		if len(kept) >= want || len(answer) < ask {
			return kept[:min(len(kept), want)], nil
		}
		if ask >= maxListedRuns {
			return nil, outOfReach(jobID, &f, answer, len(kept), want)
		}
		c.logger.DebugContext(ctx, "too few runs of the list match the filter: asking for more", "job_id", jobID,
			"asked", ask, "matched", len(kept), "wanted", want)
	}
}

// outOfReach is the error of a ListRuns whose answer of maxListedRuns runs holds fewer than
// want that match: the others started after To (or, without To, are the older line's
// runs of the 14 hours before From), and the server's run list has no offset to reach the
// older runs past them.
func outOfReach(jobID int64, f *RunFilter, answer []Run, matched, want int) error {
	msg := fmt.Sprintf("listing the runs of job %d: the newest %d runs that OpenSpecimen lists hold %d that match, "+
		"fewer than the %d asked for, and older runs may match too", jobID, len(answer), matched, want)
	if f.To != nil {
		after := 0
		for _, r := range answer {
			if r.StartedAt != nil && r.StartedAt.After(*f.To) {
				after++
			}
		}
		msg += fmt.Sprintf(": %d of them started after the to date %s", after, f.To.Format(time.RFC3339))
	}
	return fmt.Errorf("%s, and OpenSpecimen's run list has no offset to reach past them (a from date does not help): "+
		"read the older runs in OpenSpecimen's Jobs view, or ask its administrator for an export of them", msg)
}

// check normalises f's status, checks that From is not after To, and that MaxResults is
// within the runs ListRuns reads at most.
func (f *RunFilter) check() error {
	if f.MaxResults > maxListedRuns {
		return fmt.Errorf("max results %d is more than the %d runs that a run list reads at most", f.MaxResults, maxListedRuns)
	}
	if f.Status != "" {
		st, err := ParseRunStatus(string(f.Status))
		if err != nil {
			return err
		}
		f.Status = st
	}
	if f.To != nil && f.From != nil && f.From.After(*f.To) {
		return fmt.Errorf("from date %s is after to date %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	return nil
}

// listOnce reads one run list of at most ask runs, with f's status and a fromDate at or
// before f.From. The fromDate is written in the form the server last took (see
// fromDateForm), and on a 400 INVALID_REQUEST in the other form, which is remembered when
// the server takes it (see getRunsFrom for the older form's second try).
func (c *Client) listOnce(ctx context.Context, jobID int64, f *RunFilter, ask int) ([]Run, error) {
	q := url.Values{"maxResults": {strconv.Itoa(ask)}}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	if f.From == nil {
		return c.getRuns(ctx, jobID, q, ask)
	}
	// The form and the window of fromDate come from the server's settings.
	if err := c.learnSettings(ctx); err != nil {
		return nil, err
	}
	form := c.knownFromForm()
	runs, err := c.getRunsFrom(ctx, jobID, q, ask, form, *f.From)
	if !IsCode(err, CodeInvalidRequest) {
		return runs, err
	}
	refused := err
	form = form.other()
	if runs, err = c.getRunsFrom(ctx, jobID, q, ask, form, *f.From); err == nil {
		c.logger.InfoContext(ctx, "the server takes the run list's fromDate in the other form", "form", form.String())
		c.setFromForm(form)
		return runs, nil
	}
	if IsCode(err, CodeInvalidRequest) {
		return nil, fmt.Errorf("listing the runs of job %d: the server refused fromDate in both forms OpenSpecimen takes, "+
			"%s: %w; and %s: %w", jobID, form.other().tried(), refused, form.tried(), err)
	}
	return nil, err
}

// getRunsFrom sends one GET of the run list with q and a fromDate at or before from in form.
// The older form is a wall time in the server's zone, which the client does not know: it may
// be one that the zone skips (a daylight-saving gap), which the server refuses as it refuses
// a wrong form. So on a 400 INVALID_REQUEST the older form is sent once more, dstGap
// earlier: a wider bound, still at or before from.
func (c *Client) getRunsFrom(ctx context.Context, jobID int64, q url.Values, ask int, form fromDateForm, from time.Time) ([]Run, error) {
	q.Set("fromDate", form.formatFrom(from, c.Settings()))
	runs, err := c.getRuns(ctx, jobID, q, ask)
	if form != formMinute || !IsCode(err, CodeInvalidRequest) {
		return runs, err
	}
	c.logger.DebugContext(ctx, "fromDate refused in the older form: sending it an hour earlier, in case the server's "+
		"zone skips that wall time", "job_id", jobID, "from_date", q.Get("fromDate"))
	q.Set("fromDate", form.formatFrom(from.Add(-dstGap), c.Settings()))
	return c.getRuns(ctx, jobID, q, ask)
}

// knownFromForm answers the fromDate form to send first.
func (c *Client) knownFromForm() fromDateForm {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	return c.fromForm
}

func (c *Client) setFromForm(f fromDateForm) {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	c.fromForm = f
}

// getRuns sends one GET of the run list with q, whose maxResults is ask.
func (c *Client) getRuns(ctx context.Context, jobID int64, q url.Values, ask int) ([]Run, error) {
	o := reqOpts{method: http.MethodGet, path: jobPath(jobID) + "/runs", query: q, idempotent: true}
	o.maxBody, o.tooLarge = answerBound(ask)
	var runs []Run
	if err := c.doJSON(ctx, o, &runs); err != nil {
		return nil, err
	}
	return runs, nil
}

// serverMaxResults is how many runs the server lists when it is not told.
const serverMaxResults = 100

// answerBound answers the bound of the answer to a list of n runs, which grows with n, and
// what to do when an answer exceeds it.
func answerBound(n int) (int64, string) {
	return maxJSONBody + int64(n)*maxRunJSON, fmt.Sprintf(
		"the bound for a list of %d runs (64 KiB a run, beside 1 MiB): ask for fewer runs", n)
}

// keep answers the runs of answer that f keeps, newest first, after checking every status.
func (f *RunFilter) keep(jobID int64, answer []Run) ([]Run, error) {
	var kept []Run
	for _, r := range answer {
		st, err := ParseRunStatus(string(r.Status))
		if err != nil {
			return nil, fmt.Errorf("run %d of job %d: %w", r.ID, jobID, err)
		}
		r.Status = st
		if f.keeps(&r) {
			kept = append(kept, r)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].ID > kept[j].ID })
	return kept, nil
}

// keeps reports whether the run matches f, with the documented meaning: From <= startedAt
// <= To, runs in progress included. A run without startedAt is in no window.
func (f *RunFilter) keeps(r *Run) bool {
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
	return (f.From == nil || !s.Before(*f.From)) && (f.To == nil || !s.After(*f.To))
}

// GetRun reads one run. The server finds a run by its id alone, so the answer's jobId is
// checked: a run of another job is a not-found error (IsNotFound) naming both.
func (c *Client) GetRun(ctx context.Context, jobID, runID int64) (*Run, error) {
	path := fmt.Sprintf("%s/runs/%d", jobPath(jobID), runID)
	run, err := readOne(ctx, c, path, "run", func(r *Run) int64 { return r.ID })
	if err != nil {
		return nil, err
	}
	if run.JobID != jobID {
		return nil, &APIError{StatusCode: http.StatusBadRequest, Code: CodeRunNotFound, codes: []string{CodeRunNotFound},
			Method: http.MethodGet, Path: path,
			Message: fmt.Sprintf("run %d belongs to job %d, not to job %d", runID, run.JobID, jobID)}
	}
	st, err := ParseRunStatus(string(run.Status))
	if err != nil {
		return nil, fmt.Errorf("run %d of job %d: %w", runID, jobID, err)
	}
	run.Status = st
	return run, nil
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

// maxJobJSON bounds one job in a page's answer (its recipients, users it is shared with).
const maxJobJSON = 64 << 10

// ListJobs answers the jobs the user sees that f keeps, newest id first, reading the
// server's pages (GET /scheduled-jobs?query=&type=&startAt=&maxResults=) to the end. A
// non-admin sees the jobs it created or that are shared with it; deleted jobs are left out.
func (c *Client) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	q := url.Values{}
	if f.NameContains != "" {
		q.Set("query", f.NameContains)
	}
	if f.Type != "" {
		q.Set("type", f.Type)
	}
	jobs, err := readPages[Job](ctx, c, listing{path: "/scheduled-jobs", query: q, startParam: "startAt",
		itemBound: maxJobJSON, what: "jobs", narrow: fmt.Sprintf("the name %q", f.NameContains)})
	if err != nil {
		return nil, err
	}
	return keepContaining(jobs, func(j *Job) string { return j.Name }, f.NameContains), nil
}

// JobNameError is a name that names no job, or several, among those the user sees.
type JobNameError struct {
	Name       string
	Candidates []Job // jobs whose name contains Name in any case, newest first
}

func (e *JobNameError) Error() string {
	switch exact := e.exact(); {
	case len(exact) > 1:
		return fmt.Sprintf("%d jobs are named %q: %s", len(exact), e.Name, namedJobs(e.Candidates))
	case len(e.Candidates) == 0:
		return fmt.Sprintf("no job named %q, nor any whose name contains it, is visible to this user (a non-admin sees the jobs it created or that are shared with it; a disabled job, which job lists leave out, is found by its id only)", e.Name)
	default:
		return fmt.Sprintf("no job is named exactly %q; jobs whose name contains it: %s (a disabled job, which job lists leave out, is found by its id only)", e.Name, namedJobs(e.Candidates))
	}
}

// namedJobs names the first jobs for an error message.
func namedJobs(jobs []Job) string {
	return nameFirst(jobs, func(j *Job) string { return fmt.Sprintf("%q (id %d)", j.Name, j.ID) })
}

// Several reports whether several jobs have the name: only their ids tell them apart.
func (e *JobNameError) Several() bool { return len(e.exact()) > 1 }

func (e *JobNameError) exact() []Job {
	return matching(e.Candidates, func(j *Job) bool { return j.Name == e.Name })
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
