#!/usr/bin/env bash
# docs.sh generates docs/ with tfplugindocs, or checks it and the examples.
#
#   scripts/docs.sh generate   regenerate docs/ from the schemas, examples/ and templates/
#   scripts/docs.sh check      fail when docs/ differs from what generate would write, when
#                              tfplugindocs validate or terraform fmt complain, or when an
#                              example does not validate
#
# tfplugindocs would export the provider schema with a terraform binary it installs, through a
# registry. Here the schema is exported by the newest Terraform of the matrix (TERRAFORM_NEWEST),
# the one CLI that knows every kind of this provider (ephemeral resources, actions, list
# resources), through a dev_overrides CLI config that loads bin/terraform-provider-openspecimen,
# and handed to tfplugindocs with --providers-schema. `make docs` and `make docs-check` build
# what this needs and set TERRAFORM, TERRAFORM_NEWEST and TOFU to the CLIs in bin/.
set -euo pipefail

mode=${1:?usage: docs.sh generate|check}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
terraform=${TERRAFORM:-$bin/terraform}
newest=${TERRAFORM_NEWEST:?set TERRAFORM_NEWEST to the newest Terraform CLI, as make docs does}
tofu=${TOFU:-$bin/tofu}
cd "$root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$root/scripts/dev-overrides.sh"
use_dev_overrides "$tmp" "$bin"

# The provider schema, exported by Terraform (no init: dev_overrides need none). tfplugindocs
# looks the schema up under the provider's short name or registry.terraform.io/hashicorp/<name>,
# so the key is renamed from registry.terraform.io/openspecimen-iac/openspecimen.
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
(cd "$tmp/schema" && "$newest" providers schema -json) >"$tmp/schema.raw.json"
sed 's#"provider_schemas":{"registry.terraform.io/openspecimen-iac/openspecimen":#"provider_schemas":{"registry.terraform.io/hashicorp/openspecimen":#' \
  "$tmp/schema.raw.json" >"$tmp/schema.json"
for kind in resource_schemas data_source_schemas ephemeral_resource_schemas action_schemas list_resource_schemas; do
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

# The newest Terraform formats the .tfquery.hcl files too.
echo "== terraform fmt -check -recursive examples"
"$newest" fmt -check -diff -recursive examples || fail "examples need 'terraform fmt -recursive examples' (Terraform 1.14 or later)"

# Every example folder validates. The resource and data source examples leave the provider's
# required_providers block to examples/provider/provider.tf, as registry pages do, so it is
# added to their copy. Each folder is validated by every CLI of the matrix that can parse it:
# Terraform 1.5 cannot parse ephemeral blocks nor import blocks by identity, OpenTofu and
# Terraform before 1.14 neither action blocks nor queries (.tfquery.hcl, validated with
# validate -query).
echo "== validate every example folder"
while IFS= read -r dir; do
  work=$tmp/validate/${dir//\//_}
  mkdir -p "$work"
  find "$dir" -maxdepth 1 \( -name '*.tf' -o -name '*.tfquery.hcl' \) -exec cp {} "$work"/ \;
  if ! grep -qs required_providers "$work"/*.tf; then
    cp examples/provider/provider.tf "$work/provider.tf"
  fi
  clis=("$terraform" "$newest" "$tofu")
  args=()
  if grep -qs '^ephemeral ' "$work"/*.tf; then clis=("$newest" "$tofu"); fi
  if grep -qs '^action ' "$work"/*.tf; then clis=("$newest"); fi
  if compgen -G "$work/*.tfquery.hcl" >/dev/null; then clis=("$newest") args=(-query); fi
  # The import-*.tf files of a folder are alternative ways to import into its resources (its
  # registry page shows them one by one), so each is validated with the folder's other files.
  variants=("$work")
  mapfile -t imports < <(find "$work" -maxdepth 1 -name 'import-*.tf' | sort)
  if ((${#imports[@]} > 1)); then
    variants=()
    for f in "${imports[@]}"; do
      v=$work.$(basename "$f" .tf)
      rm -rf "$v" && cp -r "$work" "$v" && rm -f "$v"/import-*.tf && cp "$f" "$v"/
      variants+=("$v")
    done
  fi
  for variant in "${variants[@]}"; do
    label=$dir
    [[ $variant == "$work" ]] || label="$dir with ${variant##*.}.tf"
    for cli in "${clis[@]}"; do
      dirv=$variant
      if [[ $cli == "$terraform" ]] && grep -qs '^  identity = {' "$variant"/*.tf; then
        # Terraform 1.5 cannot parse an import block by identity (1.12+): it validates the rest.
        dirv=$variant.tf15
        rm -rf "$dirv" && cp -r "$variant" "$dirv"
        grep -ls '^  identity = {' "$dirv"/*.tf | xargs rm -f
      fi
      if out=$(cd "$dirv" && "$cli" validate -no-color "${args[@]}" 2>&1); then
        echo "ok   $label (${cli##*/})"
      else
        echo "$out" >&2
        fail "$label does not validate on ${cli##*/}"
      fi
    done
  done
done < <(find examples \( -name '*.tf' -o -name '*.tfquery.hcl' \) -printf '%h\n' | sort -u)

exit "$failed"
