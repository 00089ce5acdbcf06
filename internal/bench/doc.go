// Package bench measures the client and the provider against the in-process mock server:
// how soon a run's end is noticed and at what cost in requests, what a start costs, many runs
// through one client, the TCP connections they open, a large result file and a long run list.
//
// Each measure (Measures) makes one Markdown table of bench/README.md in a size: Full for
// make bench, Quick for a smoke run that make test runs (measure_test.go), so that no
// measure rots. The quick run checks that each measure runs and fills its table; timing is
// measured, never asserted. A measure that cannot count every run it started fails rather
// than print a short table.
//
// The mock models OpenSpecimen's pool of 5 threads that run triggered jobs. A measure whose
// cases run more jobs at once than that raises the mock's pool and says so in its title, or
// states the pool's bound beside what it measured.
package bench
