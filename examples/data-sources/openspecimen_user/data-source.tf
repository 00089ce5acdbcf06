# Users by login name, whatever their ids on this server: the same configuration runs
# against a test server and production.
data "openspecimen_user" "pipeline" {
  login_name = "export-bot"
}

# A data manager who signs in through the institute's LDAP domain.
data "openspecimen_user" "data_manager" {
  login_name = "jdoe"
  domain     = "ldap"
}

resource "openspecimen_scheduled_job" "nightly_export" {
  name            = "Nightly specimen export"
  type            = "QUERY"
  saved_query_id  = 21
  repeat_schedule = "DAILY"
  hour            = 2
  minute          = 30

  run_as_user_id     = data.openspecimen_user.pipeline.id
  recipient_user_ids = [data.openspecimen_user.data_manager.id]
}

# Fail the plan when the pipeline's account is not active (locked, closed, ...).
check "pipeline_user_active" {
  assert {
    condition     = data.openspecimen_user.pipeline.activity_status == "Active"
    error_message = "OpenSpecimen user export-bot is ${data.openspecimen_user.pipeline.activity_status}: its scheduled runs would fail."
  }
}
