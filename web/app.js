/*
 * HiCloud dashboard: every agent, every container and their history, read from /api/v1
 * (docs/openapi.yaml). Plain ES2020 with no build step; charts by uPlot (third_party/uplot).
 * The server's Content-Security-Policy forbids inline scripts, inline handlers and eval:
 * everything is wired here with addEventListener.
 *
 * Routes live in the URL's hash, so every view is a shareable link and the server serves
 * one page:
 *   #/                                        overview of the agents
 *   #/containers?q=FILTER&sort=COL&dir=asc|desc
 *   #/agent/ID?range=1h|12h|1d|7d|30d         or ?from=ISO&to=ISO (a custom range)
 *   #/agent/ID/container/NAME?range=…         ID and NAME percent-encoded (NAME may hold '/')
 *
 * Hooks used by tests/support/browser_check.py (keep them):
 *   document.body.dataset.view     "overview" | "containers" | "agent" | "container"
 *   document.body.dataset.ready    "0" as soon as a navigation starts, "1" once its data is
 *                                  rendered, "error" when loading it failed (the banner says
 *                                  why); refreshes leave it as it is
 *   tr[data-agent-id]              an agent's row in the overview
 *   tr[data-container="AGENT/NAME"] a row of a containers table
 *   [data-chart]                   a chart: host-cpu, host-memory, containers-cpu,
 *                                  containers-memory, container-cpu, container-memory, and the
 *                                  overview's spark-cpu, spark-memory; data-points is how many
 *                                  x values (times) it plots
 *   a[data-range="12h"]            a range button (1h 12h 1d 7d 30d)
 *   form#token-form, input[name=token]  the read-token form, shown after a 401
 *   #alerts li[data-alert="RULE/AGENT/CONTAINER"]  a firing alert, on top of every view
 */
'use strict';

