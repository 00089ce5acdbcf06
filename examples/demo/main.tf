# The demo of `make demo`: a small export pipeline against the mock server's demo data.
# The job "Specimen export" is a saved-query export: a zipped CSV whose rows carry the run's
# id and arguments, after the preamble OpenSpecimen writes (exported by, exported on). The provider's url and credentials come from OPENSPECIMEN_URL,
# OPENSPECIMEN_USERNAME and OPENSPECIMEN_PASSWORD (scripts/demo.sh sets them).
terraform {
  required_version = ">= 1.5"

  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}

provider "openspecimen" {}

variable "collection_protocol" {
  description = "Collection protocol that the export is run for (the job's run-time argument)."
  type        = string
  default     = "CP-TB"
}

# 1. The export job, found by its name: its id may differ from one server to another.
data "openspecimen_scheduled_job" "export" {
  name = "Specimen export"
}

# 2. Trigger one run of the export with arguments and wait until it has finished.
resource "openspecimen_job_run" "export" {
  job_id = data.openspecimen_scheduled_job.export.id
  args   = "--cp ${var.collection_protocol}"

  triggers = {
    collection_protocol = var.collection_protocol
  }
}

# 3. The job's recent successful runs, newest first: ours, then the older ones.
data "openspecimen_job_runs" "recent" {
  job_id      = openspecimen_job_run.export.job_id
  status      = "SUCCEEDED"
  max_results = 5

  depends_on = [openspecimen_job_run.export]
}

# 4. The export our run produced, unzipped and decoded: its preamble, columns and rows.
data "openspecimen_job_run_result_file" "csv" {
  job_id = openspecimen_job_run.export.job_id
  run_id = openspecimen_job_run.export.run_id
  decode = "csv"
}

locals {
  # A result file may hold patient data, so its rows are sensitive; the demo's are not.
  specimens = nonsensitive(data.openspecimen_job_run_result_file.csv.rows)
  exported  = nonsensitive(data.openspecimen_job_run_result_file.csv.export_metadata)
}

output "run" {
  description = "The run that the apply triggered."
  value = {
    id          = openspecimen_job_run.export.run_id
    job         = openspecimen_job_run.export.job_name
    status      = openspecimen_job_run.export.status
    run_by      = openspecimen_job_run.export.run_by
    started_at  = openspecimen_job_run.export.started_at
    finished_at = openspecimen_job_run.export.finished_at
  }
}

output "recent_runs" {
  description = "The job's recent successful runs, newest first."
  value = [
    for r in data.openspecimen_job_runs.recent.runs : "${r.id} ${r.finished_at} ${r.run_by} ${coalesce(r.args, "-")}"
  ]
}

output "result_file" {
  description = "The result file's name, size and hash, and who exported it when."
  value = {
    filename    = data.openspecimen_job_run_result_file.csv.filename
    size        = data.openspecimen_job_run_result_file.csv.size
    sha256      = data.openspecimen_job_run_result_file.csv.sha256
    exported_by = local.exported["Exported By"]
    exported_on = local.exported["Exported On"]
  }
}

output "specimen_count" {
  description = "How many specimens the export holds."
  value       = length(local.specimens)
}

output "first_specimens" {
  description = "The export's first rows."
  value = [
    for s in slice(local.specimens, 0, min(2, length(local.specimens))) :
    "${s["Label"]} ${s["Type"]} (${s["Collection Protocol"]})"
  ]
}
