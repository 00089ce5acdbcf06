package bench

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the result-file measure run this test binary as its child process.
func TestMain(m *testing.M) {
	if IsChild() {
		os.Exit(RunChild())
	}
	os.Exit(m.Run())
}

// Each measure runs in its Quick size and fills its table: a row at least, every row as
// wide as the header, and the Markdown that make bench prints. What it measured is not
// checked: timing and the request counts that depend on it are make bench's.
func TestMeasuresQuick(t *testing.T) {
	for _, m := range Measures() {
		t.Run(m.Name, func(t *testing.T) {
			tab, err := m.Run(t.Context(), Quick)
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) == 0 {
				t.Fatalf("table %q has no rows", tab.Title)
			}
			for _, r := range tab.Rows {
				if len(r) != len(tab.Header) {
					t.Fatalf("row %q has %d cells, the header %d", r, len(r), len(tab.Header))
				}
			}
			var b strings.Builder
			if err := tab.Markdown(&b); err != nil {
				t.Fatal(err)
			}
			if want := 4 + len(tab.Rows); strings.Count(b.String(), "\n") < want {
				t.Fatalf("Markdown has fewer than %d lines:\n%s", want, b.String())
			}
			t.Logf("\n%s", b.String())
		})
	}
}
