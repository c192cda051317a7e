#!/usr/bin/env bash
# Builds the real-cluster test layer's binaries from the Go module proxy, pinned, into a cache outside
# the work tree (reused when present): etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl and kwok, the same control plane at the oldest supported Kubernetes (kube_oldest); and, on request
# (`e2e/build.sh helm`), helm for the chart checks in CI.
# Metacontroller is not built here (see e2e/README.md).
set -euo pipefail

ETCD_VERSION=v3.6.16
KUBE_VERSION=v1.36.3
# The newest v1.34 patch the Go module proxy serves (v1.34.13 exists as k8s.io/api v0.34.13, but the proxy
# answers "not available" for k8s.io/kubernetes@v1.34.13).
KUBE_OLDEST_VERSION=v1.34.12
KWOK_VERSION=v0.8.0

CACHE="${SERVICEGROUP_E2E_CACHE:-$HOME/.cache/servicegroup-e2e}"
BIN="$CACHE/bin"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
mkdir -p "$BIN"

stamp_ok() { [[ -x "$BIN/$1" && "$(cat "$BIN/.$1.version" 2>/dev/null)" == "$2" ]]; }
stamp() { echo "$2" >"$BIN/.$1.version"; }

fresh_module() {  # NAME: cd into an empty scratch Go module <cache>/src/NAME (the caller's shell moves there)
  local dir="$CACHE/src/$1"
  mkdir -p "$dir" && cd "$dir"
  rm -f go.mod go.sum tools.go
  go mod init "servicegroup-e2e/$1" >/dev/null 2>&1
}

build_etcd() {
  stamp_ok etcd "$ETCD_VERSION" && stamp_ok etcdctl "$ETCD_VERSION" && return
  fresh_module etcd
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION"
  go build -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  go build -o "$BIN/etcdctl" go.etcd.io/etcd/etcdctl/v3
  stamp etcd "$ETCD_VERSION"; stamp etcdctl "$ETCD_VERSION"
}

KUBE_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubectl"

build_kube() { build_kube_at "$KUBE_VERSION" "$BIN"; }

# The oldest supported Kubernetes (README, Versions): the same binaries in a folder of their own, which the
# real-cluster layer's API-server checks run against too (SERVICEGROUP_E2E_KUBE_VERSION, see e2e/README.md).
build_kube_oldest() { build_kube_at "$KUBE_OLDEST_VERSION" "$CACHE/kube-$KUBE_OLDEST_VERSION/bin"; }

build_kube_at() {  # VERSION DIR: kube-apiserver, kube-controller-manager, kube-scheduler and kubectl at VERSION
  local version="$1" dir="$2" all=1 b
  mkdir -p "$dir"
  for b in $KUBE_BINARIES; do BIN="$dir" stamp_ok "$b" "$version" || all=0; done
  [[ $all == 1 ]] && return
  fresh_module "kube-$version"
  # k8s.io/kubernetes lists its staging modules at v0.0.0 (replaced by local folders upstream):
  # point each at its published tag, v0.<minor>.<patch>.
  local staging="v0.${version#v1.}"
  local modfile; modfile="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # Match exactly v0.0.0: k8s.io/utils and k8s.io/kube-openapi are real modules at v0.0.0-<date>-<hash>
  # pseudo-versions and have no v0.<minor>.<patch> tags.
  grep -E '^\s*k8s\.io/[a-z0-9-]+ v0\.0\.0(\s|$)' "$modfile" | awk '{print $1}' | sort -u | while read -r m; do
    go mod edit -replace "$m=$m@$staging"
  done
  go mod edit -require "k8s.io/kubernetes@$version"
  # go mod tidy records go.sum entries only for what tools.go imports: import every binary built below.
  printf 'package tools\n\nimport (\n%s)\n' "$(for b in $KUBE_BINARIES; do
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done)" >tools.go
  go mod tidy
  local minor="${version#v1.}"; minor="${minor%%.*}"
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  for b in $KUBE_BINARIES; do
    go build -ldflags "-s -w$ld" -o "$dir/$b" "k8s.io/kubernetes/cmd/$b"
    BIN="$dir" stamp "$b" "$version"
  done
}

build_kwok() {
  stamp_ok kwok "$KWOK_VERSION" && [[ -d "$CACHE/kwok-stages" ]] && return
  fresh_module kwok
  go get "sigs.k8s.io/kwok@$KWOK_VERSION"
  printf 'package tools\n\nimport _ "sigs.k8s.io/kwok/pkg/kwok/cmd"\n' >tools.go
  go mod tidy >/dev/null 2>&1 || true
  go build -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok
  local src; src="$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  rm -rf "$CACHE/kwok-stages"; mkdir -p "$CACHE/kwok-stages"
  cp -r "$src/kustomize/stage/." "$CACHE/kwok-stages/"; chmod -R u+w "$CACHE/kwok-stages"
  stamp kwok "$KWOK_VERSION"
}

# Helm 3: the major most installs run; the chart (apiVersion v2) is valid for Helm 3 and 4 alike.
HELM_VERSION=v3.22.0

build_helm() {
  stamp_ok helm "$HELM_VERSION" && return
  fresh_module helm
  go get "helm.sh/helm/v3@$HELM_VERSION"
  printf 'package tools\n\nimport _ "helm.sh/helm/v3/cmd/helm"\n' >tools.go
  go mod tidy >/dev/null 2>&1 || true
  go build -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" -o "$BIN/helm" helm.sh/helm/v3/cmd/helm
  stamp helm "$HELM_VERSION"
}

start=$SECONDS
for part in "${@:-etcd kube kwok kube_oldest}"; do
  for p in $part; do "build_$p"; done
done
echo "e2e binaries ready in $BIN ($((SECONDS - start)) s)"
