# A job is imported by its id (the Jobs view shows it); Terraform 1.5 and later may use an
# import block with id = "42" instead.
terraform import openspecimen_scheduled_job.nightly_export 42
