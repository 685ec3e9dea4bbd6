// The screen pop: who is calling (customer, tier, custom fields), their last calls and open tickets.
import { api, path } from "./api.js";
import { byId, complain, el, say } from "./dom.js";
import { dateTime, duration } from "./format.js";

let call = null; // {uuid, customerId, pop}
let fetching = null;

export function currentCall() {
  return call;
}

function summary(pop, ringing) {
  const from = pop.caller_number || "a withheld number";
  const who = pop.known && pop.customer ? pop.display_name || pop.customer.name : "Unknown caller";
  const queue = pop.queue ? ` in queue ${pop.queue}` : "";
  return `${ringing ? "Incoming call" : "Call"}: ${who}, ${from}${queue}`;
}

function customerFacts(customer) {
  const facts = [
    ["Name", customer.name],
    ["Tier", customer.tier],
    ["Account", customer.account_number],
    ["Department", customer.department],
    ["Phones", (customer.phone_numbers || []).map((p) => p.e164).join(", ")],
    ...Object.entries(customer.custom_fields || {}).map(([name, value]) => [name, value]),
  ];
  const list = el("dl", { class: "facts", "data-section": "customer" });
  for (const [name, value] of facts) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", { text: name }), el("dd", { text: typeof value === "object" ? JSON.stringify(value) : value, "data-field": name }));
  }
  return list;
}

function table(caption, headings, rows, section) {
  const head = el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })));
  const body = el("tbody", {}, ...rows);
  return el("table", { "data-section": section }, el("caption", { text: caption }), el("thead", {}, head), body);
}

function recentCalls(calls) {
  const rows = calls.map((c) =>
    el("tr", { "data-call": c.uuid },
      el("td", { text: dateTime(c.started_at) }), el("td", { text: c.queue || "" }),
      el("td", { text: c.agent_id || "" }), el("td", { text: c.outcome || "" }),
      el("td", { text: c.duration_s === null || c.duration_s === undefined ? "" : duration(c.duration_s) })));
  return table(`Last calls (${calls.length})`, ["When", "Queue", "Agent", "Outcome", "Length"], rows, "calls");
}

function ticketRow(ticket) {
  const id = `ticket-status-${ticket.id}`;
  const select = el("select", { id, "data-ticket": ticket.id },
    ...["open", "pending", "closed"].map((s) => el("option", { value: s, text: s, selected: s === ticket.status })));
  const button = el("button", { type: "button", text: "Update", "data-ticket-update": ticket.id });
  button.addEventListener("click", async () => {
    try {
      const saved = await api("PATCH", path`/api/tickets/${ticket.id}`, { status: select.value });
      say(`Ticket ${saved.id} is ${saved.status}`);
    } catch (error) {
      complain(error);
    }
  });
  const label = el("label", { for: id, class: "visually-hidden", text: `Status of ticket ${ticket.id}` });
  return el("tr", { "data-ticket-row": ticket.id },
    el("td", { text: String(ticket.id) }), el("td", { text: ticket.subject }),
    el("td", { text: dateTime(ticket.created_at) }), el("td", {}, label, select, button));
}

export function addTicket(ticket) {
  const tickets = document.querySelector('#screen-pop [data-section="tickets"]');
  if (!tickets) return;
  tickets.tBodies[0].append(ticketRow(ticket));
  tickets.caption.textContent = `Open tickets (${tickets.tBodies[0].rows.length})`;
}

// `ringing`: pushed as the call is offered (false: read for a call already under way).
export function showScreenPop(pop, ringing = true) {
  call = { uuid: pop.call_uuid, customerId: pop.customer ? pop.customer.id : null, pop };
  const box = byId("screen-pop");
  box.dataset.callUuid = pop.call_uuid;
  box.dataset.customerId = call.customerId === null ? "" : String(call.customerId);
  box.replaceChildren();
  if (pop.customer) {
    box.append(customerFacts(pop.customer), recentCalls(pop.recent_calls || []),
      table(`Open tickets (${(pop.open_tickets || []).length})`, ["Ticket", "Subject", "Opened", "Status"], (pop.open_tickets || []).map(ticketRow), "tickets"));
  } else {
    box.append(el("p", { text: "No customer has this number." }));
  }
  byId("pop-summary").textContent = summary(pop, ringing);
  document.dispatchEvent(new CustomEvent("desk:call", { detail: call }));
}

// The state names a call the page has no pop for (opened mid-call): fetch it once.
export async function showCall(uuid) {
  if (!uuid || (call && call.uuid === uuid) || fetching === uuid) return;
  fetching = uuid;
  try {
    showScreenPop(await api("GET", path`/api/screenpop/${uuid}`), false);
  } catch (error) {
    if (error.status !== 404) complain(error);
  } finally {
    fetching = null;
  }
}
