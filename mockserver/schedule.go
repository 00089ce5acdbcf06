package mockserver

import (
	"fmt"
	"strings"
	"time"
)

// daysOfWeek are the server's scheduledDayOfWeek values, in time.Weekday order.
var daysOfWeek = []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}

// schedule is a job's repeatSchedule and the fields of the job's JSON that it reads.
type schedule struct {
	repeat           string
	hour, minute     *int
	dayOfWeek        string // "" when not set
	dayOfMonth       *int
	hourlyInterval   *int
	minutelyInterval *int
}

// uses says which fields each repeatSchedule reads: the others are cleared.
func (sc schedule) uses() (hour, minute, dayOfWeek, dayOfMonth, hourly, minutely bool) {
	switch sc.repeat {
	case "MINUTELY":
		minutely = true
	case "HOURLY":
		hourly, minute = true, true
	case "DAILY":
		hour, minute = true, true
	case "WEEKLY":
		hour, minute, dayOfWeek = true, true, true
	case "MONTHLY":
		hour, minute, dayOfMonth = true, true, true
	}
	return
}

// keepUsed clears the fields the schedule does not read.
func (sc *schedule) keepUsed() {
	hour, minute, dow, dom, hourly, minutely := sc.uses()
	if !hour {
		sc.hour = nil
	}
	if !minute {
		sc.minute = nil
	}
	if !dow {
		sc.dayOfWeek = ""
	}
	if !dom {
		sc.dayOfMonth = nil
	}
	if !hourly {
		sc.hourlyInterval = nil
	}
	if !minutely {
		sc.minutelyInterval = nil
	}
}

// defaultIntervals sets the interval the schedule reads, when it lacks it, to 1 (every
// minute or hour), as the server does.
func (sc *schedule) defaultIntervals() {
	_, _, _, _, hourly, minutely := sc.uses()
	one := 1
	if hourly && sc.hourlyInterval == nil {
		sc.hourlyInterval = &one
	}
	if minutely && sc.minutelyInterval == nil {
		sc.minutelyInterval = &one
	}
}

// applyDefaults fills the fields the schedule reads and lacks (a configured job's): every
// minute or hour, at midnight, on MONDAY, on the 1st; then clears the others.
func (sc *schedule) applyDefaults() {
	zero, one := 0, 1
	hour, minute, dow, dom, _, _ := sc.uses()
	def := func(use bool, p **int, v *int) {
		if use && *p == nil {
			*p = v
		}
	}
	def(hour, &sc.hour, &zero)
	def(minute, &sc.minute, &zero)
	def(dom, &sc.dayOfMonth, &one)
	sc.defaultIntervals()
	if dow && sc.dayOfWeek == "" {
		sc.dayOfWeek = "MONDAY"
	}
	sc.keepUsed()
}

// check answers what makes the schedule invalid, as ScheduledJobFactoryImpl.setRepeatSchedule
// finds it: a missing repeatSchedule, one the server does not know, or else each field the
// schedule reads that is missing or out of range, in the server's order (scheduledMinute,
// scheduledHour, scheduledDayOfWeek, scheduledDayOfMonth, hourlyInterval,
// minutelyInterval), one SCHEDULED_JOB_INVALID_SCHEDULED_TIME each: several are answered
// together. It answers nothing for a valid schedule.
func (sc schedule) check() []apiError {
	if sc.repeat == "" {
		return []apiError{{codeJobRepeatRequired, "repeatSchedule is required."}}
	}
	if !oneOf(sc.repeat, repeatSchedules) {
		return []apiError{{codeJobInvalidRepeat, fmt.Sprintf("repeatSchedule %q is not one of %s.", sc.repeat, strings.Join(repeatSchedules, ", "))}}
	}
	hour, minute, dow, dom, hourly, minutely := sc.uses()
	var errs []apiError
	for _, c := range []struct {
		use     bool
		problem func() string
	}{
		{minute, func() string { return sc.rangeProblem("scheduledMinute", sc.minute, 0, 59) }},
		{hour, func() string { return sc.rangeProblem("scheduledHour", sc.hour, 0, 23) }},
		{dow, func() string {
			if oneOf(sc.dayOfWeek, daysOfWeek) {
				return ""
			}
			return fmt.Sprintf("a WEEKLY schedule needs scheduledDayOfWeek SUNDAY..SATURDAY, not %q", sc.dayOfWeek)
		}},
		{dom, func() string { return sc.rangeProblem("scheduledDayOfMonth", sc.dayOfMonth, 1, 31) }},
		{hourly, func() string { return sc.rangeProblem("hourlyInterval", sc.hourlyInterval, 1, 1<<30) }},
		{minutely, func() string { return sc.rangeProblem("minutelyInterval", sc.minutelyInterval, 0, 1<<30) }}, // 0: every minute, as 1
	} {
		if !c.use {
			continue
		}
		if problem := c.problem(); problem != "" {
			errs = append(errs, apiError{codeJobInvalidTime, "Invalid schedule: " + problem + "."})
		}
	}
	return errs
}

