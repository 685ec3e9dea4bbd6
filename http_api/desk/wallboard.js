// The wallboard: queues and agents from /api/stats/stream, live; listen / whisper / barge for supervisors.
import { api } from "./api.js";
import { byId, complain, el, say, show } from "./dom.js";
import { duration, percent, stateLabel } from "./format.js";
import { startSession } from "./session.js";

const SUPERVISE_MODES = ["listen", "whisper", "barge"];
const board = { queues: [], agents: [], queuesAt: 0, agentsAt: 0, supervises: false };

function cell(field, text) {
  return el("td", { "data-field": field, text });
}

function since(seconds, receivedAt) {
  return seconds === null || seconds === undefined ? null : seconds + (Date.now() - receivedAt) / 1000;
}

function queueRow(queue) {
  const longest = queue.waiting ? since(queue.longest_wait_s, board.queuesAt) : null;
  return el("tr", { "data-queue": queue.queue },
    el("th", { scope: "row", text: queue.queue }),
    cell("waiting", String(queue.waiting)),
    cell("longest_wait", longest === null ? "–" : duration(longest)),
    cell("service_level", percent(queue.service_level)),
    cell("answered", String(queue.answered)),
    cell("abandoned", String(queue.abandoned)));
}

async function supervise(agentId, mode, button) {
  button.disabled = true;
  say(`${mode} on agent ${agentId}: answer your phone when it rings`);
  try {
    await api("POST", "/api/supervise", { agent_id: agentId, mode });
    say(`${mode}: joined agent ${agentId}'s call`);
  } catch (error) {
    complain(error);
  } finally {
    button.disabled = false;
  }
}

function agentRow(agent) {
  const heard = [agent.call_caller, agent.call_queue && `queue ${agent.call_queue}`].filter(Boolean).join(", ");
  const call = agent.call_uuid ? heard || `call ${agent.call_uuid.slice(0, 8)}` : "";
  const row = el("tr", { "data-agent": agent.agent_id, "data-state": agent.state },
    el("th", { scope: "row", text: agent.name ? `${agent.name} (${agent.agent_id})` : agent.agent_id }),
    cell("state", stateLabel(agent.state) + (agent.reason ? ` (${agent.reason})` : "")),
    cell("in_state", duration(since(agent.in_state_s, board.agentsAt))),
    cell("call", call));
  if (board.supervises) {
    const buttons = SUPERVISE_MODES.map((mode) => {
      const button = el("button", { type: "button", "data-supervise": mode, "data-agent": agent.agent_id,
        "aria-label": `${mode} to agent ${agent.agent_id}`, text: mode });
      button.addEventListener("click", () => supervise(agent.agent_id, mode, button));
      return button;
    });
    row.append(el("td", { "data-field": "supervise" }, ...(agent.state === "on_call" ? buttons : [])));
  }
  return row;
}

// A row whose state is unchanged is updated in place (its texts), so a focused button keeps its focus.
function update(tbody, rows, key) {
  const old = new Map([...tbody.children].map((row) => [row.getAttribute(key), row]));
  const wanted = rows.map((row) => {
    const kept = old.get(row.getAttribute(key));
    if (!kept || kept.dataset.state !== row.dataset.state) return row;
    for (const fresh of row.querySelectorAll("th, td[data-field]:not([data-field=supervise])")) {
      const field = fresh.dataset.field;
      const target = field ? kept.querySelector(`td[data-field="${field}"]`) : kept.querySelector("th");
      if (target && target.textContent !== fresh.textContent) target.textContent = fresh.textContent;
    }
    return kept;
  });
  if (wanted.length === tbody.children.length && wanted.every((row, i) => row === tbody.children[i])) return;
  tbody.replaceChildren(...wanted);
}

function render() {
  update(document.querySelector("#queues tbody"), board.queues.map(queueRow), "data-queue");
  update(document.querySelector("#agents tbody"), board.agents.map(agentRow), "data-agent");
  byId("queues-updated").textContent = board.queuesAt ? `Updated ${new Date(board.queuesAt).toLocaleTimeString()}` : "";
}

function follow() {
  const stream = new EventSource("/api/stats/stream");
  stream.addEventListener("queues", (event) => {
    board.queues = JSON.parse(event.data);
    board.queuesAt = Date.now();
    render();
  });
  stream.addEventListener("agents", (event) => {
    board.agents = JSON.parse(event.data);
    board.agentsAt = Date.now();
    render();
  });
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) complain(new Error("The live figures stopped; reload the page"));
  });
}

startSession((session) => {
  board.supervises = session.role === "supervisor" || session.role === "manager";
  show(byId("supervise-heading"), board.supervises);
  show(byId("board"), true);
  follow();
  setInterval(render, 1000);
  byId("queues-title").focus();
});
