// The call's work: a note on the customer, a ticket, the call's disposition.
import { api, path } from "./api.js";
import { addTicket, currentCall } from "./screenpop.js";
import { byId, complain, el, say } from "./dom.js";

function needCustomer() {
  const call = currentCall();
  if (!call || call.customerId === null) throw new Error("This call has no customer to write on");
  return call;
}

function onSubmit(id, work) {
  byId(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await work();
    } catch (error) {
      complain(error);
    }
  });
}

async function loadDispositions() {
  const select = byId("disposition-code");
  try {
    const codes = await api("GET", "/api/dispositions");
    select.replaceChildren(el("option", { value: "", text: "Choose…" }),
      ...codes.map((d) => el("option", { value: d.code, text: d.label })));
  } catch (error) {
    complain(error);
  }
}

export function startCallWork(onCall) {
  onSubmit("note-form", async () => {
    const call = needCustomer();
    const body = byId("note-body");
    const note = await api("POST", path`/api/customers/${call.customerId}/notes`, { body: body.value, call_uuid: call.uuid });
    body.value = "";
    say(`Note ${note.id} saved`);
  });
  onSubmit("ticket-form", async () => {
    const call = needCustomer();
    const subject = byId("ticket-subject");
    const ticket = await api("POST", path`/api/customers/${call.customerId}/tickets`, { subject: subject.value, call_uuid: call.uuid });
    subject.value = "";
    addTicket(ticket);
    say(`Ticket ${ticket.id} opened`);
  });
  onSubmit("disposition-form", async () => {
    const call = currentCall();
    if (!call) throw new Error("No call to set a disposition on");
    const note = byId("disposition-note").value.trim();
    const body = { code: byId("disposition-code").value };
    if (note) body.note = note;
    const saved = await api("PUT", path`/api/calls/${call.uuid}/disposition`, body);
    byId("disposition-saved").textContent = `Disposition: ${saved.label}`;
    byId("disposition-saved").dataset.disposition = saved.code;
    say(`Disposition saved: ${saved.label}`);
  });
  document.addEventListener("desk:call", () => {
    byId("disposition-saved").textContent = "";
    byId("disposition-saved").dataset.disposition = "";
    byId("disposition-form").reset();
    onCall();
  });
  loadDispositions();
}
