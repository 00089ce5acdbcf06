# Terraform 1.12 and later: an import block names the job by its identity.
import {
  to = openspecimen_scheduled_job.nightly_export
  identity = {
    id = 42
  }
}
