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
	"slices"
	"sort"
	"sync"
	"time"
)

// BasePath is the REST root under which the API is served.
const BasePath = "/openspecimen/rest/ng"

// Server is a running mock OpenSpecimen server. Its state (users, jobs, runs, sessions,
// counters, faults, hooks) is under mu, its listener under tsMu; the introspection methods
// return copies.
type Server struct {
	mu        sync.Mutex // guards the state below, down to the hooks
	loc       *time.Location
	idle      time.Duration
	logger    *log.Logger
	clock     Clock
	startTime time.Time
	line      string         // LineNewest or LineOlder; immutable after New
	retention time.Duration  // how long a run's result file is kept after the run ends
	maxLogins int            // newest line: the most sessions a user keeps (0: no limit)
	settings  SettingsConfig // the server's settings; immutable after New

	users     map[string]*user // by login name; immutable after New
	usersList []*user
	system    *user          // the system user, who runs scheduled runs of jobs without runAs; not in users
	jobs      map[int64]*job // every job, deleted ones too; POST, PUT and DELETE change it and its jobs

	savedQueries   map[int64]SavedQueryConfig // by id; immutable after New
	deletedQueries map[int64]bool             // the saved queries deleted (DeleteSavedQuery)
	taskClasses    []string                   // the INTERNAL task classes; immutable after New

	runs      []*run // all runs, ascending id
	runByID   map[int64]*run
	nextRunID int64

	sessions map[string]*session
	logins   int
	counts   map[string]int

	faults FaultConfig
	rng    *rand.Rand

	queue triggerQueue // the executor's threads and the triggers waiting for one

	timers  map[*pendingStart]struct{} // delayed run starts not yet begun
	timerWG sync.WaitGroup             // delayed run starts scheduled and not yet over
	closed  bool
	done    chan struct{} // closed by Close and Shutdown

	triggerHook  func(jobID int64, loginName string)
	requestHook  func(method, path string)
	runStartHook func(Run)
	responseHook func(Request) (Reply, bool)
	dropHook     func(jobID int64, loginName, reason string) // SetTriggerDropHook

	closeOnce sync.Once
	handler   http.Handler
	mux       *http.ServeMux

	tsMu    sync.Mutex // guards lis and stopped (Stop and Restart swap the listener)
	lis     *listener
	url     string // the root URL of the first listener, kept across Stop and Restart
	stopped bool
}

// listener is one life of the server on its address: New or Restart starts one, Stop,
// Close or Shutdown ends it.
type listener struct {
	ts          *httptest.Server
	stopped     chan struct{} // closed when the listener ends: its requests in flight are abandoned
	abandonOnce sync.Once
}

// stopKey is the request context key of the stopped channel of the request's listener.
type stopKey struct{}

// newListener prepares to serve s on l; start starts it.
func (s *Server) newListener(ts *httptest.Server) *listener {
	lis := &listener{ts: ts, stopped: make(chan struct{})}
	ctx := context.WithValue(context.Background(), stopKey{}, (<-chan struct{})(lis.stopped))
	ts.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	ts.Config.ReadHeaderTimeout = 30 * time.Second
	if s.logger != nil {
		ts.Config.ErrorLog = s.logger
	} else {
		ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	}
	return lis
}

// abandon ends at once the requests of the listener that wait (in injected latency or for
// a hook), without an answer, and every request that reaches its handler from now on.
func (lis *listener) abandon() {
	lis.abandonOnce.Do(func() { close(lis.stopped) })
}

// stop abandons the listener's requests, closes the listener and every connection, and
// waits for the handlers still running. It is safe to call twice.
func (lis *listener) stop() {
	lis.abandon()
	// The listener before the connections: a client whose connection is closed retries an
	// idempotent request on a new one, which must find nobody listening.
	_ = lis.ts.Listener.Close()
	lis.ts.CloseClientConnections()
	lis.ts.Close()
}

// stoppedChan answers the stopped channel of the listener a request came on, or nil (a
// channel that never fires) for a request served through Handler by someone else's server.
func stoppedChan(r *http.Request) <-chan struct{} {
	ch, _ := r.Context().Value(stopKey{}).(<-chan struct{})
	return ch
}

type user struct {
	id  int64
	cfg UserConfig
}

