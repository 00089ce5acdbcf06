package mockserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"
)

// BasePath is the REST root under which the API is served.
const BasePath = "/openspecimen/rest/ng"

// Server is a running mock OpenSpecimen server. All its state is under one mutex; the
// introspection methods return copies.
type Server struct {
	mu        sync.Mutex
	loc       *time.Location
	idle      time.Duration
	logger    *log.Logger
	clock     Clock
	startTime time.Time

	users     map[string]*user // by login name; immutable after New
	usersList []*user
	jobs      map[int64]*job // immutable after New

	runs      []*run // all runs, ascending id
	runByID   map[int64]*run
	nextRunID int64

	sessions map[string]*session
	logins   int
	counts   map[string]int

	faults FaultConfig
	rng    *rand.Rand

	timers  map[*pendingStart]struct{} // delayed run starts not yet begun
	timerWG sync.WaitGroup
	closed  bool
	done    chan struct{}

	closeOnce   sync.Once
	handler     http.Handler
	mux         *http.ServeMux
	triggerHook func(jobID int64, loginName string)

	tsMu    sync.Mutex // guards ts, addr and stopped (Stop and Restart swap the listener)
	ts      *httptest.Server
	url     string // the root URL of the first listener, kept across Stop and Restart
	stopped bool
}

type user struct {
	id  int64
	cfg UserConfig
}

type job struct {
	cfg        JobConfig
	createdBy  *user
	recipients []*user
}

type session struct {
	user     *user
	lastUsed time.Time
}

// run is one run record. A seeded run has a fixed status; a triggered run's status is
// computed from the clock on every read: IN_PROGRESS until startedAt+duration, then the
// job's outcome, with finishedAt = startedAt+duration exactly.
type run struct {
	id        int64
	job       *job
	startedAt time.Time
	rtArgs    *string
	runBy     *user
	result    *ResultConfig
	message   string

	seeded     bool
	status     string     // seeded runs
	finishedAt *time.Time // seeded runs

	duration time.Duration // triggered runs
	outcome  string        // triggered runs
}

// state answers the run's status and finish time at now.
func (r *run) state(now time.Time) (string, *time.Time) {
	if r.seeded {
		return r.status, r.finishedAt
	}
	end := r.startedAt.Add(r.duration)
	if now.Before(end) {
		return StatusInProgress, nil
	}
	return r.outcome, &end
}

// Run is a snapshot of one run record, as Server.Runs answers it.
type Run struct {
	ID          int64
	JobID       int64
	JobName     string
	Status      string
	StartedAt   time.Time
	FinishedAt  *time.Time
	RtArgs      *string
	Message     *string
	RunBy       string // login name
	LogFilePath *string
}

// New builds a server from cfg and starts it on 127.0.0.1 at a free port.
func New(cfg Config) (*Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	s.ts = httptest.NewUnstartedServer(s.handler)
	s.configureHTTP()
	s.ts.Start()
	s.url = s.ts.URL
	return s, nil
}

// NewWithListener builds a server from cfg and serves it on l, which it takes over.
func NewWithListener(cfg Config, l net.Listener) (*Server, error) {
	if l == nil {
		return nil, errors.New("mockserver: nil listener")
	}
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	s.ts = &httptest.Server{Listener: l, Config: &http.Server{Handler: s.handler}}
	s.configureHTTP()
	s.ts.Start()
	s.url = s.ts.URL
	return s, nil
}

func (s *Server) configureHTTP() {
	s.ts.Config.ReadHeaderTimeout = 30 * time.Second
	if s.logger != nil {
		s.ts.Config.ErrorLog = s.logger
	} else {
		s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	}
}

