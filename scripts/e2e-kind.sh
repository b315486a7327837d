#!/usr/bin/env bash
# End-to-end on a real cluster: kind + Docker. It CANNOT run on the CI machines (no Docker
# engine there); it is for a workstation with Docker, kind, kubectl and helm on PATH.
# It creates a throwaway cluster, builds and loads the server and example worker images,
# installs the chart with its quickstart Postgres, applies the orders example and waits
# for the workflow to complete. KEEP_CLUSTER=1 leaves the cluster up afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${CLUSTER:-legato-e2e}
TAG=${TAG:-e2e}
# Without Docker this run cannot happen here: say so and stop, as a skip, not a failure.
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    echo "e2e-kind: skipped: no Docker engine here (it needs Docker, kind, kubectl and helm);" \
        "the tests in tests/k8s run the operator against a real kube-apiserver without one"
    exit 0
fi
for tool in kind kubectl helm; do
    command -v "$tool" >/dev/null || { echo "e2e-kind: '$tool' is required" >&2; exit 1; }
done

cleanup() { [[ ${KEEP_CLUSTER:-0} == 1 ]] || kind delete cluster --name "$CLUSTER"; }
trap cleanup EXIT

kind create cluster --name "$CLUSTER" --wait 120s
docker build -t "legato/operator:$TAG" .
# An example's image is FROM legato/worker-base: build that stage first.
docker build --target worker-base -t legato/worker-base .
docker build -t "shop/orders-worker:$TAG" examples/orders
kind load docker-image --name "$CLUSTER" "legato/operator:$TAG" "shop/orders-worker:$TAG"

helm install legato charts/legato --wait --timeout 5m --set postgresql.enabled=true \
    --set image.repository=legato/operator --set image.tag="$TAG"
kubectl create namespace shop --dry-run=client -o yaml | kubectl apply -f -
sed "s#shop/orders-worker:[^[:space:]]*#shop/orders-worker:$TAG#" examples/orders/taskqueue.yaml \
    | kubectl apply -n shop -f -
kubectl apply -n shop -f examples/orders/workflow.yaml

kubectl wait -n shop --for=jsonpath='{.status.phase}'=Completed workflows.legato.dev --all --timeout 5m
kubectl get -n shop legato
echo "e2e-kind: passed"
