package provider

import (
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// runModel.object, written by hand for speed, must fill exactly the schema's run attributes:
// ObjectValueMust panics on a missing or extra one, or on a wrong type.
func TestRunModelObjectMatchesSchema(t *testing.T) {
	started := client.EpochMillis{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	obj := runModelFromAPI(&client.Run{ID: 1, JobID: 2, Status: client.StatusInProgress, StartedAt: &started}).object()
	attrs := runAttributes()
	if len(obj.Attributes()) != len(attrs) {
		t.Fatalf("object has %d attributes, schema %d", len(obj.Attributes()), len(attrs))
	}
	for name, a := range attrs {
		if v, ok := obj.Attributes()[name]; !ok || !v.Type(t.Context()).Equal(a.GetType()) {
			t.Errorf("attribute %s: schema type %s, object value %v", name, a.GetType(), v)
		}
	}
}
