# The configuration under test: an export pipeline that finds a saved-query export job by
# name, runs it for a collection protocol, and reads the rows of the CSV it produced. The
# suites in tests/ run it against the mock server started with mock.json (see the guide
# "Testing your configuration against the mock").
terraform {
  required_providers {
    openspecimen = {
      source  = "openspecimen-iac/openspecimen"
      version = "~> 0.1"
    }
  }
}

# The url and the credentials come from OPENSPECIMEN_URL, OPENSPECIMEN_USERNAME and
# OPENSPECIMEN_PASSWORD: the mock's in a test, the real server's in production.
provider "openspecimen" {}

variable "job_name" {
  description = "Name of the export job (job ids differ between servers; names need not)."
  type        = string
  default     = "Specimen export"
}

variable "collection_protocol" {
  description = "Collection protocol the export is run for."
  type        = string
  default     = "CP-TB"
}

variable "ignore_failure" {
  description = "Record a FAILED run instead of failing the apply."
  type        = bool
  default     = false
}

variable "read_rows" {
  description = "Read the export's rows; false for a run that may fail, which has no file."
  type        = bool
  default     = true
}

data "openspecimen_scheduled_job" "export" {
  name = var.job_name
}

resource "openspecimen_job_run" "export" {
  job_id         = data.openspecimen_scheduled_job.export.id
  args           = "--cp ${var.collection_protocol}"
  ignore_failure = var.ignore_failure
}

data "openspecimen_job_run_result_file" "export" {
  count = var.read_rows ? 1 : 0

  job_id = openspecimen_job_run.export.job_id
  run_id = openspecimen_job_run.export.run_id
  decode = "csv"
}

output "run_id" {
  value = openspecimen_job_run.export.run_id
}

output "status" {
  value = openspecimen_job_run.export.status
}

output "message" {
  value = openspecimen_job_run.export.message
}

output "specimen_labels" {
  description = "The labels of the exported specimens (the rows are sensitive; labels are not)."
  value       = var.read_rows ? [for r in nonsensitive(data.openspecimen_job_run_result_file.export[0].rows) : r["Specimen Label"]] : []
}
