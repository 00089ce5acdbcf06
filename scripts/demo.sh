#!/usr/bin/env bash
# demo.sh runs examples/demo against a mock OpenSpecimen server: it starts the mock with its
# demo data on a free port, applies the example with the provider built into bin/ (through a
# dev_overrides CLI config written here), prints the outputs, destroys, and stops the mock
# whatever happens. `make demo` builds what it needs and calls it.
#
# Usage: scripts/demo.sh [CLI [LINE]]
#   CLI:  path to a terraform or tofu binary; default bin/terraform
#   LINE: the OpenSpecimen server line the mock behaves as, newest (default) or older
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
cli=${1:-$bin/terraform}
server_line=${2:-newest}
cli_name=$(basename "$cli")
if [[ $server_line != newest && $server_line != older ]]; then
  echo "demo: LINE is '$server_line': use newest or older" >&2
  exit 2
fi
provider=$bin/terraform-provider-openspecimen
mock=$bin/openspecimen-mockserver

for f in "$cli" "$provider" "$mock"; do
  if [[ ! -x $f ]]; then
    echo "demo: $f is missing: run 'make demo'" >&2
    exit 1
  fi
done

# A fresh work dir per CLI and run: no state, lock file or plugin cache from a previous run.
work=$bin/demo/$cli_name
rm -rf "$work"
mkdir -p "$work"
cp "$root"/examples/demo/*.tf "$work"/

# Load the provider from bin/, not from a registry.
. "$root/scripts/dev-overrides.sh"
use_dev_overrides "$work" "$bin"

. "$root/scripts/mock.sh"
applied=
destroyed=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $applied && -z $destroyed && -f $work/terraform.tfstate ]]; then
    echo "== demo failed: destroying what was applied"
    (cd "$work" && "$cli" destroy -auto-approve -input=false -compact-warnings >/dev/null 2>&1) || true
  fi
  if [[ -n $MOCK_PID ]]; then
    stop_mock
    echo "== mock server stopped (its request log: ${work#"$root"/}/mockserver.log)"
  fi
  if [[ $rc -ne 0 ]]; then
    echo "== demo FAILED (exit $rc)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_mock "$work" -line "$server_line"
echo "== mock OpenSpecimen server, $server_line line (demo data), at $MOCK_URL"

export OPENSPECIMEN_USERNAME=admin OPENSPECIMEN_PASSWORD=Admin@123
unset OPENSPECIMEN_TOKEN OPENSPECIMEN_DOMAIN

# Colours only on a terminal, not in CI logs.
color=()
[[ -t 1 ]] || color=(-no-color)

cd "$work"
# No init: with dev_overrides neither Terraform 1.5 nor OpenTofu 1.12 needs it, and both fail
# it, asking the registry for a provider that is not published there.
echo "== $("$cli" version | head -1): apply examples/demo (no init needed with dev_overrides)"
applied=1
"$cli" apply -auto-approve -input=false -compact-warnings "${color[@]}"

count=$("$cli" output -raw specimen_count)
if ! [[ $count =~ ^[1-9][0-9]*$ ]]; then
  echo "demo: expected a positive specimen_count, got '$count'" >&2
  exit 1
fi
# The export's preamble is decoded into its metadata, apart from the rows.
if ! "$cli" output -json result_file | grep -Eq '"exported_by": *"[^"]+"'; then
  echo "demo: the export's preamble was not decoded: result_file.exported_by is empty" >&2
  exit 1
fi

echo
echo "== destroy (only forgets the run: OpenSpecimen cannot delete one)"
if ! "$cli" destroy -auto-approve -input=false -compact-warnings -no-color >destroy.log 2>&1; then
  cat destroy.log >&2
  exit 1
fi
destroyed=1
grep -E '^(Destroy complete|openspecimen_job_run\.export: Destruction)' destroy.log
echo "== demo OK on $cli_name against the $server_line line: one export run, $count specimens"
