// Command openspecimen-bench measures the client and the provider against the in-process
// mock server and prints the Markdown tables of bench/README.md (make bench), after a line
// that says when and on what machine. -quick runs the smallest case of each measure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/bench"
)

func main() {
	if bench.IsChild() {
		os.Exit(bench.RunChild())
	}
	var names []string
	for _, m := range bench.Measures() {
		names = append(names, m.Name)
	}
	quick := flag.Bool("quick", false, "the smallest case of each measure, in seconds")
	only := flag.String("only", strings.Join(names, ","), "the measures to run, comma-separated")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	size := bench.Full
	if *quick {
		size = bench.Quick
	}
	picked := strings.Split(*only, ",")
	for _, name := range picked {
		if !slices.Contains(names, name) {
			fmt.Fprintf(os.Stderr, "openspecimen-bench: -only: no measure %q (measures: %s)\n", name, strings.Join(names, ", "))
			os.Exit(2)
		}
	}
	if err := run(ctx, picked, size); err != nil {
		fmt.Fprintln(os.Stderr, "openspecimen-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, only []string, size bench.Size) error {
	start := time.Now()
	fmt.Printf("openspecimen-bench: %s; in-process mock on 127.0.0.1\n\n", bench.Machine())
	for _, m := range bench.Measures() {
		if !slices.Contains(only, m.Name) {
			continue
		}
		t, err := m.Run(ctx, size)
		if err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if err := t.Markdown(os.Stdout); err != nil {
			return err
		}
	}
	fmt.Printf("total time: %s\n", time.Since(start).Round(time.Second))
	return nil
}
