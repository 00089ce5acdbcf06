// Package provider is the Terraform/OpenTofu face of the OpenSpecimen client: schemas,
// plan-time validation and diagnostics. Everything that talks to the server, and every
// promise about job runs (one trigger, one recorded run), lives in internal/client; this
// package only translates between Terraform values and the client's plain types.
package provider
