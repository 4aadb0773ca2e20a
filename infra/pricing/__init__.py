"""What a configuration costs, computed from its synthesized templates (us-east-1 list prices).

`prices` holds the list prices, each with its source and the month it was read; `estimate`
reads the templates and prices the idle month resource by resource, plus what each million
requests or GB adds; `python -m infra.pricing` prints it for a configuration and regenerates
the README's cost section for every topology the app builds.
"""
