"""The application package: the command-line interface over agents_core."""
