# Every saved-query export whose name contains "nightly", and each one's newest successful run.
data "openspecimen_scheduled_jobs" "nightly" {
  name_contains = "nightly"
  type          = "QUERY"
}

data "openspecimen_job_runs" "newest" {
  for_each = { for job in data.openspecimen_scheduled_jobs.nightly.jobs : job.name => job.id }

  job_id      = each.value
  status      = "SUCCEEDED"
  max_results = 1
}

output "newest_runs" {
  value = { for name, runs in data.openspecimen_job_runs.newest : name => try(runs.ids[0], null) }
}
