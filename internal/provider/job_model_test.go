package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

func TestJobModelObjectMatchesSchema(t *testing.T) {
	next := client.EpochMillis{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	obj := jobModelFromAPI(&client.Job{ID: 1, Name: "Export", NextRunOn: &next, CreatedBy: &client.User{LoginName: "admin"}}).object()
	attrs := jobAttributes()
	if len(obj.Attributes()) != len(attrs) {
		t.Fatalf("object has %d attributes, schema %d", len(obj.Attributes()), len(attrs))
	}
	for name, a := range attrs {
		if v, ok := obj.Attributes()[name]; !ok || !v.Type(t.Context()).Equal(a.GetType()) {
			t.Errorf("attribute %s: schema type %s, object value %v", name, a.GetType(), v)
		}
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
