"""What tests of every kind share: waiting for an effect, and a real server process.

Here belong helpers that more than one test package uses and that know nothing of the
package using them: the deadline poll (`deadline`), throwaway Postgres clusters and
databases (`databases`), and the `legato-operator` process with the SDK parts that talk
to it (`server_process`). Fixtures stay in the `conftest.py` of
the tests that use them, and helpers of one package (the realapi tests' kubectl calls,
the engine tests' flows) stay in that package.
"""
