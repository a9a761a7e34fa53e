// The page talks to the server with the session cookie (set by the login link or by signing in
// with a key), so no key is ever kept in script-readable storage.

/** An error from the API in OpenAI's shape, plus what the page needs to place it. */
export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    super(body.message || `The server answered ${status}.`);
    this.status = status;
    this.code = body.code || null;
    this.param = body.param || null;
    this.type = body.type || null;
    this.fragment = body.fragment || null;
    this.engineHint = body.engine_hint || null;
    this.retryAfter = retryAfter;
  }
}

/** fetch + JSON + errors. `json` sends a JSON body, `form` a FormData body. */
export async function api(path, { method = "GET", json, form, signal, headers = {} } = {}) {
  const init = { method, signal, credentials: "same-origin", headers: { accept: "application/json", ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["content-type"] = "application/json";
  } else if (form) {
    init.body = form;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, { message: "The server cannot be reached. Is `retouch serve` still running?", code: "network" });
  }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!res.ok) {
    const retry = Number(res.headers.get("retry-after")) || null;
    throw new ApiError(res.status, (body && body.error) || { message: text.slice(0, 200) }, retry);
  }
  return body;
}

/** Follow a job to its end: SSE events while the stream lasts, polling if it breaks.
 * Calls onUpdate(job-ish) for each event; resolves with the final job view. */
export function followJob(jobId, onUpdate, { signal } = {}) {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (job) => {
      if (done) return;
      done = true;
      src?.close();
      resolve(job);
    };
    const poll = async () => {
      while (!done) {
        try {
          const job = await api(`/v1/jobs/${jobId}`, { signal });
          onUpdate(job);
          if (["succeeded", "failed", "canceled"].includes(job.status)) return finish(job);
        } catch (e) {
          if (e.name === "AbortError") return;
          if (e.status && e.status !== 0) { done = true; return reject(e); }
        }
        await new Promise((r) => setTimeout(r, 800));
      }
    };
    let src = new EventSource(`/v1/jobs/${jobId}/events`);
    const onData = (ev) => {
      let data;
      try { data = JSON.parse(ev.data); } catch { return; }
      onUpdate(data);
      if (["job.succeeded", "job.failed", "job.canceled"].includes(ev.type)) finish(data);
    };
    for (const t of ["job.status", "job.progress", "job.succeeded", "job.failed", "job.canceled"]) {
      src.addEventListener(t, onData);
    }
    // EventSource would reconnect forever; one failure is enough to switch to polling.
    src.onerror = () => { if (!done) { src.close(); src = null; poll(); } };
    signal?.addEventListener("abort", () => { done = true; src?.close(); });
  });
}

/** A File/Blob as a data: URL (masks travel inside the job's JSON). */
export function dataURL(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}