type job struct {
	cfg        JobConfig
	createdBy  *user
	recipients []*user
	sharedWith []*user
	runAs      *user       // nil: none set
	lengths    *runLengths // under Server.mu
	// anchor is when the job was created or last replaced: its MINUTELY and HOURLY
	// schedules count from it.
	anchor time.Time
	// scheduled counts the job's schedules set on the clock: a trigger set by an earlier
	// one (before a PUT or DELETE) that fired before it could be stopped does nothing.
	scheduled int
	// nextTimer is the clock timer of the job's next scheduled trigger, nil when none is
	// set; scheduleLocked stops it before it sets another.
	nextTimer *pendingStart
	// created: the job was created through the API; its runs' file is its saved query's export.
	created bool
}

// active is the server's isActiveJob at now: the job is enabled, and, on the older line, a
// scheduled job (not ONDEMAND) is within its start and end dates (the newest line's
// isActiveJob has no date check). A trigger of a job that is not active is dropped.
func (j *job) active(line string, now time.Time) bool {
	return j.enabled() && (line != LineOlder || j.cfg.RepeatSchedule == "ONDEMAND" || j.withinDates(now))
}

// enabled says whether the job is Active and, for a QUERY job, its saved query exists.
func (j *job) enabled() bool {
	return j.cfg.ActivityStatus == "Active" && (j.cfg.Type != "QUERY" || !j.cfg.SavedQueryDeleted)
}

// DeleteSavedQuery deletes a saved query as the server's DELETE /saved-queries/{id} does
// (QueryServiceImpl.deleteQuery), which the mock does not serve: every QUERY job exporting
// it is soft-deleted (Disabled and renamed, as DELETE /scheduled-jobs/{id} does, its
// schedule ended but its queued trigger left to be dropped), and a new job can no longer
// name it. It fails when neither a saved query nor a job's own query has that id.
func (s *Server) DeleteSavedQuery(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, known := s.savedQueries[id]
	now := s.clock.Now()
	for _, j := range s.jobs {
		if j.cfg.Type == "QUERY" && j.cfg.queryID() == id && !j.cfg.SavedQueryDeleted {
			known = true
			j.cfg.SavedQueryDeleted = true
			if !j.cfg.Deleted {
				s.softDeleteLocked(j, now)
			}
		}
	}
	if !known {
		return fmt.Errorf("mockserver: no saved query %d", id)
	}
	s.deletedQueries[id] = true
	return nil
}

// visibleTo says whether u may see and run the job: an admin, its creator, or a user it is
// shared with.
func (j *job) visibleTo(u *user) bool {
	if u.cfg.Admin || j.createdBy == u {
		return true
	}
	for _, sw := range j.sharedWith {
		if sw == u {
			return true
		}
	}
	return false
}

type session struct {
	user     *user
	lastUsed time.Time
	login    int // the login's number (Server.logins at it): orders a user's sessions
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
	// stale: the run was in progress when the server's process restarted (RestartProcess);
	// it stays IN_PROGRESS forever, blocking its job on the older line only.
	stale bool

	duration time.Duration // triggered runs
	outcome  string        // triggered runs
}

// state answers the run's status and finish time at now.
func (r *run) state(now time.Time) (string, *time.Time) {
	if r.stale {
		return StatusInProgress, nil
	}
	if r.seeded {
		return r.status, r.finishedAt
	}
	end := r.startedAt.Add(r.duration)
	if now.Before(end) {
		return StatusInProgress, nil
	}
	return r.outcome, &end
}

// blocks says whether the run, while IN_PROGRESS, keeps its job from starting another on
// line: the newest line's lock is in memory, so a stale run does not; the older line's
// is in the database, so every run does.
func (r *run) blocks(line string) bool {
	return !r.stale || line == LineOlder
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
	s.lis = s.newListener(httptest.NewUnstartedServer(s.handler))
	s.lis.ts.Start()
	s.url = s.lis.ts.URL
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
	s.lis = s.newListener(&httptest.Server{Listener: l, Config: &http.Server{Handler: s.handler}})
	s.lis.ts.Start()
	s.url = s.lis.ts.URL
	return s, nil
}

