package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// download is one download of the result file by a child process.
type download struct {
	who     string
	elapsed time.Duration
	maxRSS  int64 // bytes, of the child process
	bytes   int64
}

func (d download) mibps() float64 { return float64(d.bytes) / (1 << 20) / d.elapsed.Seconds() }

// The environment that makes this program a child of fileTable (RunChild): which download
// it does, from which URL, to which file.
const (
	childEnv    = "OPENSPECIMEN_BENCH_CHILD" // childProvider or childGet
	childURLEnv = "OPENSPECIMEN_BENCH_URL"
	childOutEnv = "OPENSPECIMEN_BENCH_OUT"

	childProvider = "provider" // the provider's data source, from the mock's REST root
	childGet      = "get"      // http.Get and io.Copy of the file's URL, without curl
)

// fileTable compares the provider's download of a result file to output_path with curl -o
// (or, without curl, a plain Go http.Get and io.Copy), each in a child process, best of
// several rounds.
func fileTable(ctx context.Context, size Size) (*Table, error) {
	fileSize, rounds := int64(512<<20), 5
	if size == Quick {
		fileSize, rounds = 1<<20, 1
	}
	provider, baseline, err := measureFile(ctx, fileSize, rounds)
	if err != nil {
		return nil, err
	}
	t := &Table{
		Title:  fmt.Sprintf("Result file of %d MiB to output_path (child processes, best of %d each)", fileSize>>20, rounds),
		Header: []string{"downloader", "time", "throughput", "peak RSS"},
		Notes: []string{fmt.Sprintf("provider / baseline throughput: %.0f%%. Bound: the baseline, which writes the "+
			"file as it comes; the provider also hashes it (sha256) and syncs it before its rename.",
			100*provider.mibps()/baseline.mibps())},
	}
	for _, d := range []download{provider, baseline} {
		t.add(d.who, d.elapsed.Round(time.Millisecond).String(), fmt.Sprintf("%.0f MiB/s", d.mibps()),
			fmt.Sprintf("%.1f MiB", float64(d.maxRSS)/(1<<20)))
	}
	return t, nil
}

// measureFile serves a generated result file of size bytes from an in-process mock and has
// this program download it as the provider does, and as the baseline does, in turn, each
// in a child process whose peak RSS is read from the kernel; it answers the best of rounds
// of each.
func measureFile(ctx context.Context, size int64, rounds int) (provider, baseline download, err error) {
	srv, err := mockserver.New(mockserver.Config{
		Jobs: []mockserver.JobConfig{{ID: 1, Name: "Big export"}},
		Runs: []mockserver.RunConfig{{ID: 1, JobID: 1, Status: mockserver.StatusSucceeded,
			Result: &mockserver.ResultConfig{Filename: "big.csv", GenerateBytes: size}}},
	})
	if err != nil {
		return provider, baseline, err
	}
	defer srv.Close()
	self, err := os.Executable()
	if err != nil {
		return provider, baseline, err
	}
	dir, err := os.MkdirTemp("", "openspecimen-bench-*")
	if err != nil {
		return provider, baseline, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "big.csv")
	for range rounds {
		if err := baseline.keepBest(runChild(baselineChild(ctx, self, srv.URL(), out), out, size)); err != nil {
			return provider, baseline, err
		}
		if err := provider.keepBest(runChild(selfChild(ctx, self, childProvider, srv.URL(), out), out, size)); err != nil {
			return provider, baseline, err
		}
	}
	return provider, baseline, nil
}

// keepBest keeps d when it is faster than the best so far, with the highest peak RSS of all.
func (best *download) keepBest(d download, err error) error {
	if err != nil {
		return err
	}
	peak := max(best.maxRSS, d.maxRSS)
	if best.elapsed == 0 || d.elapsed < best.elapsed {
		*best = d
	}
	best.maxRSS = peak
	return nil
}

// child is a command that downloads the result file, and who it stands for.
type child struct {
	who string
	cmd *exec.Cmd
}