func newServer(cfg Config) (*Server, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, err
	}
	clock := cfg.Clock
	if clock == nil {
		clock = realClock{}
	}
	s := &Server{
		loc:       loc,
		idle:      time.Duration(cfg.TokenIdleTimeout),
		logger:    cfg.Logger,
		clock:     clock,
		startTime: clock.Now().Round(0),
		users:     map[string]*user{},
		jobs:      map[int64]*job{},
		runByID:   map[int64]*run{},
		sessions:  map[string]*session{},
		counts:    map[string]int{},
		timers:    map[*pendingStart]struct{}{},
		done:      make(chan struct{}),
	}
	s.setFaultsLocked(cfg.Faults)
	for i, uc := range cfg.Users {
		u := &user{id: int64(i + 1), cfg: uc}
		s.users[uc.LoginName] = u
		s.usersList = append(s.usersList, u)
	}
	for _, jc := range cfg.Jobs {
		j := &job{cfg: jc, createdBy: s.users[jc.CreatedBy]}
		for _, r := range jc.Recipients {
			j.recipients = append(j.recipients, s.users[r])
		}
		s.jobs[jc.ID] = j
	}
	for _, rc := range cfg.Runs {
		r := &run{
			id:         rc.ID,
			job:        s.jobs[rc.JobID],
			startedAt:  s.startTime,
			runBy:      s.users[rc.RunBy],
			result:     rc.Result,
			message:    rc.Message,
			seeded:     true,
			status:     rc.Status,
			finishedAt: rc.FinishedAt,
		}
		if rc.StartedAt != nil {
			r.startedAt = *rc.StartedAt
		}
		if r.status != StatusInProgress && r.finishedAt == nil {
			f := r.startedAt
			r.finishedAt = &f
		}
		if rc.RtArgs != "" {
			a := rc.RtArgs
			r.rtArgs = &a
		}
		s.runs = append(s.runs, r)
		s.runByID[r.id] = r
		if r.id >= s.nextRunID {
			s.nextRunID = r.id
		}
	}
	sort.Slice(s.runs, func(i, k int) bool { return s.runs[i].id < s.runs[k].id })
	s.nextRunID++
	s.mux = s.routes()
	s.handler = http.HandlerFunc(s.serve)
	return s, nil
}

// Handler answers the full API (under BasePath), without the listener.
func (s *Server) Handler() http.Handler { return s.handler }

// URL is the REST root, e.g. "http://127.0.0.1:41234/openspecimen/rest/ng".
func (s *Server) URL() string { return s.url + BasePath }

// Close stops the server: pending run starts are cancelled, waits for injected latency
// end, and the listener and all connections are closed. It is safe to call twice.
func (s *Server) Close() {
	s.shutdown()
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	s.ts.Close()
}

// Shutdown stops the server gracefully: it stops accepting connections and waits, until
// ctx ends, for the requests in flight, then closes everything as Close does.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopTimersLocked()
	s.mu.Unlock()
	s.tsMu.Lock()
	cfg := s.ts.Config
	s.tsMu.Unlock()
	err := cfg.Shutdown(ctx)
	s.Close()
	return err
}

// Stop makes the server unreachable, as a crashed or restarting server is: the listener
// and every connection are closed (requests in flight get no answer), but the state (runs,
// sessions, counters, faults) is kept and runs go on, so that Restart brings the same server
// back. Calling Stop on a stopped server does nothing.
func (s *Server) Stop() {
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Restart listens again on the address of the stopped server (same host and port, so the
// URL does not change), serving the same state. It fails when the server is not stopped,
// was closed, or the port has been taken meanwhile.
func (s *Server) Restart() error {
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	switch {
	case closed:
		return errors.New("mockserver: Restart after Close")
	case !s.stopped:
		return errors.New("mockserver: Restart of a running server: Stop it first")
	}
	l, err := net.Listen("tcp", s.ts.Listener.Addr().String())
	if err != nil {
		return fmt.Errorf("mockserver: listening again on %s: %w", s.ts.Listener.Addr(), err)
	}
	s.ts = &httptest.Server{Listener: l, Config: &http.Server{Handler: s.handler}}
	s.configureHTTP()
	s.ts.Start()
	s.stopped = false
	return nil
}

// ExpireTokens ends every session, as the server's idle timeout would: the next request
// with any of their tokens is answered 401. It answers how many sessions were ended.
func (s *Server) ExpireTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sessions)
	clear(s.sessions)
	return n
}

// SetTriggerHook sets a function called on every trigger (POST .../runs) that reached its
// handler and names a known job, before the trigger is carried out, with the job id and the
// caller's login name: a test can start another user's run there (StartRunAs) to lose a race
// on purpose. nil removes it. The hook must not call SetTriggerHook.
func (s *Server) SetTriggerHook(f func(jobID int64, loginName string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.triggerHook = f
}

func (s *Server) shutdown() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.stopTimersLocked()
		s.mu.Unlock()
		close(s.done)
		s.timerWG.Wait()
	})
}

// pendingStart is a delayed run start scheduled on the clock.
type pendingStart struct {
	stop func() bool
}

func (s *Server) stopTimersLocked() {
	for t := range s.timers {
		if t.stop() {
			s.timerWG.Done()
		}
		delete(s.timers, t)
	}
}