// newServer builds the server's state from cfg, without a listener.
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
		line:      cfg.Line,
		retention: time.Duration(cfg.FileRetention),
		maxLogins: cfg.MaxLoginSessions,
		settings:  cfg.Settings,
		users:     map[string]*user{},
		jobs:      map[int64]*job{},
		runByID:   map[int64]*run{},
		sessions:  map[string]*session{},
		counts:    map[string]int{},
		timers:    map[*pendingStart]struct{}{},
		done:      make(chan struct{}),
		queue:     triggerQueue{threads: cfg.PoolSize, byJob: map[int64]*trigger{}},
	}
	s.setFaultsLocked(cfg.Faults)
	s.addUsers(cfg.Users, cfg.SystemUser)
	s.savedQueries, s.deletedQueries = map[int64]SavedQueryConfig{}, map[int64]bool{}
	for _, q := range cfg.SavedQueries {
		s.savedQueries[q.ID] = q
	}
	s.taskClasses = cfg.TaskClasses
	s.mu.Lock() // a schedule set by addJobsLocked may fire before the runs are seeded
	s.addJobsLocked(cfg.Jobs)
	s.seedRunsLocked(cfg.Runs)
	s.mu.Unlock()
	s.mux = s.routes()
	s.handler = http.HandlerFunc(s.serve)
	return s, nil
}

// addUsers adds the configured users, with their ids (by default 1, 2, ... in their order),
// and the system user with the id after the largest of theirs (it cannot log in: it is in
// neither users nor usersList).
func (s *Server) addUsers(users []UserConfig, system UserConfig) {
	var maxID int64
	for _, uc := range users {
		u := &user{id: uc.ID, cfg: uc}
		maxID = max(maxID, uc.ID)
		s.users[uc.LoginName] = u
		s.usersList = append(s.usersList, u)
	}
	s.system = &user{id: maxID + 1, cfg: system}
}

// addJobsLocked adds the configured jobs and sets their schedules on the clock; their users
// must have been added. s.mu must be held.
func (s *Server) addJobsLocked(jobs []JobConfig) {
	for _, jc := range jobs {
		j := &job{cfg: jc, createdBy: s.users[jc.CreatedBy], lengths: newRunLengths(jc), anchor: s.startTime}
		j.setUsers(s.users, jc)
		if jc.Deleted {
			j.cfg.Name = disabledName(jc.Name, s.startTime)
		}
		s.jobs[jc.ID] = j
		s.scheduleLocked(j)
	}
}

// setUsers sets the job's run-as user, recipients and shared-with users from jc's login
// names, each user once.
func (j *job) setUsers(users map[string]*user, jc JobConfig) {
	j.runAs = users[jc.RunAs]
	j.recipients, j.sharedWith = nil, nil
	for _, r := range jc.Recipients {
		if !slices.Contains(j.recipients, users[r]) {
			j.recipients = append(j.recipients, users[r])
		}
	}
	for _, u := range jc.SharedWith {
		if !slices.Contains(j.sharedWith, users[u]) {
			j.sharedWith = append(j.sharedWith, users[u])
		}
	}
}

// seedRunsLocked adds the seeded run history, in id order, and sets the next run id above
// it. s.mu must be held.
func (s *Server) seedRunsLocked(runs []RunConfig) {
	for _, rc := range runs {
		r := s.seededRun(rc)
		s.runs = append(s.runs, r)
		s.runByID[r.id] = r
		if r.id >= s.nextRunID {
			s.nextRunID = r.id
		}
	}
	sort.Slice(s.runs, func(i, k int) bool { return s.runs[i].id < s.runs[k].id })
	s.nextRunID++
}

// seededRun is the run record of a seeded run: started at the server's start unless said
// otherwise, and finished when it started unless it is in progress or says otherwise.
func (s *Server) seededRun(rc RunConfig) *run {
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
	return r
}

// Handler answers the full API (under BasePath), without the listener. Requests another
// server serves through it are not ended by Stop; Close and Shutdown end their waits.
func (s *Server) Handler() http.Handler { return s.handler }

// URL is the REST root, e.g. "http://127.0.0.1:41234/openspecimen/rest/ng".
func (s *Server) URL() string { return s.url + BasePath }

