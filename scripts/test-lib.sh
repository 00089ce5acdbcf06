# test-lib.sh is sourced by the scripts that test examples, guides and the installation
# through the real CLIs. It sets root and bin, the CLIs of the matrix (terraform, newest,
# tofu: TERRAFORM, TERRAFORM_NEWEST and TOFU, as the GNUmakefile passes them, else those of
# bin/), a work folder tmp removed at exit with the mock stopped, and the mock's functions
# (scripts/mock.sh), and fail. No OPENSPECIMEN_* variable of the caller's shell leaks into a test.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$root/bin
terraform=${TERRAFORM:-$bin/terraform}
newest=${TERRAFORM_NEWEST:-$bin/terraform-1.16.4}
tofu=${TOFU:-$bin/tofu}
. "$root/scripts/mock.sh"
unset OPENSPECIMEN_URL OPENSPECIMEN_USERNAME OPENSPECIMEN_PASSWORD OPENSPECIMEN_TOKEN OPENSPECIMEN_DOMAIN

tmp=$(mktemp -d)
cleanup() {
  stop_mock
  rm -rf "$tmp"
}
trap cleanup EXIT

# fail MESSAGE prints MESSAGE after the script's name, on stderr, and exits 1.
fail() {
  echo "$(basename "$0" .sh): $*" >&2
  exit 1
}
