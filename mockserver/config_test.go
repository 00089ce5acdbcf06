package mockserver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fullConfig = `{
  "timezone": "Asia/Kolkata",
  "tokenIdleTimeout": "30m",
  "unknownTopLevel": true,
  "users": [
    {"loginName": "admin", "password": "Admin@123", "admin": true, "firstName": "Ada", "lastName": "Min", "email": "a@x.org"},
    {"loginName": "alice", "password": "Alice@123", "resetPassword": false, "shoeSize": 7}
  ],
  "jobs": [
    {"id": 1, "name": "Export", "type": "QUERY", "duration": "1500ms", "startDelay": 2000000,
     "result": {"filename": "out.csv", "content": "a,${run_id}\n", "zip": true}, "recipients": ["alice"]},
    {"id": 2, "outcome": "FAILED", "message": "boom", "activityStatus": "Disabled", "repeatSchedule": "HOURLY"}
  ],
  "runs": [
    {"id": 40, "jobId": 1, "status": "SUCCEEDED", "startedAt": "2022-02-21T06:15:00Z", "finishedAt": "2022-02-21T06:16:00+00:00",
     "rtArgs": "x", "runBy": "alice", "result": {"filename": "r.bin", "contentBase64": "AAE="}},
    {"id": 41, "jobId": 2, "startedAt": "2022-02-22T00:00:00Z"}
  ],
  "faults": {"latency": "5ms", "errorRate": 0.1, "dropResponseRate": 0.2, "seed": 7}
}`

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timezone != "Asia/Kolkata" || cfg.TokenIdleTimeout != Duration(30*time.Minute) || len(cfg.Users) != 2 {
		t.Errorf("top level: %+v", cfg)
	}
	j1, j2 := cfg.Jobs[0], cfg.Jobs[1]
	if j1.Duration != Duration(1500*time.Millisecond) || j1.StartDelay != Duration(2*time.Millisecond) || !j1.Result.Zip ||
		j1.Outcome != "SUCCEEDED" || j1.ActivityStatus != "Active" || j1.RepeatSchedule != "ONDEMAND" || j1.CreatedBy != "admin" {
		t.Errorf("job 1: %+v", j1)
	}
	if j2.Name != "Job 2" || j2.Type != "QUERY" || j2.Outcome != "FAILED" || j2.ActivityStatus != "Disabled" {
		t.Errorf("job 2: %+v", j2)
	}
	if r := cfg.Runs[1]; r.Status != "IN_PROGRESS" || r.RunBy != "admin" {
		t.Errorf("run 41 defaults: %+v", r)
	}
	if u := cfg.Users[1]; u.FirstName != "Alice" || u.Email != "alice@example.org" {
		t.Errorf("user defaults: %+v", u)
	}
	if f := cfg.Faults; f.Latency != Duration(5*time.Millisecond) || f.ErrorRate != 0.1 || f.DropResponseRate != 0.2 || f.Seed != 7 {
		t.Errorf("faults: %+v", f)
	}
	// The parsed config runs.
	s := newTestServer(t, cfg)
	if runs := s.Runs(1); len(runs) != 1 || runs[0].ID != 40 || runs[0].RunBy != "alice" {
		t.Errorf("runs: %+v", runs)
	}
	// Defaults of an empty config.
	cfg, err = ParseConfig([]byte(`{}`))
	if err != nil || cfg.Timezone != "UTC" || cfg.TokenIdleTimeout != Duration(time.Hour) ||
		len(cfg.Users) != 1 || cfg.Users[0].LoginName != "admin" || cfg.Users[0].Password != "Admin@123" || !cfg.Users[0].Admin {
		t.Errorf("empty config: %+v %v", cfg, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"not JSON", `{`, "unexpected end"},
		{"bad timezone", `{"timezone": "Mars/Olympus"}`, "not an IANA time zone"},
		{"bad duration", `{"tokenIdleTimeout": "soon"}`, "invalid duration"},
		{"negative idle", `{"tokenIdleTimeout": "-1s"}`, "negative"},
		{"duplicate user", `{"users": [{"loginName":"a","password":"p"},{"loginName":"a","password":"q"}]}`, `duplicate loginName "a"`},
		{"no password", `{"users": [{"loginName":"a"}]}`, "password is empty"},
		{"duplicate job id", `{"jobs": [{"id":1},{"id":1}]}`, "duplicate job id 1"},
		{"zero job id", `{"jobs": [{"name":"x"}]}`, "id must be positive"},
		{"bad outcome", `{"jobs": [{"id":1,"outcome":"MAYBE"}]}`, `outcome "MAYBE"`},
		{"bad type", `{"jobs": [{"id":1,"type":"SQL"}]}`, `type "SQL"`},
		{"bad activity", `{"jobs": [{"id":1,"activityStatus":"Closed"}]}`, `activityStatus "Closed"`},
		{"bad schedule", `{"jobs": [{"id":1,"repeatSchedule":"YEARLY"}]}`, `repeatSchedule "YEARLY"`},
		{"hour out of range", `{"jobs": [{"id":1,"repeatSchedule":"DAILY","scheduledHour":24}]}`, "scheduledHour 24 is out of range"},
		{"bad day of week", `{"jobs": [{"id":1,"repeatSchedule":"WEEKLY","scheduledDayOfWeek":"MON"}]}`, `scheduledDayOfWeek SUNDAY..SATURDAY, not "MON"`},
		{"interval -1", `{"jobs": [{"id":1,"repeatSchedule":"MINUTELY","minutelyInterval":-1}]}`, "minutelyInterval -1 is out of range"},
		{"unknown saved query", `{"jobs": [{"id":1,"savedQueryId":4}]}`, "savedQueryId 4 is not a configured saved query"},
		{"duplicate saved query", `{"savedQueries": [{"id":4},{"id":4}]}`, "duplicate saved query id"},
		{"negative duration", `{"jobs": [{"id":1,"duration":"-1s"}]}`, "duration -1s is negative"},
		{"unknown creator", `{"jobs": [{"id":1,"createdBy":"zed"}]}`, `createdBy "zed"`},
		{"unknown recipient", `{"jobs": [{"id":1,"recipients":["zed"]}]}`, `recipient "zed"`},
		{"unknown sharedWith", `{"jobs": [{"id":1,"sharedWith":["zed"]}]}`, `sharedWith "zed"`},
		{"unknown runAs", `{"jobs": [{"id":1,"runAs":"zed"}]}`, `runAs "zed"`},
		{"result without name", `{"jobs": [{"id":1,"result":{"content":"x"}}]}`, "filename is empty"},
		{"result name with slash", `{"jobs": [{"id":1,"result":{"filename":"a/b"}}]}`, "slash"},
		{"two contents", `{"jobs": [{"id":1,"result":{"filename":"a","content":"x","generateBytes":5}}]}`, "only one"},
		{"bad base64", `{"jobs": [{"id":1,"result":{"filename":"a","contentBase64":"!!"}}]}`, "not base64"},
		{"duplicate run id", `{"jobs":[{"id":1}],"runs": [{"id":5,"jobId":1},{"id":5,"jobId":1}]}`, "duplicate run id 5"},
		{"run of unknown job", `{"runs": [{"id":5,"jobId":9}]}`, "jobId 9 is not a configured job"},
		{"bad run status", `{"jobs":[{"id":1}],"runs": [{"id":5,"jobId":1,"status":"DONE"}]}`, `status "DONE"`},
		{"in progress but finished", `{"jobs":[{"id":1}],"runs": [{"id":5,"jobId":1,"status":"IN_PROGRESS","finishedAt":"2022-01-01T00:00:00Z"}]}`, "no finishedAt"},
		{"finished before start", `{"jobs":[{"id":1}],"runs": [{"id":5,"jobId":1,"startedAt":"2022-01-02T00:00:00Z","finishedAt":"2022-01-01T00:00:00Z"}]}`, "before startedAt"},
		{"unknown runBy", `{"jobs":[{"id":1}],"runs": [{"id":5,"jobId":1,"runBy":"zed"}]}`, `runBy "zed"`},
		{"bad run date", `{"jobs":[{"id":1}],"runs": [{"id":5,"jobId":1,"startedAt":"yesterday"}]}`, "cannot parse"},
		{"bad error rate", `{"faults": {"errorRate": 1.5}}`, "errorRate 1.5"},
		{"bad drop rate", `{"faults": {"dropResponseRate": -0.1}}`, "dropResponseRate -0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
	// New validates a Config built in Go as ParseConfig does.
	if _, err := New(Config{Jobs: []JobConfig{{ID: 1, Outcome: "nope"}}}); err == nil {
		t.Error("New accepted a bad outcome")
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{`"1500ms"`: 1500 * time.Millisecond, `"60m"`: time.Hour, `2000`: 2000, `""`: 0, `1e3`: 1000} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("%s: %v %v", in, time.Duration(d), err)
		}
	}
	for _, in := range []string{`"5 parsecs"`, `true`, `[1]`} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	b, _ := json.Marshal(Duration(1500 * time.Millisecond))
	if string(b) != `"1.5s"` {
		t.Errorf("marshal: %s", b)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.json")
	if err := os.WriteFile(path, []byte(fullConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
	if err := os.WriteFile(path, []byte(`{"jobs":[{"id":1},{"id":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the file: %v", err)
	}
}

func TestDemoConfig(t *testing.T) {
	cfg := DemoConfig()
	if _, err := cfg.normalize(); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, cfg)
	tok := login(t, s, "alice", "Alice@123")
	login(t, s, "admin", "Admin@123")
	if runs := s.Runs(1); len(runs) < 2 {
		t.Errorf("demo history of job 1: %+v", runs)
	}
	var job map[string]any
	call(t, "GET", s.URL()+"/scheduled-jobs/3", tok, "").decode(t, &job)
	if job["activityStatus"] != "Disabled" {
		t.Errorf("job 3: %v", job)
	}
	call(t, "GET", s.URL()+"/scheduled-jobs/2", tok, "").decode(t, &job)
	if job["name"] != "Broken job" {
		t.Errorf("job 2: %v", job)
	}
	// The seeded runs of January 2024 are past the 30 days' file retention: purged.
	if r := call(t, "GET", s.URL()+"/scheduled-jobs/1/runs/2/result-file", tok, ""); r.status != 400 || r.apiCode() != codeFileNotFound {
		t.Errorf("demo result of 2024: %d %s, want it purged", r.status, r.body)
	}
	// On a clock the day after, its file is there.
	cfg.Clock = NewManualClock(time.Date(2024, 1, 17, 9, 0, 0, 0, time.UTC))
	s = newTestServer(t, cfg)
	r := call(t, "GET", s.URL()+"/scheduled-jobs/1/runs/2/result-file", "basic:alice:Alice@123", "")
	if got := unzipOne(t, r.body, "scheduled_query_1_2.csv"); !strings.Contains(got, `,"2","'--cp CP-HEART"`+"\n") {
		t.Errorf("demo result: %q", got)
	}
}
