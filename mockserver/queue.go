package mockserver

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Why a trigger never became a run, as SetTriggerDropHook reports it.
const (
	DropReplaced = "replaced" // a newer trigger of the same job replaced it in the queue
	DropRunning  = "running"  // the job had a run in progress when the trigger got a thread
	DropInactive = "inactive" // the job was not active (isActiveJob false) when it got a thread
	DropRestart  = "restart"  // it was still queued when the server's process restarted
	DropCancel   = "cancel"   // a PUT or DELETE of its job cancelled it while it was queued
)

// triggerQueue is the server's executor: a pool of threads shared by all jobs and the
// triggers waiting for one. A job has at most one queued trigger. Its fields are guarded
// by Server.mu.
type triggerQueue struct {
	threads int                // the pool's size (Config.PoolSize)
	busy    int                // threads held by runs in progress
	ready   []*trigger         // triggers past their start delay, waiting for a thread, first come first
	byJob   map[int64]*trigger // the queued trigger of each job, delayed or ready
	life    int                // the process's life: RestartProcess ends the old one's thread releases
}

// trigger is one queued trigger: a run of job, as user, with args.
type trigger struct {
	job       *job
	user      *user
	args      *string
	ready     bool // its start delay has passed: it is in the ready list
	cancelled bool // replaced or lost: its start delay's timer does nothing
}

// QueuedTrigger is a snapshot of one trigger waiting in the server's queue.
type QueuedTrigger struct {
	JobID     int64
	LoginName string
	Args      *string
	Ready     bool // its start delay has passed: it waits only for a free thread
}

// events are hook calls to make once s.mu is released, in order.
type events []func()

func (ev events) call() {
	for _, f := range ev {
		f()
	}
}

// enqueueLocked queues a trigger of j by u, as the server's runJob does: a trigger of the
// same job still queued is replaced (whoever made it) and never becomes a run. The new
// trigger is ready after the job's StartDelay; a ready trigger starts only at the next
// dispatchLocked. s.mu must be held.
func (s *Server) enqueueLocked(u *user, j *job, args *string) events {
	var ev events
	if old := s.queue.byJob[j.cfg.ID]; old != nil {
		s.removeQueuedLocked(old)
		ev = append(ev, s.dropEventLocked(old, DropReplaced))
	}
	t := &trigger{job: j, user: u, args: args}
	s.queue.byJob[j.cfg.ID] = t
	if delay := j.cfg.StartDelay; delay > 0 {
		s.afterFuncLocked(time.Duration(delay), func() func() { return s.triggerReady(t) })
		return ev
	}
	s.readyLocked(t)
	return ev
}

// cancelQueuedLocked cancels j's trigger still queued, as a PUT or DELETE of the job does
// (ScheduledTaskManagerImpl.cancel: the job's future, not yet running, is cancelled). It
// answers the drop hook call to make, if any. s.mu must be held.
func (s *Server) cancelQueuedLocked(j *job) events {
	t := s.queue.byJob[j.cfg.ID]
	if t == nil {
		return nil
	}
	s.removeQueuedLocked(t)
	return events{s.dropEventLocked(t, DropCancel)}
}

// triggerReady moves t to the ready list once its start delay has passed, and starts what
// can start. It answers the hook calls to make.
func (s *Server) triggerReady(t *trigger) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.cancelled {
		return nil
	}
	s.readyLocked(t)
	return s.dispatchLocked().call
}

func (s *Server) readyLocked(t *trigger) {
	t.ready = true
	s.queue.ready = append(s.queue.ready, t)
}

// removeQueuedLocked takes t out of the queue for good.
func (s *Server) removeQueuedLocked(t *trigger) {
	t.cancelled = true
	delete(s.queue.byJob, t.job.cfg.ID)
	for i, r := range s.queue.ready {
		if r == t {
			s.queue.ready = append(s.queue.ready[:i], s.queue.ready[i+1:]...)
			return
		}
	}
}

// dispatchLocked gives the free threads to the ready triggers, first come first. A trigger
// whose job is running or not active is dropped there and frees its thread at once; a run
// holds its thread until it ends. s.mu must be held.
func (s *Server) dispatchLocked() events {
	var ev events
	for !s.closed && s.queue.busy < s.queue.threads && len(s.queue.ready) > 0 {
		t := s.queue.ready[0]
		s.removeQueuedLocked(t)
		ev = append(ev, s.runTriggerLocked(t))
	}
	return ev
}

