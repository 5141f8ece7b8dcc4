"""See the package docstring in each module."""
