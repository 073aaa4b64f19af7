"""Your agent definitions. Every module in this package is imported on the first registry
lookup, so a new file with `register_agent(...)` calls is all it takes to add an agent."""
