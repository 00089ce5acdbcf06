package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testDeadline bounds every wait for an event: far beyond what a loaded machine needs, it
// only turns a hang into a failure.
const testDeadline = 60 * time.Second

// lineWriter is a syncBuffer that also sends each write on lines.
type lineWriter struct {
	syncBuffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	w.lines <- string(p)
	return n, err
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout := &lineWriter{lines: make(chan string, 10)}
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"-listen", "127.0.0.1:0"}, stdout, &stderr) }()

	deadline := time.NewTimer(testDeadline)
	defer deadline.Stop()
	line := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+/openspecimen/rest/ng)\n$`)
	var url string
	select {
	case l := <-stdout.lines:
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("first line %q; stderr %q", l, stderr.String())
		}
		url = m[1]
	case c := <-code:
		t.Fatalf("run returned %d; stderr %q", c, stderr.String())
	case <-deadline.C:
		t.Fatalf("no listening line; stderr %q", stderr.String())
	}
	// The demo data set is served, at once.
	req, _ := http.NewRequest("GET", url+"/scheduled-jobs/1", nil)
	req.SetBasicAuth("alice", "Alice@123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"Specimen export"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d; stderr %s", c, stderr.String())
		}
	case <-deadline.C:
		t.Fatal("run did not return after cancel")
	}
	if n := strings.Count(stdout.String(), "\n"); n != 1 {
		t.Errorf("stdout has %d lines: %q", n, stdout.String())
	}
	if !strings.Contains(stderr.String(), "GET /openspecimen/rest/ng/scheduled-jobs/1 200") || strings.Contains(stderr.String(), "Alice@123") {
		t.Errorf("request log: %s", stderr.String())
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"jobs":[{"id":1,"outcome":"MAYBE"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"jobs":[{"id":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad flag", []string{"-nope"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"x"}, 2, "unexpected arguments"},
		{"bad line", []string{"-line", "oldest"}, 2, `-line "oldest": use newest or older`},
		{"missing config", []string{"-config", filepath.Join(dir, "none.json")}, 1, "no such file"},
		{"invalid config", []string{"-config", bad}, 1, `outcome "MAYBE"`},
		{"bad address", []string{"-config", good, "-listen", "127.0.0.1:99999"}, 1, "invalid port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			got := run(t.Context(), c.args, &stdout, &stderr)
			if got != c.code || !strings.Contains(stderr.String(), c.want) || stdout.String() != "" {
				t.Fatalf("code %d, stdout %q, stderr %q; want %d and %q", got, stdout.String(), stderr.String(), c.code, c.want)
			}
		})
	}
}

// startRun runs the command with args on a free port until the test ends, and answers its
// REST root.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	return startRunEnv(t, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
}

// -line overrides the configuration's line; without it the configuration's, else the newest,
// is served: the run list's date form tells them apart.
func TestRunLine(t *testing.T) {
	dir := t.TempDir()
	configs := map[string]string{}
	for _, line := range []string{"newest", "older"} {
		configs[line] = filepath.Join(dir, line+".json")
		if err := os.WriteFile(configs[line], []byte(`{"line":"`+line+`","jobs":[{"id":1}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "newest"},
		{[]string{"-line", "older"}, "older"},
		{[]string{"-config", configs["older"]}, "older"},
		{[]string{"-config", configs["older"], "-line", "newest"}, "newest"},
		{[]string{"-config", configs["newest"], "-line", "older"}, "older"},
	} {
		url := startRun(t, c.args...)
		got := map[bool]string{true: "older", false: "newest"}[listRunsStatus(t, url, "2024-01-01%2000:00") == 200]
		if got != c.want || listRunsStatus(t, url, "2024-01-01T00:00:00.000Z") != map[string]int{"newest": 200, "older": 400}[c.want] {
			t.Errorf("%v: serves the %s line, want %s", c.args, got, c.want)
		}
	}
}

