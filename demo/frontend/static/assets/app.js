// jetscale demo frontend. A Vite build would inline import.meta.env.VITE_API_BASE_URL here at build
// time; this literal plays that part, and /config.js (written by the server at run time) overrides it.
const BUILD_TIME_API_BASE_URL = "http://localhost:8000";

(function () {
  "use strict";

  const runtime = window.__JETSCALE_CONFIG__ || {};
  const apiBase = String(runtime.VITE_API_BASE_URL || BUILD_TIME_API_BASE_URL).replace(/\/+$/, "");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  document.getElementById("api-base").textContent = apiBase;

  fetch(`${apiBase}/api/hello`, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(`HTTP ${response.status} from ${apiBase}/api/hello`);
      }
      return response.json();
    })
    .then(function (body) {
      status.className = "ok";
      status.textContent = `${body.message} (pod ${body.pod})`;
      result.textContent = JSON.stringify(body, null, 2);
    })
    .catch(function (error) {
      // A CORS rejection surfaces here as a TypeError with no status: the browser hides the response.
      status.className = "error";
      status.textContent = `Could not reach the backend at ${apiBase}: ${error.message}`;
    });
})();
