#!/usr/bin/env bash
# test-guides.sh checks the guides of docs/guides/ through real CLIs, as a user follows them:
# the provider installed by `make install-local` in a temporary HOME and found by `init`.
#
# "Testing your configuration against the mock": examples/testing/, its suites run with
# `terraform test` (Terraform 1.16.4) and `tofu test` as its workflow runs them: each suite
# against a fresh mock configured by its environment alone, as the service container is.
#
# "Exports in a pipeline": examples/pipeline/ on Terraform 1.5.7, the oldest supported. Every
# apply runs the export; the CSV is written without its preamble; a wait that times out fails
# the apply through the postcondition, and the run stays in the state, not tainted; with
# triggers that do not change, the next plan, once the run has succeeded, changes no resource
# (only the outputs the failed apply did not write), and the next apply keeps the run.
#
# `make test-guides` builds what this needs.
set -euo pipefail

. "$(dirname "$0")/test-lib.sh"
. "$root/scripts/temp-home.sh"
use_temp_home "$tmp"
install_local >/dev/null

# in_work CMD... runs CMD in $work, its output in $work/last.log; on failure, prints it.
in_work() {
  (cd "$work" && "$@" -no-color >"$work/last.log" 2>&1) || { cat "$work/last.log" >&2; return 1; }
}

# fresh_work NAME DIR copies the example DIR to a new work folder $work and runs init.
fresh_work() {
  work=$tmp/$1
  cp -r "$2" "$work"
  in_work "$cli" init -input=false || fail "$1: init failed on $cli_name"
}

# ---- Testing your configuration against the mock ------------------------------------------
# What the guide's workflow (examples/testing/terraform-test.yml) does, read from it: each
# suite of its matrix against a fresh mock configured by OPENSPECIMEN_MOCK_CONFIG_JSON alone,
# as its service container is, with its user. Its JSON is mock.json's, and its matrix lists
# every suite of tests/.
workflow=$root/examples/testing/terraform-test.yml
# workflow_value KEY answers the value of "KEY: value" in the workflow.
workflow_value() { sed -n "s/^ *$1: *//p" "$workflow" | head -1; }
mock_json=$(awk 'on { match($0, /^ */); if (RLENGTH < 12 && NF) exit; print }
  /OPENSPECIMEN_MOCK_CONFIG_JSON: [|]/ { on = 1 }' "$workflow")
[[ $(tr -d ' \n' <<<"$mock_json") == "$(tr -d ' \n' <"$root/examples/testing/mock.json")" ]] ||
  fail "the mock configuration of $workflow is not examples/testing/mock.json"
suites=$(sed -n 's/^ *- \(tests\/.*\.tftest\.hcl\)$/\1/p' "$workflow")
[[ $suites == "$(cd "$root/examples/testing" && ls tests/*.tftest.hcl)" ]] ||
  fail "the matrix of $workflow does not list every suite of examples/testing/tests"

# test_suites runs every suite on $cli, each against a fresh mock: on Terraform configured by
# its environment alone, as the workflow's service is; on OpenTofu with -config mock.json, as
# the guide's local loop starts it.
test_suites() {
  local suite
  fresh_work "testing-${cli##*/}" "$root/examples/testing"
  export OPENSPECIMEN_USERNAME OPENSPECIMEN_PASSWORD
  OPENSPECIMEN_USERNAME=$(workflow_value OPENSPECIMEN_USERNAME) OPENSPECIMEN_PASSWORD=$(workflow_value OPENSPECIMEN_PASSWORD)
  for suite in $suites; do
    if [[ $cli == "$tofu" ]]; then
      start_mock "$work" -config "$work/mock.json"
    else
      OPENSPECIMEN_MOCK_CONFIG_JSON=$mock_json start_mock "$work"
    fi
    in_work "$cli" test -filter="$suite" || fail "examples/testing/$suite failed on $cli_name"
    grep -E '^(Success|Failure)!' "$work/last.log" | sed "s#^#ok   examples/testing/$suite on $cli_name: #"
    stop_mock
  done
}

# expect_failures cannot catch a provider's error: a suite that expects the broken job's
# resource to fail fails all the same.
test_expect_failures() {
  cat >"$work/tests/expect.tftest.hcl" <<'HCL'
run "broken_job" {
  command = apply
  variables {
    job_name  = "Broken export"
    read_rows = false
  }
  expect_failures = [openspecimen_job_run.export]
}
HCL
  OPENSPECIMEN_MOCK_CONFIG_JSON=$mock_json start_mock "$work"
  if in_work "$cli" test -filter=tests/expect.tftest.hcl 2>/dev/null; then
    fail "expect_failures caught the failed run on $cli_name"
  fi
  grep -q 'Query failed: the saved query was deleted' "$work/last.log" ||
    { cat "$work/last.log" >&2; fail "the suite with expect_failures did not fail on the run's error on $cli_name"; }
  stop_mock
  echo "ok   expect_failures does not catch the failed run on $cli_name: the suite fails on the provider's error"
}

for cli in "$newest" "$tofu"; do
  cli_name=$("$cli" version | sed -n 1p)
  test_suites
  test_expect_failures
done

# ---- Exports in a pipeline ----------------------------------------------------------------
export OPENSPECIMEN_USERNAME=export-bot OPENSPECIMEN_PASSWORD=Export-bot@123

# run_id answers the output run_id of $work.
run_id() { (cd "$work" && "$cli" output -raw run_id); }

# Every apply runs the export (on OpenTofu too), and writes the CSV without its preamble, for
# the next step to find through the output csv_path.
for cli in "$terraform" "$tofu"; do
  cli_name=$("$cli" version | sed -n 1p)
  fresh_work "pipeline-${cli##*/}" "$root/examples/pipeline"
  start_mock "$work" -config "$root/examples/mock.json"
  in_work "$cli" apply -auto-approve -input=false || fail "pipeline: the apply failed on $cli_name"
  first=$(run_id)
  csv=$(cd "$work" && "$cli" output -raw csv_path)
  [[ $csv == ./out/specimens.csv ]] || fail "pipeline: csv_path is '$csv'"
  [[ $(head -1 "$work/$csv") == '"Specimen Label","Specimen Type","Collection Protocol"' ]] ||
    fail "pipeline: $csv does not start with its header: $(head -1 "$work/$csv")"
  # plantimestamp() is to the second: the next apply plans in a later second, as a pipeline's does.
  started=$(date +%s)
  while [[ $(date +%s) == "$started" ]]; do sleep 0.1; done
  in_work "$cli" apply -auto-approve -input=false || fail "pipeline: the second apply failed on $cli_name"
  second=$(run_id)
  [[ $second != "$first" ]] || fail "pipeline: the second apply did not run the export again (run $first both times)"
  echo "ok   pipeline on $cli_name: every apply runs the export (runs $first, $second), $csv starts with its header"
  stop_mock
done
cli=$terraform cli_name=$("$terraform" version | sed -n 1p)

# A wait that times out: the export lasts 8s, the apply waits 1s. Triggers that do not change
# stand in for plantimestamp(), as the guide says.
fresh_work pipeline-timeout "$root/examples/pipeline"
sed -i 's/at = plantimestamp()/commit = "4f1c2e9"/' "$work/main.tf"
grep -q 'commit = "4f1c2e9"' "$work/main.tf" || fail "pipeline: the triggers of examples/pipeline/main.tf are not at = plantimestamp()"
start_mock "$work" -config-json '{"users": [{"loginName": "export-bot", "password": "Export-bot@123", "admin": true}],
  "jobs": [{"id": 7, "name": "Specimen export", "duration": "8s", "result": {"export": true, "content": "Specimen Label\nSP-1\n"}}]}'
