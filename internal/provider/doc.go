// Package provider is the Terraform/OpenTofu face of the OpenSpecimen client: schemas,
// plan-time validation, plan modification and diagnostics. Requests to the server live in
// internal/client, result files (download, unzip, hash, atomic write) in internal/resultfile;
// this package decides when to call them (a run is saved in state before it is waited for)
// and translates between Terraform values and their plain types.
package provider
