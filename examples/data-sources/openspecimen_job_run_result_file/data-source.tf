resource "openspecimen_job_run" "export" {
  job_id = 7
  args   = "--cp 12"
}

# The CSV that the run produced, unzipped, written to disk rather than kept in state.
# A data source is read on every plan: the file is downloaded and output_path rewritten
# each time (with the same bytes, as long as run_id does not change).
data "openspecimen_job_run_result_file" "csv" {
  job_id      = openspecimen_job_run.export.job_id
  run_id      = openspecimen_job_run.export.run_id
  output_path = "${path.module}/out/specimens.csv"
}

output "export_sha256" {
  value = data.openspecimen_job_run_result_file.csv.sha256
}
