package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// The transports connsTable compares.
const (
	transportClient  = "client's transport"
	transportDefault = "net/http default (2 idle per host)"
)

// connsTable runs resources through one client at parallelism 10 (Terraform's default) and
// 50, with the client's transport and with net/http's default one, on a mock whose pool
// has a thread per worker.
func connsTable(ctx context.Context, size Size) (*Table, error) {
	perWorker, parallelisms := 5, []int{10, 50}
	if size == Quick {
		perWorker, parallelisms = 2, []int{2}
	}
	t := &Table{
		Title: fmt.Sprintf("TCP connections per request (%d resources per worker, each StartRun and WaitForRun of a 100 ms run; "+
			"one client; the mock's pool raised to the parallelism, so that no trigger waits for a thread)", perWorker),
		Header: []string{"transport", "parallelism", "resources", "requests", "connections opened", "per request"},
		Notes: []string{"Bound: one connection per request in flight at once, that is per worker (a few more where " +
			"dials race at the start), each kept and reused."},
	}
	for _, p := range parallelisms {
		for _, tr := range []string{transportClient, transportDefault} {
			requests, conns, err := measureConns(ctx, tr, p, perWorker*p)
			if err != nil {
				return nil, err
			}
			t.add(tr, fmt.Sprint(p), fmt.Sprint(perWorker*p), fmt.Sprint(requests), fmt.Sprint(conns),
				fmt.Sprintf("%.2f", float64(conns)/float64(requests)))
		}
	}
	return t, nil
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// measureConns runs resources resources through one client, parallelism at a time as
// Terraform does, each as the job_run resource does (StartRun, WaitForRun of a 100 ms run;
// one job per worker, with history), and answers the requests that reached the mock and the
// connections it accepted. The client has its own transport, or with transportDefault a
// clone of net/http's default one.
func measureConns(ctx context.Context, transport string, parallelism, resources int) (requests, conns int, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	lis := &countingListener{Listener: l}
	srv, err := mockserver.NewWithListener(jobsWithHistory(parallelism, 100*time.Millisecond, parallelism), lis)
	if err != nil {
		_ = l.Close()
		return 0, 0, err
	}
	defer srv.Close()
	counts := countRequests(srv)
	cfg := client.Config{URL: srv.URL(), Username: user, Password: password}
	if transport == transportDefault {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()} //nolint:forcetypeassert // the standard library's DefaultTransport is an *http.Transport
	}
	cl, err := client.New(cfg)
	if err != nil {
		return 0, 0, err
	}
	err = runResources(ctx, cl, parallelism, resources)
	return counts.all(), int(lis.accepted.Load()), err
}

// runResources runs resources resources, parallelism at a time; the w-th worker's
// resources use job w+1.
func runResources(ctx context.Context, cl *client.Client, parallelism, resources int) error {
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range resources {
			next <- i
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, parallelism)
	for w := range parallelism {
		wg.Go(func() {
			for i := range next {
				if errs[w] == nil {
					errs[w] = startAndWait(ctx, cl, int64(w+1), fmt.Sprintf("--resource %d", i))
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