(() => {
const RANGES = { '1h': 3600, '12h': 43200, '1d': 86400, '7d': 604800, '30d': 2592000 };
const DEFAULT_RANGE = '1h';
const DEFAULT_INTERVAL_S = 10;   // when no series tells the agents' interval
const MIN_REFRESH_S = 5;
const MAX_REFRESH_S = 300;
const PARALLEL_REQUESTS = 4;     // series fetched at once: enough to be quick, polite to the server
const TOKEN_KEY = 'hicloud.readToken';
const DASH = '—';               // an unknown figure (null), never shown as 0
// Distinct in both themes; containers beyond ten reuse them (the legend tells them apart).
const PALETTE = ['#2f7ed8', '#e0663a', '#2ca02c', '#9467bd', '#d4a017',
                 '#17a2b8', '#d62780', '#8c564b', '#6b8e23', '#7f7f7f'];

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const alertsBox = document.getElementById('alerts');
const tokenForm = document.getElementById('token-form');

// ---------------------------------------------------------------- small helpers

/** An element with attributes ("class", "text", or any attribute) and children. */
function el(tag, attrs = {}, ...children) {
  const node = tag === 'svg' || tag === 'path'
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.setAttribute('class', value);
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter(c => c != null));
  return node;
}

/** Changes text only when it differs, so a refresh does not disturb selection or layout. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// A no-break space keeps a number with its unit when a line wraps.
const fmtPct = v => (v == null ? DASH : `${v.toFixed(1)}\u00a0%`);
const fmtNum = (v, digits = 1) => (v == null ? DASH : v.toFixed(digits));
function fmtMiB(v) {
  if (v == null) return DASH;
  if (v >= 1024) return `${(v / 1024).toFixed(1)}\u00a0GiB`;
  return `${v.toFixed(v < 10 ? 1 : 0)}\u00a0MiB`;
}

// Times are shown in the browser's zone; the API speaks UTC.
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const fmtDateTime = ms => (ms == null || Number.isNaN(ms) ? DASH : dateTimeFormat.format(new Date(ms)));
function fmtAgo(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
/** A step in seconds as people say it: 10 s, 5 min, 1 h, 1 d. */
function fmtStep(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
const RESOLUTION_SOURCE = { raw: 'the samples', minute: 'the per-minute rollups', hour: 'the per-hour rollups' };
/** What a series' points are: "averages per 1 h, from the per-hour rollups". */
const resolutionText = series =>
  `averages per ${fmtStep(series.step)}, from ${RESOLUTION_SOURCE[series.resolution] ?? series.resolution}`;
/** ISO 8601 UTC with whole seconds, as the API writes it. */
const isoUtc = ms => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The value of an <input type=datetime-local> (local time) for a time. */
function localInputValue(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs fn over items, at most `limit` at a time, keeping the order of results. */
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------- read token

// The token lives in sessionStorage (this tab), and in localStorage only when the user asks
// to be remembered. It is only ever sent in the Authorization header, never in a URL.
const tokenStore = {
  get() {
    try { return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || ''; }
    catch { return ''; }
  },
  set(token, remember) {
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
      if (remember) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch { /* storage disabled: the token then lasts until the page is left */ }
  },
  clear() {
    try { sessionStorage.removeItem(TOKEN_KEY); localStorage.removeItem(TOKEN_KEY); }
    catch { /* nothing stored */ }
  },
};

function askForToken(reason) {
  hideBanner();
  tokenForm.querySelector('#token-reason').textContent = reason;
  tokenForm.hidden = false;
  main.hidden = true;
  tokenForm.elements.token.focus();
}

tokenForm.addEventListener('submit', event => {
  event.preventDefault();
  const token = tokenForm.elements.token.value.trim();
  if (!token) return;
  tokenStore.set(token, tokenForm.elements.remember.checked);
  tokenForm.elements.token.value = '';
  tokenForm.hidden = true;
  main.hidden = false;
  navigate();
});

// ---------------------------------------------------------------- API

class ApiError extends Error {}
/** Thrown after a 401: the token form is up, and submitting it loads the view again. */
class AuthRequired extends Error {}

/** GET an /api/v1 path; the JSON answer, or ApiError with the envelope's resultMessage. */
async function api(path, params) {
  const url = params ? `${path}?${new URLSearchParams(params)}` : path;
  const token = tokenStore.get();
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, { headers, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(`cannot reach the server (${e.message})`);
  }
  if (response.status === 401) {
    // A stored token that is refused (revoked, mistyped) is forgotten, and asked for again;
    // unless another was entered while this request was on its way.
    if (tokenStore.get() === token) tokenStore.clear();
    askForToken(token ? 'The server refused that token; enter another.'
                      : 'This server needs a read token.');
    throw new AuthRequired();
  }
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: said below */ }
  if (!response.ok) {
    const why = body && body.resultMessage ? body.resultMessage : response.statusText;
    throw new ApiError(`${response.status}: ${why}`);
  }
  if (body == null) throw new ApiError(`${url}: the answer is not JSON`);
  return body;
}

const agentPath = id => `/api/v1/agents/${encodeURIComponent(id)}`;
const hostSeries = (id, range) =>
  api(`${agentPath(id)}/host`, { from: isoUtc(range.from), to: isoUtc(range.to) });
const containerSeries = (id, name, range) =>
  api(`${agentPath(id)}/containers/${encodeURIComponent(name)}/series`,
      { from: isoUtc(range.from), to: isoUtc(range.to) });

// ---------------------------------------------------------------- series

const pointTime = p => Date.parse(p.time) / 1000;

/**
 * The agents' sampling interval, in seconds, from a series: a point averages `samples`
 * samples over its step, so (time since the previous point) / samples is one interval
 * whether the step is shorter than the interval or longer. The median ignores gaps.
 */
function inferInterval(points) {
  const spans = [];
  for (let i = 1; i < points.length; i++) {
    spans.push((pointTime(points[i]) - pointTime(points[i - 1])) / points[i].samples);
  }
  return spans.length >= 2 ? median(spans) : null;
}

/**
 * uPlot's aligned data from several series (one per container): the union of their times,
 * and for each series and field its value at each time, or null where it has no point.
 */
function alignSeries(seriesList, fields) {
  const times = new Set();
  for (const s of seriesList) for (const p of s.points) times.add(pointTime(p));
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const columns = {};
  for (const field of fields) {
    columns[field] = seriesList.map(s => {
      const ys = new Array(xs.length).fill(null);
      for (const p of s.points) ys[index.get(pointTime(p))] = p[field];
      return ys;
    });
  }
  return { xs, columns };
}

/** A time span above which two neighbouring points are not joined (the agent was silent). */
function gapThreshold(xs, step) {
  const spans = [];
  for (let i = 1; i < xs.length; i++) spans.push(xs[i] - xs[i - 1]);
  return 3 * Math.max(step || 0, median(spans) || 0);
}

// ---------------------------------------------------------------- charts (uPlot)

// Axis and grid colours follow the theme; uPlot takes functions, read at every draw.
const theme = { axis: '#666', grid: 'rgba(128,128,128,.2)' };
function readTheme() {
  const style = getComputedStyle(document.documentElement);
  theme.axis = style.getPropertyValue('--muted').trim() || theme.axis;
  theme.grid = style.getPropertyValue('--grid').trim() || theme.grid;
}
const liveCharts = new Set();
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  readTheme();
  for (const c of liveCharts) c.redraw();
});

// One observer resizes every chart with its box (window resize, phone rotation, layout).
const resizer = new ResizeObserver(entries => {
  for (const entry of entries) entry.target.hicloudResize?.();
});

/**
 * A time chart: `name` becomes data-chart. opts: title, fmt (values for axis and legend),
 * yMax(dataMax) → the top of the y scale, legendExtra(seriesIdx, idx) → text after a value.
 * setData(xs, ys[], labels[], range, step) draws in place; a change of series rebuilds.
 */
