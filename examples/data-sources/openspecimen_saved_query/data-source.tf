# The saved query titled "Specimens by collection protocol", whatever its id on this
# server: the same configuration runs against a test server and production.
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
}

output "query_owner" {
  value = data.openspecimen_saved_query.specimens.created_by
}