// afterFuncLocked runs f after d on the clock unless the server is closed first. s.mu must
// be held.
func (s *Server) afterFuncLocked(d time.Duration, f func()) {
	s.timerWG.Add(1)
	t := &pendingStart{}
	t.stop = s.clock.AfterFunc(d, func() {
		defer s.timerWG.Done()
		s.mu.Lock()
		delete(s.timers, t) // t.stop is set: the lock was held while it was assigned
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			f()
		}
	})
	s.timers[t] = struct{}{}
}

// Runs answers the runs of a job, newest first.
func (s *Server) Runs(jobID int64) []Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var out []Run
	for i := len(s.runs) - 1; i >= 0; i-- {
		if r := s.runs[i]; r.job.cfg.ID == jobID {
			out = append(out, s.snapshot(r, now))
		}
	}
	return out
}

// LoginCount answers how many POST /sessions logins succeeded (with a token).
func (s *Server) LoginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// RequestCount answers how many requests reached the handler of a route, whatever their
// answer (401s included; injected 503s and dropped-by-latency requests excluded). The
// pattern is relative to BasePath, as in ("GET", "/scheduled-jobs/{jobId}/runs/{runId}").
func (s *Server) RequestCount(method, pathPattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[method+" "+pathPattern]
}

// StartRunAs starts a run of a job as the given user right away, as if that user had
// triggered it, and answers the run. It fails when the user or job is unknown, the job is
// disabled or it already has a run in progress.
func (s *Server) StartRunAs(loginName string, jobID int64, args string) (Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[loginName]
	if u == nil {
		return Run{}, fmt.Errorf("mockserver: no user %q", loginName)
	}
	var a *string
	if args != "" {
		a = &args
	}
	r, err := s.startRunLocked(u, jobID, a)
	if err != nil {
		return Run{}, err
	}
	return s.snapshot(r, s.clock.Now()), nil
}

// SetFaults replaces the fault configuration and reseeds the random source.
func (s *Server) SetFaults(f FaultConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
}

func (s *Server) setFaultsLocked(f FaultConfig) {
	s.faults = f
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), uint64(f.Seed)^0x9e3779b97f4a7c15))
}

var (
	errJobNotFound = errors.New("job does not exist")
	errJobDisabled = errors.New("job is disabled")
	errJobBusy     = errors.New("job already has a run in progress")
)

// startRunLocked creates a run record, as the server's executor does when a queued run
// starts. s.mu must be held.
func (s *Server) startRunLocked(u *user, jobID int64, args *string) (*run, error) {
	j := s.jobs[jobID]
	if j == nil {
		return nil, fmt.Errorf("mockserver: job %d: %w", jobID, errJobNotFound)
	}
	if j.cfg.ActivityStatus == "Disabled" {
		return nil, fmt.Errorf("mockserver: job %d: %w", jobID, errJobDisabled)
	}
	now := s.clock.Now().Round(0)
	for i := len(s.runs) - 1; i >= 0; i-- {
		r := s.runs[i]
		if r.job != j {
			continue
		}
		if st, _ := r.state(now); st == StatusInProgress {
			return nil, fmt.Errorf("mockserver: job %d: %w (run %d)", jobID, errJobBusy, r.id)
		}
	}
	r := &run{
		id:        s.nextRunID,
		job:       j,
		startedAt: now,
		rtArgs:    args,
		runBy:     u,
		result:    j.cfg.Result,
		message:   j.cfg.Message,
		duration:  time.Duration(j.cfg.Duration),
		outcome:   j.cfg.Outcome,
	}
	s.nextRunID++
	s.runs = append(s.runs, r)
	s.runByID[r.id] = r
	return r, nil
}

// snapshot copies a run's state at now. s.mu must be held.
func (s *Server) snapshot(r *run, now time.Time) Run {
	status, finished := r.state(now)
	out := Run{
		ID:          r.id,
		JobID:       r.job.cfg.ID,
		JobName:     r.job.cfg.Name,
		Status:      status,
		StartedAt:   r.startedAt,
		RunBy:       r.runBy.cfg.LoginName,
		LogFilePath: r.logFilePath(status),
	}
	if finished != nil {
		f := *finished
		out.FinishedAt = &f
		if r.message != "" {
			m := r.message
			out.Message = &m
		}
	}
	if r.rtArgs != nil {
		a := *r.rtArgs
		out.RtArgs = &a
	}
	return out
}

// logFilePath is the server path of the run's output file, once it has one.
func (r *run) logFilePath(status string) *string {
	if status != StatusSucceeded || r.result == nil {
		return nil
	}
	p := fmt.Sprintf("/usr/local/openspecimen/data/scheduled-jobs/%d/%s", r.id, r.result.downloadName(r.id))
	return &p
}
