package mockserver

import (
	"sync"
	"time"
)

// Clock is the server's source of time: run states (a run is IN_PROGRESS until its start
// plus the job's duration), delayed run starts (JobConfig.StartDelay), token idle expiry,
// startDate and nextRunOn all read it. Injected latency (FaultConfig.Latency) and the
// request durations of the log are real time whatever the clock.
//
// The default is the real clock. Tests set a ManualClock (Config.Clock) to end runs,
// start delayed runs and expire tokens exactly when they advance it, without sleeping.
type Clock interface {
	// Now answers the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine, or in the caller of a manual clock's
	// Advance, once d has elapsed. stop cancels the call; it answers true when it did,
	// false when f has already been called or started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// ManualClock is a Clock that moves only when told to (Advance, Set). It is safe for
// concurrent use.
type ManualClock struct {
	mu      sync.Mutex     // guards now, pending and seq
	now     time.Time      // the clock's time
	pending []*manualTimer // AfterFunc calls not yet due, in no particular order
	seq     uint64         // AfterFunc calls so far: orders functions due at the same time
}

type manualTimer struct {
	at  time.Time
	seq uint64
	f   func()
}

// NewManualClock answers a clock standing at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now answers the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for the clock's time plus d. It never calls f itself: f is called
// by the Advance or Set that moves the clock to or past that time (a function due now, as
// with d <= 0, by the next one, Advance(0) included).
func (c *ManualClock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{at: c.now.Add(d), seq: c.seq, f: f}
	c.pending = append(c.pending, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, p := range c.pending {
			if p == t {
				c.pending = append(c.pending[:i], c.pending[i+1:]...)
				return true
			}
		}
		return false
	}
}

// Advance moves the clock forward by d and calls, in the calling goroutine, the functions
// due by then, in the order of their due times (then of their scheduling). While a function
// runs, Now answers its due time, and the clock's lock is not held: it may schedule more
// functions, which run in the same Advance when they are due by its end.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.moveTo(target, false)
}

// Set moves the clock to t, backwards too, after calling the functions due by t as
// Advance does.
func (c *ManualClock) Set(t time.Time) {
	c.moveTo(t, true)
}

// moveTo calls the functions due by target one at a time, then sets the clock to target:
// exactly, or only when it is later than the clock's time (a concurrent Advance may have
// gone further).
func (c *ManualClock) moveTo(target time.Time, exact bool) {
	for {
		c.mu.Lock()
		next := -1
		for i, p := range c.pending {
			if p.at.After(target) {
				continue
			}
			if next < 0 || p.at.Before(c.pending[next].at) || (p.at.Equal(c.pending[next].at) && p.seq < c.pending[next].seq) {
				next = i
			}
		}
		if next < 0 {
			if exact || target.After(c.now) {
				c.now = target
			}
			c.mu.Unlock()
			return
		}
		t := c.pending[next]
		c.pending = append(c.pending[:next], c.pending[next+1:]...)
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
	}
}
