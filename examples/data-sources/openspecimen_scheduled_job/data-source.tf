# The job named "Specimen export", whatever its id on this server: the same configuration
# runs against a test server and production.
data "openspecimen_scheduled_job" "export" {
  name = "Specimen export"
}

resource "openspecimen_job_run" "export" {
  job_id = data.openspecimen_scheduled_job.export.id
  args   = "--cp CP-TB"
}
