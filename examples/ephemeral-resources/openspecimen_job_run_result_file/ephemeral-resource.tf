resource "openspecimen_job_run" "export" {
  job_id = 7
}

# The CSV's bytes, never written to the plan or the state: hand them to another
# provider's write-only or ephemeral arguments.
ephemeral "openspecimen_job_run_result_file" "csv" {
  job_id = openspecimen_job_run.export.job_id
  run_id = openspecimen_job_run.export.run_id
}

locals {
  specimen_count = length(csvdecode(ephemeral.openspecimen_job_run_result_file.csv.content))
}