function timeChart(name, opts) {
  const box = el('div', { class: 'chart-box' });
  const note = el('p', { class: 'chart-empty', text: 'No samples in this range.', hidden: true });
  const root = el('figure', { class: 'chart', 'data-chart': name, 'data-points': '0' },
                  el('figcaption', { text: opts.title }), box, note);
  const state = { from: 0, to: 1, gap: Infinity };
  let plot = null;
  let labels = [];
  const height = opts.height || 200;

  // Joins no points further apart than state.gap; uPlot clips the lines there.
  function timeGaps(u, seriesIdx, idx0, idx1, nullGaps) {
    const xs = u.data[0];
    const ys = u.data[seriesIdx];
    const gaps = [...nullGaps];
    for (let i = idx0 + 1; i <= idx1; i++) {
      if (xs[i] - xs[i - 1] > state.gap && ys[i] != null && ys[i - 1] != null) {
        gaps.push([Math.round(u.valToPos(xs[i - 1], 'x', true)) + 1,
                   Math.round(u.valToPos(xs[i], 'x', true)) - 1]);
      }
    }
    return gaps.sort((a, b) => a[0] - b[0]);
  }

  // The legend shows the point under the cursor, and the latest one when there is none.
  const at = (u, s, idx) => u.data[s][idx ?? u.data[0].length - 1] ?? null;

  function build(data) {
    plot?.destroy();
    liveCharts.delete(plot);
    const axis = {
      stroke: () => theme.axis,
      grid: { stroke: () => theme.grid, width: 1 },
      ticks: { stroke: () => theme.grid, width: 1 },
    };
    plot = new uPlot({
      width: box.clientWidth || 600,
      height,
      cursor: { sync: { key: 'hicloud' } },   // one cursor across a page's charts
      legend: { live: true },
      scales: {
        x: { time: true, range: () => [state.from, state.to] },
        y: { range: (u, min, max) => [0, opts.yMax(max)] },
      },
      axes: [axis, { ...axis, size: 64, incrs: opts.incrs,
                     values: (u, ticks) => ticks.map(v => opts.axisFmt(v)) }],
      series: [
        { value: (u, t, s, idx) => { const x = at(u, 0, idx); return x == null ? DASH : fmtDateTime(x * 1000); } },
        ...labels.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          gaps: timeGaps,
          value: (u, v, s, idx) => {
            const value = at(u, s, idx);
            if (value == null || !opts.legendExtra) return opts.fmt(value);
            return opts.fmt(value) + opts.legendExtra(s, idx ?? u.data[0].length - 1);
          },
        })),
      ],
    }, data, box);
    liveCharts.add(plot);
  }

  box.hicloudResize = () => {
    const width = box.clientWidth;
    if (plot && width > 0 && width !== plot.width) plot.setSize({ width, height });
  };
  resizer.observe(box);

  return {
    root,
    setData(xs, ys, newLabels, range, step) {
      state.from = range.from / 1000;
      state.to = range.to / 1000;
      state.gap = gapThreshold(xs, step);
      const data = [xs, ...ys];
      if (!plot || newLabels.join('\n') !== labels.join('\n')) {
        labels = newLabels;
        build(data);
      } else {
        plot.setData(data);
      }
      root.dataset.points = String(xs.length);
      note.hidden = xs.length > 0;
    },
    destroy() {
      resizer.unobserve(box);
      liveCharts.delete(plot);
      plot?.destroy();
    },
  };
}

const percentTop = max => Math.max(100, Math.ceil((max || 0) / 10) * 10);
const autoTop = max => (max > 0 ? max * 1.1 : 1);
const axisPct = v => `${v} %`;
function axisMiB(v) {
  if (v === 0) return '0';
  return v >= 1024 ? `${+(v / 1024).toFixed(1)} GiB` : `${+v.toFixed(1)} MiB`;
}
// Ticks of a MiB axis: decimal steps up to 500 MiB, then whole GiB (powers of two).
const MIB_INCRS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500,
                   ...Array.from({ length: 11 }, (_, i) => 1024 * 2 ** i)];
const memoryChart = { fmt: fmtMiB, axisFmt: axisMiB, incrs: MIB_INCRS };

/**
 * A sparkline of a series over a window, as an SVG path: two uPlot instances per row would
 * be heavy for a table of agents; a path is a few hundred bytes and never flickers.
 */
function sparkline(name) {
  const path = el('path');
  const svg = el('svg', { class: 'spark', viewBox: '0 0 100 20', preserveAspectRatio: 'none',
                          'data-chart': name, 'data-points': '0', 'aria-hidden': 'true' }, path);
  return {
    root: svg,
    set(points, field, from, to, top) {
      const xs = points.map(pointTime);
      const gap = gapThreshold(xs, 0);
      let d = '';
      let joined = false;
      points.forEach((p, i) => {
        const v = p[field];
        if (v == null) { joined = false; return; }
        if (i > 0 && xs[i] - xs[i - 1] > gap) joined = false;
        const x = ((xs[i] - from) / (to - from)) * 100;
        const y = 20 - (Math.min(v, top) / top) * 19 - 0.5;
        d += `${joined ? 'L' : 'M'}${x.toFixed(2)} ${y.toFixed(2)}`;
        joined = true;
      });
      path.setAttribute('d', d);
      svg.dataset.points = String(points.length);
    },
  };
}

// ---------------------------------------------------------------- routing

