# One configuration for every OpenSpecimen server of a biobank, a test server and production:
# users, saved queries and jobs are named, never numbered, since their ids differ from server
# to server. Each server has its own state (a workspace, or a backend per server), and the
# environment names the server and the user:
#
#   export OPENSPECIMEN_USERNAME=export-bot OPENSPECIMEN_PASSWORD=...
#   terraform workspace select -or-create test
#   OPENSPECIMEN_URL=https://test.biobank.example.org/openspecimen/rest/ng terraform apply
#   terraform workspace select -or-create production
#   OPENSPECIMEN_URL=https://biobank.example.org/openspecimen/rest/ng terraform apply
terraform {
  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}

# The url and the credentials come from OPENSPECIMEN_URL, OPENSPECIMEN_USERNAME and
# OPENSPECIMEN_PASSWORD.
provider "openspecimen" {}

variable "data_managers" {
  description = "Login names of the users who receive the exports' files."
  type        = set(string)
  default     = ["anna", "ben"]
}

data "openspecimen_user" "pipeline" {
  login_name = "pipeline"
}

data "openspecimen_user" "data_manager" {
  for_each   = var.data_managers
  login_name = each.key
}

data "openspecimen_saved_query" "specimens" {
  title = "Specimens by collection protocol"
}

resource "openspecimen_scheduled_job" "nightly_export" {
  name            = "Nightly specimen export"
  type            = "QUERY"
  saved_query_id  = data.openspecimen_saved_query.specimens.id
  repeat_schedule = "DAILY"
  hour            = 2
  minute          = 30

  run_as_user_id       = data.openspecimen_user.pipeline.id
  recipient_user_ids   = [for user in data.openspecimen_user.data_manager : user.id]
  shared_with_user_ids = [for user in data.openspecimen_user.data_manager : user.id]
  fixed_args           = "--cp CP-TB"
}

# A job made in OpenSpecimen's UI, found by its name on each server: the data source has the
# resource's attributes, so its saved query and run-as user feed a weekly variant of it.
data "openspecimen_scheduled_job" "consent_export" {
  name = "Nightly consent export"
}

resource "openspecimen_scheduled_job" "weekly_consent_export" {
  name            = "Weekly consent export"
  type            = "QUERY"
  saved_query_id  = data.openspecimen_scheduled_job.consent_export.saved_query_id
  repeat_schedule = "WEEKLY"
  day_of_week     = "SUNDAY"
  hour            = 3
  minute          = 0

  run_as_user_id     = data.openspecimen_scheduled_job.consent_export.run_as_user_id
  recipient_user_ids = [for user in data.openspecimen_user.data_manager : user.id]
}

output "job_ids" {
  description = "This server's ids of the jobs, by name."
  value = {
    for job in [openspecimen_scheduled_job.nightly_export, openspecimen_scheduled_job.weekly_consent_export] :
    job.name => job.id
  }
}
