"""The CRM's HTTP API: JSON over the schema data layer, per-user bearer tokens, an OpenAPI document,
and server-sent events that push screen pops to agents' open sessions."""
