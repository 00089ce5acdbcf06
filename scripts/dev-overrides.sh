# dev-overrides.sh is sourced by demo.sh, docs.sh and test-examples.sh. use_dev_overrides DIR
# BIN writes DIR/dev.tfrc, a CLI config whose dev_overrides make both CLIs load the provider
# from BIN instead of a registry, and points this shell's Terraform and OpenTofu at it. The source
# "openspecimen-iac/openspecimen" means registry.terraform.io/... to Terraform and
# registry.opentofu.org/... to OpenTofu, so both addresses are overridden.
use_dev_overrides() {
  local dir=$1 bin=$2
  cat >"$dir/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/openspecimen-iac/openspecimen" = "$bin"
    "registry.opentofu.org/openspecimen-iac/openspecimen" = "$bin"
  }
  direct {}
}
TFRC
  export TF_CLI_CONFIG_FILE=$dir/dev.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
  unset TF_LOG TF_DATA_DIR TF_WORKSPACE
}
