# An export step of a pipeline (see the guide "Exports in a pipeline"): every apply runs the
# saved-query export "Specimen export" once and waits for it; a wait that times out fails the
# apply; the CSV, without the export's preamble, is written for the pipeline's next step.
terraform {
  required_version = ">= 1.5" # plantimestamp()

  required_providers {
    openspecimen = {
      source  = "openspecimen-iac/openspecimen"
      version = "~> 0.1"
    }
  }
}

# The url and the credentials come from OPENSPECIMEN_URL, OPENSPECIMEN_USERNAME and
# OPENSPECIMEN_PASSWORD, which the pipeline sets from its secrets.
provider "openspecimen" {}

variable "export_timeout" {
  description = "How long the apply waits for the export."
  type        = string
  default     = "30m"
}

data "openspecimen_scheduled_job" "export" {
  name = "Specimen export"
}

resource "openspecimen_job_run" "export" {
  job_id = data.openspecimen_scheduled_job.export.id
  args   = "--cp CP-TB"

  # A new value on every plan: every apply replaces the run, that is runs the export again.
  triggers = {
    at = plantimestamp()
  }

  timeouts {
    create = var.export_timeout
  }

  lifecycle {
    # A wait cut short by the timeout is only a warning (the run is kept in the state, so
    # that it is never run twice by mistake): this makes it fail the apply, and the pipeline.
    postcondition {
      condition     = self.status == "SUCCEEDED"
      error_message = "The export run ${self.run_id} is ${self.status} after ${var.export_timeout}: it was not waited for to its end."
    }
  }
}

# The CSV for the next step, as other tools expect it: without the preamble OpenSpecimen
# writes before the header.
data "openspecimen_job_run_result_file" "export" {
  job_id                = openspecimen_job_run.export.job_id
  run_id                = openspecimen_job_run.export.run_id
  decode                = "csv"
  output_path           = "${path.root}/out/specimens.csv"
  output_strip_preamble = true
}

output "csv_path" {
  value = data.openspecimen_job_run_result_file.export.output_path
}

output "csv_sha256" {
  value = data.openspecimen_job_run_result_file.export.sha256
}

output "run_id" {
  value = openspecimen_job_run.export.run_id
}
