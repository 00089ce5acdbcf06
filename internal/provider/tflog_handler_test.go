package provider

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// Every level of the client's slog records reaches Terraform's log with its attributes,
// through the context of the call.
func TestTflogHandler(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(t.Context(), &out)
	log := slog.New(tflogHandler{}).With("job_id", 7)
	log.Log(ctx, slog.LevelDebug-4, "traced")
	log.DebugContext(ctx, "debugged", "run_id", 42)
	log.InfoContext(ctx, "informed")
	log.WarnContext(ctx, "warned", "error", "boom")
	want := []struct{ level, msg string }{{"trace", "traced"}, {"debug", "debugged"}, {"info", "informed"}, {"warn", "warned"}}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatal(err)
		}
		if entry["@level"] != want[i].level || entry["@message"] != want[i].msg || entry["job_id"] != float64(7) {
			t.Errorf("line %d: %v, want %s %q with job_id 7", i, entry, want[i].level, want[i].msg)
		}
	}
}
