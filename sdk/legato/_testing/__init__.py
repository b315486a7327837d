"""The machinery behind ``legato.testing``: environments that run activity and workflow
code outside a worker. Public names are re-exported by ``legato.testing``; nothing here
talks to a server unless a test hands it a client.
"""
