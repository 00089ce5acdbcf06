// Command terraform-provider-openspecimen serves the OpenSpecimen provider to Terraform and
// OpenTofu over the plugin protocol.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/provider"
)

// version is set by goreleaser at release time.
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/openspecimen-iac/openspecimen",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
