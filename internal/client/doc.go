// Package client is a small client of OpenSpecimen's REST API for scheduled jobs: read and
// find jobs, start a run and find the run its trigger created, wait for it, list runs and
// download a run's result file. It knows nothing of Terraform.
//
// It is built in layers, each calling only the one below it: the transport (transport.go:
// one retrying HTTP client per request policy, the trigger's never retried, and one error
// classifier, classify), the session (client.go: a login, or a check of the API token with
// GET /users/current-user, then a read of the server's settings (settings.go), once, when a
// call first needs them, shared by concurrent callers, and one new login on a 401), the
// API calls (jobs.go: GetJob, ListJobs, JobByName, ListRuns, GetRun, OpenResultFile, and the
// trigger, which only StartRun sends), and on top, in the order a run goes through them:
//
//   - StartRun (run.go) reads the job (an inactive one is refused), reads its newest runs and
//     applies the IfRunning policy, triggers, and finds the trigger's run (find.go): the
//     oldest run newer than the baseline by this user with these args. It reads on for as
//     long as its context lasts, and triggers again only when the server shows that it
//     dropped the trigger; when the context ends first, a *RunPendingError holds the
//     Trigger, whose run FindRun (one look) and AwaitRun (until a context ends) find later
//     without triggering. DESIGN.md tells why.
//   - the caller saves the run (the provider, in state);
//   - WaitForRun (wait.go) reads the run until it has finished: at gaps of a fifth of its
//     age, sparser before the job's usual span of durations and densely around the predicted
//     end, from the History that StartRun hands over (history.go) or one run list it reads
//     itself. Every wait ends with its context, has a bound and caps consecutive read
//     errors; statuses are a closed set.
//
// Errors are typed: *APIError (IsNotFound, IsCode) for an answer of the server,
// *ConfigError for a configuration New refuses, *LoginError, *JobNameError, and from the
// start *JobInactiveError, *JobRunningError, *JobBusyError, *TriggerDroppedError and
// *RunPendingError; IsUntrustedCertificate and IsRequestTimeout tell the failures a
// configuration mends, IsUnreachable a request that reached no server at all. The
// messages state what happened in the API's words: the caller adds its own advice. Log
// lines go to a *slog.Logger with the context of the call.
package client