/** The route of a hash: { view, params, agent?, container? }. */
function parseHash(hash) {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  let parts;
  try { parts = path.split('/').filter(Boolean).map(decodeURIComponent); }
  catch { parts = []; }   // a malformed escape: show the overview rather than nothing
  if (parts[0] === 'containers') return { view: 'containers', params };
  if (parts[0] === 'agent' && parts[1]) {
    // The name is one encoded segment; a hand-typed '/' in it is taken as part of it.
    if (parts[2] === 'container' && parts.length > 3) {
      return { view: 'container', agent: parts[1], container: parts.slice(3).join('/'), params };
    }
    return { view: 'agent', agent: parts[1], params };
  }
  return { view: 'overview', params };
}

const query = params => {
  // ':' needs no escape in a fragment; left as is, shared times stay readable.
  const s = new URLSearchParams(params).toString().replaceAll('%3A', ':');
  return s ? `?${s}` : '';
};
const agentHash = (id, params = {}) => `#/agent/${encodeURIComponent(id)}${query(params)}`;
const containerHash = (id, name, params = {}) =>
  `#/agent/${encodeURIComponent(id)}/container/${encodeURIComponent(name)}${query(params)}`;

/** The range a route asks for, in ms: a custom from/to, or one of RANGES ending now. */
function routeRange(params) {
  const from = Date.parse(params.get('from') || '');
  const to = Date.parse(params.get('to') || '');
  if (from < to) return { from, to, key: 'custom', params: { from: isoUtc(from), to: isoUtc(to) } };
  const key = RANGES[params.get('range')] ? params.get('range') : DEFAULT_RANGE;
  const now = Date.now();
  return { from: now - RANGES[key] * 1000, to: now, key, params: { range: key } };
}

/** Starts a navigation at once (not when hashchange fires), so data-ready is never stale. */
function go(hash) {
  document.body.dataset.ready = '0';
  if (location.hash === hash) navigate();
  else location.hash = hash;
}

// A link to another view starts a navigation when clicked.
document.addEventListener('click', event => {
  const link = event.target.closest('a[href^="#"]');
  if (link && link.getAttribute('href') !== location.hash && !event.ctrlKey && !event.metaKey) {
    document.body.dataset.ready = '0';
  }
});

// ---------------------------------------------------------------- banner and refresh

function showBanner(message) {
  banner.textContent = message;
  banner.hidden = false;
}
function hideBanner() {
  banner.hidden = true;
}

let current = null;        // the view shown: { key, root, update(route, isStale), destroy() }
let navigation = 0;        // increases with each navigation; older loads drop their results
let refreshTimer = 0;
let refreshWhenVisible = false;
const refreshNote = document.getElementById('refresh-note');

/**
 * Seconds until the next refresh: the agents' interval (nothing new arrives faster), but
 * at most once a minute for ranges whose points are a minute or wider.
 */
let knownInterval = null;  // the latest interval a series told, for views without series
function refreshPeriod(result) {
  if (result.interval) knownInterval = result.interval;
  let period = knownInterval || DEFAULT_INTERVAL_S;
  if (result.step) period = Math.max(period, Math.min(result.step, 60));
  return Math.min(MAX_REFRESH_S, Math.max(MIN_REFRESH_S, Math.round(period)));
}

function scheduleRefresh(seconds) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    // A hidden tab is not refreshed; it catches up when shown again.
    if (document.hidden) refreshWhenVisible = true;
    else load(navigation, true);
  }, seconds * 1000);
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && refreshWhenVisible) {
    refreshWhenVisible = false;
    load(navigation, true);
  }
});

/**
 * Firing alerts on top of every view, from /api/v1/alerts, refreshed with the view. An alert
 * list that cannot be read hides the box rather than the view: the view's own data matters more.
 */
async function updateAlerts() {
  let firing = [];
  try {
    const { alerts } = await api('/api/v1/alerts');
    firing = alerts.filter(a => a.state === 'firing');
  } catch (e) {
    if (e instanceof AuthRequired) throw e;
  }
  const items = firing.map(a => {
    const since = a.fired_at ? Date.parse(a.fired_at) : Date.parse(a.since);
    return el('li', { class: `alert ${a.severity}`, 'data-alert': `${a.rule}/${a.agent_id}/${a.container_name ?? ''}` },
      el('span', { class: 'alert-severity' }, a.severity),
      el('span', { class: 'alert-summary' }, `${a.rule}: ${a.summary}`),
      el('span', { class: 'alert-since', title: fmtDateTime(since) }, `firing for ${fmtAgo(since).replace(' ago', '')}`));
  });
  alertsBox.replaceChildren(...(items.length ? [el('ul', {}, ...items)] : []));
  alertsBox.hidden = items.length === 0;
}

