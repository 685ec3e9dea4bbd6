// Click-to-dial, and preview dialling of a campaign's records.
import { api, path } from "./api.js";
import { byId, complain, el, say, show } from "./dom.js";

function previewFacts(preview) {
  const lead = preview.lead;
  const list = el("dl", { class: "facts", "data-preview-lead": lead.id });
  const facts = [["Name", lead.name], ["Phone", lead.phone], ["Attempts", String(lead.attempts)],
    ...Object.entries(lead.fields || {})];
  for (const [name, value] of facts) {
    if (value !== null && value !== undefined && value !== "") list.append(el("dt", { text: name }), el("dd", { text: String(value) }));
  }
  return el("div", { "data-preview-state": preview.state }, el("p", { text: `Campaign ${preview.campaign}: ${preview.state}` }), list);
}

export function startDialling(agentId) {
  byId("dial-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = byId("dial-number").value.trim();
    try {
      const placed = await api("POST", path`/api/agents/${agentId}/dial`, { number });
      say(`Dialling ${placed.number}: your phone rings first`);
    } catch (error) {
      complain(error);
    }
  });
  const record = byId("preview-record");
  const shown = (preview) => {
    record.replaceChildren(preview ? previewFacts(preview) : "");
    show(byId("preview-actions"), Boolean(preview) && preview.state === "previewing");
  };
  byId("preview-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      shown(await api("POST", path`/api/campaigns/${byId("preview-campaign").value.trim()}/previews`, { agent_id: agentId }));
    } catch (error) {
      complain(error);
    }
  });
  byId("preview-dial").addEventListener("click", async () => {
    try {
      shown(await api("POST", path`/api/previews/${agentId}/dial`));
      say("Dialling the record: your phone rings first");
    } catch (error) {
      complain(error);
    }
  });
  byId("preview-skip").addEventListener("click", async () => {
    try {
      await api("POST", path`/api/previews/${agentId}/skip`);
      shown(null);
      say("Record skipped");
    } catch (error) {
      complain(error);
    }
  });
}
