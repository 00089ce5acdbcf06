//go:build tools

// Package tools pins the versions of the command-line tools that make docs runs, in a
// module of its own so that their dependencies stay out of the provider's.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)
