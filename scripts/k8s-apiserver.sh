#!/usr/bin/env bash
# A real Kubernetes control plane for the tests, built offline from Debian's source package:
# etcd (Debian `etcd-server`) + kube-apiserver v1.20.2 (built from Debian bookworm's `kubernetes`
# source package). No kubelet, no controller-manager, no scheduler (docs/KUBERNETES.md).
#
#   scripts/k8s-apiserver.sh install      apt packages, deb-src entry, source package, vendor fixes
#                                         (Go >= 1.18/1.19, see vendor_fix), build; the binary is
#                                         cached outside the clone at
#                                         $XLAM_K8S_CACHE/<version>-fixes<N>/kube-apiserver (default
#                                         ~/.cache/xlam/kube-apiserver) and built only when missing.
#                                         Prints the binary's path (progress goes to stderr).
#   scripts/k8s-apiserver.sh path         the cached binary's path (exit 1 if not built)
#   scripts/k8s-apiserver.sh start DIR    install if needed, then start etcd + kube-apiserver on
#                                         free loopback ports with state in DIR; writes
#                                         DIR/kubeconfig (admin), DIR/env, DIR/tokens.csv,
#                                         DIR/sa.key|sa.pub; waits for /readyz. Idempotent: a
#                                         server already running from DIR is left alone.
#   scripts/k8s-apiserver.sh stop DIR     stop both (by the pids recorded in DIR); idempotent.
#
# Safe to run concurrently (a lock file serialises installs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The Debian source package version; the upstream tree inside it is v1.20.2.
DEB_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
KUBE_VERSION="v1.20.2"
CACHE="${XLAM_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xlam/kube-apiserver}"
# Bump FIXES when vendor_fix changes: binaries built without the current fixes are not reused.
FIXES=2
BIN_DIR="$CACHE/$KUBE_VERSION-debian-$DEB_VERSION-fixes$FIXES"
BINARY="$BIN_DIR/kube-apiserver"
APT_PACKAGES=(golang-go etcd-server make rsync jq patch dpkg-dev openssl curl
              golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)
DEB_SRC_LIST=/etc/apt/sources.list.d/xlam-debian-src.sources

log() { echo "k8s-apiserver: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root for: $* (run as root or install sudo)"; fi
}

apt_install() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "${missing[@]}"
}

deb_src_entry() {
  # A deb-src stanza for bookworm main, same URI and keyring as the image's debian.sources.
  if apt-cache showsrc kubernetes 2>/dev/null | grep -qxF "Version: $DEB_VERSION"; then
    return 0
  fi
  if [ ! -f "$DEB_SRC_LIST" ]; then
    log "adding $DEB_SRC_LIST"
    as_root tee "$DEB_SRC_LIST" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  as_root apt-get update -q
  apt-cache showsrc kubernetes 2>/dev/null | grep -qxF "Version: $DEB_VERSION" \
    || die "source package kubernetes=$DEB_VERSION not found after adding $DEB_SRC_LIST"
}

fetch_source() {  # -> $CACHE/src/tree (extracted once; fixes re-applied idempotently)
  local src="$CACHE/src"
  if [ ! -f "$src/tree/.xlam-extracted" ]; then
    mkdir -p "$src"
    chmod 755 "$src"
    (cd "$src" && rm -rf tree && \
      { ls kubernetes_"${DEB_VERSION%-*}".orig*.tar.* >/dev/null 2>&1 \
        || apt-get -o APT::Sandbox::User=root source --download-only "kubernetes=$DEB_VERSION"; } && \
      dpkg-source --no-check -x "kubernetes_${DEB_VERSION}.dsc" tree >/dev/null)
    touch "$src/tree/.xlam-extracted"
  fi
  vendor_fix "$src/tree"
}

vendor_fix() {
  # (1) Go >= 1.18: the vendored reflect2 v1.0.1 faults at runtime (UnsafeMapType.UnsafeIterate) the
  # first time a custom resource is written. Swap in Debian's reflect2 1.0.2 / json-iterator 1.1.12.
  local tree="$1" name dst srcdir ver f
  for spec in "github.com/modern-go/reflect2 v1.0.2" "github.com/json-iterator/go v1.1.12"; do
    name="${spec% *}"; ver="${spec#* }"
    srcdir="/usr/share/gocode/src/$name"
    dst="$tree/vendor/$name"
    [ -d "$srcdir" ] || die "$srcdir missing (package golang-github-*-dev)"
    if ! grep -q "$name $ver" "$tree/vendor/modules.txt"; then
      find "$dst" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' -o -name go.mod \) \
        ! -name '*_test.go' -delete
      find "$srcdir" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' -o -name go.mod \) \
        ! -name '*_test.go' -exec cp {} "$dst/" \;
      # Every mention, including the `=> name vX` replace directives.
      sed -i -E "s#(${name//./\\.}) v[0-9]+\.[0-9]+\.[0-9]+#\1 ${ver}#g" "$tree/go.mod" "$tree/vendor/modules.txt"
    fi
    grep -q "$name $ver" "$tree/vendor/modules.txt" || die "could not bump $name in vendor/modules.txt"
  done
  # (2) Go >= 1.19 stores every empty string in an interface at the address reflect.Zero uses, so
  # the OpenAPI type validator's `reflect.DeepEqual(reflect.Zero(T), reflect.ValueOf(v))` zero test
  # takes "" for null: the server refused "" in custom resources and CRD defaults ("must be of type
  # string: null"). Test for nil only, as later kube-openapi releases do.
  for f in "$tree/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go" \
           "$tree/vendor/github.com/go-openapi/validate/type.go"; do
    sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' "$f"
    grep -q "reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data))" "$f" && die "could not patch $f"
  done
  log "vendor fixes applied (reflect2 v1.0.2, json-iterator v1.1.12, OpenAPI empty-string type check)"
}

