#!/usr/bin/env bash
# install-local.sh builds the provider and places it in the implied local mirror of Terraform
# and OpenTofu, so that `terraform init` and `tofu init` install it with no CLI configuration:
#
#   $HOME/.terraform.d/plugins/<host>/openspecimen-iac/openspecimen/<version>/<os>_<arch>/
#       terraform-provider-openspecimen_v<version>
#
# for <host> registry.terraform.io (where Terraform looks for source =
# "openspecimen-iac/openspecimen") and registry.opentofu.org (where OpenTofu looks). The
# version is that of CHANGELOG.md's newest entry ("## 0.1.0 (Unreleased)"), so that a
# configuration's version = "~> 0.1" matches it. `make install-local` calls it. It prints the
# paths it wrote.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(sed -n 's/^## \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\)\( .*\)\{0,1\}$/\1/p' CHANGELOG.md | head -1)
if [[ -z $version ]]; then
  echo "install-local: CHANGELOG.md has no entry '## X.Y.Z ...' to take the version from" >&2
  exit 1
fi
: "${HOME:?install-local: HOME is not set}"
target=$(go env GOOS)_$(go env GOARCH)
binary=terraform-provider-openspecimen_v$version

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# As the release builds it (.goreleaser.yml): static, its version set.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$tmp/$binary" .

for host in registry.terraform.io registry.opentofu.org; do
  dir=$HOME/.terraform.d/plugins/$host/openspecimen-iac/openspecimen/$version/$target
  mkdir -p "$dir"
  # A file of another build left there is replaced, not mixed with this one.
  rm -f "$dir"/terraform-provider-openspecimen*
  cp "$tmp/$binary" "$dir/$binary"
  echo "installed $dir/$binary"
done
