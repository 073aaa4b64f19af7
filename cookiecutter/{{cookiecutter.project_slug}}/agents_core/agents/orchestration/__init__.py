"""Agents that coordinate the others: intent router, planner, synthesizer, session summarizer."""
