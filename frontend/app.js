// The demo page: reads the API base URL from config.json (written at deploy time by the CDK
// app), then calls the API cross-origin. Every outcome lands in <pre id="result"> as JSON
// {action, method, url, status, body, error} so people and tests read the same thing.
"use strict";

const ACTIONS = {
  list: { method: "GET", path: "api/items" },
  create: { method: "POST", path: "api/items", body: { name: "widget", quantity: 2 }, client: true },
  greeting: { method: "GET", path: "api/greeting", client: true },
  missing: { method: "GET", path: "api/items/999" },
  invalid: { method: "POST", path: "api/items", body: { name: "", quantity: 0 } },
  // A demo route: deployments serve it only with DEMO_ROUTES_ENABLED=true, else it is a 404.
  boom: { method: "GET", path: "api/boom", demo: true },
  // The route is /api/items: a framework that "fixes" the slash answers with a redirect built
  // from the internal host and scheme. This one must answer 404 directly.
  slash: { method: "GET", path: "api/items/" },
};

let apiBase = null;

function show(state, payload) {
  const result = document.getElementById("result");
  result.textContent = JSON.stringify(payload, null, 2);
  result.dataset.ok = String(!payload.error);
  result.dataset.state = state;
}

function configError(message) {
  const element = document.getElementById("config-error");
  element.textContent = `Cannot start: ${message}`;
  element.hidden = false;
  document.getElementById("api-url").textContent = "(none)";
  show("config-error", { action: "config", status: null, body: null, error: message });
}

async function loadConfig() {
  let response;
  try {
    // Relative to the page, so it works at any CloudFront path; never served from cache.
    response = await fetch("config.json", { cache: "no-store" });
  } catch (error) {
    throw new Error(`config.json could not be fetched (${error.message})`);
  }
  if (!response.ok) {
    throw new Error(`config.json answered HTTP ${response.status}`);
  }
  let config;
  try {
    config = await response.json();
  } catch {
    throw new Error("config.json is not valid JSON");
  }
  if (!config || typeof config.apiUrl !== "string") {
    throw new Error('config.json has no "apiUrl" string');
  }
  let url;
  try {
    url = new URL(config.apiUrl);
  } catch {
    throw new Error(`apiUrl ${JSON.stringify(config.apiUrl)} is not an absolute URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`apiUrl ${JSON.stringify(config.apiUrl)} must be http(s)`);
  }
  // A base without a trailing slash would make relative paths replace the stage ("/v1").
  if (!url.pathname.endsWith("/")) {
    url.pathname += "/";
  }
  return url;
}

async function readBody(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function run(name) {
  const action = ACTIONS[name];
  const url = new URL(action.path, apiBase).toString();
  const headers = {};
  const init = { method: action.method, credentials: "include", headers, redirect: "follow" };
  if (action.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(action.body);
  }
  if (action.client) {
    headers["X-Client-Name"] = document.getElementById("client-name").value;
  }
  const outcome = { action: name, method: action.method, url, status: null, body: null, error: null };
  show("pending", outcome);
  try {
    const response = await fetch(url, init);
    outcome.status = response.status;
    outcome.finalUrl = response.url;
    outcome.requestId = response.headers.get("X-Request-ID");
    outcome.body = await readBody(response);
    if (action.demo && response.status === 404) {
      outcome.note = "demo routes are off on this API (DEMO_ROUTES_ENABLED is not true)";
    }
  } catch (error) {
    // A CORS refusal, a blocked redirect or a network failure: the browser tells the page
    // nothing more than this (the reason is in the console).
    outcome.error = `${error.name}: ${error.message}`;
  }
  show("done", outcome);
}

async function start() {
  try {
    apiBase = await loadConfig();
  } catch (error) {
    configError(error.message);
    return;
  }
  document.getElementById("api-url").textContent = apiBase.toString();
  document.getElementById("client-form").addEventListener("submit", (event) => event.preventDefault());
  for (const button of document.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => run(button.dataset.action));
    button.disabled = false;
  }
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
