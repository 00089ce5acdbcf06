package mockserver

import (
	"net/http"
	"slices"
)

// codeAccessDenied is the server's answer to a user without the right a call needs.
const codeAccessDenied = "RBAC_ACCESS_DENIED"

// The operations a role grants on the Scheduled Job resource (AccessCtrlMgr): reading a job
// also lets a user trigger it and list its runs.
const (
	OpRead   = "Read"
	OpCreate = "Create"
	OpUpdate = "Update"
	OpDelete = "Delete"
)

// jobOps are the operations of UserConfig.JobRights, in the order the README lists them.
var jobOps = []string{OpRead, OpCreate, OpUpdate, OpDelete}

// can says whether u holds the right to op on Scheduled Job: an admin holds every right, a
// user with NoJobRights none, another user those of JobRights (every one when it is nil).
func (u *user) can(op string) bool {
	switch {
	case u.cfg.Admin:
		return true
	case u.cfg.NoJobRights:
		return false
	case u.cfg.JobRights == nil:
		return true
	}
	return slices.Contains(u.cfg.JobRights, op)
}

// jobRight checks that u holds the right to op on Scheduled Job, as
// AccessCtrlMgr.ensureScheduledJobRights does. It answers the error to write when not.
func jobRight(u *user, op string) *apiError {
	if !u.can(op) {
		return &apiError{codeAccessDenied, "Access denied: you do not have the right to " + op + " scheduled jobs."}
	}
	return nil
}

// jobAccess checks that u may read and trigger j (ensureReadScheduledJobRights(job),
// ensureRunJobRights): the Read right, and being an admin, the job's creator or a user it is
// shared with. It answers the error to write when not.
func jobAccess(u *user, j *job) *apiError {
	if denied := jobRight(u, OpRead); denied != nil {
		return denied
	}
	if !j.visibleTo(u) {
		return &apiError{codeOpNotAllowed, "You are not allowed to perform this operation on the scheduled job."}
	}
	return nil
}

// withJobRight answers 400 RBAC_ACCESS_DENIED itself to a caller without the right to op,
// before h reads the request: the job list, its count and the run list check the right
// before anything else (they name no job the server looks up first).
func withJobRight(op string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		if denied := jobRight(u, op); denied != nil {
			writeError(w, http.StatusBadRequest, denied.Code, denied.Message)
			return
		}
		h(w, r, u)
	}
}

// jobManageAccess checks that u may replace (OpUpdate) or delete (OpDelete) j: the right to
// op, and being an admin or the job's creator (a user it is shared with may not). It
// answers the error to write when not.
func jobManageAccess(u *user, j *job, op string) *apiError {
	if denied := jobRight(u, op); denied != nil {
		return denied
	}
	if !u.cfg.Admin && j.createdBy != u {
		return &apiError{codeOpNotAllowed, "Only an admin or the job's creator may change or delete the scheduled job."}
	}
	return nil
}

// runAccess checks that u may read run (ScheduledJobServiceImpl.getJobRun): read access to
// its job, and being an admin or the run's runBy. It answers the error to write when not.
func runAccess(u *user, run *run) *apiError {
	if denied := jobAccess(u, run.job); denied != nil {
		return denied
	}
	if !u.cfg.Admin && run.runBy != u {
		return &apiError{codeOpNotAllowed, "You do not have rights to access this job run."}
	}
	return nil
}

// fileAccess checks that u may download run's result file (getJobResultFile): no right is
// needed, only being an admin, the run's runBy or one of its job's recipients. It answers
// the error to write when not.
func fileAccess(u *user, run *run) *apiError {
	if u.cfg.Admin || run.runBy == u || slices.Contains(run.job.recipients, u) {
		return nil
	}
	return &apiError{codeOpNotAllowed, "You do not have rights to access this job run."}
}
