"""Layer 4: the Kubernetes side — resource models, generated CRDs, manifest builders.

What belongs here: the pydantic models of the `Workflow` and `TaskQueue` resources, the
CRD generator, pure builders of manifests and scaling decisions, the kopf handlers, and
one module that talks to the Kubernetes API. What does not: SQL (the store's), history
rules (the engine's), HTTP routes (the API's).
"""
