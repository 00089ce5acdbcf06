# A successful export: the run SUCCEEDED and its rows are the mock's (mock.json). Run against
# a fresh mock: `terraform test -filter=tests/export.tftest.hcl`.
run "export_succeeds" {
  command = apply

  assert {
    condition     = openspecimen_job_run.export.status == "SUCCEEDED"
    error_message = "The export run is ${openspecimen_job_run.export.status}, not SUCCEEDED."
  }

  assert {
    condition     = output.specimen_labels == tolist(["SP-1001", "SP-1002", "SP-1003"])
    error_message = "The export holds ${jsonencode(output.specimen_labels)}."
  }

  assert {
    condition     = nonsensitive(data.openspecimen_job_run_result_file.export[0].rows[0]["Collection Protocol"]) == "CP-TB"
    error_message = "The first row is not of collection protocol CP-TB."
  }

  assert {
    condition     = nonsensitive(data.openspecimen_job_run_result_file.export[0].export_metadata["Exported By"]) == "CI Bot"
    error_message = "The export was not made by the test's user."
  }
}

# Another collection protocol is another run: a change of args replaces the run, on the same
# mock, whose state goes on from the run before.
run "export_again_for_another_protocol" {
  command = apply

  variables {
    collection_protocol = "CP-HEART"
  }

  assert {
    condition     = openspecimen_job_run.export.args == "--cp CP-HEART" && openspecimen_job_run.export.status == "SUCCEEDED"
    error_message = "The second export did not run with --cp CP-HEART."
  }

  # The mock numbers runs on from its highest: this suite's second run is run 2.
  assert {
    condition     = openspecimen_job_run.export.run_id == 2
    error_message = "The second export is run ${openspecimen_job_run.export.run_id}, not a new run 2."
  }
}