/** Loads the current view's data (again); a refresh keeps data-ready as it is. */
async function load(nav, isRefresh) {
  clearTimeout(refreshTimer);
  // Read the hash each time: filtering and sorting change it without a navigation.
  const route = parseHash(location.hash);
  const isStale = () => nav !== navigation;
  try {
    const [result = {}] = await Promise.all([current.update(route, isStale), updateAlerts()]);
    if (isStale()) return;
    hideBanner();
    // Only a navigation's own load says ready: a refresh finishing just after a click must
    // not mark the view the click leads to as rendered.
    if (!isRefresh) document.body.dataset.ready = '1';
    if (result.fixed) {
      setText(refreshNote, `updated ${fmtDateTime(Date.now())}`);
    } else {
      const period = refreshPeriod(result);
      setText(refreshNote, `updated ${fmtDateTime(Date.now())} · every ${period} s`);
      scheduleRefresh(period);
    }
  } catch (e) {
    if (isStale() || e instanceof AuthRequired) return;
    showBanner(e instanceof ApiError ? e.message : `the dashboard failed: ${e.message}`);
    if (!isRefresh) document.body.dataset.ready = 'error';
    scheduleRefresh(DEFAULT_INTERVAL_S);   // try again: the server may be back by then
  }
}

/** Shows the view of the hash, building it unless it is the one shown (then only reloads). */
function navigate() {
  const route = parseHash(location.hash);
  const nav = ++navigation;
  document.body.dataset.ready = '0';
  document.body.dataset.view = route.view;
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === route.view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const key = [route.view, route.agent, route.container].join('\n');
  if (!current || current.key !== key) {
    current?.destroy();
    current = VIEWS[route.view](route);
    current.key = key;
    main.replaceChildren(current.root);
    window.scrollTo(0, 0);
  }
  if (!tokenForm.hidden) return;   // waiting for a token: its submit navigates again
  load(nav, false);
}

// ---------------------------------------------------------------- shared pieces of views

function badge(state) {
  return el('span', { class: `badge ${state}`, text: state });
}
function setBadge(node, state) {
  node.className = `badge ${state}`;
  setText(node, state);
}

/** Keeps `rows` (in this order) as the children of `parent`, moving only what moved. */
function placeRows(parent, rows) {
  rows.forEach((row, i) => {
    if (parent.children[i] !== row) parent.insertBefore(row, parent.children[i] || null);
  });
  while (parent.children.length > rows.length) parent.lastElementChild.remove();
}

function statusClass(status) {
  if (status === 'running') return 'up';
  if (status == null) return 'unknown';
  return ['exited', 'dead'].includes(status) ? 'down' : 'warn';
}

const CONTAINER_COLUMNS = [
  { key: 'container_name', label: 'Name', text: true },
  { key: 'agent_id', label: 'Host', text: true },
  { key: 'status', label: 'Status', text: true },
  { key: 'cpu_percent', label: 'CPU %' },
  { key: 'memory_usage_mib', label: 'Memory MiB' },
  { key: 'memory_percent', label: 'Memory %' },
];

/** Sorts container rows by a column; unknown figures go last whatever the direction. */
function sortContainers(rows, key, dir) {
  const column = CONTAINER_COLUMNS.find(c => c.key === key) || CONTAINER_COLUMNS[0];
  const sign = dir === 'desc' ? -1 : 1;
  const byName = (a, b) => a.container_name.localeCompare(b.container_name, undefined, { numeric: true }) ||
                           a.agent_id.localeCompare(b.agent_id, undefined, { numeric: true });
  return [...rows].sort((a, b) => {
    const x = a[column.key];
    const y = b[column.key];
    if (x == null || y == null) return (x == null) - (y == null) || byName(a, b);
    const order = column.text ? String(x).localeCompare(String(y), undefined, { numeric: true }) : x - y;
    return sign * order || byName(a, b);
  });
}

/**
 * A table of containers, updated in place. onSort(key) is called when a header is clicked;
 * hideHost drops the host column (on an agent's own page).
 */
function containerTable({ onSort, hideHost }) {
  const columns = CONTAINER_COLUMNS.filter(c => !(hideHost && c.key === 'agent_id'));
  const headers = columns.map(c => {
    const button = el('button', { type: 'button', text: c.label });
    button.addEventListener('click', () => onSort(c.key));
    return el('th', { scope: 'col', class: c.text ? '' : 'num' }, button);
  });
  const body = el('tbody');
  const root = el('div', { class: 'table-wrap' },
                  el('table', { class: 'grid containers' }, el('thead', {}, el('tr', {}, ...headers)), body));
  const rows = new Map();

  function row(c) {
    const id = `${c.agent_id}/${c.container_name}`;
    let r = rows.get(id);
    if (!r) {
      const link = el('a', { href: containerHash(c.agent_id, c.container_name), text: c.container_name });
      r = { tr: el('tr', { 'data-container': id }), cells: {} };
      for (const col of columns) {
        const td = el('td', { 'data-label': col.label, class: col.text ? '' : 'num' });
        r.cells[col.key] = td;
        r.tr.append(td);
      }
      r.cells.container_name.append(link);
      r.status = el('span', { class: 'badge' });
      r.cells.status.append(r.status);
      rows.set(id, r);
    }
    if (r.cells.agent_id) setText(r.cells.agent_id, c.agent_state === 'stale' ? `${c.agent_id} (stale)` : c.agent_id);
    r.status.className = `badge ${statusClass(c.status)}`;
    setText(r.status, c.status ?? DASH);
    setText(r.cells.cpu_percent, fmtNum(c.cpu_percent));
    setText(r.cells.memory_usage_mib, fmtNum(c.memory_usage_mib));
    setText(r.cells.memory_percent, fmtNum(c.memory_percent));
    r.tr.classList.toggle('stale', c.agent_state === 'stale');
    return r;
  }

  return {
    root,
    show(containers, sortKey, dir) {
      headers.forEach((th, i) => {
        const sorted = columns[i].key === sortKey;
        if (sorted) th.setAttribute('aria-sort', dir === 'desc' ? 'descending' : 'ascending');
        else th.removeAttribute('aria-sort');
      });
      const shown = sortContainers(containers, sortKey, dir).map(c => row(c));
      const keep = new Set(shown);
      for (const [id, r] of rows) if (!keep.has(r)) rows.delete(id);
      placeRows(body, shown.map(r => r.tr));
    },
  };
}

