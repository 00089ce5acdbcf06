#!/usr/bin/env bash
# test-install-local.sh proves the README's installation: on a HOME with an empty
# .terraform.d and no CLI configuration (a temporary one; the real HOME is never touched),
# `make install-local`, then `terraform init` and `tofu init` in a fresh configuration with
# source = "openspecimen-iac/openspecimen" and version = "~> 0.1" install the provider from
# the implied local mirror and write the lock file, and `apply` against the mock works, on
# Terraform 1.5.7, Terraform 1.16.4 and OpenTofu. Then the README's filesystem_mirror block,
# with the release's zip in its packed layout, does the same in another empty HOME.
# `make test-install-local` calls it.
set -euo pipefail

. "$(dirname "$0")/test-lib.sh"
. "$root/scripts/temp-home.sh"
clis=("$terraform" "$newest" "$tofu")

use_temp_home "$tmp"
echo "== make install-local (HOME=$HOME)"
install_local

start_mock "$tmp" -config "$root/examples/mock.json"
export OPENSPECIMEN_USERNAME=export-bot OPENSPECIMEN_PASSWORD=Export-bot@123

# init_and_apply WHAT: in a fresh configuration, each CLI's init installs the provider and
# writes the lock file, and an apply against the mock runs the job.
init_and_apply() {
  local what=$1 cli name work status
  for cli in "${clis[@]}"; do
    name=$("$cli" version | sed -n 1p)
    work=$(mktemp -d "$tmp/work.XXXX")
    write_config "$work/main.tf"
    if ! (cd "$work" && "$cli" init -input=false -no-color >init.log 2>&1); then
      cat "$work/init.log" >&2
      fail "$name: init failed ($what)"
    fi
    if ! grep -q 'Installed openspecimen-iac/openspecimen v0\.' "$work/init.log" ||
      ! grep -q 'provider "registry\.\(terraform\.io\|opentofu\.org\)/openspecimen-iac/openspecimen"' "$work/.terraform.lock.hcl"; then
      cat "$work/init.log" >&2
      fail "$name: init did not install the provider or lock it ($what)"
    fi
    (cd "$work" && "$cli" apply -auto-approve -input=false -no-color >apply.log 2>&1) ||
      { cat "$work/apply.log" >&2; fail "$name: apply failed ($what)"; }
    status=$(cd "$work" && "$cli" output -raw status)
    [[ $status == SUCCEEDED ]] || fail "$name: the run is $status, not SUCCEEDED"
    echo "ok   $name: init installed $(sed -n 's/.*Installed \(openspecimen-iac\/openspecimen v[^ ]*\).*/\1/p' "$work/init.log") ($what), lock file written, run SUCCEEDED"
  done
}

# write_config FILE writes the README's configuration ("Against your server"), pointed at the
# mock by OPENSPECIMEN_URL and credentials in the environment.
write_config() {
  cat >"$1" <<'TF'
terraform {
  required_providers {
    openspecimen = {
      source  = "openspecimen-iac/openspecimen"
      version = "~> 0.1"
    }
  }
}

provider "openspecimen" {}

resource "openspecimen_job_run" "export" {
  job_id   = 7
  args     = "--cp 12"
  triggers = { release = "v2" }
}

output "status" {
  value = openspecimen_job_run.export.status
}
TF
}

init_and_apply "from \$HOME/.terraform.d/plugins, no CLI configuration"

# The release's zip (as .goreleaser.yml names it: the binary alone), kept as it is in a folder
# per host, and the README's provider_installation block naming that folder.
version=$(ls "$HOME/.terraform.d/plugins/registry.terraform.io/openspecimen-iac/openspecimen")
target=$(go env GOOS)_$(go env GOARCH)
mirror=$tmp/mirror
for host in registry.terraform.io registry.opentofu.org; do
  mkdir -p "$mirror/$host/openspecimen-iac/openspecimen"
  (cd "$HOME/.terraform.d/plugins/$host/openspecimen-iac/openspecimen/$version/$target" &&
    zip -q "$mirror/$host/openspecimen-iac/openspecimen/terraform-provider-openspecimen_${version}_$target.zip" \
      "terraform-provider-openspecimen_v$version")
done
use_temp_home "$tmp/mirror-user"
awk '/^provider_installation \{/ { on = 1 } on { print } on && /^\}/ { exit }' "$root/README.md" |
  sed "s#/opt/terraform/providers#$mirror#" >"$tmp/mirror.tfrc"
grep -q "path *= \"$mirror\"" "$tmp/mirror.tfrc" || fail "README.md has no filesystem_mirror block"
export TF_CLI_CONFIG_FILE=$tmp/mirror.tfrc
init_and_apply "from the README's filesystem_mirror, the release's zip"
