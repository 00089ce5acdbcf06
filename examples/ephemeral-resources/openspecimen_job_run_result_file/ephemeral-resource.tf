resource "openspecimen_job_run" "export" {
  job_id = 7
}

# The export's rows, decoded during the apply and never written to the plan or the state.
ephemeral "openspecimen_job_run_result_file" "specimens" {
  job_id = openspecimen_job_run.export.job_id
  run_id = openspecimen_job_run.export.run_id
  decode = "csv"
}

# Hand the rows, as JSON, to a loader on the machine that runs Terraform, once per run.
# Ephemeral values may go to provisioners, provider blocks and write-only arguments. An
# environment variable holds at most 128 KiB on Linux: write larger files to disk with the
# data source's output_path instead.
resource "terraform_data" "load" {
  triggers_replace = openspecimen_job_run.export.run_id

  provisioner "local-exec" {
    command = "printf '%s' \"$SPECIMENS_JSON\" | ./load-specimens.sh"
    environment = {
      SPECIMENS_JSON = jsonencode(ephemeral.openspecimen_job_run_result_file.specimens.rows)
    }
  }
}
