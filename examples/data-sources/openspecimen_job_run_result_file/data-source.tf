resource "openspecimen_job_run" "export" {
  job_id = 7
  args   = "--cp 12"
}

# A small export, unzipped and decoded: the preamble OpenSpecimen writes before the header
# ("Exported By", "Exported On", ...) in export_metadata, each row a map from column name to
# value. The rows are kept in the state: fine up to a few MiB (max_content_bytes).
data "openspecimen_job_run_result_file" "specimens" {
  job_id = openspecimen_job_run.export.job_id
  run_id = openspecimen_job_run.export.run_id
  decode = "csv"
}

locals {
  # Sensitive, as a result file may hold patient data. The rows are null, with a warning,
  # once OpenSpecimen has purged the file (30 days after the run): coalesce keeps the plan
  # going until the job runs again.
  specimens_by_label = {
    for r in coalesce(data.openspecimen_job_run_result_file.specimens.rows, []) : r["Specimen Label"] => r
  }
}

output "exported_on" {
  value     = data.openspecimen_job_run_result_file.specimens.export_metadata["Exported On"]
  sensitive = true
}

# A large export, written to disk rather than kept in state, as the plain CSV other tools
# expect: without its preamble. A data source is read on every plan: the file is downloaded
# and output_path rewritten each time (with the same bytes, as long as run_id does not change).
# Patient data on a shared runner: readable by its owner alone, whatever the umask.
data "openspecimen_job_run_result_file" "csv" {
  job_id                = openspecimen_job_run.export.job_id
  run_id                = openspecimen_job_run.export.run_id
  decode                = "csv"
  output_path           = "${path.module}/out/specimens.csv"
  output_strip_preamble = true
  file_permission       = "0600"
}

output "export_sha256" {
  value = data.openspecimen_job_run_result_file.csv.sha256
}
