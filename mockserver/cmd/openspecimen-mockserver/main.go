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
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones of the config work on machines without zoneinfo

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// version is the release's, set by the release build (-X main.version=...).
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; it answers the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code := parseFlags(args, stdout, stderr)
	if opts == nil {
		return code
	}
	cfg, err := opts.config()
	if err != nil {
		fmt.Fprintf(stderr, "openspecimen-mockserver: %v\n", err)
		return 1
	}
	cfg.Logger = log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)

	l, err := net.Listen("tcp", opts.listen)
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

// options are the command's settings, from its flags and environment.
type options struct {
	listen, configFile, configJSON, line string
}

// Environment variables that stand in for flags left out.
const (
	envListen     = "OPENSPECIMEN_MOCK_LISTEN"
	envConfig     = "OPENSPECIMEN_MOCK_CONFIG"
	envConfigJSON = "OPENSPECIMEN_MOCK_CONFIG_JSON"
	envLine       = "OPENSPECIMEN_MOCK_LINE"
)

// parseFlags answers the options, or nil and the exit code when the command ends here
// (bad usage, -help, -version).
func parseFlags(args []string, stdout, stderr io.Writer) (*options, int) {
	fs := flag.NewFlagSet("openspecimen-mockserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.listen, "listen", cmp.Or(os.Getenv(envListen), "127.0.0.1:8080"),
		"`address` to listen on (host:port; port 0 picks a free one; 0.0.0.0:8080 in a container) ($"+envListen+")")
	fs.StringVar(&o.configFile, "config", os.Getenv(envConfig),
		"JSON configuration `file` (default: the built-in demo data set) ($"+envConfig+")")
	fs.StringVar(&o.configJSON, "config-json", os.Getenv(envConfigJSON),
		"the JSON configuration itself, instead of a file ($"+envConfigJSON+")")
	fs.StringVar(&o.line, "line", os.Getenv(envLine), "OpenSpecimen server `line` to behave as, "+mockserver.LineNewest+" or "+
		mockserver.LineOlder+" (default: the configuration's, else "+mockserver.LineNewest+") ($"+envLine+")")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	switch {
	case *showVersion:
		fmt.Fprintf(stdout, "openspecimen-mockserver %s\n", version)
		return nil, 0
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "openspecimen-mockserver: unexpected arguments: %v\n", fs.Args())
		return nil, 2
	case o.line != "" && o.line != mockserver.LineNewest && o.line != mockserver.LineOlder:
		fmt.Fprintf(stderr, "openspecimen-mockserver: -line %q: use %s or %s\n", o.line, mockserver.LineNewest, mockserver.LineOlder)
		return nil, 2
	case o.configFile != "" && o.configJSON != "":
		fmt.Fprintf(stderr, "openspecimen-mockserver: a configuration file (-config or $%s) and JSON (-config-json or $%s) are both set: use one\n",
			envConfig, envConfigJSON)
		return nil, 2
	}
	return &o, 0
}

// config answers the configuration the options name, with their line.
func (o *options) config() (mockserver.Config, error) {
	cfg := mockserver.DemoConfig()
	var err error
	switch {
	case o.configFile != "":
		cfg, err = mockserver.LoadConfig(o.configFile)
	case strings.TrimSpace(o.configJSON) != "":
		if cfg, err = mockserver.ParseConfig([]byte(o.configJSON)); err != nil {
			err = fmt.Errorf("-config-json: %w", err)
		}
	}
	if o.line != "" {
		cfg.Line = o.line
	}
	return cfg, err
}
