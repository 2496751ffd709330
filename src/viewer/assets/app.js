// The run viewer's page, a client of the server's API (docs/server.md): plain DOM, no framework, nothing loaded from
// elsewhere. Data is put in the page with textContent only; the one piece of markup inserted is Mermaid's SVG, rendered
// with securityLevel "strict". A run's live events come from its event stream (Server-Sent Events).
"use strict"

const view = document.getElementById("view")
const banner = document.getElementById("banner")
const indicator = document.getElementById("live-indicator")
const POLL_MS = 1000

if (window.mermaid) window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" })

// ---------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------

/** `h("div", { class: "x", onclick }, child, "text")`: an element; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value)
    else if (key === "text") el.textContent = value
    else el.setAttribute(key, value === true ? "" : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child)
  }
  return el
}

const time = (ms) => new Date(ms).toLocaleString()
const statusBadge = (status) => h("span", { class: `status ${status}`, "data-testid": "status", text: status })

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const data = await response.json().catch(() => null)
  if (response.status === 401) {
    banner.hidden = false
    banner.textContent = "Not signed in: open the URL the viewer printed at start-up (it carries the access token)."
  } else if (response.ok) {
    banner.hidden = true
  }
  if (!response.ok) throw new ApiError(response.status, data)
  return data
}

// ---------------------------------------------------------------------------------------------------
// routing and polling
// ---------------------------------------------------------------------------------------------------

let current = null // { stop(): void }

function route() {
  if (current) current.stop()
  const hash = location.hash || "#/"
  const run = /^#\/run\/(.+)$/.exec(hash)
  current = run ? runPage(decodeURIComponent(run[1])) : runsPage()
}

/** Calls `tick` now and every POLL_MS until stopped; marks the indicator stale while requests fail. */
function poll(tick) {
  let stopped = false
  let timer
  const loop = async () => {
    if (stopped) return
    try {
      await tick()
      indicator.classList.remove("stale")
    } catch (error) {
      indicator.classList.add("stale")
      if (!(error instanceof ApiError)) console.error(error)
    }
    clearTimeout(timer)
    if (!stopped) timer = setTimeout(run, POLL_MS)
  }
  let running = null
  const run = () => {
    clearTimeout(timer)
    // One tick at a time: a tick asked for while one runs starts when it ends.
    running = (running || Promise.resolve()).then(loop)
  }
  run()
  return {
    stop: () => { stopped = true; clearTimeout(timer) },
    now: () => { if (!stopped) run() }
  }
}

window.addEventListener("hashchange", route)

// ---------------------------------------------------------------------------------------------------
// the runs
// ---------------------------------------------------------------------------------------------------

const STATUSES = ["", "running", "suspended", "sleeping", "waiting", "done", "failed", "interrupted"]
const headings = (titles) => h("thead", {}, h("tr", {}, titles.map((t) => h("th", { text: t }))))

function runsPage() {
  const filter = h("select", { id: "status-filter", "data-testid": "status-filter" },
    STATUSES.map((s) => h("option", { value: s, text: s || "all" })))
  filter.value = sessionStorage.getItem("status-filter") || ""
  const body = h("tbody", {})
  const table = h("table", { "data-testid": "runs" },
    headings(["Run", "Flow", "Status", "Steps", "At", "Last update"]),
    body)
  const empty = h("p", { class: "muted", hidden: true, text: "No runs." })
  const starter = h("div", { "data-testid": "start" })
  view.replaceChildren(
    h("h1", { text: "Runs" }),
    starter,
    h("div", { class: "toolbar" }, h("label", {}, "Status ", filter)),
    table,
    empty
  )
  api("GET", "/flows").then((data) => drawStart(starter, data.flows)).catch(() => {})
  let last = ""
  const poller = poll(async () => {
    const status = filter.value
    const data = await api("GET", `/runs${status ? `?status=${encodeURIComponent(status)}` : ""}`)
    const key = JSON.stringify(data)
    if (key === last) return
    last = key
    body.replaceChildren(...data.runs.map((r) =>
      h("tr", { "data-run": r.id },
        h("td", {}, h("a", { href: `#/run/${encodeURIComponent(r.id)}`, text: r.id })),
        h("td", { text: r.flow }),
        h("td", {}, statusBadge(r.status), r.waiting > 0 ? ` ${r.waiting} waiting` : ""),
        h("td", { text: r.steps }),
        h("td", { text: r.node }),
        h("td", { text: time(r.updatedAt) }))))
    empty.hidden = data.runs.length > 0
  })
  filter.addEventListener("change", () => {
    sessionStorage.setItem("status-filter", filter.value)
    last = ""
    route()
  })
  return poller
}

