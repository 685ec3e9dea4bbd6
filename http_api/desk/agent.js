// The agent page: my state (and its changes, live), the screen pop as a call rings, the call's work.
import { api, path } from "./api.js";
import { startDialling } from "./dial.js";
import { byId, complain, say, show } from "./dom.js";
import { duration, secondsUntil, stateLabel } from "./format.js";
import { currentCall, showCall, showScreenPop } from "./screenpop.js";
import { startSession } from "./session.js";
import { startCallWork } from "./work.js";

const me = { agentId: null, view: null, polling: null };

function render() {
  const view = me.view;
  if (!view) return;
  const state = byId("agent-state");
  const reason = view.reason ? `(${view.reason})` : "";
  // Written only when it changed: the line is a live region, read out on each change.
  if (state.dataset.agentState !== view.state || byId("state-reason").textContent !== reason) {
    state.textContent = stateLabel(view.state);
    state.dataset.agentState = view.state;
    byId("state-reason").textContent = reason;
  }
  const focusLost = document.activeElement && document.activeElement.matches("[data-action]");
  for (const button of document.querySelectorAll("[data-action]")) {
    const action = button.dataset.action;
    show(button, action === "login" ? view.state === "logged_out" : view.state !== "logged_out");
  }
  // The button just used may be hidden now (log in): the focus goes to the first one shown.
  if (focusLost && document.activeElement === document.body) {
    const first = document.querySelector("[data-action]:not([hidden])");
    if (first) first.focus();
  }
  showCall(view.call_uuid || null);
  show(byId("work-panel"), Boolean(currentCall()));
  tick();
}

function tick() {
  const view = me.view;
  if (!view) return;
  byId("state-since").textContent = duration((Date.now() - new Date(view.since).getTime()) / 1000);
  const wrapUp = byId("wrap-up");
  const left = view.state === "wrap_up" && view.wrap_up_until ? secondsUntil(view.wrap_up_until) : null;
  show(wrapUp, left !== null);
  wrapUp.dataset.secondsLeft = left === null ? "" : String(Math.max(0, Math.ceil(left)));
  // Not a live region: the state line announces wrap-up once; the countdown is read on demand.
  wrapUp.textContent = left === null ? "" : `; wrap-up ends in ${duration(Math.ceil(left))}`;
}

function adopt(view) {
  me.view = { ...me.view, ...view };
  render();
}

// Answers can cross. A change's answer is the state after it; a read that overlapped a change may
// have been served before it, so it is dropped (the change's answer or the stream brings the news).
const writes = { sent: 0, open: 0 };

async function write(body) {
  writes.sent += 1;
  writes.open += 1;
  try {
    adopt(await api("POST", path`/api/agents/${me.agentId}/state`, body));
  } finally {
    writes.open -= 1;
  }
}

async function refresh() {
  const before = writes.sent;
  try {
    const view = await api("GET", path`/api/agents/${me.agentId}`);
    if (writes.open === 0 && writes.sent === before) adopt(view);
  } catch (error) {
    complain(error);
  }
}

// A row of the live stream: a new state is shown at once, then the full view (call, wrap-up end) read.
function streamed(row) {
  const moved = !me.view || row.state !== me.view.state || row.since !== me.view.since;
  if (!moved) return adopt(row);
  adopt({ reason: null, call_uuid: null, wrap_up_until: null, ...row });
  return refresh();
}

async function change(action) {
  const body = { action };
  if (action === "break") {
    const reason = byId("break-reason").value.trim();
    if (!reason) {
      complain(new Error("Give a reason for the break"));
      byId("break-reason").focus();
      return;
    }
    body.reason = reason;
  }
  try {
    await write(body);
    say(`State: ${stateLabel(me.view.state)}`);
  } catch (error) {
    complain(error);
  }
}

function follow() {
  const stats = new EventSource("/api/stats/stream");
  stats.addEventListener("agents", (event) => {
    const mine = JSON.parse(event.data).find((agent) => agent.agent_id === me.agentId);
    if (mine) streamed(mine);
  });
  // A stream refused outright (503: this server keeps no live figures) is not retried by the browser:
  // the state is then read every second instead.
  stats.addEventListener("error", () => {
    if (stats.readyState === EventSource.CLOSED && !me.polling) me.polling = setInterval(refresh, 1000);
  });
  const pushed = new EventSource("/api/events");
  pushed.addEventListener("screenpop", (event) => showScreenPop(JSON.parse(event.data)));
  pushed.addEventListener("error", () => {
    if (pushed.readyState === EventSource.CLOSED) complain(new Error("Screen pops are not available on this server"));
  });
  document.body.dataset.streams = "open";
}

async function startDesk(session) {
  show(byId("desk"), true);
  if (!session.agent_id) {
    show(byId("not-an-agent"), true);
    return;
  }
  me.agentId = session.agent_id;
  for (const id of ["state-panel", "call-panel", "dial-panel"]) show(byId(id), true);
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => change(button.dataset.action));
  }
  startCallWork(() => render());
  startDialling(me.agentId);
  await refresh();
  follow();
  setInterval(tick, 1000);
  byId("state-title").focus();
}

startSession(startDesk);