// rangeProblem says what is wrong with the schedule's field name, v, that must be within
// min..max: missing, or out of range; "" when nothing is.
func (sc schedule) rangeProblem(name string, v *int, low, high int) string {
	switch {
	case v == nil:
		return fmt.Sprintf("a %s schedule needs %s", sc.repeat, name)
	case *v < low || *v > high:
		return fmt.Sprintf("%s %d is out of range for a %s schedule", name, *v, sc.repeat)
	}
	return ""
}

// schedule answers the job's schedule.
func (j *JobConfig) schedule() schedule {
	return schedule{repeat: j.RepeatSchedule, hour: j.ScheduledHour, minute: j.ScheduledMinute,
		dayOfWeek: j.ScheduledDayOfWeek, dayOfMonth: j.ScheduledDayOfMonth,
		hourlyInterval: j.HourlyInterval, minutelyInterval: j.MinutelyInterval}
}

// setSchedule sets the job's schedule fields from sc.
func (j *JobConfig) setSchedule(sc schedule) {
	j.RepeatSchedule = sc.repeat
	j.ScheduledHour, j.ScheduledMinute = sc.hour, sc.minute
	j.ScheduledDayOfWeek, j.ScheduledDayOfMonth = sc.dayOfWeek, sc.dayOfMonth
	j.HourlyInterval, j.MinutelyInterval = sc.hourlyInterval, sc.minutelyInterval
}

// next answers the schedule's first instant after now, and not before start when set, in
// loc. The interval schedules (MINUTELY, HOURLY) count from anchor (when the job was
// created or last replaced) or start when later. ONDEMAND and an invalid schedule have none.
func (sc schedule) next(anchor time.Time, start *time.Time, now time.Time, loc *time.Location) (time.Time, bool) {
	if len(sc.check()) > 0 {
		return time.Time{}, false
	}
	after := now
	if start != nil && start.After(now) {
		after = start.Add(-time.Nanosecond)
		anchor = *start
	}
	t := after.In(loc)
	y, m, d := t.Date()
	switch sc.repeat {
	case "MINUTELY":
		every := max(*sc.minutelyInterval, 1) // the server's nextRunOn takes 0 as 1
		return stepAfter(anchor.Truncate(time.Minute), time.Duration(every)*time.Minute, after), true
	case "HOURLY":
		return stepAfter(firstAtMinute(anchor, *sc.minute, loc), time.Duration(*sc.hourlyInterval)*time.Hour, after), true
	case "DAILY":
		return sc.dayAfter(after, func(i int) time.Time { return time.Date(y, m, d+i, *sc.hour, *sc.minute, 0, 0, loc) }), true
	case "WEEKLY":
		days := (indexOf(daysOfWeek, sc.dayOfWeek) - int(t.Weekday()) + 7) % 7
		return sc.dayAfter(after, func(i int) time.Time { return time.Date(y, m, d+days+7*i, *sc.hour, *sc.minute, 0, 0, loc) }), true
	case "MONTHLY":
		return sc.monthlyAfter(t, loc), true
	}
	return time.Time{}, false
}

// monthlyAfter answers the next monthly run after t as the server's getNextMonthlyOccurence
// computes it (java.util.Calendar): a day of month the month lacks rolls over into the next
// (day 31 seen from February 1st is March 3rd, March 2nd in a leap year), except on the day
// itself once its time has passed, when a month is added, which stops at the month's last
// day (day 31 seen from January 31st, 23:00, is February's last day).
func (sc schedule) monthlyAfter(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	dom := *sc.dayOfMonth
	on := func(month time.Month, day int) time.Time {
		return time.Date(y, month, day, *sc.hour, *sc.minute, 0, 0, loc)
	}
	switch {
	case d < dom:
		return on(m, dom)
	case d > dom:
		return on(m+1, dom)
	case on(m, dom).After(t):
		return on(m, dom)
	}
	last := time.Date(y, m+2, 0, 0, 0, 0, 0, loc).Day()
	return on(m+1, min(dom, last))
}

// dayAfter answers the first of candidate(0), candidate(1) that is after after.
func (sc schedule) dayAfter(after time.Time, candidate func(i int) time.Time) time.Time {
	if c := candidate(0); c.After(after) {
		return c
	}
	return candidate(1)
}

