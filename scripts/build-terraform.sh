#!/usr/bin/env bash
# build-terraform.sh VERSION OUT builds Terraform VERSION (1.16 or later) from the Go module
# proxy into OUT. `go install` cannot build it: its go.mod replaces nested modules (the
# remote-state backends other than local, http and inmem, and internal/legacy) that the
# module zip does not hold. So the module is copied to a writable folder, those modules are
# dropped from go.mod and from the backend registry, and the rest is built as released
# (version.dev=no). The local backend, the one the tests use, is untouched.
set -euo pipefail
version=${1:?usage: build-terraform.sh VERSION OUT} out=${2:?usage: build-terraform.sh VERSION OUT}
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out") # the build runs elsewhere
dropped=(azure consul cos gcs kubernetes oci oss pg s3)

work=$(mktemp -d)
trap 'chmod -R u+w "$work" && rm -rf "$work"' EXIT
# The download runs outside any module, so no go.mod is touched.
mkdir "$work/download"
if ! info=$(cd "$work/download" && go mod download -json "github.com/hashicorp/terraform@v$version"); then
	echo "build-terraform.sh: cannot download github.com/hashicorp/terraform@v$version:" >&2
	echo "$info" >&2
	exit 1
fi
src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
test -n "$src"
cp -r "$src" "$work/terraform"
chmod -R u+w "$work/terraform"
cd "$work/terraform"

for b in "${dropped[@]}"; do
	sed -i "\#github.com/hashicorp/terraform/internal/backend/remote-state/$b #d" go.mod
	sed -i -E "/backend[A-Za-z0-9]+ \"github.com\/hashicorp\/terraform\/internal\/backend\/remote-state\/$b\"/d" internal/backend/init/init.go
done
sed -i '\#github.com/hashicorp/terraform/internal/legacy #d' go.mod
for name in azurerm consul cos gcs kubernetes oss pg s3 oci; do
	sed -i -E "/^[[:space:]]+\"$name\":[[:space:]]+func\(\) backend.Backend/d" internal/backend/init/init.go
done
if grep -q 'remote-state/\(azure\|consul\|cos\|gcs\|kubernetes\|oci\|oss\|pg\|s3\)' go.mod internal/backend/init/init.go; then
	echo "build-terraform.sh: a dropped backend is still referenced" >&2
	exit 1
fi
# Built beside OUT and moved there once complete: an interrupted build leaves no OUT that
# make would take for built.
go build -ldflags "-X github.com/hashicorp/terraform/version.dev=no" -o "$out.tmp" .
mv "$out.tmp" "$out"
TF_CLI_CONFIG_FILE=/dev/null "$out" version | sed -n 1p # (no CLI config: no warning about a missing one)
