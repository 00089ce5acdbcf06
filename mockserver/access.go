package mockserver

import "net/http"

// codeAccessDenied is the server's answer to a user without the right a call needs.
const codeAccessDenied = "RBAC_ACCESS_DENIED"

// jobRights checks that u holds the SCHEDULED_JOB read right, which every job call needs.
// It answers the error to write when not.
func jobRights(u *user) *apiError {
	if u.cfg.NoJobRights {
		return &apiError{codeAccessDenied, "Access denied: you do not have rights to read scheduled jobs."}
	}
	return nil
}

// jobAccess checks that u may read, trigger and list the runs of j: the read right, and
// being an admin, the job's creator or a user it is shared with. It answers the error to
// write when not.
func jobAccess(u *user, j *job) *apiError {
	if denied := jobRights(u); denied != nil {
		return denied
	}
	if !j.visibleTo(u) {
		return &apiError{codeOpNotAllowed, "You are not allowed to perform this operation on the scheduled job."}
	}
	return nil
}

// withJobRights answers 400 RBAC_ACCESS_DENIED itself to a caller without the read right,
// before h reads the request.
func withJobRights(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		if denied := jobRights(u); denied != nil {
			writeError(w, http.StatusBadRequest, denied.Code, denied.Message)
			return
		}
		h(w, r, u)
	}
}

// jobManageAccess checks that u may replace or delete j: the read right, and being an
// admin or the job's creator (a user it is shared with may not). It answers the error to
// write when not.
func jobManageAccess(u *user, j *job) *apiError {
	if denied := jobRights(u); denied != nil {
		return denied
	}
	if !u.cfg.Admin && j.createdBy != u {
		return &apiError{codeOpNotAllowed, "Only an admin or the job's creator may change or delete the scheduled job."}
	}
	return nil
}
