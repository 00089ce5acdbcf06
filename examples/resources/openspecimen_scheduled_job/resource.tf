# A nightly export managed as code: saved query 21 runs every night at 02:30 (the server's
# time zone) as the pipeline user 12, and its file goes to two data managers.
resource "openspecimen_scheduled_job" "nightly_export" {
  name            = "Nightly specimen export"
  type            = "QUERY"
  saved_query_id  = 21
  repeat_schedule = "DAILY"
  hour            = 2
  minute          = 30

  run_as_user_id       = 12
  recipient_user_ids   = [14, 15]
  shared_with_user_ids = [14]
  fixed_args           = "--cp CP-TB"
}

# Several jobs of one shape, keyed by name with for_each: removing one leaves the others as
# they are. With count, removing an item from the middle renames the items after it to their
# neighbours' names, which only one job at a time may hold.
resource "openspecimen_scheduled_job" "weekly_exports" {
  for_each = {
    "Weekly CP-TB export"  = 31
    "Weekly CP-HIV export" = 32
  }

  name            = each.key
  type            = "QUERY"
  saved_query_id  = each.value
  repeat_schedule = "WEEKLY"
  day_of_week     = "SUNDAY"
  hour            = 3
  minute          = 0
}

# Run the job once right away, and again after each change of it: replace_triggered_by
# replaces the run, which triggers the job, whenever the job is updated.
resource "openspecimen_job_run" "after_change" {
  job_id = openspecimen_scheduled_job.nightly_export.id

  lifecycle {
    replace_triggered_by = [openspecimen_scheduled_job.nightly_export]
  }
}

# The file that run wrote, without the export's preamble, written to disk.
data "openspecimen_job_run_result_file" "export" {
  job_id                = openspecimen_job_run.after_change.job_id
  run_id                = openspecimen_job_run.after_change.run_id
  decode                = "csv"
  output_path           = "${path.module}/out/specimens.csv"
  output_strip_preamble = true
}

output "next_run_on" {
  value = openspecimen_scheduled_job.nightly_export.next_run_on
}

output "export_sha256" {
  value = data.openspecimen_job_run_result_file.export.sha256
}
