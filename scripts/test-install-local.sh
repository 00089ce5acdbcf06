#!/usr/bin/env bash
# test-install-local.sh proves the README's installation: on a HOME with an empty
# .terraform.d and no CLI configuration (a temporary one; the real HOME is never touched),
# `make install-local`, then `terraform init` and `tofu init` in a fresh configuration with
# source = "openspecimen-iac/openspecimen" and version = "~> 0.1" install the provider from
# the implied local mirror and write the lock file, and `apply` against the mock works, on
# Terraform 1.5.7, Terraform 1.16.4 and OpenTofu. `make test-install-local` calls it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
clis=("${TERRAFORM:-$bin/terraform}" "${TERRAFORM_NEWEST:-$bin/terraform-1.16.4}" "${TOFU:-$bin/tofu}")

tmp=$(mktemp -d)
. "$root/scripts/mock.sh"
. "$root/scripts/temp-home.sh"
cleanup() {
  stop_mock
  rm -rf "$tmp"
}
trap cleanup EXIT

use_temp_home "$tmp"
echo "== make install-local (HOME=$HOME)"
install_local

start_mock "$tmp" -config "$root/examples/mock.json"
export OPENSPECIMEN_USERNAME=export-bot OPENSPECIMEN_PASSWORD=Export-bot@123

for cli in "${clis[@]}"; do
  name=$("$cli" version | sed -n 1p)
  work=$tmp/work-${cli##*/}
  mkdir -p "$work"
  # The README's configuration ("Against your server"), pointed at the mock by
  # OPENSPECIMEN_URL and credentials in the environment.
  cat >"$work/main.tf" <<'TF'
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
  echo "== $name: init, then apply against the mock"
  if ! (cd "$work" && "$cli" init -input=false -no-color >init.log 2>&1); then
    cat "$work/init.log" >&2
    echo "test-install-local: $name: init failed" >&2
    exit 1
  fi
  grep -E 'Installing openspecimen-iac/openspecimen|Installed openspecimen-iac/openspecimen' "$work/init.log"
  if ! grep -q 'provider "registry\.\(terraform\|opentofu\)\.\(io\|org\)/openspecimen-iac/openspecimen"' "$work/.terraform.lock.hcl"; then
    echo "test-install-local: $name: init wrote no lock file entry for the provider" >&2
    exit 1
  fi
  (cd "$work" && "$cli" apply -auto-approve -input=false -no-color >apply.log 2>&1) ||
    { cat "$work/apply.log" >&2; echo "test-install-local: $name: apply failed" >&2; exit 1; }
  status=$(cd "$work" && "$cli" output -raw status)
  if [[ $status != SUCCEEDED ]]; then
    echo "test-install-local: $name: the run is $status, not SUCCEEDED" >&2
    exit 1
  fi
  echo "ok   $name: installed from \$HOME/.terraform.d/plugins, lock file written, run SUCCEEDED"
done
