# Terraform 1.12 and later: an import block names the run by its identity.
import {
  to = openspecimen_job_run.nightly_export
  identity = {
    job_id = 7
    run_id = 42
  }
}
