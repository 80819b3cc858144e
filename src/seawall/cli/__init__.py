"""Typer command-line interface: thin commands over the use-case packages."""
