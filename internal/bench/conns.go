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

// The transports MeasureConns compares.
const (
	TransportClient  = "client's transport"
	TransportDefault = "net/http default (2 idle per host)"
)

// ConnsResult is how many TCP connections one client opened for the requests of many
// resources, parallelism of them at a time.
type ConnsResult struct {
	Transport   string
	Parallelism int
	Resources   int
	Requests    int // answered by the server
	Conns       int // accepted by the server
}

// PerRequest is the connections opened per request: 1 opens one for each, 0 reuses them all.
func (r ConnsResult) PerRequest() float64 { return float64(r.Conns) / float64(r.Requests) }

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

// MeasureConns runs resources resources through one client, parallelism at a time as
// Terraform does, each as the provider's job_run resource: StartRun (which reads the job), WaitForRun
// of a 100 ms run (one job per worker, with history). The client has its own transport, or
// with transport TransportDefault a clone of net/http's default one.
func MeasureConns(ctx context.Context, transport string, parallelism, resources int) (ConnsResult, error) {
	res := ConnsResult{Transport: transport, Parallelism: parallelism, Resources: resources}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	lis := &countingListener{Listener: l}
	srv, err := mockserver.NewWithListener(jobsWithHistory(parallelism, 100*time.Millisecond), lis)
	if err != nil {
		_ = l.Close()
		return res, err
	}
	defer srv.Close()
	var requests atomic.Int64
	srv.SetRequestHook(func(string, string) { requests.Add(1) })
	cfg := client.Config{URL: srv.URL(), Username: User, Password: Password}
	if transport == TransportDefault {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()} //nolint:forcetypeassert // the standard library's DefaultTransport is an *http.Transport
	}
	cl, err := client.New(cfg)
	if err != nil {
		return res, err
	}
	err = runResources(ctx, cl, parallelism, resources)
	res.Requests, res.Conns = int(requests.Load()), int(lis.accepted.Load())
	return res, err
}

// runResources runs resources resources, parallelism at a time; the i-th worker's resources
// use job i.
func runResources(ctx context.Context, cl *client.Client, parallelism, resources int) error {
	next := make(chan int)
	go func() {
		defer close(next)
		for i := 0; i < resources; i++ {
			next <- i
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, parallelism)
	for w := 0; w < parallelism; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := int64(w + 1)
			for i := range next {
				if errs[w] == nil {
					errs[w] = oneResource(ctx, cl, job, i)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func oneResource(ctx context.Context, cl *client.Client, job int64, i int) error {
	st, err := cl.StartRun(ctx, job, fmt.Sprintf("--resource %d", i), client.StartOptions{})
	if err != nil {
		return err
	}
	_, err = cl.WaitForRun(ctx, job, st.Run.ID, &st.History)
	return err
}
