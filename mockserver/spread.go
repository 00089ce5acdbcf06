package mockserver

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// SpreadConfig makes a job's triggered runs last unevenly, as real exports do: a run lasts
// the job's Duration × (1 + u), u uniform in [-Jitter, Jitter], or OutlierDuration for a
// share OutlierRate of runs. The lengths come from the job's own random source seeded with
// Seed, so a job's n-th triggered run has the same length every time, whatever other jobs do.
type SpreadConfig struct {
	Jitter          float64  `json:"jitter"`          // 0 ≤ Jitter < 1
	OutlierRate     float64  `json:"outlierRate"`     // 0 ≤ OutlierRate ≤ 1
	OutlierDuration Duration `json:"outlierDuration"` // required when OutlierRate > 0
	Seed            uint64   `json:"seed"`
}

// validate reports a spread the lengths cannot be drawn from.
func (sc *SpreadConfig) validate() error {
	switch {
	case sc == nil:
		return nil
	case sc.Jitter < 0 || sc.Jitter >= 1:
		return fmt.Errorf("jitter %v is not in [0, 1)", sc.Jitter)
	case sc.OutlierRate < 0 || sc.OutlierRate > 1:
		return fmt.Errorf("outlierRate %v is not in [0, 1]", sc.OutlierRate)
	case sc.OutlierDuration < 0:
		return fmt.Errorf("outlierDuration %s is negative", sc.OutlierDuration)
	case sc.OutlierRate > 0 && sc.OutlierDuration == 0:
		return fmt.Errorf("outlierRate %v needs an outlierDuration", sc.OutlierRate)
	}
	return nil
}

// runLengths draws the lengths of a job's triggered runs, in order.
type runLengths struct {
	base   time.Duration
	spread *SpreadConfig // nil: every run lasts base
	rng    *rand.Rand
}

func newRunLengths(j JobConfig) *runLengths {
	l := &runLengths{base: time.Duration(j.Duration), spread: j.Spread}
	if j.Spread != nil {
		l.rng = rand.New(rand.NewPCG(j.Spread.Seed, j.Spread.Seed^0x9e3779b97f4a7c15))
	}
	return l
}

// next answers the length of the next run.
func (l *runLengths) next() time.Duration {
	if l.spread == nil {
		return l.base
	}
	u := l.rng.Float64()
	if l.spread.OutlierRate > 0 && l.rng.Float64() < l.spread.OutlierRate {
		return time.Duration(l.spread.OutlierDuration)
	}
	return time.Duration(float64(l.base) * (1 + l.spread.Jitter*(2*u-1)))
}

// RunLengths answers how long the first n runs triggered on a server with this job
// configuration last, in order (for a benchmark's or a test's expectations, or to seed a
// history drawn like the runs to come, with another seed).
func (j JobConfig) RunLengths(n int) []time.Duration {
	l := newRunLengths(j)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = l.next()
	}
	return out
}
