#!/usr/bin/env bash
# End-to-end on a real cluster: kind + Docker. It CANNOT run on the CI machines (no Docker
# engine there); it is for a workstation with Docker, kind, kubectl and helm on PATH.
# It creates a throwaway cluster, builds and loads the server and example worker images,
# installs the chart with its quickstart Postgres, applies the orders example and waits
# for the workflow to complete. KEEP_CLUSTER=1 leaves the cluster up afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${CLUSTER:-legato-e2e}
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

# The README's quickstart, command for command (tests/test_readme.py keeps them the same).
kind create cluster --name "$CLUSTER" --wait 120s
docker build -t legato/operator:dev .
# An example's image is FROM legato/worker-base: build that stage first.
docker build --target worker-base -t legato/worker-base .
docker build -t shop/orders-worker:1.0 examples/orders
kind load docker-image --name "$CLUSTER" legato/operator:dev shop/orders-worker:1.0
helm install legato charts/legato --namespace legato-system --create-namespace --wait --timeout 5m \
  --set postgresql.enabled=true --set image.tag=dev
# The chart's own check: its test pod asks the Service for /readyz and /openapi.json. No
# --logs: the pod is deleted once it passes, and Helm then fails to find it (helm#9098).
helm test legato --namespace legato-system --timeout 2m
kubectl create namespace shop
kubectl apply -n shop -f examples/orders/taskqueue.yaml
kubectl apply -n shop -f examples/orders/workflow.yaml
kubectl wait -n shop --for=jsonpath='{.status.phase}'=Completed lwf/order-123 --timeout 5m
kubectl get -n shop legato
echo "e2e-kind: passed"
