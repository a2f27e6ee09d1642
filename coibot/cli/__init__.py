"""The `coibot` command line."""
