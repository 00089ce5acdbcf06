// Command openspecimen-bench measures the client and the provider against the in-process
// mock server and prints the Markdown tables of bench/README.md (make bench). -quick runs a
// short smoke version.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/bench"
)

func main() {
	var (
		child, url, out, token string
		quick                  bool
		only                   string
		fileSize               int64
	)
	flag.StringVar(&child, "child", "", "internal: run as the child process of the result-file test (download|get)")
	flag.StringVar(&url, "url", "", "internal")
	flag.StringVar(&out, "out", "", "internal")
	flag.StringVar(&token, "token", "", "internal")
	flag.BoolVar(&quick, "quick", false, "a short smoke run (1 s and 10 s jobs only, fewer samples, 64 MiB file)")
	flag.StringVar(&only, "only", "lag,trigger,many,conns,file,list", "comma-separated parts to run")
	flag.Int64Var(&fileSize, "file-size", 512<<20, "size of the generated result file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	switch child {
	case "download":
		if err := bench.ChildDownload(ctx, url, out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bench.ReportOwnPeak()
		return
	case "get":
		if err := bench.ChildGet(ctx, url, token, out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bench.ReportOwnPeak()
		return
	}
	if quick && fileSize == 512<<20 {
		fileSize = 64 << 20
	}
	parts := map[string]bool{}
	for _, p := range strings.Split(only, ",") {
		parts[strings.TrimSpace(p)] = true
	}
	if err := run(ctx, parts, quick, fileSize); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, parts map[string]bool, quick bool, fileSize int64) error {
	start := time.Now()
	fmt.Printf("openspecimen-bench: %s, in-process mock on 127.0.0.1\n\n", time.Now().UTC().Format(time.RFC3339))
	steps := []struct {
		part string
		run  func() error
	}{
		{"lag", func() error { return printLag(ctx, quick) }},
		{"trigger", func() error { return printTrigger(ctx) }},
		{"many", func() error { return printMany(ctx) }},
		{"conns", func() error { return printConns(ctx) }},
		{"file", func() error { return printFile(ctx, fileSize) }},
		{"list", func() error { return printList(ctx) }},
	}
	for _, step := range steps {
		if !parts[step.part] {
			continue
		}
		if err := step.run(); err != nil {
			return err
		}
	}
	fmt.Printf("total time: %s\n", time.Since(start).Round(time.Second))
	return nil
}

func printLag(ctx context.Context, quick bool) error {
	fmt.Println("## Completion detection (all cases at once, each job its own client)")
	fmt.Println()
	fmt.Println("| job's run lengths | waiter | runs | lag median | lag p95 | lag max | GETs of the run per run (mean / max) | run-list GETs per run |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	res, err := bench.MeasureLag(ctx, bench.LagCases(quick))
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Printf("| %s | %s | %d | %s | %s | %s | %.1f / %.0f | %.1f |\n", r.Name, r.Mode, r.N,
			ms(r.Median), ms(r.P95), ms(r.Max), r.MeanReads, r.MaxReads, r.MeanLists)
		for _, e := range r.Errors {
			fmt.Printf("|   | error: %v |\n", e)
		}
	}
	fmt.Println()
	return nil
}

func printTrigger(ctx context.Context) error {
	fmt.Println("## Trigger overhead (StartRun, logged in, job idle; median of 20 through one client)")
	fmt.Println()
	fmt.Println("| mock latency | start delay | RTT (GET job) | StartRun median | max | requests | overhead past the start delay |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, c := range []struct{ lat, delay time.Duration }{
		{0, 0}, {20 * time.Millisecond, 0}, {50 * time.Millisecond, 0},
		{20 * time.Millisecond, 5 * time.Millisecond}, {20 * time.Millisecond, 300 * time.Millisecond},
	} {
		r, err := bench.MeasureTrigger(ctx, c.lat, c.delay, 20)
		if err != nil {
			return err
		}
		overhead := fmt.Sprintf("%.1f RTT (3 RTT %+.1f ms)", r.Overhead(), float64(r.Median-r.StartDelay-3*r.RTT)/float64(time.Millisecond))
		if r.RTT < time.Millisecond {
			overhead = "n/a (RTT under 1 ms: processing time dominates)"
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %.1f | %s |\n", c.lat, c.delay, ms(r.RTT), ms(r.Median), ms(r.Max), r.Requests, overhead)
	}
	fmt.Println()
	return nil
}

func printMany(ctx context.Context) error {
	n, jobsN, length := 100, 20, time.Second
	fmt.Printf("## %d runs at once over %d jobs of %s (3 runs of history each), one client\n\n", n, jobsN, length)
	r, err := bench.MeasureMany(ctx, n, jobsN, length)
	if err != nil {
		return err
	}
	fmt.Println("| wall time | logins | triggers | runs created | GETs of a run | run-list GETs | all reads per run |")
	fmt.Println("|---|---|---|---|---|---|---|")
	fmt.Printf("| %s | %d | %d | %d | %d (%.1f per run) | %d (%.1f per run) | %.1f |\n\n", r.Wall.Round(time.Millisecond), r.Logins, r.Triggers,
		r.RunsCreated, r.RunReads, float64(r.RunReads)/float64(n), r.ListReads, float64(r.ListReads)/float64(n),
		float64(r.RunReads+r.ListReads)/float64(n))
	return nil
}

func printConns(ctx context.Context) error {
	const perWorker = 5
	fmt.Printf("## TCP connections per request (%d resources per worker: StartRun, WaitForRun of 100 ms; one client)\n\n", perWorker)
	fmt.Println("| transport | parallelism | resources | requests | connections opened | per request |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, p := range []int{10, 50} {
		for _, tr := range []string{bench.TransportClient, bench.TransportDefault} {
			r, err := bench.MeasureConns(ctx, tr, p, perWorker*p)
			if err != nil {
				return err
			}
			fmt.Printf("| %s | %d | %d | %d | %d | %.2f |\n", r.Transport, r.Parallelism, r.Resources, r.Requests, r.Conns, r.PerRequest())
		}
	}
	fmt.Println()
	return nil
}

func printFile(ctx context.Context, fileSize int64) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	const rounds = 5
	fmt.Printf("## Result file of %d MiB to output_path (child processes, best of %d each)\n\n", fileSize>>20, rounds)
	r, err := bench.MeasureResultFile(ctx, self, fileSize, rounds)
	if err != nil {
		return err
	}
	fmt.Println("| downloader | time | throughput | peak RSS |")
	fmt.Println("|---|---|---|---|")
	for _, d := range []bench.Download{r.Provider, r.Baseline} {
		fmt.Printf("| %s | %s | %.0f MiB/s | %.1f MiB |\n", d.Who, d.Elapsed.Round(time.Millisecond), d.MiBps(), float64(d.MaxRSS)/(1<<20))
	}
	fmt.Printf("\nprovider / baseline throughput: %.0f%%\n\n", 100*r.Provider.MiBps()/r.Baseline.MiBps())
	return nil
}

func printList(ctx context.Context) error {
	n := 100000
	fmt.Printf("## openspecimen_job_runs over a job with %d runs (median of 5)\n\n", n)
	r, err := bench.MeasureList(ctx, n, 5)
	if err != nil {
		return err
	}
	fmt.Println("| seeding the mock | data source read | one list request (ListRuns) | list requests per read | runs answered |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| %s | %s | %s | %.0f | %d |\n\n", r.Seed.Round(time.Millisecond), ms(r.DataSource), ms(r.SingleList), r.ListReqs, r.ResultCount)
	return nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
