# Run the export again whenever another resource changes, here a revision of the saved
# query kept in terraform_data: replace_triggered_by re-creates the run, which triggers it.
variable "query_revision" {
  type    = string
  default = "2024-05-01"
}

resource "terraform_data" "query" {
  input = var.query_revision
}

resource "openspecimen_job_run" "nightly_export" {
  job_id = 7

  lifecycle {
    replace_triggered_by = [terraform_data.query]
  }
}