/** The range buttons and the custom range form; show(route) marks the current one. */
function rangeBar(hashFor) {
  const links = Object.keys(RANGES).map(key =>
    el('a', { class: 'btn', 'data-range': key, href: hashFor({ range: key }), text: key }));
  const from = el('input', { type: 'datetime-local', name: 'from', 'aria-label': 'from' });
  const to = el('input', { type: 'datetime-local', name: 'to', 'aria-label': 'to' });
  const form = el('form', { class: 'custom-range' }, from, el('span', { text: '→' }), to,
                  el('button', { type: 'submit', text: 'Show' }));
  form.addEventListener('submit', event => {
    event.preventDefault();
    const f = new Date(from.value).getTime();   // datetime-local values are local times
    const t = new Date(to.value).getTime();
    if (!(f < t)) { showBanner('The custom range needs a start before its end.'); return; }
    go(hashFor({ from: isoUtc(f), to: isoUtc(t) }));
  });
  const resolution = el('span', { class: 'resolution' });
  return {
    root: el('div', { class: 'range-bar' }, el('div', { class: 'ranges' }, ...links), form, resolution),
    /** Says what the charts' points are (resolutionText). */
    describe(series) { setText(resolution, resolutionText(series)); },
    show(range) {
      for (const link of links) {
        link.classList.toggle('active', link.dataset.range === range.key);
      }
      // Fill the inputs with the range shown, unless the user is editing them.
      if (!form.contains(document.activeElement)) {
        from.value = localInputValue(range.from);
        to.value = localInputValue(range.to);
      }
    },
  };
}

/** A range's result for load(): a custom range wholly in the past never changes. */
function rangeResult(range, series) {
  return {
    interval: inferInterval(series.points),
    step: series.step,
    fixed: range.key === 'custom' && range.to < Date.now() - series.step * 1000,
  };
}

// ---------------------------------------------------------------- overview

function overviewView() {
  const empty = el('p', { class: 'empty', hidden: true },
                   'No agent has sent a sample yet — start ', el('code', { text: 'hicloud agent' }), '.');
  const body = el('tbody');
  const table = el('div', { class: 'table-wrap' }, el('table', { class: 'grid agents' },
    el('thead', {}, el('tr', {}, ...['Agent', 'State', 'Last seen', 'CPU (1 h)', 'Memory (1 h)', 'Containers']
      .map(label => el('th', { scope: 'col', text: label })))),
    body));
  const root = el('section', { class: 'view' }, el('h1', { text: 'Agents' }), empty, table);
  const rows = new Map();

  function row(agent) {
    let r = rows.get(agent.agent_id);
    if (!r) {
      r = {
        tr: el('tr', { 'data-agent-id': agent.agent_id }),
        state: badge(agent.state),
        ago: el('span'), at: el('small'),
        cpu: el('span'), mem: el('span'),
        cpuSpark: sparkline('spark-cpu'), memSpark: sparkline('spark-memory'),
        containers: el('td', { 'data-label': 'Containers', class: 'num' }),
      };
      r.tr.append(
        el('th', { scope: 'row', 'data-label': 'Agent' },
           el('a', { href: agentHash(agent.agent_id), text: agent.agent_id })),
        el('td', { 'data-label': 'State' }, r.state),
        // One element per cell, so a phone's layout (label, value) keeps it together.
        el('td', { 'data-label': 'Last seen' }, el('div', {}, r.ago, el('br'), r.at)),
        el('td', { 'data-label': 'CPU', class: 'trend' }, el('div', {}, r.cpu, r.cpuSpark.root)),
        el('td', { 'data-label': 'Memory', class: 'trend' }, el('div', {}, r.mem, r.memSpark.root)),
        r.containers);
      rows.set(agent.agent_id, r);
    }
    const host = agent.host;
    const seen = Date.parse(agent.last_seen);
    setBadge(r.state, agent.state);
    setText(r.ago, fmtAgo(seen));
    setText(r.at, fmtDateTime(seen));
    setText(r.cpu, host.cpu_count == null ? fmtPct(host.cpu_percent)
                                          : `${fmtPct(host.cpu_percent)} of ${host.cpu_count} CPU`);
    setText(r.mem, `${fmtMiB(host.memory_used_mib)} / ${fmtMiB(host.memory_total_mib)} · ${fmtPct(host.memory_percent)}`);
    setText(r.containers, `${agent.containers.running} / ${agent.containers.total} running`);
    r.tr.classList.toggle('stale', agent.state === 'stale');
    return r;
  }

  return {
    root,
    async update(route, isStale) {
      const { agents } = await api('/api/v1/agents');
      const hour = { to: Date.now(), from: Date.now() - 3600e3 };
      // One host series per agent for its sparklines; an agent silent for the whole hour
      // has nothing in it, so it is not asked.
      const series = await mapLimit(agents, PARALLEL_REQUESTS, a =>
        (Date.parse(a.last_seen) >= hour.from ? hostSeries(a.agent_id, hour) : { points: [] }));
      if (isStale()) return null;
      empty.hidden = agents.length > 0;
      table.hidden = agents.length === 0;
      const shown = agents.map((agent, i) => {
        const r = row(agent);
        const points = series[i].points;
        const from = hour.from / 1000;
        const to = hour.to / 1000;
        r.cpuSpark.set(points, 'cpu_percent', from, to, 100);
        r.memSpark.set(points, 'memory_percent', from, to, 100);
        return r;
      });
      const keep = new Set(shown);
      for (const [id, r] of rows) if (!keep.has(r)) rows.delete(id);
      placeRows(body, shown.map(r => r.tr));
      const intervals = series.map(s => inferInterval(s.points)).filter(Boolean);
      return { interval: intervals.length ? Math.min(...intervals) : null };
    },
    destroy() {},
  };
}

