# Run the saved-query export job 7 for collection protocol 12 once per release:
# changing the release value triggers a new run.
resource "openspecimen_job_run" "export" {
  job_id = 7
  args   = "--cp 12"

  triggers = {
    release = "v2"
  }

  timeouts {
    create = "45m"
  }
}

output "export_run" {
  value = {
    id          = openspecimen_job_run.export.run_id
    status      = openspecimen_job_run.export.status
    finished_at = openspecimen_job_run.export.finished_at
  }
}