// runTriggerLocked carries out a trigger that got a thread: the run record is created,
// or the trigger dropped. It answers the hook call to make.
func (s *Server) runTriggerLocked(t *trigger) func() {
	r, err := s.startRunLocked(t.user, t.job.cfg.ID, t.args)
	if errors.Is(err, errJobBusy) {
		return s.dropEventLocked(t, DropRunning)
	}
	if err != nil { // errJobInactive: jobs are never removed
		return s.dropEventLocked(t, DropInactive)
	}
	if r.duration > 0 {
		s.queue.busy++
		life := s.queue.life
		s.afterFuncLocked(r.duration, func() func() { return s.releaseThread(life) })
	}
	hook := s.runStartHook
	if hook == nil {
		return func() {}
	}
	snap := s.snapshot(r, s.clock.Now())
	return func() { hook(snap) }
}

// releaseThread frees the thread of a run that has ended, in the process's life it
// started in, and starts what can start. It answers the hook calls to make.
func (s *Server) releaseThread(life int) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if life != s.queue.life {
		return nil
	}
	s.queue.busy--
	return s.dispatchLocked().call
}

// dropEventLocked answers the call of the trigger drop hook for t, or a no-op.
func (s *Server) dropEventLocked(t *trigger, reason string) func() {
	hook := s.dropHook
	if hook == nil {
		return func() {}
	}
	jobID, login := t.job.cfg.ID, t.user.cfg.LoginName
	return func() { hook(jobID, login, reason) }
}

// loseMemoryLocked is what a restart of the server's process does: the runs in progress
// become stale, the queued triggers are lost and every thread is free (the stale runs never
// release theirs). It answers the drop hook calls to make. s.mu must be held.
func (s *Server) loseMemoryLocked() events {
	now := s.clock.Now()
	for _, r := range s.runs {
		if st, _ := r.state(now); st == StatusInProgress {
			r.stale = true
		}
	}
	var ev events
	for _, t := range s.queuedLocked() {
		s.removeQueuedLocked(t)
		ev = append(ev, s.dropEventLocked(t, DropRestart))
	}
	s.queue.busy = 0
	s.queue.life++
	return ev
}

// queuedLocked answers the queued triggers: the ready ones first come first, then the
// delayed ones by job id.
func (s *Server) queuedLocked() []*trigger {
	out := append([]*trigger(nil), s.queue.ready...)
	var delayed []*trigger
	for _, t := range s.queue.byJob {
		if !t.ready {
			delayed = append(delayed, t)
		}
	}
	sort.Slice(delayed, func(a, b int) bool { return delayed[a].job.cfg.ID < delayed[b].job.cfg.ID })
	return append(out, delayed...)
}

// TriggerAs triggers a run of a job as the given user, as POST /scheduled-jobs/{id}/runs
// does after its answer (the same access rules, queue and hooks but the trigger hook): the
// trigger is queued, replacing the job's queued trigger, and its run starts when it is
// ready and gets a thread. The hooks it sets off are called before it returns. It fails
// when the user or job is unknown or the user may not run the job.
func (s *Server) TriggerAs(loginName string, jobID int64, args string) error {
	s.mu.Lock()
	u, j := s.users[loginName], s.jobs[jobID]
	switch {
	case u == nil:
		s.mu.Unlock()
		return fmt.Errorf("mockserver: no user %q", loginName)
	case j == nil:
		s.mu.Unlock()
		return fmt.Errorf("mockserver: job %d: %w", jobID, errJobNotFound)
	}
	if denied := jobAccess(u, j); denied != nil {
		s.mu.Unlock()
		return fmt.Errorf("mockserver: %s may not run job %d: %s %s", loginName, jobID, denied.Code, denied.Message)
	}
	var a *string
	if args != "" {
		a = &args
	}
	ev := s.enqueueLocked(u, j, a)
	ev = append(ev, s.dispatchLocked()...)
	s.mu.Unlock()
	ev.call()
	return nil
}

// QueuedTriggers answers the triggers waiting in the queue: those ready for a thread first
// come first, then those still in their start delay.
func (s *Server) QueuedTriggers() []QueuedTrigger {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []QueuedTrigger
	for _, t := range s.queuedLocked() {
		out = append(out, QueuedTrigger{JobID: t.job.cfg.ID, LoginName: t.user.cfg.LoginName, Args: t.args, Ready: t.ready})
	}
	return out
}

// BusyThreads answers how many of the pool's threads runs hold.
func (s *Server) BusyThreads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queue.busy
}

// SetTriggerDropHook sets a function called when a trigger is dropped without a run: with
// the job id, the login name of the trigger's user, and the reason (DropReplaced,
// DropCancel, DropRunning, DropInactive, DropRestart). It is called outside the server's
// lock, in the goroutine that dropped it: a trigger's handler or TriggerAs (replaced), the
// handler of a PUT or DELETE of the job (cancelled), the clock's timer
// that freed a thread or ended a start delay (running, inactive), or RestartProcess. A
// test waits there for a trigger to be replaced or dropped. nil removes it.
func (s *Server) SetTriggerDropHook(f func(jobID int64, loginName, reason string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropHook = f
}
