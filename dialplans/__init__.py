"""The YAML dialplan language: typed models, a loader with file:line:column errors, JSON Schema export."""