/** "Start a run" for the flows the server hosts: a form for each store's initial state, from its JSON Schema. */
function drawStart(container, flows) {
  if (!flows || flows.length === 0) return
  const select = h("select", { "data-testid": "start-flow" }, flows.map((f) => h("option", { value: f.name, text: f.name })))
  const id = h("input", { type: "text", "data-testid": "start-id", placeholder: "run id (optional)" })
  const fields = h("div", {})
  const error = h("div", { class: "error", "data-testid": "start-error", hidden: true })
  let forms = []
  const draw = () => {
    const flow = flows.find((f) => f.name === select.value)
    forms = flow.stores.map((s) => ({ key: s.key, form: answerForm(s.schema) }))
    fields.replaceChildren(...forms.map(({ key, form }) =>
      h("fieldset", {}, h("legend", {}, "store ", h("code", { text: key })), form.el)))
  }
  select.addEventListener("change", draw)
  draw()
  const submit = h("button", { class: "primary", type: "submit", "data-testid": "start-submit", text: "Start" })
  const form = h("form", { novalidate: true, "data-testid": "start-form" },
    h("label", {}, h("span", { text: "Flow" }), select),
    h("label", {}, h("span", { text: "Run id" }), id),
    fields, submit, error)
  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    submit.disabled = true
    error.hidden = true
    try {
      const stores = {}
      for (const { key, form } of forms) stores[key] = form.read()
      const body = { flow: select.value, stores }
      if (id.value.trim() !== "") body.id = id.value.trim()
      const result = await api("POST", "/runs", body)
      location.hash = `#/run/${encodeURIComponent(result.id)}`
    } catch (e) {
      error.textContent = e.message
      error.hidden = false
    } finally {
      submit.disabled = false
    }
  })
  container.replaceChildren(h("section", { class: "card" }, h("h2", { text: "Start a run" }), form))
}

// ---------------------------------------------------------------------------------------------------
// one run
// ---------------------------------------------------------------------------------------------------

let diagramCount = 0

