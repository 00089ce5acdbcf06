package mockserver

import (
	"strings"
	"testing"
	"time"
)

func TestSpreadConfigErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"jobs": [{"id":1,"spread":{"jitter":1}}]}`, "jitter 1 is not in [0, 1)"},
		{`{"jobs": [{"id":1,"spread":{"jitter":-0.1}}]}`, "jitter -0.1"},
		{`{"jobs": [{"id":1,"spread":{"outlierRate":2,"outlierDuration":"1m"}}]}`, "outlierRate 2"},
		{`{"jobs": [{"id":1,"spread":{"outlierRate":0.1}}]}`, "needs an outlierDuration"},
		{`{"jobs": [{"id":1,"spread":{"outlierDuration":"-1s"}}]}`, "outlierDuration -1s is negative"},
	}
	for _, c := range cases {
		if _, err := ParseConfig([]byte(c.json)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.json, err, c.want)
		}
	}
}

func TestRunLengths(t *testing.T) {
	even := JobConfig{ID: 1, Duration: Duration(time.Second)}
	for _, d := range even.RunLengths(3) {
		if d != time.Second {
			t.Fatalf("no spread: %v", even.RunLengths(3))
		}
	}
	uneven := JobConfig{ID: 1, Duration: Duration(10 * time.Second),
		Spread: &SpreadConfig{Jitter: 0.5, OutlierRate: 0.2, OutlierDuration: Duration(time.Hour), Seed: 7}}
	lengths := uneven.RunLengths(200)
	outliers := 0
	for _, d := range lengths {
		switch {
		case d == time.Hour:
			outliers++
		case d < 5*time.Second || d > 15*time.Second:
			t.Fatalf("length %s outside 10s ± 50%%", d)
		}
	}
	if outliers < 20 || outliers > 60 {
		t.Errorf("%d outliers in 200 runs at a rate of 0.2", outliers)
	}
	again := uneven.RunLengths(200)
	for i := range lengths {
		if again[i] != lengths[i] {
			t.Fatal("the same seed drew other lengths")
		}
	}
}

// Triggered runs last the lengths RunLengths answers, in order, on the server's clock.
func TestTriggeredRunsFollowTheSpread(t *testing.T) {
	jc := JobConfig{ID: 1, Duration: Duration(time.Minute), Spread: &SpreadConfig{Jitter: 0.3, OutlierRate: 0.3, OutlierDuration: Duration(time.Hour), Seed: 3}}
	s, clock := newManualServer(t, Config{Jobs: []JobConfig{jc}})
	want := jc.RunLengths(5)
	for i, length := range want {
		r, err := s.StartRunAs("admin", 1, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(length - time.Millisecond)
		if got := s.Runs(1)[0]; got.ID != r.ID || got.Status != StatusInProgress {
			t.Fatalf("run %d: %+v before its length %s", i, got, length)
		}
		clock.Advance(time.Millisecond)
		got := s.Runs(1)[0]
		if got.Status != StatusSucceeded || got.FinishedAt.Sub(got.StartedAt) != length {
			t.Fatalf("run %d: %+v, want it to last %s", i, got, length)
		}
	}
}
