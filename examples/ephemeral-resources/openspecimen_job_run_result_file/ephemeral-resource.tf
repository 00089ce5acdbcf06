resource "openspecimen_job_run" "export" {
  job_id = 7
}

# The CSV's bytes, read during the apply and never written to the plan or the state.
ephemeral "openspecimen_job_run_result_file" "csv" {
  job_id = openspecimen_job_run.export.job_id
  run_id = openspecimen_job_run.export.run_id
}

# Hand the CSV to a loader on the machine that runs Terraform, once per run. Ephemeral
# values may go to provisioners, provider blocks and write-only arguments. An environment
# variable holds at most 128 KiB on Linux: write larger files to disk with the data
# source's output_path instead.
resource "terraform_data" "load" {
  triggers_replace = openspecimen_job_run.export.run_id

  provisioner "local-exec" {
    command = "printf '%s' \"$SPECIMENS_CSV\" | ./load-specimens.sh"
    environment = {
      SPECIMENS_CSV = ephemeral.openspecimen_job_run_result_file.csv.content
    }
  }
}
