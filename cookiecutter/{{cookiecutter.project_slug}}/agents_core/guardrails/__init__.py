"""Your input guardrails. Every module in this package is imported on the first registry
lookup; register checks with `register_guardrail`."""
