# temp-home.sh is sourced by the tests that use the provider as a user does, installed by
# `make install-local` and found by `terraform init`. use_temp_home DIR makes DIR/home the
# HOME of this shell, with an empty .terraform.d and no CLI configuration (no ~/.terraformrc,
# ~/.tofurc, TF_CLI_CONFIG_FILE or plugin cache): the real HOME is never touched. Go keeps
# its own caches. install_local then runs `make install-local` into it.
use_temp_home() {
  export GOCACHE GOMODCACHE GOPATH
  GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPATH=$(go env GOPATH)
  export HOME=$1/home CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
  unset TF_CLI_CONFIG_FILE TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE TF_LOG
  mkdir -p "$HOME"
}

install_local() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  "${MAKE:-make}" -C "$root" --no-print-directory install-local | sed "s#$HOME#\$HOME#"
}
