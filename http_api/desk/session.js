// Sign-in with a token (POST /api/session sets the HttpOnly cookie), the session, sign-out.
import { api, setCsrf } from "./api.js";
import { byId, complain, show } from "./dom.js";

let begun = false;

function started(session, onSession) {
  setCsrf(session.csrf);
  if (begun) return; // signed in by the form while the first GET /api/session was under way
  begun = true;
  byId("who").textContent = `${session.user} (${session.agent_id ? `agent ${session.agent_id}` : session.role})`;
  byId("who").dataset.role = session.role;
  show(byId("login"), false);
  show(byId("signed-in"), true);
  onSession(session);
}

export async function startSession(onSession) {
  const form = byId("login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = byId("token");
    try {
      const session = await api("POST", "/api/session", { token: input.value.trim() });
      input.value = "";
      byId("alert").textContent = "";
      started(session, onSession);
    } catch (error) {
      complain(error);
      input.focus();
    }
  });
  byId("logout").addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/session");
    } finally {
      window.location.reload();
    }
  });
  try {
    started(await api("GET", "/api/session"), onSession);
  } catch (error) {
    if (begun) return;
    if (error.status !== 401) complain(error);
    show(byId("login"), true);
    byId("token").focus();
  }
}
