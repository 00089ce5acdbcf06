// Package mockserver is a faithful, in-process stand-in for the OpenSpecimen server's
// scheduled-jobs REST API (login, jobs, runs, result files), for the provider's tests and,
// through cmd/openspecimen-mockserver, for demos.
//
// It exists because the provider must be right against a real server whose behaviour is
// surprising, and a behaviour the mock does not have is one the tests cannot prove. So it
// reproduces the real server's quirks rather than an idealised API:
//
//   - POST /scheduled-jobs/{jobId}/runs answers 200 with the JOB, not the run. The trigger
//     waits in a queue, after the job's StartDelay, for one of Config.PoolSize threads (5)
//     shared by all jobs, first come first; its run record appears when it gets one, and
//     the run holds the thread until it ends.
//   - A new trigger replaces the job's trigger still queued, even another user's: the
//     replaced one never becomes a run. A trigger that gets its thread while its job has an
//     IN_PROGRESS run, or is not active (isActiveJob false), is dropped: answered 200, and no
//     run record is ever created for it.
//   - Reading a job, triggering it and listing its runs need the SCHEDULED_JOB read right
//     (else RBAC_ACCESS_DENIED, on every job call) and being an admin, the job's creator or
//     a user it is shared with (else SCHEDULED_JOB_OP_NOT_ALLOWED); a run is for an admin
//     or its runBy, its result file for the job's recipients too.
//   - User errors, not-found and forbidden included, are 400 with a JSON array
//     [{"code", "message"}]; a bad, missing or idle-expired token is 401 with an HTML body
//     (plus WWW-Authenticate: Basic when no credentials were sent); unknown URLs are the
//     container's HTML 404.
//   - GET /scheduled-jobs/{jobId}/runs/{runId} looks the run up by runId alone: jobId is
//     not checked, so a client must check the answer's jobId itself.
//   - The run list is newest first, capped by maxResults (default 100) with no offset;
//     an unknown job answers []; a non-admin user sees only the runs it ran.
//   - Zone-less dates (20220221, 20220221T061500) are read in the server's time zone, and
//     a date-only toDate is that day's start.
//   - Tokens expire after a period without use; HTTP Basic works when no token is sent.
//   - GET /users/current-user answers the caller's summary: how a client holding only a
//     token learns who it is.
//
// A run's status is computed from the clock on every read, under the server's one mutex:
// a run started at T by a job of duration D is IN_PROGRESS until T+D, then SUCCEEDED or
// FAILED as the job is configured, with finishedAt = T+D. Seeded runs (Config.Runs) keep
// the status they are given, so a seeded IN_PROGRESS run blocks its job forever. After
// RestartProcess (a restart of the server's process, where Restart is one of the network)
// the runs then in progress stay IN_PROGRESS forever, and the queued triggers are lost; on
// the newest line such a stale run no longer blocks its job, on the older it does. The clock
// is Config.Clock: the real one by default, or a ManualClock that a test advances to end
// runs, start delayed runs and expire tokens exactly when it wants.
//
// Faults (FaultConfig) add latency (real time), answer a share of requests 503, or carry
// out a share of triggers and then drop the connection without an answer, from a seeded
// random source.
//
// Tests start a server with New, point a client at URL, and inspect it with Runs,
// QueuedTriggers, BusyThreads, LoginCount and RequestCount; TriggerAs queues another
// user's trigger, StartRunAs starts another user's run at once. Hooks report events to
// wait on instead of sleeping: SetRequestHook (a request reached the handler),
// SetTriggerHook (a trigger is about to be carried out), SetRunStartHook (a run record
// was created) and SetTriggerDropHook (a trigger was replaced or dropped, and why).
// SetResponseHook sees each request of a route and may answer it in the
// server's place (ErrorReply, HTMLReply, any Reply, or a dropped connection): for the
// answers no configuration gives, such as a proxy's 502 or an error at the n-th login.
// Package mocktest starts a server for a test and logs in as a user. Stop and Restart make
// the server unreachable and bring it back with its state; Stop, Close and Shutdown end at
// once the requests that wait in injected latency or for a hook, which get no answer, so
// they never hang.
package mockserver
