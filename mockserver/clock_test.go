package mockserver

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

var clockStart = time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)

func TestManualClock(t *testing.T) {
	c := NewManualClock(clockStart)
	if !c.Now().Equal(clockStart) {
		t.Fatalf("Now = %v", c.Now())
	}
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+" at "+c.Now().Sub(clockStart).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	stopB := c.AfterFunc(2*time.Second, at("b"))
	c.AfterFunc(time.Second, at("a2")) // same due time: after a, scheduled first
	c.AfterFunc(time.Second, func() {
		// A function scheduled by a function runs in the same Advance when it is due by its end.
		c.AfterFunc(500*time.Millisecond, at("nested"))
		c.AfterFunc(time.Hour, at("late"))
	})
	if !stopB() || stopB() {
		t.Error("stop of a pending function: want true, then false")
	}
	c.Advance(0)
	if len(got) != 0 {
		t.Fatalf("Advance(0) ran %v", got)
	}
	c.Advance(2 * time.Second)
	want := []string{"a at 1s", "a2 at 1s", "nested at 1.5s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after 2s: %q, want %q", got, want)
	}
	if d := c.Now().Sub(clockStart); d != 2*time.Second {
		t.Errorf("Now after Advance(2s) = start+%s", d)
	}
	c.Advance(time.Second)
	if want = append(want, "c at 3s"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after 3s: %q, want %q", got, want)
	}

	// Set moves to a time, running what is due by then, and backwards too.
	c.Set(clockStart.Add(2 * time.Hour))
	if want = append(want, "late at 1h0m1s"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after Set: %q, want %q", got, want)
	}
	if !c.Now().Equal(clockStart.Add(2 * time.Hour)) {
		t.Errorf("Now after Set = %v", c.Now())
	}
	c.Set(clockStart)
	if !c.Now().Equal(clockStart) {
		t.Errorf("Now after Set backwards = %v", c.Now())
	}
}

// A function due now (d <= 0) is not run by AfterFunc itself, but by the next Advance.
func TestManualClock_dueNow(t *testing.T) {
	c := NewManualClock(clockStart)
	ran := false
	stop := c.AfterFunc(0, func() { ran = true })
	if ran {
		t.Fatal("AfterFunc(0) ran f itself")
	}
	c.Advance(0)
	if !ran || stop() {
		t.Errorf("AfterFunc(0): ran %v; stop after the run must answer false", ran)
	}
}

// Advance, Set, AfterFunc, stop and Now from many goroutines (go test -race): every
// function scheduled and not stopped runs exactly once.
func TestManualClockConcurrent(t *testing.T) {
	c := NewManualClock(clockStart)
	var mu sync.Mutex // guards runs and stopped
	runs, stopped := map[int]int{}, map[int]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				id := g*1000 + i
				stop := c.AfterFunc(time.Duration(i%7)*time.Millisecond, func() {
					mu.Lock()
					runs[id]++
					mu.Unlock()
				})
				if i%5 == 0 && stop() {
					mu.Lock()
					stopped[id] = true
					mu.Unlock()
				}
				c.Advance(time.Duration(i%3) * time.Millisecond)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	c.Advance(time.Second)
	mu.Lock()
	defer mu.Unlock()
	for g := 0; g < 8; g++ {
		for i := 0; i < 100; i++ {
			id := g*1000 + i
			if want := map[bool]int{false: 1, true: 0}[stopped[id]]; runs[id] != want {
				t.Errorf("function %d (stopped %v) ran %d times", id, stopped[id], runs[id])
			}
		}
	}
}