if in_work "$cli" apply -auto-approve -input=false -var export_timeout=1s 2>/dev/null; then
  fail "pipeline: the apply whose wait timed out did not fail on $cli_name"
fi
grep -q 'Resource postcondition failed' "$work/last.log" || { cat "$work/last.log" >&2; fail "pipeline: the apply failed, but not on the postcondition"; }
(cd "$work" && "$cli" show -json) >"$work/state.json"
grep -q '"openspecimen_job_run"' "$work/state.json" || fail "pipeline: the timed-out run is not in the state"
if grep -q '"tainted":true' "$work/state.json"; then fail "pipeline: the timed-out run is tainted"; fi
run=$(sed -n 's/.*"run_id":\([0-9]*\).*/\1/p' "$work/state.json")
[[ -n $run ]] || fail "pipeline: no run_id in the state"

# Once the run has succeeded on the server (asked of the mock, bounded), the next plan is empty.
for ((i = 0; i < 300; i++)); do
  status=$(curl -sf -u export-bot:Export-bot@123 "$MOCK_URL/scheduled-jobs/7/runs/$run" | sed -n 's/.*"status":"\([A-Z_]*\)".*/\1/p')
  [[ $status != SUCCEEDED ]] || break
  sleep 0.1
done
[[ $status == SUCCEEDED ]] || fail "pipeline: run $run is $status on the mock after 30s"
# No change to any resource: only the outputs, which the failed apply did not write.
in_work "$cli" plan -input=false -var export_timeout=1s || fail "pipeline: the plan after the run succeeded failed"
if grep -q '^Plan: ' "$work/last.log" || ! grep -q 'without changing any real infrastructure' "$work/last.log"; then
  cat "$work/last.log" >&2
  fail "pipeline: the plan after the run succeeded changes a resource"
fi
# The pipeline run again: the same run, not a second export, and the CSV for the next step.
in_work "$cli" apply -auto-approve -input=false -var export_timeout=1s || fail "pipeline: the apply after the run succeeded failed"
[[ $(run_id) == "$run" ]] || fail "pipeline: the apply after the run succeeded ran the export again (run $(run_id), not $run)"
head -1 "$work/out/specimens.csv" | grep -q '^"Specimen Label"' ||
  fail "pipeline: the apply after the run succeeded wrote no CSV: $(head -1 "$work/out/specimens.csv" 2>&1)"
echo "ok   pipeline on $cli_name: a timed-out wait fails the apply (postcondition), run $run stays in the state untainted;" \
  "once it has succeeded the next plan changes no resource, and the next apply keeps it and writes the CSV"
