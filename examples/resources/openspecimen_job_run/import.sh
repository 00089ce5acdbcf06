# A run is imported by its job id and run id, separated by a slash.
terraform import openspecimen_job_run.nightly_export 7/42