function runPage(id) {
  const title = h("h1", {}, "Run ", h("code", { text: id }))
  const meta = h("div", { class: "meta" })
  const diagram = h("div", { id: "diagram", "data-testid": "diagram" })
  const legend = h("div", { class: "legend" },
    h("span", {}, h("i", { class: "l-current" }), "current"),
    h("span", {}, h("i", { class: "l-waiting" }), "waiting"),
    h("span", {}, h("i", { class: "l-visited" }), "visited"))
  const marks = h("p", { class: "muted", "data-testid": "marks" })
  const items = h("div", { "data-testid": "items" })
  const waiting = h("div", { "data-testid": "waiting" })
  const state = h("div", { "data-testid": "state" })
  const history = h("div", { "data-testid": "history" })
  const events = h("div", { "data-testid": "events" })
  const notice = h("div", { "data-testid": "notice" })
  view.replaceChildren(
    h("p", {}, h("a", { href: "#/", text: "← all runs" })),
    title, meta, notice,
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", { text: "Flow" }), legend, diagram, marks, items),
      h("section", { class: "card" }, h("h2", { text: "Waiting input" }), waiting),
      h("section", { class: "card" }, h("h2", { text: "Stores" }), state),
      h("section", { class: "card" }, h("h2", { text: "Checkpoints" }), history),
      h("section", { class: "card wide" }, h("h2", { text: "Live events" }), events)))

  const seen = {}
  const changed = (part, value) => {
    const key = JSON.stringify(value)
    if (seen[part] === key) return false
    seen[part] = key
    return true
  }

  const lines = h("div", { class: "events", "data-testid": "event-lines" })
  events.replaceChildren(lines)
  let refresh = () => {}
  // The run's events, live: the server's stream re-attaches by itself (EventSource sends Last-Event-ID).
  const source = new EventSource(`/runs/${encodeURIComponent(id)}/events`)
  source.onmessage = (message) => {
    let event
    try {
      event = JSON.parse(message.data)
    } catch {
      return
    }
    lines.append(h("div", {},
      h("span", { class: "tag", text: `${new Date().toLocaleTimeString()} ${event._tag}` }), " ", describeEvent(event)))
    lines.scrollTop = lines.scrollHeight
    refresh()
  }
  // The run ended: the server closed the stream; do not reconnect.
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) return
    if (ended) source.close()
  }
  let ended = false

  const poller = poll(async () => {
    let s
    try {
      s = await api("GET", `/runs/${encodeURIComponent(id)}`)
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        meta.replaceChildren(h("span", { class: "muted", text: "No such run." }))
        return
      }
      throw error
    }
    const [diagramData, historyData] = await Promise.all([
      api("GET", `/runs/${encodeURIComponent(id)}/diagram`),
      api("GET", `/runs/${encodeURIComponent(id)}/history?limit=100`)
    ])
    const finished = s.status === "done" || s.status === "failed" || s.status === "interrupted"
    ended = finished
    if (changed("meta", [s.status, s.flow, s.steps, s.version, s.updatedAt, s.failure, s.action, s.lease])) {
      meta.replaceChildren(...[
        h("span", {}, statusBadge(s.status)),
        h("span", {}, "flow ", h("b", { text: s.flow })),
        h("span", { text: `${s.steps} step${s.steps === 1 ? "" : "s"}` }),
        h("span", { text: `v${s.version}` }),
        h("span", { class: "muted", text: `updated ${time(s.updatedAt)}` }),
        s.action ? h("span", {}, "action ", h("code", { text: s.action })) : null,
        s.failure ? h("span", { class: "error", text: s.failure }) : null,
        leaseLine(s),
        finished
          ? null
          : h("button", { "data-testid": "interrupt", onclick: () => interrupt(id, notice), text: "Interrupt" })
      ].filter((el) => el !== null))
    }
    if (changed("diagram", diagramData)) await drawDiagram(diagram, marks, diagramData)
    if (changed("waiting", [s.status, s.waiting, s.answered])) drawWaiting(waiting, s, notice)
    if (changed("items", s.items)) drawItems(items, s.items || {})
    if (changed("state", s.stores)) {
      state.replaceChildren(...Object.entries(s.stores).map(([key, value]) =>
        h("div", {}, h("p", {}, h("code", { text: key })), h("pre", { text: JSON.stringify(value, null, 2) }))))
    }
    const newestFirst = [...historyData.snapshots].reverse()
    if (changed("history", newestFirst.map((c) => [c.version, c.status, c.steps, c.node, c.updatedAt]))) {
      drawHistory(history, id, newestFirst, notice)
    }
  })
  // A new event: look at the run now rather than at the next tick (the live node moves at once).
  let pending = false
  refresh = () => {
    if (pending) return
    pending = true
    setTimeout(() => {
      pending = false
      poller.now()
    }, 50)
  }
  return {
    stop: () => {
      source.close()
      poller.stop()
    }
  }
}