// Close stops the server for good: pending run starts are cancelled, the requests in
// flight that wait (in injected latency or for a hook) end at once without an answer, the
// listener and every connection are closed, and Close waits for the other handlers, which
// do not wait on anything. It is safe to call twice, and on a stopped server.
func (s *Server) Close() {
	s.shutdown()
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	s.lis.stop()
}

// Shutdown stops the server gracefully: it stops accepting connections, ends at once the
// requests that wait in injected latency or for a hook (they get no answer), and waits,
// until ctx ends, for the other requests in flight (a result file being streamed, say);
// then it closes everything as Close does. It answers ctx's error when ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopTimersLocked()
	s.mu.Unlock()
	s.tsMu.Lock()
	lis, stopped := s.lis, s.stopped
	s.tsMu.Unlock()
	var err error
	if !stopped {
		lis.abandon()
		err = lis.ts.Config.Shutdown(ctx)
	}
	s.Close()
	return err
}

// Stop makes the server unreachable, as a crashed or restarting server is: the listener
// and every connection are closed, and the requests in flight get no answer (those waiting
// in injected latency or for a hook end at once), but the state (runs, sessions, counters,
// faults, hooks) is kept and runs go on, so that Restart brings the same server back. Stop
// returns once no handler of the stopped listener runs. Calling Stop on a stopped server
// does nothing.
func (s *Server) Stop() {
	s.tsMu.Lock()
	defer s.tsMu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	s.lis.stop()
}

// Restart listens again on the address of the stopped server (same host and port, so the
// URL does not change), serving the same state: Stop and Restart are an outage of the
// network, during which runs go on and queued triggers start. It fails when the server is
// not stopped, was closed, or the port has been taken meanwhile. RestartProcess is a
// restart of the server's process.
func (s *Server) Restart() error {
	return s.restart(false)
}

// RestartProcess is Restart after a restart of the server's process, which loses what it
// held in memory: the runs in progress stay IN_PROGRESS forever (they never finish, and
// answer no finishedAt), their pool threads are free, and the queued triggers are lost
// (the trigger drop hook is called for each, with DropRestart, before it returns). Such a
// stale run does not block its job on the newest line, whose in-progress lock is in
// memory: a new trigger starts a run beside it, and two IN_PROGRESS runs of the job
// coexist. On the older line the lock is in the database: the stale run blocks the job,
// and every trigger of it is dropped. A seeded IN_PROGRESS run is stale after it too.
func (s *Server) RestartProcess() error {
	return s.restart(true)
}

