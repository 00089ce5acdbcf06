// Package client is a small client of OpenSpecimen's REST API for scheduled jobs: read a
// job, trigger a run, find the run a trigger created, wait for it, list runs and download a
// run's result file. It knows nothing of Terraform.
//
// # Why it is more than a thin wrapper
//
// OpenSpecimen's trigger, POST /scheduled-jobs/{jobId}/runs, answers with the job, not with
// the run it queued, and it silently drops the trigger while the job has a run in progress
// (or is disabled): the answer is the same 200 either way. There is no request id to
// correlate. StartRun therefore identifies the run itself: it notes the newest run before
// triggering (waiting for, or refusing, a run in progress), triggers once, and polls the run
// list for the first newer run by this user with these args. It never takes someone else's
// run (another user, or other args), triggers again a bounded number of times when nothing
// appears, and reports a *RunNotIdentifiedError rather than guessing. With an API token the
// login name is unknown, so only the args and the run id tell runs apart.
//
// A trigger is not idempotent, so the transport never retries it. After an ambiguous failure
// (no answer, a 5xx) the client first looks for a run that trigger may have created before it
// triggers again. Reads (GET) and DELETE /sessions are retried with bounded, jittered backoff
// on connection errors, 429 and 5xx.
//
// # Other quirks handled here
//
//   - Errors are 400 with a JSON array [{"code", "message"}], even for "not found"; 401 comes
//     with an HTML page. Every error answer becomes an *APIError (IsNotFound, IsCode); bodies
//     are read with a bound, so a 10 MB error page costs 64 KiB.
//   - A session token expires after an idle hour: on 401 the client logs in again once
//     (one login shared by all concurrent callers) and repeats the request once. A user who
//     must reset the password gets a *LoginError saying so.
//   - GET /scheduled-jobs/{jobId}/runs/{runId} ignores jobId: GetRun checks it.
//   - The run list's date filters differ between server versions (forms, and toDate compared
//     with finishedAt): ListRuns sends the documented form and filters the answer again.
//
// WaitForRun polls adaptively: quickly at first, then backing off, densely around the end
// predicted from the job's past run durations. Every wait respects the context.
package client
