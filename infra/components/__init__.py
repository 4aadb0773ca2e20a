"""One construct per concern; stacks only wire them together."""
