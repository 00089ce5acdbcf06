package mocktest_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// fatalTB stands for the test in a helper call and records the helper's Fatalf instead of
// failing the test, ending the helper's goroutine as Fatalf does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatalOf runs a helper call and answers the message it failed with, or "".
func fatalOf(t *testing.T, call func(tb testing.TB)) string {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		call(f)
	}()
	<-done
	return f.msg
}

// get sends GET path (relative to the REST root) with a token, or Basic credentials
// "user:password", and answers the status and body.
func get(t *testing.T, s *mockserver.Server, path, token, basic string) (int, string, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-OS-API-TOKEN", token)
	}
	if user, password, ok := strings.Cut(basic, ":"); ok {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func TestNew(t *testing.T) {
	var s *mockserver.Server
	t.Run("serving", func(t *testing.T) {
		s = mocktest.New(t, mockserver.Config{Jobs: []mockserver.JobConfig{{ID: 1, Name: "Export"}}})
		if status, body, err := get(t, s, "/scheduled-jobs/1", "", "admin:Admin@123"); err != nil || status != 200 || !strings.Contains(body, `"Export"`) {
			t.Fatalf("GET job: %d %s %v", status, body, err)
		}
	})
	// The test is over: its server is closed.
	if _, _, err := get(t, s, "/scheduled-jobs/1", "", "admin:Admin@123"); err == nil {
		t.Fatal("the server answers after its test ended")
	}
	msg := fatalOf(t, func(tb testing.TB) { mocktest.New(tb, mockserver.Config{Jobs: []mockserver.JobConfig{{ID: -1}}}) })
	if !strings.Contains(msg, "starting the mock server") || !strings.Contains(msg, "id must be positive") {
		t.Fatalf("invalid configuration: %q", msg)
	}
}

func TestLogin(t *testing.T) {
	s := mocktest.New(t, mockserver.Config{Users: []mockserver.UserConfig{
		{LoginName: "admin", Password: "Admin@123", Admin: true},
		{LoginName: "alice", Password: "Alice@123"},
		{LoginName: "carol", Password: "Carol@123", ResetPassword: true},
	}})
	token := mocktest.Login(t, s, "alice", "Alice@123")
	status, body, err := get(t, s, "/users/current-user", token, "")
	if err != nil || status != 200 || !strings.Contains(body, `"loginName":"alice"`) {
		t.Fatalf("the token's user: %d %s %v", status, body, err)
	}
	if n := s.LoginCount(); n != 1 {
		t.Fatalf("%d logins, want 1", n)
	}
	for _, tc := range []struct{ user, password, want string }{
		{"alice", "wrong", "AUTH_INVALID_CREDENTIALS"},
		{"carol", "Carol@123", "resetPasswordToken"},
	} {
		msg := fatalOf(t, func(tb testing.TB) { mocktest.Login(tb, s, tc.user, tc.password) })
		if !strings.Contains(msg, "login as "+tc.user) || !strings.Contains(msg, "without a token") || !strings.Contains(msg, tc.want) {
			t.Errorf("login as %s: %q, want a failure naming %s", tc.user, msg, tc.want)
		}
	}
	s.Stop()
	if msg := fatalOf(t, func(tb testing.TB) { mocktest.Login(tb, s, "alice", "Alice@123") }); !strings.Contains(msg, "login as alice") {
		t.Errorf("login to a stopped server: %q", msg)
	}
}

func TestLockedBuffer(t *testing.T) {
	var b mocktest.LockedBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 100 {
				_, _ = b.Write([]byte("ab"))
			}
		}()
		go func() {
			defer wg.Done()
			for range 100 {
				if s := b.String(); len(s)%2 != 0 {
					t.Errorf("a write was cut: %d bytes", len(s))
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("ab", 800) {
		t.Fatalf("%d bytes, want 1600", len(got))
	}
}
