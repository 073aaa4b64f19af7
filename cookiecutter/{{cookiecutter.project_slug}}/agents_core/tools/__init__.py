"""Your tools. Every module in this package is imported on the first registry lookup, so a new
file with `@register_tool` functions is all it takes to add tools."""
