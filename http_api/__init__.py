"""The CRM's HTTP API: JSON over the schema data layer, per-user bearer tokens, an OpenAPI document,
and server-sent events that push screen pops to agents' open sessions."""

from http_api.app import build_api
from http_api.push import PushHub
from http_api.server import ApiServer

__all__ = ["ApiServer", "PushHub", "build_api"]
