// Command openspecimen-mockserver serves the mockserver package's stand-in for the
// OpenSpecimen scheduled-jobs REST API, for demos and manual testing.
//
//	openspecimen-mockserver [-listen 127.0.0.1:8080] [-config FILE] [-line newest|older]
//
// -line makes it behave as that OpenSpecimen server line (see the mockserver package),
// whatever the configuration says; without it, the configuration's line, else the newest.
// It prints one line, "listening on <REST root>", once it accepts connections, logs
// requests to stderr, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // time zones of the config work on machines without zoneinfo

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; it answers the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("openspecimen-mockserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to listen on (host:port; port 0 picks a free one)")
	configFile := fs.String("config", "", "JSON configuration `file` (default: the built-in demo data set)")
	line := fs.String("line", "", "OpenSpecimen server `line` to behave as, "+mockserver.LineNewest+" or "+mockserver.LineOlder+
		" (default: the configuration's, else "+mockserver.LineNewest+")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "openspecimen-mockserver: unexpected arguments: %v\n", fs.Args())
		return 2
	}
	if *line != "" && *line != mockserver.LineNewest && *line != mockserver.LineOlder {
		fmt.Fprintf(stderr, "openspecimen-mockserver: -line %q: use %s or %s\n", *line, mockserver.LineNewest, mockserver.LineOlder)
		return 2
	}

	cfg := mockserver.DemoConfig()
	if *configFile != "" {
		var err error
		if cfg, err = mockserver.LoadConfig(*configFile); err != nil {
			fmt.Fprintf(stderr, "openspecimen-mockserver: %v\n", err)
			return 1
		}
	}
	if *line != "" {
		cfg.Line = *line
	}
	cfg.Logger = log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)

	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "openspecimen-mockserver: %v\n", err)
		return 1
	}
	s, err := mockserver.NewWithListener(cfg, l)
	if err != nil {
		l.Close()
		fmt.Fprintf(stderr, "openspecimen-mockserver: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening on %s\n", s.URL())

	<-ctx.Done()
	cfg.Logger.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "openspecimen-mockserver: shutdown: %v\n", err)
		return 1
	}
	return 0
}