// restart listens again; with newProcess, the process's memory is lost first.
func (s *Server) restart(newProcess bool) error {
	var lost events
	defer func() { lost.call() }() // after tsMu is released: a hook may call Stop
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
	addr := s.lis.ts.Listener.Addr().String()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mockserver: listening again on %s: %w", addr, err)
	}
	if newProcess {
		s.mu.Lock()
		lost = s.loseMemoryLocked()
		s.mu.Unlock()
	}
	s.lis = s.newListener(&httptest.Server{Listener: l, Config: &http.Server{Handler: s.handler}})
	s.lis.ts.Start()
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
// on purpose. nil removes it.
//
// The hooks (trigger, request, run start, response) are called outside the server's lock,
// so they may call the Server's methods, and concurrently when requests are concurrent. A
// hook called for a request runs in a goroutine of its own that the request waits for,
// unless its listener stops or the server closes first (Stop, Close, Shutdown): the request
// then ends without an answer, and the hook goes on alone. A panic in a hook is raised
// again in the request's handler. A client that gives up does not end the wait.
func (s *Server) SetTriggerHook(f func(jobID int64, loginName string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.triggerHook = f
}

// SetRequestHook sets a function called for every request as soon as it reaches the
// server's handler, before injected latency and faults, with its method and URL path
// relative to BasePath, such as ("POST", "/scheduled-jobs/1/runs") (a path outside
// BasePath is passed whole). A test can wait there for a request to be in flight instead
// of sleeping. A request that reaches a stopped listener or a closed server is ended
// before the hook. nil removes it. See SetTriggerHook for how hooks are called.
func (s *Server) SetRequestHook(f func(method, path string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requestHook = f
}

// SetRunStartHook sets a function called right after a run record is created, by a
// trigger (as it gets a pool thread: right after the answer, after the job's StartDelay, or
// when a run ends and frees a thread) or by StartRunAs, with the new run. It is called
// outside the server's lock, in the goroutine that created the run: the trigger's handler
// (see SetTriggerHook) or TriggerAs, the clock's timer of a start delay or of a run's end
// (with a ManualClock, the goroutine calling Advance), or the caller of StartRunAs. A test
// can wait there for a run instead of polling Runs. nil removes it.
func (s *Server) SetRunStartHook(f func(r Run)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runStartHook = f
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
		s.stopTimerLocked(t)
	}
}

// stopTimerLocked stops t if it has not fired yet (Close then no longer waits for it) and
// forgets it. s.mu must be held.
func (s *Server) stopTimerLocked(t *pendingStart) {
	if t.stop() {
		s.timerWG.Done()
	}
	delete(s.timers, t)
}

// afterFuncLocked calls start after d on the clock, unless the server is closed first, and
// then the function start answered, if any, once Close no longer waits for the start (so
// that a run start hook cannot hold Close up), unless Close has begun by then. It answers the timer (stopTimerLocked stops
// it), nil when the server is closed. s.mu must be held.
func (s *Server) afterFuncLocked(d time.Duration, start func() (then func())) *pendingStart {
	if s.closed {
		return nil
	}
	s.timerWG.Add(1)
	t := &pendingStart{}
	t.stop = s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, t) // t.stop is set: the lock was held while it was assigned
		closed := s.closed
		s.mu.Unlock()
		var then func()
		if !closed {
			then = start()
		}
		s.timerWG.Done()
		s.mu.Lock()
		closed = s.closed // a Close meanwhile may have returned: its caller expects no more hook calls
		s.mu.Unlock()
		if then != nil && !closed {
			then()
		}
	})
	s.timers[t] = struct{}{}
	return t
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

// StartRunAs starts a run of a job as the given user right away, as if that user's
// trigger had just got a thread, and answers the run: it skips the queue and the access
// rules, and holds no pool thread (TriggerAs goes through them). It fails when the user or
// job is unknown, the job is not active or it already has a run in progress. The run start
// hook is called before it returns.
func (s *Server) StartRunAs(loginName string, jobID int64, args string) (Run, error) {
	s.mu.Lock()
	u := s.users[loginName]
	if u == nil {
		s.mu.Unlock()
		return Run{}, fmt.Errorf("mockserver: no user %q", loginName)
	}
	var a *string
	if args != "" {
		a = &args
	}
	r, err := s.startRunLocked(u, jobID, a)
	if err != nil {
		s.mu.Unlock()
		return Run{}, err
	}
	snap := s.snapshot(r, s.clock.Now())
	hook := s.runStartHook
	s.mu.Unlock()
	if hook != nil {
		hook(snap)
	}
	return snap, nil
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
	errJobInactive = errors.New("job is not active (disabled, its saved query deleted, or outside its start and end dates)")
	errJobBusy     = errors.New("job already has a run in progress")
)

// startRunLocked creates a run record, as the server's executor does when a queued run
// starts. s.mu must be held.
func (s *Server) startRunLocked(u *user, jobID int64, args *string) (*run, error) {
	j := s.jobs[jobID]
	if j == nil {
		return nil, fmt.Errorf("mockserver: job %d: %w", jobID, errJobNotFound)
	}
	if !j.active(s.line, s.clock.Now()) {
		return nil, fmt.Errorf("mockserver: job %d: %w", jobID, errJobInactive)
	}
	now := s.clock.Now().Round(0)
	for i := len(s.runs) - 1; i >= 0; i-- {
		r := s.runs[i]
		if r.job != j {
			continue
		}
		if st, _ := r.state(now); st == StatusInProgress && r.blocks(s.line) {
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
		duration:  j.lengths.next(),
		outcome:   j.cfg.Outcome,
	}
	if j.cfg.Outcome == StatusFailed { // a successful run's message is always null
		r.message = j.cfg.Message
	}
	if j.cfg.Type == "EXTERNAL" && s.line == LineNewest {
		// ScheduledJob.newTask throws once the run record exists: it fails at once.
		r.duration, r.outcome, r.message, r.result = 0, StatusFailed, externalForbidden, nil
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
