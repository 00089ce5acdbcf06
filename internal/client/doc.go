// Package client is a small client of OpenSpecimen's REST API for scheduled jobs: read, find,
// create, update and delete jobs, start a run and find the run its trigger created, wait for
// it, list runs, download a run's result file, and find users and saved queries by name. It
// knows nothing of Terraform.
//
// A request goes through send (transport.go), one request through the retrying HTTP client
// of its policy: retryRead for reads and the PUT of a job, retryLogin for a login,
// retryNever for the trigger, a POST and a DELETE. The API calls go through do, which adds
// the session (client.go): the API token, or the token of a login made on first use, and on
// a 401 one new login and one repeat. Login logs in (or learns whom the token belongs to,
// with GET /users/current-user), then reads the server's settings once (settings.go: its
// line, its zone, its exports' separator), shared by concurrent callers. The API calls are in jobs.go
// (GetJob, ListJobs, JobByName, ListRuns, GetRun, OpenResultFile, and the trigger, which
// only StartRun sends), job_definitions.go (CreateJob, UpdateJob, DeleteJob, JobsNamed,
// FindCreatedJob: a write whose answer is lost is settled, never sent blindly again),
// users.go (ListUsers, GetUser, UserByLogin) and saved_queries.go (ListSavedQueries,
// GetSavedQuery, SavedQueryByTitle). On top, in the order a run goes through them:
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
// *ConfigError for a configuration New refuses, *LoginError; from the start
// *JobInactiveError, *JobRunningError, *JobBusyError, *TriggerDroppedError and
// *RunPendingError; from the job writes *JobNameTakenError, *JobDeletedError,
// *JobCreateUnknownError and *JobWriteLostError; from the look-ups by name *JobNameError,
// *UserLoginError and *SavedQueryTitleError. IsUntrustedCertificate and IsRequestTimeout
// tell the failures a configuration mends, IsUnreachable a request that reached no server at
// all. The messages state what happened in the API's words: the caller adds its own advice.
// Log lines go to a *slog.Logger with the context of the call.
package client
