"""Tests of the agents-core Copier template."""
