# The successful runs of job 7 in February 2022, newest first.
data "openspecimen_job_runs" "february" {
  job_id    = 7
  from_date = "2022-02-01"
  to_date   = "2022-02-28" # a date alone includes the whole day
  status    = "SUCCEEDED"
}

# The runs of one afternoon, by their start: a time, then the rest of that day, runs still in
# progress included. Dates without a zone are read in the provider's timezone; the provider
# sends the server the form its line takes (not the official page's 20220221T120000, which no
# server accepts).
data "openspecimen_job_runs" "afternoon" {
  job_id    = 7
  from_date = "2022-02-21 12:00"
  to_date   = "2022-02-21"
}

output "newest_successful_run" {
  value = try(data.openspecimen_job_runs.february.ids[0], null)
}
