package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

// The kinds of Terraform 1.14 and later. Older Terraform and OpenTofu do not ask for them,
// so the same provider works there without them.
var (
	_ provider.ProviderWithActions       = (*openSpecimenProvider)(nil)
	_ provider.ProviderWithListResources = (*openSpecimenProvider)(nil)
)

func (p *openSpecimenProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{
		NewJobRunAction,
	}
}

func (p *openSpecimenProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewJobRunListResource,
	}
}
