"""The API's routes: one small handler per route over the schema data layer, and the table of them.

Handlers do no SQL and no checks of who may see what: the data layer takes the viewer and answers
NotFound / PermissionDenied itself; the app (http_api.app) turns those into 404 / 403.
"""

from __future__ import annotations

from typing import Final

from http_api.agent_routes import AGENT_ROUTES
from http_api.campaign_routes import CAMPAIGN_ROUTES
from http_api.desk_routes import DESK_ROUTES
from http_api.dial_routes import DIAL_ROUTES
from http_api.disposition_routes import DISPOSITION_ROUTES
from http_api.models import (
    AverageFilter,
    CallSearch,
    CustomerSearch,
    Me,
    NoteIn,
    NotesPage,
    RecentCalls,
    RuleFilter,
    ScreeningRuleIn,
    TicketFilter,
    TicketIn,
    TicketStatusIn,
)
from http_api.preview_routes import PREVIEW_ROUTES
from http_api.push import EventStream
from http_api.recording_routes import RECORDING_ROUTES
from http_api.report_routes import REPORT_ROUTES
from http_api.routing import ApiError, Context, Result, Route
from http_api.session_routes import SESSION_ROUTES
from http_api.stats_routes import STATS_ROUTES
from schema.calls import surveys
from schema.crm import queries as crm_queries
from schema.crm import screening_rules, screenpop
from schema.crm.views import (
    CallSummary,
    CustomerSummary,
    CustomerView,
    NoteView,
    ScreeningRuleView,
    ScreenPop,
    SurveyAverage,
    TicketView,
)


def me(ctx: Context) -> Result:
    viewer = ctx.who
    if viewer.role == "system":  # never handed out as a token; refuse rather than guess
        raise ApiError(403, "the system viewer has no API identity")
    return Me(
        user=viewer.user,
        role=viewer.role,
        agent_id=viewer.agent_id,
        department=viewer.department,
        extension=viewer.extension,
    )


def search_customers(ctx: Context) -> Result:
    query = ctx.query_as(CustomerSearch)
    return ctx.data(
        crm_queries.search_customers,
        phone=query.phone,
        name=query.name,
        region=ctx.region,
        limit=query.limit,
        offset=query.offset,
    )


def get_customer(ctx: Context) -> Result:
    return ctx.data(crm_queries.get_customer, ctx.id())


def customer_calls(ctx: Context) -> Result:
    return ctx.data(crm_queries.customer_calls, ctx.id(), limit=ctx.query_as(RecentCalls).limit)


def customer_tickets(ctx: Context) -> Result:
    status = ctx.query_as(TicketFilter).status
    return ctx.data(crm_queries.customer_tickets, ctx.id(), status=None if status == "all" else status)


def customer_notes(ctx: Context) -> Result:
    return ctx.data(crm_queries.customer_notes, ctx.id(), limit=ctx.query_as(NotesPage).limit)


def add_note(ctx: Context) -> Result:
    note = ctx.body_as(NoteIn)
    return ctx.data(crm_queries.add_note, ctx.id(), note.body, call_uuid=note.call_uuid)


def open_ticket(ctx: Context) -> Result:
    ticket = ctx.body_as(TicketIn)
    return ctx.data(crm_queries.open_ticket, ctx.id(), ticket.subject, call_uuid=ticket.call_uuid)


def set_ticket_status(ctx: Context) -> Result:
    return ctx.data(crm_queries.set_ticket_status, ctx.id(), ctx.body_as(TicketStatusIn).status)


def list_calls(ctx: Context) -> Result:
    query = ctx.query_as(CallSearch)
    return ctx.data(
        crm_queries.list_calls,
        customer_id=query.customer_id,
        since=query.since,
        limit=query.limit,
        offset=query.offset,
    )


def get_call(ctx: Context) -> Result:
    return ctx.data(crm_queries.get_call, ctx.text("uuid"))


def get_screen_pop(ctx: Context) -> Result:
    return ctx.data(screenpop.build_screen_pop, ctx.text("call_uuid"), region=ctx.region)


def list_rules(ctx: Context) -> Result:
    return ctx.data(screening_rules.list_rules, kind=ctx.query_as(RuleFilter).kind)


def add_rule(ctx: Context) -> Result:
    rule = ctx.body_as(ScreeningRuleIn)
    return ctx.data(
        screening_rules.add_rule,
        rule.kind,
        rule.number,
        is_prefix=rule.is_prefix,
        reason=rule.reason,
        region=ctx.region,
    )


def remove_rule(ctx: Context) -> Result:
    ctx.data(screening_rules.remove_rule, ctx.id())
    return None


def survey_averages(ctx: Context) -> Result:
    query = ctx.query_as(AverageFilter)
    return ctx.data(surveys.survey_averages, by=query.by, since=query.since)


