"""Failures with their cause chains, where ``temporalio.api.failure.v1`` keeps them.

The models are defined with the other shared wire shapes in ``legato.api.common.v1``;
this module gives them Temporal's import path.
"""

from legato.api.common.v1 import ActivityFailureInfo, Failure, FailureKind

__all__ = ["ActivityFailureInfo", "Failure", "FailureKind"]
