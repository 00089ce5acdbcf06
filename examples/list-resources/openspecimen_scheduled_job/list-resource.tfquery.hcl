# Bring the server's saved-query exports under code (Terraform 1.14 or later):
#
#   terraform query                                  # lists them, one line per job
#   terraform query -generate-config-out=jobs.tf     # writes a resource and an import block per job
#   terraform apply                                  # imports them; nothing changes on the server
#
# Disabled jobs are not listed (OpenSpecimen's job list leaves them out): import one by its id.
list "openspecimen_scheduled_job" "exports" {
  provider         = openspecimen
  include_resource = true

  config {
    type = "QUERY"
  }
}
