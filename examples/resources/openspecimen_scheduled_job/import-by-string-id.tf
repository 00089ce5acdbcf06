# Terraform 1.5 and later: an import block names the job by its id (the Jobs view shows it).
import {
  to = openspecimen_scheduled_job.nightly_export
  id = "42"
}
