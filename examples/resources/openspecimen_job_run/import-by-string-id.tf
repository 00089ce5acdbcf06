# An import block with the run's import id, JOB_ID/RUN_ID (Terraform 1.5 and later).
import {
  to = openspecimen_job_run.nightly_export
  id = "7/42"
}
