package client

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The types read the server's JSON as it writes it, and answer what the client and the
// provider ask of them.
func TestTypes(t *testing.T) {
	if !(&Job{}).Active() || !(&Job{ActivityStatus: "ACTIVE"}).Active() || (&Job{ActivityStatus: "Disabled"}).Active() {
		t.Fatal("Active")
	}
	yes, no, now := true, false, envStart
	if (&Job{ActivityStatus: "Active", IsActiveJob: &yes}).InactiveReason(now) != "" ||
		!strings.Contains((&Job{ActivityStatus: "Active", IsActiveJob: &no}).InactiveReason(now), "saved-query job whose query was deleted") ||
		(&Job{ActivityStatus: "Disabled", IsActiveJob: &no}).InactiveReason(now) != "it is Disabled" {
		t.Fatal("InactiveReason: isActiveJob false makes a job inactive, a disabled one is named so")
	}
	if !(&Job{ActivityStatus: "DISABLED"}).Disabled() || (&Job{}).Disabled() {
		t.Fatal("Disabled")
	}
	file := "/var/os/exports/x.csv.zip"
	for _, r := range []Run{{Status: StatusInProgress, LogFilePath: &file}, {Status: StatusSucceeded}, {Status: StatusFailed, LogFilePath: new(string)}} {
		if r.HasResultFile() {
			t.Fatalf("run %+v has a result file", r)
		}
	}
	if !(&Run{Status: StatusSucceeded, LogFilePath: &file}).HasResultFile() {
		t.Fatal("HasResultFile")
	}
	if !StatusFailed.Finished() || StatusInProgress.Finished() || RunStatus("X").Finished() {
		t.Fatal("Finished")
	}
	if s, err := ParseRunStatus(" succeeded"); err != nil || s != StatusSucceeded {
		t.Fatal(s, err)
	}
	if _, err := ParseRunStatus("STOPPED"); err == nil {
		t.Fatal("STOPPED accepted")
	}
	var r Run
	if err := json.Unmarshal([]byte(`{"id":1,"jobId":2,"status":"FAILED","startedAt":1700000000123,"finishedAt":null,
		"rtArgs":null,"message":"boom","runBy":{"loginName":"bob"},"extra":{"x":1}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Args() != "" || r.MessageText() != "boom" || r.RunByLogin() != "bob" || r.FinishedAt != nil ||
		r.StartedAt.UnixMilli() != 1700000000123 || r.StartedAt.Location() != time.UTC {
		t.Fatalf("%+v", r)
	}
	if (&Run{}).RunByLogin() != "" {
		t.Fatal("RunByLogin")
	}
	var em EpochMillis
	for in, want := range map[string]int64{`"1700000000000"`: 1700000000000, `1.7e12`: 1700000000000, `null`: 0} {
		em = EpochMillis{}
		if err := json.Unmarshal([]byte(in), &em); err != nil || (want != 0 && em.UnixMilli() != want) {
			t.Fatalf("%s: %v %v", in, em, err)
		}
	}
	for _, in := range []string{`"x"`, `true`, `1e300`, `"`} {
		if err := em.UnmarshalJSON([]byte(in)); err == nil {
			t.Fatalf("%s accepted", in)
		}
	}
	b, _ := json.Marshal(EpochMillis{time.UnixMilli(42)})
	if string(b) != "42" {
		t.Fatal(string(b))
	}
}

// InactiveReason names the reason that applies, from what the job's JSON says: deleted
// (disabled and renamed), disabled, its end date passed or start date to come (the older
// line), its saved query gone; the generic reasons only when none of them shows.
func TestJobInactiveReason(t *testing.T) {
	no, now := false, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(s string) *EpochMillis { v, _ := time.Parse(time.RFC3339, s); return &EpochMillis{v} }
	for want, j := range map[string]Job{
		`it was deleted in OpenSpecimen (disabled and renamed "Export_1700000000000")`: {Name: "Export_1700000000000",
			ActivityStatus: "Disabled", IsActiveJob: &no},
		"it is Disabled": {Name: "Export_2024", ActivityStatus: "Disabled"},
		"its end date, 2024-05-31T00:00:00Z, has passed": {ActivityStatus: "Active", IsActiveJob: &no,
			StartDate: at("2024-01-01T00:00:00Z"), EndDate: at("2024-05-31T00:00:00Z")},
		"its start date, 2024-07-01T00:00:00Z, is still to come": {ActivityStatus: "Active", IsActiveJob: &no,
			StartDate: at("2024-07-01T00:00:00Z")},
		"it exports no saved query: its query was deleted": {ActivityStatus: "Active", IsActiveJob: &no, Type: "QUERY"},
		"a saved-query job whose query was deleted, or a job outside its start and end dates": {ActivityStatus: "Active",
			IsActiveJob: &no, Type: "QUERY", SavedQuery: &SavedQuery{ID: 4}, StartDate: at("2024-01-01T00:00:00Z")},
	} {
		if got := j.InactiveReason(now); !strings.Contains(got, want) {
			t.Errorf("%+v: %q, want %q", j, got, want)
		}
	}
}