/** One line for an event, as FlowEvent.format writes it (durations in milliseconds). */
function describeEvent(e) {
  const where = e.runs && e.runs.length ? `${e.path} #${e.runs.join(".")}` : e.path
  const ms = (d) => `${d >= 10 ? Math.round(d) : Math.round(d * 100) / 100}ms`
  const show = (u) => u && typeof u === "object" ? (u.message ? `${u.name || "Error"}: ${u.message}` : u._tag || JSON.stringify(u)) : String(u)
  switch (e._tag) {
    case "FlowStarted": return `${where}: flow started`
    case "FlowFinished": return `${where}: flow finished with "${e.action}" in ${ms(e.duration)}`
    case "FlowFailed": return `${where}: flow failed in ${ms(e.duration)}`
    case "NodeStarted": return `${where}: started (${e.kind})`
    case "NodeFinished": return `${where}: finished with "${e.action}" in ${ms(e.duration)}`
    case "NodeFailed": return `${where}: failed in ${ms(e.duration)}`
    case "RetryScheduled": return `${where}: attempt ${e.attempt} failed (${show(e.error)}), retrying in ${ms(e.delay)}`
    case "FallbackUsed": return `${where}: fallback after ${show(e.error)}`
    case "Transition": return `${where}: ${e.from} --${e.action}--> ${e.to}`
    case "UnmatchedAction": return `${where}: ends, ${e.node} returned "${e.action}" with no edge`
    case "BatchProgress": return `${where}: ${e.done}/${e.total}`
    case "CheckpointSaved": return `${where}: checkpoint v${e.version} (${e.status})`
    case "Suspended": return `${where}: suspended, waiting for ${e.waiting.map((w) => w.key).join(", ")}`
    case "Resumed": return `${where}: resumed from its checkpoint (v${e.version})`
    case "AnswerStale": return `${where}: the answer to ${e.key} was for an older prompt; asking again`
    case "AnswerRejected": return `${where}: the answer to ${e.key} was rejected (${e.error}); asking again`
    case "EventsGap": return `${where}: events ${e.after + 1} to ${e.next - 1} are no longer held (not delivered)`
    case "Custom": return `${where}: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}`
    default: {
      const { _tag, path, runs, ...rest } = e
      return `${where}: ${JSON.stringify(rest)}`
    }
  }
}

/**
 * Who holds the run: a live lease (an owner runs it now), one past its expiry (its owner stopped without releasing
 * it: a crash; the next call continues it), or none (nobody runs it; a running run with none was never started).
 */
function leaseLine(s) {
  const finished = s.status === "done" || s.status === "failed" || s.status === "interrupted"
  if (!s.lease) {
    return finished ? null : h("span", { class: "muted", "data-testid": "lease", text: "no owner holds it" })
  }
  const { owner, expiresAt, heartbeatAt } = s.lease
  const beat = heartbeatAt > 0 ? `, last heartbeat ${time(heartbeatAt)}` : ""
  return expiresAt > Date.now()
    ? h("span", { "data-testid": "lease" }, "held by ", h("code", { text: owner }),
      ` until ${time(expiresAt)}${beat}`)
    : h("span", { class: "error", "data-testid": "lease" }, "abandoned by ", h("code", { text: owner }),
      ` (lease expired ${time(expiresAt)}${beat}): its owner stopped without releasing it`)
}

/** Durable batches in progress: items saved of items in all, by batch. */
function drawItems(container, items) {
  container.replaceChildren(...Object.entries(items).map(([scope, { done, total }]) =>
    h("p", { "data-scope": scope }, "batch ", h("code", { text: scope }), `: ${done} of ${total} items saved`)))
}

async function drawDiagram(container, marks, diagram) {
  if (diagram === null) {
    container.replaceChildren(h("p", { class: "muted",
      text: "No diagram saved with this run: the program saves one with Viewer.run or Viewer.record(flow, id)." }))
    marks.textContent = ""
    return
  }
  const parts = []
  if (diagram.waiting.length) parts.push(`waiting at ${diagram.waiting.join(", ")}`)
  if (diagram.current.length) parts.push(`current: ${diagram.current.join(", ")}`)
  if (diagram.visited.length) parts.push(`visited: ${diagram.visited.join(", ")}`)
  marks.textContent = parts.join(" · ")
  if (!window.mermaid) {
    container.replaceChildren(h("pre", { text: diagram.text }))
    return
  }
  try {
    const { svg } = await window.mermaid.render(`pf-diagram-${++diagramCount}`, diagram.text)
    container.innerHTML = svg
  } catch (error) {
    container.replaceChildren(h("pre", { text: diagram.text }), h("div", { class: "error", text: String(error) }))
  }
}

