package bench

import (
	"bytes"
	"context"
	"encoding/json"
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

// Download is one download of the result file by a child process.
type Download struct {
	Who     string
	Elapsed time.Duration
	MaxRSS  int64 // bytes, of the child process
	Bytes   int64
}

// MiBps is the throughput in MiB/s.
func (d Download) MiBps() float64 { return float64(d.Bytes) / (1 << 20) / d.Elapsed.Seconds() }

// FileResult compares the provider's download of a result file to output_path with curl -o
// (or, without curl, a plain Go http.Get + io.Copy in its own process), best of Rounds each.
type FileResult struct {
	Size     int64
	Provider Download
	Baseline Download
	Rounds   int
}

// MeasureResultFile serves a generated result file of size bytes from an in-process mock and
// has self (this binary, which runs ChildDownload or ChildGet when given -child) download it as the provider
// does, in a child process whose peak RSS is read from the kernel after it ends, alternating
// with the baseline.
func MeasureResultFile(ctx context.Context, self string, size int64, rounds int) (FileResult, error) {
	res := FileResult{Size: size, Rounds: rounds}
	srv, err := mockserver.New(mockserver.Config{
		Jobs: []mockserver.JobConfig{{ID: 1, Name: "Big export"}},
		Runs: []mockserver.RunConfig{{ID: 1, JobID: 1, Status: mockserver.StatusSucceeded,
			Result: &mockserver.ResultConfig{Filename: "big.csv", GenerateBytes: size}}},
	})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "openspecimen-bench-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	token, err := login(ctx, srv.URL())
	if err != nil {
		return res, err
	}
	fileURL := srv.URL() + "/scheduled-jobs/1/runs/1/result-file"
	out := filepath.Join(dir, "big.csv")

	provider := func() (Download, error) {
		d, err := runChild(ctx, "provider", out, self, "-child", "download", "-url", srv.URL(), "-out", out)
		return d, err
	}
	baseline := func() (Download, error) {
		if curl, err := exec.LookPath("curl"); err == nil {
			return runChild(ctx, "curl -o", out, curl, "-sS", "-f", "-o", out, "-H", "X-OS-API-TOKEN: "+token, fileURL)
		}
		return runChild(ctx, "Go http.Get + io.Copy", out, self, "-child", "get", "-url", fileURL, "-token", token, "-out", out)
	}
	for i := 0; i < rounds; i++ {
		for _, f := range []struct {
			run  func() (Download, error)
			best *Download
		}{{baseline, &res.Baseline}, {provider, &res.Provider}} {
			d, err := f.run()
			if err != nil {
				return res, err
			}
			if d.Bytes != size {
				return res, fmt.Errorf("%s wrote %d bytes, want %d", d.Who, d.Bytes, size)
			}
			if f.best.Elapsed == 0 || d.Elapsed < f.best.Elapsed {
				rss := max(f.best.MaxRSS, d.MaxRSS)
				*f.best = d
				f.best.MaxRSS = rss
			} else {
				f.best.MaxRSS = max(f.best.MaxRSS, d.MaxRSS)
			}
		}
	}
	return res, nil
}

// runChild runs a command to completion and answers its time, its peak RSS and the size of
// the file it wrote to out (then removed).
func runChild(ctx context.Context, who, out, name string, args ...string) (Download, error) {
	d := Download{Who: who}
	_ = os.Remove(out)
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stdout
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return d, fmt.Errorf("%s: %v", who, err)
	}
	// ru_maxrss is no use here: a child forked from this process starts sharing its memory,
	// and Linux carries that peak across exec. VmHWM belongs to the exec'd image: it is polled
	// while the child runs, and a Go child also reports its own just before it exits.
	stopPoll := make(chan struct{})
	polled := make(chan int64)
	go func() {
		var peak int64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, vmHWM(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)))
			select {
			case <-stopPoll:
				polled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	d.Elapsed = time.Since(t)
	close(stopPoll)
	d.MaxRSS = <-polled
	if err != nil {
		return d, fmt.Errorf("%s: %v: %s", who, err, strings.TrimSpace(stderr.String()))
	}
	var own int64
	if _, err := fmt.Sscanf(stdout.String(), "VmHWM %d", &own); err == nil {
		d.MaxRSS = max(d.MaxRSS, own)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return d, err
	}
	d.Bytes = fi.Size()
	return d, os.Remove(out)
}

func login(ctx context.Context, root string) (string, error) {
	body, _ := json.Marshal(map[string]string{"loginName": User, "password": Password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root+"/sessions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ans struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Token == "" {
		return "", fmt.Errorf("login: status %d, %v", resp.StatusCode, err)
	}
	return ans.Token, nil
}

// ChildDownload is the provider side of MeasureResultFile: it reads the data source
// openspecimen_job_run_result_file with output_path through the provider's plugin protocol,
// so the code measured is the data source's own (resultfile.Fetch and its atomic write).
func ChildDownload(ctx context.Context, url, out string) error {
	p, err := NewProvider(ctx, map[string]tftypes.Value{"url": Str(url), "username": Str(User), "password": Str(Password)})
	if err != nil {
		return err
	}
	_, err = p.ReadDataSource(ctx, "openspecimen_job_run_result_file", map[string]tftypes.Value{
		"job_id": Num(1), "run_id": Num(1), "output_path": Str(out),
	})
	return err
}

// ChildGet is the baseline when curl is missing: http.Get and io.Copy to a file.
func ChildGet(ctx context.Context, url, token, out string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-OS-API-TOKEN", token)
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

// ReportOwnPeak prints this process's VmHWM for the parent of MeasureResultFile.
func ReportOwnPeak() {
	fmt.Printf("VmHWM %d\n", vmHWM("/proc/self/status"))
}
