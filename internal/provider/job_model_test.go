package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// The job data sources show every attribute of the resource, under its name, with its type
// and the meaning jobDocs gives it, which the resource's own description opens with; and
// last_run_on, which only a read knows.
func TestJobAttributesMatchResource(t *testing.T) {
	var resp resource.SchemaResponse
	NewScheduledJobResource().Schema(t.Context(), resource.SchemaRequest{}, &resp)
	data := jobAttributes()
	for name, a := range resp.Schema.Attributes {
		d, ok := data[name]
		switch {
		case !ok:
			t.Errorf("the data sources lack the resource's %s", name)
		case !d.GetType().Equal(a.GetType()):
			t.Errorf("%s: the data sources' type %s, the resource's %s", name, d.GetType(), a.GetType())
		case jobDocs[name] == "" || d.GetMarkdownDescription() != jobDocs[name]:
			t.Errorf("%s: the data sources' description %q is not jobDocs' %q", name, d.GetMarkdownDescription(), jobDocs[name])
		case !strings.HasPrefix(a.GetMarkdownDescription(), jobDocs[name]):
			t.Errorf("%s: the resource's description %q does not open with jobDocs' %q", name, a.GetMarkdownDescription(), jobDocs[name])
		}
	}
	for name := range data {
		if _, ok := resp.Schema.Attributes[name]; !ok && name != "last_run_on" {
			t.Errorf("the data sources have %s, which the resource has not", name)
		}
	}
	for name := range jobDocs {
		if _, ok := data[name]; !ok {
			t.Errorf("jobDocs describes %s, which no job attribute is", name)
		}
	}
}

// next_run_on is the minute the schedule runs the job, without the seconds and milliseconds
// of the moment the server was read.
func TestNextRunMinute(t *testing.T) {
	read := client.EpochMillis{Time: time.Date(2026, 3, 1, 2, 30, 41, 123e6, time.UTC)}
	if got := nextRunMinute(&read); !got.Equal(time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("nextRunMinute(%s) = %s", read, got)
	}
	if nextRunMinute(nil) != nil {
		t.Error("no next run gave one")
	}
}

// openspecimen_scheduled_jobs' jobs[].last_run_on (jobAttributes) is the job list's own
// lastRunOn: its description does not tell only how a job read by id gets it.
func TestJobDocs_lastRunOnOfAList(t *testing.T) {
	doc := jobAttributes()["last_run_on"].GetMarkdownDescription()
	if strings.Contains(doc, "Read by `id`") || !strings.Contains(doc, "`openspecimen_scheduled_jobs`") ||
		!strings.Contains(doc, "`lastRunOn`") {
		t.Errorf("last_run_on: %q", doc)
	}
}
