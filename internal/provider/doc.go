// Package provider is the Terraform/OpenTofu face of the OpenSpecimen client: schemas,
// plan-time validation, plan modification and diagnostics. Requests to the server live in
// internal/client, result files (download, unzip, hash, atomic write) in internal/resultfile;
// this package decides when to call them (a run is saved in state before it is waited for)
// and translates between Terraform values and their plain types.
//
// provider.go configures one client per provider block (credentials.go: the block over the
// environment, per login method) and sends nothing: each object that needs the server first
// passes the login gate (providerData.loggedIn), so that a command that needs no server
// (the destroy of job runs) runs without one, and a failed login is told once. Each type has
// its file; what several share is in run_model.go (a run, its filters, its diagnostics),
// job_model.go (a job), date_type.go (a job's dates) and empty.go (the empty string as
// unset). DESIGN.md says why.
package provider
