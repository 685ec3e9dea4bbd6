// How figures read on the pages.
export const STATE_LABELS = {
  logged_out: "Logged out",
  available: "Ready",
  reserved: "Reserved",
  ringing: "Ringing",
  on_call: "On a call",
  wrap_up: "Wrap-up",
  on_break: "On break",
};

export function stateLabel(state) {
  return STATE_LABELS[state] || state;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

export function percent(fraction) {
  return fraction === null || fraction === undefined ? "–" : `${(fraction * 100).toFixed(1)} %`;
}

export function dateTime(text) {
  if (!text) return "";
  const when = new Date(text);
  return when.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

// Seconds from now until an ISO time (negative once past).
export function secondsUntil(text) {
  return (new Date(text).getTime() - Date.now()) / 1000;
}
