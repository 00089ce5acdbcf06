# Run the export after each change of another resource, here a revision of the saved query
# kept in terraform_data: the action runs after the resource is created or updated, and
# nothing of the run is kept in state (Terraform 1.14 or later).
variable "query_revision" {
  type    = string
  default = "2024-05-01"
}

resource "terraform_data" "query" {
  input = var.query_revision

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.openspecimen_job_run.export_after_change]
    }
  }
}

action "openspecimen_job_run" "export_after_change" {
  config {
    job_id = 7
    args   = "--cp 12"
  }
}
