"""The operator calls, as Temporal's ``operatorservice``: a namespace's custom search attributes."""
