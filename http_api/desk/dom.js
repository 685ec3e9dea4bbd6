// Small DOM helpers: elements are built with textContent, never from HTML strings.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

// A message in the page's status line (role=status) or, for errors, its alert line (role=alert).
export function say(message) {
  byId("alert").textContent = "";
  byId("status").textContent = message;
}

export function complain(error) {
  byId("status").textContent = "";
  byId("alert").textContent = error && error.message ? error.message : String(error);
}
