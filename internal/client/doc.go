// Package client is a small client of OpenSpecimen's REST API for scheduled jobs: read and
// find jobs, trigger a run, find the run a trigger created, wait for it, list runs and
// download a run's result file. It knows nothing of Terraform.
//
// It is built in layers, each calling only the one below it: the transport (one retrying
// HTTP client per request policy, one error classifier, classify), the session (login, or
// check of the API token with GET /users/current-user, shared by concurrent callers, and one
// new login on a 401), the API calls (GetJob, Job once per client, ListJobs, JobByName,
// TriggerRun, ListRuns, GetRun, OpenResultFile), and on top StartRun and WaitForRun.
//
// StartRun exists because the trigger answers the job, not the run, and a trigger of a busy
// job is dropped without a word: DESIGN.md tells how the run is identified, why a trigger is
// never repeated blindly, and what happens when the caller gives up. WaitForRun reads the run
// until it has finished: at gaps of a fifth of its age, sparser before the job's usual span
// of durations and densely around the predicted end, from the history that StartRun hands
// it (Started.History) or one run list it reads itself. Every wait ends with its context, has a
// bound and caps consecutive read errors; statuses are a closed set.
//
// Errors are typed: *APIError (IsNotFound, IsCode) for an answer of the server,
// *ConfigError for a configuration New refuses, *LoginError, *JobNameError, and from StartRun
// *JobInactiveError, *JobRunningError, *TriggerDroppedError and *RunNotIdentifiedError. Log lines go to a *slog.Logger with the context of the call.
package client
