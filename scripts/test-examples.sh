#!/usr/bin/env bash
# test-examples.sh applies every example of examples/ as written against the mock server
# started with examples/mock.json, whose ids are those the examples use (job 7, saved queries 21,
# 31 and 32, users 12 to 15, run 42, job 42, ...), and runs the commands their comments show (import,
# terraform query, apply -invoke). Each case gets a fresh work folder and a fresh mock, with
# the provider loaded from bin/ through dev_overrides, and runs on every CLI of the matrix that
# has the example's features: ephemeral resources need Terraform 1.10 or OpenTofu 1.11, import
# by identity Terraform 1.12, actions and list resources Terraform 1.14. The three CLIs run at
# once, each in its own folder; a CLI's log is printed when one of its cases fails.
# examples/demo is left to `make demo` (its own data set, on both CLIs and server lines), and
# examples/testing to scripts/test-guides.sh. `make test-examples` builds what this needs.
#
# Each example folder without a terraform block gets examples/provider/provider.tf, as on
# the registry's pages, and a provider_override.tf that points its url at the mock: the
# provider example's user (export-bot) logs in, with TF_VAR_openspecimen_password.
set -euo pipefail

. "$(dirname "$0")/test-lib.sh"
. "$root/scripts/dev-overrides.sh"
ex=$root/examples
export TF_VAR_openspecimen_password=Export-bot@123

# setup CASE FILE... makes a fresh work folder $work with the files (and the provider's
# configuration), starts a fresh mock for it (stopping the case before), and prints the case.
setup() {
  stop_mock
  work=$cli_tmp/$1
  shift
  mkdir -p "$work"
  cp "$@" "$work"/
  if ! grep -qs '^terraform {' "$work"/*.tf; then
    cp "$ex/provider/provider.tf" "$work/provider.tf"
  fi
  start_mock "$work" -config "$ex/mock.json"
  printf 'provider "openspecimen" {\n  url = "%s"\n}\n' "$MOCK_URL" >"$work/provider_override.tf"
  echo "== $(basename "$work") on $cli_name"
}

# tf ARG... runs the CLI in $work, its output in the CLI's log.
tf() {
  echo "\$ ${cli##*/} $*"
  (cd "$work" && "$cli" "$@" -no-color) 2>&1
}

apply() {
  tf apply -auto-approve -input=false
}

# expect_output NAME WANT fails unless output NAME (raw) is WANT.
expect_output() {
  local got
  got=$(cd "$work" && "$cli" output -raw "$1")
  if [[ $got != "$2" ]]; then
    echo "output $1 is '$got', want '$2'"
    return 1
  fi
}

# expect_empty_plan fails unless a plan of $work has no change.
expect_empty_plan() {
  tf plan -input=false -detailed-exitcode || { echo "the plan is not empty"; return 1; }
}

# import_sh FILE runs the import command of an import.sh example, with this CLI.
import_sh() {
  local args
  args=$(sed -n 's/^terraform import //p' "$1")
  # shellcheck disable=SC2086 # the example's arguments, split as the shell would
  tf import -input=false $args
}

# imports NAME DIR CONFIG imports into the resource of DIR/CONFIG in each way the resource's
# example folder DIR shows: its import.sh, its import block by string id and, on Terraform
# 1.12+, by identity; the plan after each apply is empty.
imports() {
  local name=$1 d=$2 config=$2/$3
  setup "${name}_import_sh" "$config"
  import_sh "$d/import.sh" && apply && expect_empty_plan || return 1

  setup "${name}_import_id" "$config" "$d/import-by-string-id.tf"
  apply && expect_empty_plan || return 1

  if [[ $cli == "$newest" ]]; then # import by identity: Terraform 1.12
    setup "${name}_import_identity" "$config" "$d/import-by-identity.tf"
    apply && expect_empty_plan || return 1
  fi
}

run_job_run() {
  local d=$ex/resources/openspecimen_job_run
  setup job_run "$d/resource.tf" "$d/resource-replace-triggered-by.tf"
  apply && tf output -json export_run | grep -q '"status":"SUCCEEDED"' && tf destroy -auto-approve -input=false || return 1
  imports job_run "$d" resource-replace-triggered-by.tf
}

run_scheduled_job() {
  local d=$ex/resources/openspecimen_scheduled_job
  setup scheduled_job "$d/resource.tf"
  apply && grep -q '^"Specimen Label",' "$work/out/specimens.csv" && tf destroy -auto-approve -input=false || return 1
  imports scheduled_job "$d" resource.tf
}

