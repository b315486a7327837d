"""The worker's machinery: poll loops, the workflow cache, running activities.

Belongs here: turning polled tasks into calls on the runtime (``legato._runtime``) or on
activity functions, and sending their outcomes back through ``legato._transport``.
Does not belong here: workflow semantics (the runtime owns them) or public names
(``legato.worker`` is the thin public face).
"""
