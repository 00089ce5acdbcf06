#!/usr/bin/env bash
# docs.sh generates docs/ with tfplugindocs, or checks it and the examples.
#
#   scripts/docs.sh generate   regenerate docs/ from the schemas, examples/ and templates/
#   scripts/docs.sh check      fail when docs/ differs from what generate would write, when
#                              tfplugindocs validate or terraform fmt complain, or when an
#                              example does not validate
#
# tfplugindocs would export the provider schema with a terraform binary, but Terraform 1.5.7
# predates ephemeral resources and leaves them out. So the schema is exported here with OpenTofu
# (bin/tofu), through a dev_overrides CLI config that loads bin/terraform-provider-openspecimen,
# and handed to tfplugindocs with --providers-schema. `make docs` and `make docs-check` build
# what this needs.
set -euo pipefail

mode=${1:?usage: docs.sh generate|check}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
cd "$root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$root/scripts/dev-overrides.sh"
use_dev_overrides "$tmp" "$bin"

# The provider schema, exported by OpenTofu (no init: dev_overrides need none). tfplugindocs
# looks the schema up under the provider's short name or registry.terraform.io/hashicorp/<name>,
# so the key is renamed from OpenTofu's registry.opentofu.org/openspecimen-iac/openspecimen.
mkdir "$tmp/schema"
cat >"$tmp/schema/main.tf" <<'TF'
terraform {
  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}
TF
(cd "$tmp/schema" && "$bin/tofu" providers schema -json) >"$tmp/schema.raw.json"
sed 's#"provider_schemas":{"registry.opentofu.org/openspecimen-iac/openspecimen":#"provider_schemas":{"registry.terraform.io/hashicorp/openspecimen":#' \
  "$tmp/schema.raw.json" >"$tmp/schema.json"
for kind in resource_schemas data_source_schemas ephemeral_resource_schemas; do
  if ! grep -q "\"registry.terraform.io/hashicorp/openspecimen\":.*\"$kind\":{\"openspecimen_" "$tmp/schema.json"; then
    echo "docs: the exported provider schema has no $kind" >&2
    exit 1
  fi
done

tfplugindocs() {
  "$bin/tfplugindocs" "$1" --provider-dir "$2" --provider-name openspecimen \
    --providers-schema "$tmp/schema.json" "${@:3}"
}

if [[ $mode == generate ]]; then
  tfplugindocs generate "$root" --rendered-provider-name OpenSpecimen
  exit 0
fi
[[ $mode == check ]] || { echo "usage: docs.sh generate|check" >&2; exit 2; }

failed=0
fail() {
  echo "docs-check: $*" >&2
  failed=1
}

echo "== docs/ is what tfplugindocs generates"
mkdir "$tmp/site"
cp -r examples templates "$tmp/site/"
if [[ -d docs ]]; then cp -r docs "$tmp/site/"; fi
tfplugindocs generate "$tmp/site" --rendered-provider-name OpenSpecimen >"$tmp/generate.log" 2>&1 ||
  { cat "$tmp/generate.log" >&2; exit 1; }
if ! diff -ru docs "$tmp/site/docs"; then
  fail "docs/ is out of date: run 'make docs' and commit docs/"
fi

echo "== tfplugindocs validate"
if ! tfplugindocs validate "$root" >"$tmp/validate.log" 2>&1; then
  cat "$tmp/validate.log" >&2
  fail "tfplugindocs validate failed"
fi

echo "== terraform fmt -check -recursive examples"
"$bin/terraform" fmt -check -diff -recursive examples || fail "examples need 'terraform fmt -recursive examples'"

# Every example folder validates. The resource and data source examples leave the provider's
# required_providers block to examples/provider/provider.tf, as registry pages do, so it is
# added to their copy. Terraform 1.5 cannot parse ephemeral blocks: those folders are
# validated by OpenTofu only; the others by both CLIs.
echo "== validate every example folder"
while IFS= read -r dir; do
  work=$tmp/validate/${dir//\//_}
  mkdir -p "$work"
  cp "$dir"/*.tf "$work"/
  if ! grep -qs required_providers "$work"/*.tf; then
    cp examples/provider/provider.tf "$work/provider.tf"
  fi
  clis=(terraform tofu)
  if grep -qs '^ephemeral ' "$work"/*.tf; then clis=(tofu); fi
  for cli in "${clis[@]}"; do
    if out=$(cd "$work" && "$bin/$cli" validate -no-color 2>&1); then
      echo "ok   $dir ($cli)"
    else
      echo "$out" >&2
      fail "$dir does not validate on $cli"
    fi
  done
done < <(find examples -name '*.tf' -printf '%h\n' | sort -u)

exit "$failed"