build() {
  local tree="$CACHE/src/tree" start=$SECONDS
  log "building kube-apiserver $KUBE_VERSION in GOPATH mode (first build ~14 min on 2 cores)"
  # hack/lib/init.sh forces GO111MODULE=off: vendor/ is used through a GOPATH symlink farm, and
  # nothing is fetched. KUBE_GIT_* stand in for the missing .git.
  (cd "$tree" && env -u GOFLAGS GOPROXY=off GOSUMDB=off GOFLAGS= CGO_ENABLED=0 \
      KUBE_GIT_VERSION="$KUBE_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56 \
      GOCACHE="$CACHE/go-build" nice make WHAT=cmd/kube-apiserver >&2)
  mkdir -p "$BIN_DIR"
  cp "$tree/_output/bin/kube-apiserver" "$BINARY.part"
  mv "$BINARY.part" "$BINARY"
  log "built $BINARY in $((SECONDS - start)) s"
}

install() {
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.install.lock"
  flock 8
  # stdout carries only the binary's path (start captures it): progress goes to stderr.
  apt_install >&2
  if [ ! -x "$BINARY" ]; then
    deb_src_entry >&2
    fetch_source >&2
    build
  fi
  "$BINARY" --version >/dev/null || die "$BINARY does not run"
  flock -u 8
  echo "$BINARY"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for SECONDS LOGFILE CMD...
  local limit="$1" logf="$2"; shift 2
  for _ in $(seq 1 $((limit * 4))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  log "timed out after ${limit}s waiting for: $*"; tail -n 40 "$logf" >&2 || true
  return 1
}

start() {
  local dir; mkdir -p "$1"; dir="$(cd "$1" && pwd)"
  if alive "$dir/etcd.pid" && alive "$dir/kube-apiserver.pid" && [ -f "$dir/env" ]; then
    # shellcheck disable=SC1091
    . "$dir/env"
    if curl -fsS --cacert "$XLAM_K8S_CA" -H "Authorization: Bearer $XLAM_K8S_ADMIN_TOKEN" \
         "$XLAM_K8S_SERVER/readyz" >/dev/null 2>&1; then
      log "already running from $dir ($XLAM_K8S_SERVER)"; return 0
    fi
  fi
  stop "$dir"
  local binary; binary="$(install)"
  local etcd_port peer_port api_port token
  etcd_port="$(free_port)"; peer_port="$(free_port)"; api_port="$(free_port)"
  while [ "$peer_port" = "$etcd_port" ]; do peer_port="$(free_port)"; done
  while [ "$api_port" = "$etcd_port" ] || [ "$api_port" = "$peer_port" ]; do api_port="$(free_port)"; done
  rm -rf "$dir/etcd-data" "$dir/certs"
  mkdir -p "$dir/certs"

  setsid etcd --name xlam --data-dir "$dir/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "xlam=http://127.0.0.1:$peer_port" \
    --quota-backend-bytes 2147483648 >"$dir/etcd.log" 2>&1 </dev/null &
  echo $! >"$dir/etcd.pid"
  wait_for 30 "$dir/etcd.log" curl -fsS "http://127.0.0.1:$etcd_port/health" || { stop "$dir"; die "etcd did not start"; }

  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  token="$(openssl rand -hex 24)"
  echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv" "$dir/sa.key"

  setsid "$binary" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$api_port" --insecure-port=0 --cert-dir="$dir/certs" \
    --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$dir/sa.pub" --service-account-signing-key-file="$dir/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --disable-admission-plugins=ServiceAccount \
    >"$dir/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$dir/kube-apiserver.pid"
  local ca="$dir/certs/apiserver.crt" server="https://127.0.0.1:$api_port"
  wait_for 120 "$dir/kube-apiserver.log" \
    curl -fsS --cacert "$ca" -H "Authorization: Bearer $token" "$server/readyz" \
    || { stop "$dir"; die "kube-apiserver did not become ready (log: $dir/kube-apiserver.log)"; }

  cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: xlam-test
  cluster:
    server: $server
    certificate-authority: $ca
users:
- name: admin
  user:
    token: $token
contexts:
- name: admin
  context: {cluster: xlam-test, user: admin, namespace: default}
current-context: admin
KUBECONFIG
  chmod 600 "$dir/kubeconfig"
  cat >"$dir/env" <<ENV
XLAM_K8S_SERVER=$server
XLAM_K8S_CA=$ca
XLAM_K8S_ADMIN_TOKEN=$token
XLAM_K8S_KUBECONFIG=$dir/kubeconfig
XLAM_K8S_ETCD=http://127.0.0.1:$etcd_port
XLAM_K8S_VERSION=$KUBE_VERSION
ENV
  log "ready: $server (kubeconfig $dir/kubeconfig)"
}

stop() {
  local dir="$1" name pid
  for name in kube-apiserver etcd; do
    [ -f "$dir/$name.pid" ] || continue
    pid="$(cat "$dir/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$dir/$name.pid"
  done
}

cmd="${1:-}"
case "$cmd" in
  install) install ;;
  path) [ -x "$BINARY" ] && echo "$BINARY" || { log "not built: $BINARY (run: $0 install)"; exit 1; } ;;
  start) [ $# -eq 2 ] || { echo "usage: $0 start DIR" >&2; exit 2; }; start "$2" ;;
  stop) [ $# -eq 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 install|path|start DIR|stop DIR" >&2; exit 2 ;;
esac