// ---------------------------------------------------------------- all containers

function containersView(route) {
  const filter = el('input', { type: 'search', name: 'q', placeholder: 'Filter by name, host or status',
                               'aria-label': 'filter', value: route.params.get('q') || '' });
  const count = el('span', { class: 'count' });
  const truncated = el('p', { class: 'note', hidden: true });
  const empty = el('p', { class: 'empty', hidden: true });
  let all = [];

  /** Filter and sort live in the URL (replaced, not pushed: typing is not history). */
  function setParams(changes) {
    const params = parseHash(location.hash).params;
    for (const [k, v] of Object.entries(changes)) {
      if (v) params.set(k, v); else params.delete(k);
    }
    history.replaceState(null, '', `#/containers${query(params)}`);
    render();
  }

  const table = containerTable({
    onSort(key) {
      const params = parseHash(location.hash).params;
      const same = (params.get('sort') || 'container_name') === key;
      setParams({ sort: key, dir: same && params.get('dir') !== 'desc' ? 'desc' : 'asc' });
    },
  });
  filter.addEventListener('input', () => setParams({ q: filter.value.trim() }));

  function render() {
    const params = parseHash(location.hash).params;
    const words = (params.get('q') || '').toLowerCase().split(/\s+/).filter(Boolean);
    const shown = all.filter(c => {
      const text = `${c.container_name} ${c.agent_id} ${c.node_name} ${c.status ?? ''}`.toLowerCase();
      return words.every(w => text.includes(w));
    });
    table.show(shown, params.get('sort') || 'container_name', params.get('dir') || 'asc');
    setText(count, shown.length === all.length ? `${all.length} containers`
                                               : `${shown.length} of ${all.length} containers`);
    empty.hidden = shown.length > 0;
    setText(empty, all.length ? 'No container matches the filter.'
                              : 'No container in the agents\' latest samples.');
  }

  return {
    root: el('section', { class: 'view' }, el('h1', { text: 'Containers' }),
             el('div', { class: 'toolbar' }, filter, count), truncated, table.root, empty),
    async update() {
      const answer = await api('/api/v1/containers');
      all = answer.containers;
      truncated.hidden = !answer.truncated;
      setText(truncated, `Only the first ${all.length} rows are shown (server.read_max_rows).`);
      // Only on arrival (back/forward) does the URL set the box; never while typing.
      const q = parseHash(location.hash).params.get('q') || '';
      if (document.activeElement !== filter && filter.value.trim() !== q) filter.value = q;
      render();
      return { interval: null };
    },
    destroy() {},
  };
}

// ---------------------------------------------------------------- an agent's page

