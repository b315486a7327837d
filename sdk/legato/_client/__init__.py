"""The machinery behind ``legato.client``: the interceptor chain and the calls at its end.

``interceptor`` holds Temporal's client interceptor classes and their inputs (re-exported
by ``legato.client``); ``outbound`` is the last link of the chain, which turns an input
into a call to the server. Nothing here is public API.
"""