# The promotion example names the server and its user in the environment, as a pipeline does.
run_promotion() {
  setup promotion "$ex/promotion/main.tf"
  OPENSPECIMEN_USERNAME=export-bot OPENSPECIMEN_PASSWORD=$TF_VAR_openspecimen_password apply &&
    OPENSPECIMEN_USERNAME=export-bot OPENSPECIMEN_PASSWORD=$TF_VAR_openspecimen_password expect_empty_plan || return 1
}

run_data_sources() {
  local d=$ex/data-sources
  setup job_run_result_file "$d/openspecimen_job_run_result_file/data-source.tf"
  apply && grep -q '^"Specimen Label",' "$work/out/specimens.csv" || return 1

  setup job_runs "$d/openspecimen_job_runs/data-source.tf"
  apply && expect_output newest_successful_run 41 || return 1

  setup scheduled_job_ds "$d/openspecimen_scheduled_job/data-source.tf"
  apply || return 1

  setup scheduled_jobs "$d/openspecimen_scheduled_jobs/data-source.tf"
  apply && tf output -json newest_runs | grep -q '"Nightly visit export": *43' || return 1

  setup user "$d/openspecimen_user/data-source.tf"
  apply && expect_empty_plan || return 1

  setup saved_query "$d/openspecimen_saved_query/data-source.tf"
  apply && expect_output query_owner export-bot || return 1
}

# The ephemeral resource (Terraform 1.10+, OpenTofu 1.11+) hands the rows to a loader that the
# user writes, ./load-specimens.sh: here one that keeps them for a look.
run_ephemeral() {
  [[ $cli != "$terraform" ]] || return 0
  setup ephemeral "$ex/ephemeral-resources/openspecimen_job_run_result_file/ephemeral-resource.tf"
  printf '#!/bin/sh\ncat >loaded.json\n' >"$work/load-specimens.sh"
  chmod +x "$work/load-specimens.sh"
  apply && grep -q '"Specimen Label":"SP-1001"' "$work/loaded.json" || return 1
}

# Actions and list resources: Terraform 1.14+.
run_actions() {
  [[ $cli == "$newest" ]] || return 0
  setup actions "$ex"/actions/openspecimen_job_run/*.tf
  apply && tf apply -auto-approve -input=false -invoke=action.openspecimen_job_run.export_now || return 1
}

run_list_resource() {
  [[ $cli == "$newest" ]] || return 0
  setup list_resource "$ex"/list-resources/openspecimen_job_run/*.tfquery.hcl
  tf query && tf query -generate-config-out=runs.tf && grep -q 'run_id *= *42' "$work/runs.tf" &&
    apply | tee "$work/apply.log" && grep -q '1 imported' "$work/apply.log" || return 1

  # Every saved-query export of the mock (jobs 7, 8, 9 and 42), imported; nothing changes.
  setup list_resource_jobs "$ex"/list-resources/openspecimen_scheduled_job/*.tfquery.hcl
  tf query -generate-config-out=jobs.tf && apply | tee "$work/apply.log" &&
    grep -q '4 imported, 0 added, 0 changed, 0 destroyed' "$work/apply.log" && expect_empty_plan || return 1
}

# run_cli CLI runs every case on CLI, its log in $tmp/<cli>.log.
run_cli() {
  cli=$1 cli_tmp=$tmp/${1##*/}
  mkdir -p "$cli_tmp"
  use_dev_overrides "$cli_tmp" "$bin"
  cli_name=$("$cli" version | sed -n 1p) # all of it read: no SIGPIPE
  trap stop_mock EXIT
  local c
  for c in run_job_run run_scheduled_job run_promotion run_data_sources run_ephemeral run_actions run_list_resource; do
    if ! "$c"; then
      echo "FAILED: ${c#run_} on $cli_name (in $(basename "$work"))"
      return 1
    fi
  done
}

clis=("$terraform" "$newest" "$tofu")
pids=()
for cli in "${clis[@]}"; do
  run_cli "$cli" >"$tmp/${cli##*/}.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  cli=${clis[$i]}
  if wait "${pids[$i]}"; then
    grep '^== ' "$tmp/${cli##*/}.log" | sed 's/^== /ok   /'
  else
    failed=1
    cat "$tmp/${cli##*/}.log" >&2
    echo "test-examples: the cases on ${cli##*/} failed (its log is above)" >&2
  fi
done
if [[ $failed -ne 0 ]]; then
  exit 1
fi
echo "== every example applied as written against examples/mock.json"