function drawHistory(container, id, history, notice) {
  container.replaceChildren(h("table", {},
    headings(["Version", "Status", "At node", "Steps", "Time", ""]),
    h("tbody", {}, [...history].map((c) =>
      h("tr", { "data-version": c.version },
        h("td", { text: `v${c.version}` }),
        h("td", {}, statusBadge(c.status)),
        h("td", { text: c.node }),
        h("td", { text: c.steps }),
        h("td", { text: time(c.updatedAt) }),
        h("td", {}, forkButton(id, c.version, notice)))))))
}

const forkButton = (id, version, notice) =>
  h("button", { "data-testid": "fork", onclick: () => fork(id, version, notice), text: "Fork from here" })

async function fork(id, version, notice) {
  try {
    const result = await api("POST", `/runs/${encodeURIComponent(id)}/fork`, { version })
    notice.replaceChildren(h("div", { class: "ok" }, `Forked v${version} as `,
      h("a", { href: `#/run/${encodeURIComponent(result.id)}`, text: result.id }),
      result.continued ? " (running here)" : ""))
  } catch (error) {
    notice.replaceChildren(h("div", { class: "error", text: `Fork failed: ${error.message}` }))
  }
}

async function interrupt(id, notice) {
  if (!confirm(`Interrupt run ${id} for good?`)) return
  try {
    await api("POST", `/runs/${encodeURIComponent(id)}/interrupt`)
  } catch (error) {
    notice.replaceChildren(h("div", { class: "error", text: `Interrupt failed: ${error.message}` }))
  }
}

// ---------------------------------------------------------------------------------------------------
// waiting inputs: a form from the answer's JSON Schema
// ---------------------------------------------------------------------------------------------------

function drawWaiting(container, snapshot, notice) {
  if (snapshot.status !== "suspended" || snapshot.waiting.length === 0) {
    container.replaceChildren(h("p", { class: "muted", text: "Nothing waiting." }))
    return
  }
  const answered = new Set(snapshot.answered || [])
  container.replaceChildren(...snapshot.waiting.map((w) => {
    const head = h("p", {}, h("b", { text: w.input }), " at ", h("code", { text: w.path }),
      w.deadline ? h("span", { class: "muted", text: ` · deadline ${time(w.deadline)}` }) : null)
    const prompt = h("div", { "data-testid": "prompt" }, typeof w.prompt === "string"
      ? h("pre", { text: w.prompt })
      : h("pre", { text: JSON.stringify(w.prompt, null, 2) }))
    // Answered already: nobody needs to answer it, the run moves on when a program continues it.
    if (answered.has(w.key)) {
      return h("div", { class: "card waiting", "data-key": w.key }, head, prompt,
        h("p", { class: "ok", "data-testid": "answered-key",
          text: "Answered: waiting for a program to continue the run (Durable.run, or a worker)." }))
    }
    const form = answerForm(w.answerSchema)
    const error = h("div", { class: "error", "data-testid": "answer-error", hidden: true })
    const submit = h("button", { class: "primary", type: "submit", "data-testid": "submit", text: "Answer" })
    const el = h("form", { novalidate: true, "data-testid": "answer-form" }, form.el, submit, error)
    el.addEventListener("submit", async (event) => {
      event.preventDefault()
      submit.disabled = true
      error.hidden = true
      try {
        const result = await api("POST", "/answers", { token: w.token, value: form.read() })
        notice.replaceChildren(h("div", { class: "ok", "data-testid": "answered",
          text: result.continued
            ? "Answered: the run continues."
            : "Answered: the run continues when its program resumes it." }))
      } catch (e) {
        error.textContent = e.message
        error.hidden = false
      } finally {
        submit.disabled = false
      }
    })
    return h("div", { class: "card waiting", "data-key": w.key }, head, prompt, el)
  }))
}