// stepAfter answers the first of base, base+step, base+2·step... after after.
func stepAfter(base time.Time, step time.Duration, after time.Time) time.Time {
	if base.After(after) {
		return base
	}
	steps := after.Sub(base)/step + 1 // a count of steps, not a duration
	return base.Add(time.Duration(int64(steps) * int64(step)))
}

// firstAtMinute answers the first instant at or after t at minute past an hour, in loc.
func firstAtMinute(t time.Time, minute int, loc *time.Location) time.Time {
	l := t.In(loc)
	c := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), minute, 0, 0, loc)
	if c.Before(t) {
		c = c.Add(time.Hour)
	}
	return c
}

func indexOf(values []string, v string) int {
	for i, x := range values {
		if x == v {
			return i
		}
	}
	return -1
}

// nextFireLocked answers when the mock next triggers the job on its own: never for a job
// the server does not schedule (not Active, or a QUERY job whose saved query is deleted:
// runJob's isActiveJob); on the older line not before its startDate nor after its endDate,
// on the newest line whatever its dates (isActiveJob has no date check there). s.mu must be
// held.
func (s *Server) nextFireLocked(j *job, now time.Time) (time.Time, bool) {
	if !j.enabled() {
		return time.Time{}, false
	}
	var start *time.Time
	if s.line == LineOlder {
		start = j.cfg.StartDate
	}
	next, ok := j.cfg.schedule().next(j.anchor, start, now, s.loc)
	if !ok || (s.line == LineOlder && j.cfg.EndDate != nil && next.After(*j.cfg.EndDate)) {
		return time.Time{}, false
	}
	return next, true
}

// nextRunOn answers the job's nextRunOn as the server's JSON has it at now
// (ScheduledJob.getNextRunOn, called by ScheduledJobDetail.from): the next occurrence from
// now, whatever the job's status and dates, in loc, keeping now's seconds and milliseconds
// (a java.util.Calendar of now whose hour and minute are set); none for ONDEMAND. MINUTELY
// is now plus the interval (0 as 1); HOURLY this hour's scheduledMinute, plus the interval
// when that minute has come. It is not when the mock fires the job (nextFireLocked), whose
// instants are whole minutes.
func (sc schedule) nextRunOn(now time.Time, loc *time.Location) (time.Time, bool) {
	if len(sc.check()) > 0 {
		return time.Time{}, false
	}
	t := now.In(loc).Truncate(time.Millisecond)
	keepSeconds := func(at time.Time) time.Time {
		return time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), t.Second(), t.Nanosecond(), loc)
	}
	switch sc.repeat {
	case "MINUTELY":
		return t.Add(time.Duration(max(*sc.minutelyInterval, 1)) * time.Minute), true
	case "HOURLY":
		hour := t.Hour()
		if t.Minute() >= *sc.minute {
			hour += *sc.hourlyInterval
		}
		return time.Date(t.Year(), t.Month(), t.Day(), hour, *sc.minute, t.Second(), t.Nanosecond(), loc), true
	case "ONDEMAND":
		return time.Time{}, false
	}
	at, ok := sc.next(now, nil, now, loc) // DAILY, WEEKLY, MONTHLY: the same day and minute
	return keepSeconds(at), ok
}

// scheduleLocked sets the job's next scheduled trigger on the clock, in place of the one
// set before, which it stops. s.mu must be held.
func (s *Server) scheduleLocked(j *job) {
	if j.nextTimer != nil {
		s.stopTimerLocked(j.nextTimer)
		j.nextTimer = nil
	}
	j.scheduled++
	gen := j.scheduled
	now := s.clock.Now()
	next, ok := s.nextFireLocked(j, now)
	if !ok {
		return
	}
	j.nextTimer = s.afterFuncLocked(next.Sub(now), func() func() { return s.fireSchedule(j, gen) })
}

// fireSchedule triggers the job as the server's scheduler does when its nextRunOn comes,
// unless another schedule has replaced this one (gen): through the queue, without args, as
// its runAs user or else the system user, never its creator (ScheduledTaskManagerImpl
// schedules as getSystemUser(), which only runAs replaces). Then it sets the next trigger.
// It answers the hook calls to make.
func (s *Server) fireSchedule(j *job, gen int) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != j.scheduled {
		return nil
	}
	u := j.runAs
	if u == nil {
		u = s.system
	}
	ev := s.enqueueLocked(u, j, nil)
	ev = append(ev, s.dispatchLocked()...)
	s.scheduleLocked(j)
	return ev.call
}
