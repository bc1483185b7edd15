"""One module per behaviour of the weekly order; each exposes ``run(market, ...)``.

Every behaviour is a vectorised rule over the customer arrays with its own parameters in
``[behaviours.<name>]``, and does nothing when that table says ``enabled = false``.
"""