// baselineChild answers curl -o of the result file of the mock at root, logged in with
// HTTP Basic; without curl, this program as a childGet.
func baselineChild(ctx context.Context, self, root, out string) child {
	fileURL := root + "/scheduled-jobs/1/runs/1/result-file"
	if curl, err := exec.LookPath("curl"); err == nil {
		return child{"curl -o", exec.CommandContext(ctx, curl, "-sS", "-f", "-o", out, "-u", user+":"+password, fileURL)}
	}
	return selfChild(ctx, self, childGet, fileURL, out)
}

// selfChild answers this program run as a child of kind, with url and out.
func selfChild(ctx context.Context, self, kind, url, out string) child {
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), childEnv+"="+kind, childURLEnv+"="+url, childOutEnv+"="+out)
	who := "provider"
	if kind == childGet {
		who = "Go http.Get + io.Copy"
	}
	return child{who, cmd}
}

// runChild runs c to completion and answers its time, its peak RSS and the size of the file
// it wrote to out (then removed), which must be size.
func runChild(c child, out string, size int64) (download, error) {
	d := download{who: c.who}
	_ = os.Remove(out)
	var stderr, stdout bytes.Buffer
	c.cmd.Stderr, c.cmd.Stdout = &stderr, &stdout
	t := time.Now()
	if err := c.cmd.Start(); err != nil {
		return d, fmt.Errorf("%s: %w", c.who, err)
	}
	stopPoll, polled := pollPeak(c.cmd.Process.Pid)
	err := c.cmd.Wait()
	d.elapsed = time.Since(t)
	close(stopPoll)
	d.maxRSS = <-polled
	if err != nil {
		return d, fmt.Errorf("%s: %w: %s", c.who, err, strings.TrimSpace(stderr.String()))
	}
	var own int64
	if _, err := fmt.Sscanf(stdout.String(), "VmHWM %d", &own); err == nil {
		d.maxRSS = max(d.maxRSS, own)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return d, err
	}
	if d.bytes = fi.Size(); d.bytes != size {
		return d, fmt.Errorf("%s wrote %d bytes, want %d", c.who, d.bytes, size)
	}
	return d, os.Remove(out)
}

// pollPeak reads the peak RSS of process pid every 2 ms until stop is closed, then sends
// the highest on the channel it answers. ru_maxrss is no use here: a child forked from this
// process starts sharing its memory, and Linux carries that peak across exec. VmHWM belongs
// to the exec'd image; a child of this program also reports its own just before it exits.
func pollPeak(pid int) (stop chan struct{}, peak chan int64) {
	stop, peak = make(chan struct{}), make(chan int64)
	go func() {
		var highest int64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			highest = max(highest, vmHWM(fmt.Sprintf("/proc/%d/status", pid)))
			select {
			case <-stop:
				peak <- highest
				return
			case <-tick.C:
			}
		}
	}()
	return stop, peak
}

// IsChild tells whether this process was started as a child of the result-file measure:
// then the program calls RunChild instead of what it does otherwise.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// RunChild does the download its environment asks for, prints this process's peak RSS for
// the parent, and answers the process's exit code.
func RunChild() int {
	ctx := context.Background()
	url, out := os.Getenv(childURLEnv), os.Getenv(childOutEnv)
	var err error
	switch kind := os.Getenv(childEnv); kind {
	case childProvider:
		err = providerDownload(ctx, url, out)
	case childGet:
		err = plainDownload(ctx, url, out)
	default:
		err = fmt.Errorf("unknown child %q", kind)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("VmHWM %d\n", vmHWM("/proc/self/status"))
	return 0
}

// providerDownload reads the data source openspecimen_job_run_result_file with output_path
// through the provider's plugin protocol, so that the code measured is the data source's
// own (resultfile.Fetch and its atomic write).
func providerDownload(ctx context.Context, url, out string) error {
	p, err := newProvider(ctx, url)
	if err != nil {
		return err
	}
	_, err = p.readDataSource(ctx, "openspecimen_job_run_result_file", map[string]tftypes.Value{
		"job_id": num(1), "run_id": num(1), "output_path": str(out),
	})
	return err
}

// plainDownload is the baseline without curl: http.Get, logged in with HTTP Basic, and
// io.Copy to a file.
func plainDownload(ctx context.Context, url, out string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

// vmHWM reads the peak resident set (bytes) from a /proc status file; 0 when unreadable.
func vmHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
