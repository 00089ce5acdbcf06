# Find the successful runs of job 7 since the start of the year (Terraform 1.14 or later):
#
#   terraform query                                  # lists them, one line per run
#   terraform query -generate-config-out=runs.tf     # writes a resource and an import block per run
#   terraform apply                                  # imports them; nothing is run
list "openspecimen_job_run" "exports" {
  provider         = openspecimen
  include_resource = true

  config {
    job_id      = 7
    status      = "SUCCEEDED"
    from_date   = "2024-01-01"
    max_results = 50
  }
}
