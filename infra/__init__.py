"""The CDK app's constructs, stacks and typed configuration (see app.py for the entry point)."""
