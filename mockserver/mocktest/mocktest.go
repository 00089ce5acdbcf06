package mocktest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// New starts a mock server from cfg and closes it when the test ends. An invalid cfg
// fails the test.
func New(t testing.TB, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	s, err := mockserver.New(cfg)
	if err != nil {
		t.Fatalf("starting the mock server: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Login logs in to s as user with password (POST /sessions, domain openspecimen) and
// answers the session token. An answer without a token fails the test.
func Login(t testing.TB, s *mockserver.Server, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"loginName": user, "password": password, "domainName": "openspecimen"})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/sessions", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	var out struct {
		Token string `json:"token"`
	}
	if err == nil {
		err = json.Unmarshal(answer, &out)
	}
	if err != nil || resp.StatusCode != http.StatusOK || out.Token == "" {
		t.Fatalf("login as %s answered %s %s without a token (%v)", user, resp.Status, answer, err)
	}
	return out.Token
}

// LockedBuffer collects output written concurrently, such as a child process's stdout and
// stderr, while the test reads it. The zero value is empty and ready to use.
type LockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

// Write appends p.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String answers everything written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Time parses an RFC 3339 time for a test's seeded runs, failing the test on a bad one.
func Time(t testing.TB, s string) *time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("mocktest.Time(%q): %v", s, err)
	}
	return &v
}

// Within waits for a value from ch, failing the test after a minute: the bound only turns
// a hang into a failure, the test waits on the event.
func Within[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