// listRunsStatus answers the status of job 1's run list from fromDate.
func listRunsStatus(t *testing.T, url, fromDate string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/scheduled-jobs/1/runs?fromDate="+fromDate, nil)
	req.SetBasicAuth("admin", "Admin@123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A container is configured by its environment alone: each variable stands in for its flag,
// and a flag given wins over its variable.
func TestRunEnvironment(t *testing.T) {
	dir := t.TempDir()
	older := filepath.Join(dir, "older.json")
	if err := os.WriteFile(older, []byte(`{"line":"older","jobs":[{"id":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPENSPECIMEN_MOCK_LISTEN", "127.0.0.1:0")
	t.Setenv("OPENSPECIMEN_MOCK_CONFIG_JSON", `{"line":"older","jobs":[{"id":1,"name":"From the environment"}]}`)
	url := startRunEnv(t)
	if listRunsStatus(t, url, "2024-01-01%2000:00") != 200 {
		t.Errorf("OPENSPECIMEN_MOCK_CONFIG_JSON's older line is not served")
	}
	if body := getJob1(t, url); !strings.Contains(body, `"From the environment"`) {
		t.Errorf("job 1 is not the environment's: %s", body)
	}

	t.Setenv("OPENSPECIMEN_MOCK_LINE", "newest")
	if url := startRunEnv(t); listRunsStatus(t, url, "2024-01-01T00:00:00.000Z") != 200 {
		t.Errorf("OPENSPECIMEN_MOCK_LINE=newest is not served")
	}
	if url := startRunEnv(t, "-line", "older"); listRunsStatus(t, url, "2024-01-01%2000:00") != 200 {
		t.Errorf("-line older does not win over OPENSPECIMEN_MOCK_LINE")
	}

	t.Setenv("OPENSPECIMEN_MOCK_LINE", "")
	t.Setenv("OPENSPECIMEN_MOCK_CONFIG_JSON", "")
	t.Setenv("OPENSPECIMEN_MOCK_CONFIG", older)
	if url := startRunEnv(t); listRunsStatus(t, url, "2024-01-01%2000:00") != 200 {
		t.Errorf("OPENSPECIMEN_MOCK_CONFIG's older line is not served")
	}
}

// startRunEnv runs the command with args alone (the environment may give the rest) until
// the test ends, and answers its REST root.
func startRunEnv(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stdout := &lineWriter{lines: make(chan string, 10)}
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		<-code
	})
	deadline := time.NewTimer(testDeadline)
	defer deadline.Stop()
	select {
	case l := <-stdout.lines:
		return strings.TrimSuffix(strings.TrimPrefix(l, "listening on "), "\n")
	case c := <-code:
		t.Fatalf("run returned %d; stderr %q", c, stderr.String())
	case <-deadline.C:
		t.Fatalf("no listening line; stderr %q", stderr.String())
	}
	return ""
}

// getJob1 answers the body of job 1, read as admin.
func getJob1(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/scheduled-jobs/1", nil)
	req.SetBasicAuth("admin", "Admin@123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestRunEnvironmentErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"bad line", map[string]string{"OPENSPECIMEN_MOCK_LINE": "oldest"}, nil, 2, `-line "oldest": use newest or older`},
		{"file and JSON", map[string]string{"OPENSPECIMEN_MOCK_CONFIG_JSON": `{}`}, []string{"-config", "x.json"}, 2, "both set: use one"},
		{"invalid JSON", map[string]string{"OPENSPECIMEN_MOCK_CONFIG_JSON": `{"jobs":[{"id":1,"outcome":"MAYBE"}]}`}, nil, 1, `-config-json: `},
		{"bad address", map[string]string{"OPENSPECIMEN_MOCK_LISTEN": "127.0.0.1:99999"}, nil, 1, "invalid port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			var stdout, stderr syncBuffer
			got := run(t.Context(), c.args, &stdout, &stderr)
			if got != c.code || !strings.Contains(stderr.String(), c.want) || stdout.String() != "" {
				t.Fatalf("code %d, stdout %q, stderr %q; want %d and %q", got, stdout.String(), stderr.String(), c.code, c.want)
			}
		})
	}
}

func TestRunVersion(t *testing.T) {
	var stdout, stderr syncBuffer
	if code := run(t.Context(), []string{"-version"}, &stdout, &stderr); code != 0 || stdout.String() != "openspecimen-mockserver dev\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// The image's address, all interfaces (OPENSPECIMEN_MOCK_LISTEN=0.0.0.0:8080): the printed
// url names them ([::], or 0.0.0.0 without IPv6), and the server answers on the loopback address.
func TestRunListensOnAllInterfaces(t *testing.T) {
	t.Setenv("OPENSPECIMEN_MOCK_LISTEN", "0.0.0.0:0")
	url := startRunEnv(t)
	m := regexp.MustCompile(`^http://(?:\[::\]|0\.0\.0\.0):(\d+)/openspecimen/rest/ng$`).FindStringSubmatch(url)
	if m == nil {
		t.Fatalf("listening on %q, want all interfaces", url)
	}
	if body := getJob1(t, "http://127.0.0.1:"+m[1]+"/openspecimen/rest/ng"); !strings.Contains(body, `"Specimen export"`) {
		t.Fatalf("job 1 on the loopback address: %s", body)
	}
}