def events(ctx: Context) -> Result:
    viewer = ctx.who
    if viewer.role != "agent" or viewer.agent_id is None:
        raise ApiError(
            403, "the event stream is for agents: screen pops go to the agent a call is offered to"
        )
    if ctx.push is None:
        raise ApiError(503, "this server pushes no events (it runs without the call server)")
    return EventStream(ctx.push.subscribe(viewer.agent_id), ctx.push.keepalive_seconds)


def openapi_placeholder(ctx: Context) -> Result:
    raise RuntimeError("build_api replaces this handler with one serving the document it built")


OPENAPI_PATH: Final = "/api/openapi.json"

CRM_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET", OPENAPI_PATH, "openapi", "This document (no token needed)", openapi_placeholder, public=True
    ),
    Route("GET", "/api/me", "me", "Who the token belongs to", me, response=Me),
    Route(
        "GET",
        "/api/customers",
        "searchCustomers",
        "Customers by phone number and/or part of the name, by name",
        search_customers,
        response=CustomerSummary,
        many=True,
        query=CustomerSearch,
    ),
    Route("GET", "/api/customers/{id}", "getCustomer", "One customer", get_customer, response=CustomerView),
    Route(
        "GET",
        "/api/customers/{id}/calls",
        "customerCalls",
        "The customer's calls, newest first",
        customer_calls,
        response=CallSummary,
        many=True,
        query=RecentCalls,
    ),
    Route(
        "GET",
        "/api/customers/{id}/tickets",
        "customerTickets",
        "The customer's tickets (open ones unless status says otherwise)",
        customer_tickets,
        response=TicketView,
        many=True,
        query=TicketFilter,
    ),
    Route(
        "GET",
        "/api/customers/{id}/notes",
        "customerNotes",
        "The customer's notes, newest first",
        customer_notes,
        response=NoteView,
        many=True,
        query=NotesPage,
    ),
    Route(
        "POST",
        "/api/customers/{id}/notes",
        "addNote",
        "Write a note on the customer (optionally about a call)",
        add_note,
        response=NoteView,
        status=201,
        body=NoteIn,
        errors=(422,),
    ),
    Route(
        "POST",
        "/api/customers/{id}/tickets",
        "openTicket",
        "Open a ticket for the customer (optionally from a call)",
        open_ticket,
        response=TicketView,
        status=201,
        body=TicketIn,
        errors=(422,),
    ),
    Route(
        "PATCH",
        "/api/tickets/{id}",
        "setTicketStatus",
        "Change a ticket's status",
        set_ticket_status,
        response=TicketView,
        body=TicketStatusIn,
        errors=(422,),
    ),
    Route(
        "GET",
        "/api/calls",
        "listCalls",
        "Calls the viewer may see, newest first",
        list_calls,
        response=CallSummary,
        many=True,
        query=CallSearch,
    ),
    Route("GET", "/api/calls/{uuid}", "getCall", "One call", get_call, response=CallSummary),
    Route(
        "GET",
        "/api/screenpop/{call_uuid}",
        "getScreenPop",
        "The screen pop of a call: customer, last 10 calls, open tickets",
        get_screen_pop,
        response=ScreenPop,
    ),
    Route(
        "GET",
        "/api/screening-rules",
        "listScreeningRules",
        "The blacklist and VIP list (supervisors and managers)",
        list_rules,
        response=ScreeningRuleView,
        many=True,
        query=RuleFilter,
        errors=(403,),
    ),
    Route(
        "POST",
        "/api/screening-rules",
        "addScreeningRule",
        "List a number or prefix (managers)",
        add_rule,
        response=ScreeningRuleView,
        status=201,
        body=ScreeningRuleIn,
        errors=(403, 409, 422),
    ),
    Route(
        "DELETE",
        "/api/screening-rules/{id}",
        "removeScreeningRule",
        "Remove a rule added through the API or CLI (managers; YAML rules are edited in the dialplan)",
        remove_rule,
        status=204,
        errors=(403,),
    ),
    Route(
        "GET",
        "/api/surveys/averages",
        "surveyAverages",
        "Average survey scores per agent or per queue, question by question",
        survey_averages,
        response=SurveyAverage,
        many=True,
        query=AverageFilter,
    ),
    Route(
        "GET",
        "/api/events",
        "events",
        "Server-sent events for an agent: `screenpop` when a call is offered to them",
        events,
        stream=True,
        errors=(403, 503),
        description="`event: screenpop` with a ScreenPop as `data`; a `: keepalive` comment every 15 s.",
    ),
)

ROUTES: Final[tuple[Route, ...]] = (
    *CRM_ROUTES,
    *SESSION_ROUTES,
    *AGENT_ROUTES,
    *DISPOSITION_ROUTES,
    *RECORDING_ROUTES,
    *CAMPAIGN_ROUTES,
    *PREVIEW_ROUTES,
    *DIAL_ROUTES,
    *STATS_ROUTES,
    *REPORT_ROUTES,
    *DESK_ROUTES,
)
