// Package client is a small client of OpenSpecimen's REST API for scheduled jobs: read a
// job, trigger a run, find the run a trigger created, wait for it, list runs and download a
// run's result file. It knows nothing of Terraform.
//
// It is built in layers, each calling only the one below it: the transport (one retrying
// HTTP client per request policy, one error classifier, classify), the session (login,
// shared by concurrent callers, and one new login on a 401), the API calls (GetJob,
// TriggerRun, ListRuns, GetRun, OpenResultFile), and on top StartRun and WaitForRun.
//
// StartRun exists because the trigger answers the job, not the run, and a trigger of a busy
// job is dropped without a word: DESIGN.md tells how the run is identified, why a trigger is
// never repeated blindly, and what happens when the caller gives up. WaitForRun reads the run
// until it has finished, densely around the end predicted from the job's past durations;
// concurrent waits of one run share one poll loop. Every wait ends with its context, has a
// bound and caps consecutive read errors; statuses are a closed set.
//
// Errors are typed: *APIError (IsNotFound, IsCode) for an answer of the server,
// *ConfigError for a configuration New refuses, *LoginError, *JobRunningError and
// *RunNotIdentifiedError. Log lines go to a *slog.Logger with the context of the call.
package client