function agentView(route) {
  const id = route.agent;
  const state = badge('up');
  const summary = el('p', { class: 'summary' });
  const bar = rangeBar(params => agentHash(id, params));
  let memoryTotal = null;
  let hostPoints = [];
  const hostCpu = timeChart('host-cpu', { title: 'Host CPU', fmt: fmtPct, axisFmt: axisPct, yMax: percentTop });
  const hostMemory = timeChart('host-memory', {
    title: 'Host memory used', ...memoryChart,
    yMax: max => Math.max(memoryTotal || 0, autoTop(max)),
    legendExtra: (s, idx) => ` (${fmtPct(hostPoints[idx]?.memory_percent)})`,
  });
  // All containers on one chart each for CPU and memory, with a legend: the question asked
  // here is "which container takes the host's CPU or memory", answered by comparing them on
  // one scale; a container's own page has its charts alone.
  const containersCpu = timeChart('containers-cpu', {
    title: 'Containers CPU (100 % = one core)', fmt: fmtPct, axisFmt: axisPct, yMax: autoTop, height: 240 });
  const containersMemory = timeChart('containers-memory', {
    title: 'Containers memory', ...memoryChart, yMax: autoTop, height: 240 });
  const charts = [hostCpu, hostMemory, containersCpu, containersMemory];
  let sort = { key: 'container_name', dir: 'asc' };
  let containers = [];
  const table = containerTable({
    hideHost: true,
    onSort(key) {
      sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
      table.show(containers, sort.key, sort.dir);
    },
  });

  return {
    root: el('section', { class: 'view' },
      el('h1', {}, el('span', { text: id }), ' ', state), summary, bar.root,
      el('div', { class: 'charts' }, hostCpu.root, hostMemory.root),
      el('div', { class: 'charts wide' }, containersCpu.root, containersMemory.root),
      el('h2', { text: 'Containers of the latest sample' }), table.root),
    async update(route, isStale) {
      const range = routeRange(route.params);
      bar.show(range);
      const [agents, host, list] = await Promise.all([
        api('/api/v1/agents'), hostSeries(id, range),
        api('/api/v1/containers', { agent_id: id })]);
      const series = await mapLimit(list.containers, PARALLEL_REQUESTS,
                                    c => containerSeries(id, c.container_name, range));
      if (isStale()) return null;
      const agent = agents.agents.find(a => a.agent_id === id);
      if (agent) {
        setBadge(state, agent.state);
        memoryTotal = agent.host.memory_total_mib;
        const seen = Date.parse(agent.last_seen);
        setText(summary, `Last seen ${fmtAgo(seen)} (${fmtDateTime(seen)}) · ` +
          `${agent.host.cpu_count ?? DASH} CPU · ${fmtMiB(memoryTotal)} memory · ` +
          `${agent.containers.running} / ${agent.containers.total} containers running · ` +
          `${agent.engine_type ?? DASH}`);
      }
      hostPoints = host.points;
      bar.describe(host);
      const xs = host.points.map(pointTime);
      hostCpu.setData(xs, [host.points.map(p => p.cpu_percent)], ['CPU'], range, host.step);
      hostMemory.setData(xs, [host.points.map(p => p.memory_used_mib)], ['used'], range, host.step);
      const names = list.containers.map(c => c.container_name);
      const aligned = alignSeries(series, ['cpu_percent', 'memory_usage_mib']);
      const step = series[0]?.step ?? host.step;
      containersCpu.setData(aligned.xs, aligned.columns.cpu_percent, names, range, step);
      containersMemory.setData(aligned.xs, aligned.columns.memory_usage_mib, names, range, step);
      containers = list.containers;
      table.show(containers, sort.key, sort.dir);
      return rangeResult(range, host);
    },
    destroy() { charts.forEach(c => c.destroy()); },
  };
}

// ---------------------------------------------------------------- a container's page

function containerView(route) {
  const { agent: id, container: name } = route;
  const status = el('span', { class: 'badge' });
  const summary = el('p', { class: 'summary' });
  const bar = rangeBar(params => containerHash(id, name, params));
  let points = [];
  const cpu = timeChart('container-cpu', {
    title: 'CPU (100 % = one core)', fmt: fmtPct, axisFmt: axisPct, yMax: autoTop });
  const memory = timeChart('container-memory', {
    title: 'Memory used', ...memoryChart, yMax: autoTop,
    legendExtra: (s, idx) => ` (${fmtPct(points[idx]?.memory_percent)} of its limit)`,
  });

  return {
    root: el('section', { class: 'view' },
      el('p', { class: 'crumbs' }, el('a', { href: agentHash(id), text: id }), ' / container'),
      el('h1', {}, el('span', { text: name }), ' ', status), summary, bar.root,
      el('div', { class: 'charts' }, cpu.root, memory.root)),
    async update(route, isStale) {
      const range = routeRange(route.params);
      bar.show(range);
      const [list, series] = await Promise.all([
        api('/api/v1/containers', { agent_id: id }), containerSeries(id, name, range)]);
      if (isStale()) return null;
      const latest = list.containers.find(c => c.container_name === name);
      status.className = `badge ${statusClass(latest?.status)}`;
      setText(status, latest ? latest.status ?? DASH : 'not in the latest sample');
      if (latest) {
        const seen = Date.parse(latest.last_seen);
        setText(summary, `On ${latest.node_name || id} · CPU ${fmtPct(latest.cpu_percent)} · ` +
          `memory ${fmtMiB(latest.memory_usage_mib)} (${fmtPct(latest.memory_percent)}) · ` +
          `seen ${fmtAgo(seen)} (${fmtDateTime(seen)})`);
      } else {
        setText(summary, 'Its history is below.');
      }
      points = series.points;
      bar.describe(series);
      const xs = points.map(pointTime);
      cpu.setData(xs, [points.map(p => p.cpu_percent)], ['CPU'], range, series.step);
      memory.setData(xs, [points.map(p => p.memory_usage_mib)], ['used'], range, series.step);
      return rangeResult(range, series);
    },
    destroy() { cpu.destroy(); memory.destroy(); },
  };
}

const VIEWS = { overview: overviewView, containers: containersView, agent: agentView, container: containerView };

// ---------------------------------------------------------------- start

readTheme();
window.addEventListener('hashchange', navigate);
navigate();
})();