/** A form for a JSON Schema document (`{ schema, definitions }`): `{ el, read() }`, `read` giving the JSON value. */
function answerForm(document) {
  const defs = (document && (document.definitions || document.$defs)) || {}
  const root = document && document.schema !== undefined ? document.schema : document
  return field(root, defs, "answer", true, "")
}

function deref(schema, defs) {
  for (let i = 0; schema && schema.$ref && i < 32; i++) schema = defs[schema.$ref.split("/").pop()]
  return schema || {}
}

/** The branch of an anyOf/oneOf a form can edit: the first that is not `null` (and not NaN/Infinity strings). */
function pick(schema, defs) {
  schema = deref(schema, defs)
  const options = schema.anyOf || schema.oneOf
  if (!options) return schema
  const usable = options.map((o) => deref(o, defs)).filter((o) => o.type !== "null")
  return pick(usable[0] || {}, defs)
}

function field(rawSchema, defs, name, required, path) {
  const schema = pick(rawSchema, defs)
  const title = schema.title || name
  const description = schema.description ? h("small", { class: "muted", text: schema.description }) : null
  const testid = `field-${path || "answer"}`
  if (schema.const !== undefined) return { el: h("span", {}), read: () => schema.const }
  if (Array.isArray(schema.enum)) {
    const select = h("select", { name: path, "data-testid": testid },
      required ? null : h("option", { value: "", text: "—" }),
      schema.enum.map((v, i) => h("option", { value: String(i), text: typeof v === "string" ? v : JSON.stringify(v) })))
    return {
      el: h("label", {}, h("span", { text: title }), select, description),
      read: () => select.value === "" ? undefined : schema.enum[Number(select.value)]
    }
  }
  switch (schema.type) {
    case "boolean": {
      const input = h("input", { type: "checkbox", name: path, "data-testid": testid })
      const el = h("label", { class: "check" }, input, h("span", { text: title }), description)
      return { el, read: () => input.checked }
    }
    case "string": {
      const long = !(schema.maxLength <= 120)
      const input = long
        ? h("textarea", { name: path, rows: 3, "data-testid": testid })
        : h("input", { type: "text", name: path, "data-testid": testid })
      return {
        el: h("label", {}, h("span", { text: title }), input, description),
        read: () => (input.value === "" && !required ? undefined : input.value)
      }
    }
    case "number":
    case "integer": {
      const input = h("input", { type: "text", inputmode: "decimal", name: path, "data-testid": testid })
      return {
        el: h("label", {}, h("span", { text: `${title} (${schema.type})` }), input, description),
        // Not a number stays a string: the server refuses it with the decode error.
        read: () => {
          if (input.value.trim() === "") return required ? input.value : undefined
          const n = Number(input.value)
          return Number.isNaN(n) ? input.value : n
        }
      }
    }
    case "object": {
      if (schema.properties) {
        const req = new Set(schema.required || [])
        const fields = Object.entries(schema.properties).map(([key, sub]) =>
          [key, field(sub, defs, key, req.has(key), path ? `${path}.${key}` : key)])
        const el = path === ""
          ? h("div", {}, fields.map(([, f]) => f.el))
          : h("fieldset", {}, h("legend", { text: title }), fields.map(([, f]) => f.el))
        return {
          el,
          read: () => {
            const out = {}
            for (const [key, f] of fields) {
              const value = f.read()
              if (value !== undefined) out[key] = value
            }
            return out
          }
        }
      }
      break
    }
  }
  // Anything else (arrays, records, unions of objects): JSON typed by hand, checked by the server.
  const area = h("textarea", { name: path, rows: 4, "data-testid": testid, placeholder: "JSON" })
  return {
    el: h("label", {}, h("span", { text: `${title} (JSON)` }), area, description),
    read: () => {
      if (area.value.trim() === "") return required ? null : undefined
      try {
        return JSON.parse(area.value)
      } catch {
        return area.value
      }
    }
  }
}

route()
