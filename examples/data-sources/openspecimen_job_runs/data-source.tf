# The successful runs of job 7 in February 2022, newest first.
data "openspecimen_job_runs" "february" {
  job_id    = 7
  from_date = "20220201"
  to_date   = "20220228" # a date alone includes the whole day
  status    = "SUCCEEDED"
}

output "newest_successful_run" {
  value = try(data.openspecimen_job_runs.february.ids[0], null)
}
