package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Size picks the cases of a measure.
type Size int

// The sizes of Measure.Run.
const (
	Full  Size = iota // the cases of bench/README.md's tables (make bench)
	Quick             // the smallest case of each measure, in seconds (make test)
)

// Measure is one table of make bench.
type Measure struct {
	Name string // what -only of openspecimen-bench names it by
	Run  func(ctx context.Context, size Size) (*Table, error)
}

// Measures answers every measure, in the order of bench/README.md.
func Measures() []Measure {
	return []Measure{
		{"lag", lagTable},
		{"trigger", triggerTable},
		{"many", manyTable},
		{"conns", connsTable},
		{"file", fileTable},
		{"list", listTable},
	}
}

// Table is a measure's Markdown table: a title, a header row, rows of as many cells, and
// paragraphs below it.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string
}

func (t *Table) add(cells ...string) { t.Rows = append(t.Rows, cells) }

// Markdown writes the table under a second-level heading.
func (t *Table) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", t.Title)
	line := func(cells []string) { fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | ")) }
	line(t.Header)
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range t.Rows {
		line(r)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Machine describes where and when the measures run: the date, the platform, the CPUs,
// the Go version and the load average at the start (Linux; elsewhere unknown).
func Machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	load := "unknown"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			load = strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%s; %s/%s, %d CPUs (%s); %s; load average %s (1, 5, 15 min) at the start",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu,
		runtime.Version(), load)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
