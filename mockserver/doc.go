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
//   - A new trigger replaces the job's trigger still queued, even another user's, and a PUT
//     or DELETE of the job cancels it: the replaced or cancelled one never becomes a run. A trigger that gets its thread while its job has an
//     IN_PROGRESS run, or is not active (isActiveJob false), is dropped: answered 200, and no
//     run record is ever created for it.
//   - A call naming a job or a run looks it up first (unknown: not found, whoever asks),
//     then checks the caller's right on Scheduled Job (else RBAC_ACCESS_DENIED): Read to
//     read or trigger a job and to list jobs or runs, Create, Update and Delete to POST, PUT
//     and DELETE one. Reading and triggering a job are for an admin, its creator or a user
//     it is shared with (else SCHEDULED_JOB_OP_NOT_ALLOWED). The run list checks nothing
//     about its job ([] or the caller's own runs, never an error); a run needs read access
//     to its job and being an admin or its runBy; its result file needs no right, only
//     being an admin, its runBy or a recipient of its job.
//   - User errors, not-found and forbidden included, are 400 with a JSON array
//     [{"code", "message"}]; a bad, missing or idle-expired token is 401 with an HTML body
//     (plus WWW-Authenticate: Basic when no credentials were sent).
//   - GET /scheduled-jobs/{jobId}/runs/{runId} looks the run up by runId alone: jobId is
//     not checked, so a client must check the answer's jobId itself.
//   - The run list is newest first, capped by maxResults (default 100) with no offset;
//     an unknown job answers [].
//   - fromDate bounds the runs' startedAt (>=), toDate their finishedAt (<=), on both
//     lines: a run in progress is never in an answer that used toDate.
//   - Result files are streamed (no Content-Length) and purged Config.FileRetention (30
//     days) after their run ended, on the server's clock: the download then answers
//     SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND while the run keeps its logFilePath.
//   - A trigger whose body is not declared JSON (Content-Type application/json) is 415.
//   - Tokens expire after a period without use; HTTP Basic works when no token is sent.
//   - GET /users/current-user answers the caller's summary: how a client holding only a
//     token learns who it is.
//   - GET /config-settings (module, property), /config-settings/locale (utcOffset: the
//     zone's standard offset in milliseconds, negated) and /config-settings/app-props
//     (build_version) answer Config.Settings, with which saved-query exports are written
//     (separator, localised labels, date and time formats, values escaped as the server's
//     CsvFileWriter does).
//   - A scheduled run of a job without runAs runs as the system user $system.
//
// Jobs are managed as on the server: POST /scheduled-jobs creates one (its creator is the
// caller, its id the next above every job's), PUT /scheduled-jobs/{jobId} replaces it
// whole, DELETE /scheduled-jobs/{jobId} soft-deletes it (Disabled, renamed
// <name>_<epochMillis>); the last two are for an admin or the job's creator. A Disabled
// job, deleted or not, is left out of GET /scheduled-jobs, its count and the duplicate-name
// check, as the server's activeEntity filter leaves it out, and is still read by id. The body is the job's JSON, checked in the server's order with the
// server's codes, read in its source (SCHEDULED_JOB_NAME_REQUIRED,
// SCHEDULED_JOB_INVALID_SCHEDULED_TIME, SCHEDULED_JOB_QUERY_REQ, USER_ONE_OR_MORE_NOT_FOUND,
// ...; README.md lists them and when each is answered). A job's JSON answers nextRunOn as
// the server computes it at the read (the next occurrence from now, with now's seconds,
// whatever the job's status and dates; null for ONDEMAND). The mock fires an enabled job's
// schedule in Config.Timezone on the clock (on the older line only within its start and
// end dates), through the queue as its runAs user (else the system user $system), as the
// server's scheduler does. DAILY,
// WEEKLY and MONTHLY follow the server's Calendar arithmetic (a MONTHLY day the month
// lacks rolls over into the next month). MINUTELY and HOURLY differ: the server counts
// from the time it (re)schedules the job (now plus the interval; at the scheduled minute
// of the hour, plus the interval when that minute has passed), the mock from an anchor,
// the job's creation or last PUT (or startDate when later): MINUTELY fires at the
// anchor's minute plus every interval, HOURLY at the first scheduled minute at or after
// the anchor and every interval hours from it.
//
// Users and saved queries are served as the server serves them to a client that refers to
// them by name (README.md, "Users and saved queries"): GET /users (loginName, domainName,
// activityStatus, searchString, ...; every signed-in user lists every user, by first then
// last name), GET /users/{id} (UserDetail: domainName, no admin flag), GET /saved-queries
// (title search, newest first; a non-admin sees its own queries and those shared with it)
// and GET /saved-queries/{id} (any query, to a user with the Query right). UserConfig.ID
// gives users the ids of a given server, which differ between a test server and production.
//
// Config.Line chooses the server line the mock behaves as, where the two differ:
//
//   - Run list dates (Spring's @DateTimeFormat): the newest line (LineNewest, the default;
//     jakarta, Spring 6) takes only yyyy-MM-dd'T'HH:mm:ss.SSSX, three fraction digits and
//     a zone Z, +HH or +HHmm (2022-02-21T06:15:00.000Z); the older line (LineOlder; javax,
//     Spring 5) takes only yyyy-MM-dd HH:mm, read in Config.Timezone, ignoring any text
//     after the minutes. Every other form (20220221 and 20220221T061500 of the official
//     page included) is 400 INVALID_REQUEST.
//   - Which runs the list shows a non-admin: on the newest line only those it ran, of jobs
//     it created or that are shared with it; on the older line all.
//   - An unknown URL (404), a wrong method (405) and a trigger's unsupported media type
//     (415): JSON problem details (application/problem+json) on the newest line, the
//     container's HTML page on the older (and outside the REST root on both). A server
//     error's code is INTERNAL_ERROR on the newest, internal_error on the older.
//   - Config.MaxLoginSessions (auth.max_login_sessions), on the newest line only: each
//     login ends the user's oldest sessions beyond it, whose tokens then get 401; a
//     Basic-auth call is a login too, which takes one of the places.
//   - isActiveJob: on the older line, a scheduled job (not ONDEMAND) is not active before
//     its startDate or after its endDate.
//   - A run left IN_PROGRESS by RestartProcess blocks its job on the older line only (below).
//   - EXTERNAL jobs: the newest line refuses them in POST and PUT /scheduled-jobs, and every
//     run of an existing one FAILS at once, its message saying why; the older line runs
//     them, and refuses one without a command (SCHEDULED_JOB_EXTERNAL_COMMAND_REQUIRED).
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
// user's trigger, StartRunAs starts another user's run at once, DeleteSavedQuery deletes a
// saved query (and so its jobs), ExpireTokens ends every session, SetFaults changes the
// faults. Hooks report events to
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
