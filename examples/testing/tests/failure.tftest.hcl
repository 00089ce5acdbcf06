# A job whose run FAILS. expect_failures cannot catch an error of a provider (it catches the
# failed conditions of the configuration: variables' validations, pre- and postconditions,
# check blocks), so the run is recorded with ignore_failure and the status is asserted. Run
# against a fresh mock: `terraform test -filter=tests/failure.tftest.hcl`.
run "failed_export_is_recorded" {
  command = apply

  variables {
    job_name       = "Broken export"
    ignore_failure = true
    read_rows      = false # a FAILED run has no file
  }

  assert {
    condition     = openspecimen_job_run.export.status == "FAILED"
    error_message = "The run of the broken job is ${openspecimen_job_run.export.status}, not FAILED."
  }

  assert {
    condition     = openspecimen_job_run.export.message == "Query failed: the saved query was deleted"
    error_message = "The run's message is '${coalesce(openspecimen_job_run.export.message, "")}'."
  }
}
