# Run the saved-query export job 7 for collection protocol 12 now, without keeping a
# resource in state (Terraform 1.14 or later):
#
#   terraform apply -invoke=action.openspecimen_job_run.export_now
#
# Each invoke triggers exactly one run, waits for it and prints its progress; a FAILED run
# fails the apply with the run's message.
action "openspecimen_job_run" "export_now" {
  config {
    job_id            = 7
    args              = "--cp 12"
    if_running        = "fail" # do not queue behind a run already in progress
    progress_interval = "1m"

    timeouts {
      invoke = "45m"
    }
  }
}
