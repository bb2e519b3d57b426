// The status page: reads the admin API of the server that served it (fetch, same
// origin, session cookie), renders per service the regions' weights and nodes now
// and over time (SVG drawn here), the nodes, the decisions, holds, freezes and
// config errors, and refreshes itself. No framework, no third-party code.
'use strict';

const REFRESH_MS = 5000;
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

let timer = null;

/** An element with attributes and children (strings become text, never HTML). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function svgEl(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

class LoggedOut extends Error {}

/** GET an API path as JSON; a 401 means the session is over. */
async function api(path) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) throw new LoggedOut();
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(`${path}: ${res.status} ${body?.error?.message ?? res.statusText}`);
  }
  return res.json();
}

function short(commit) {
  return commit ? commit.slice(0, 7) : '—';
}

function clock(iso) {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}Z`;
}

function ago(iso, now) {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) return `in ${span(-s)}`;
  return `${span(s)} ago`;
}

function span(s) {
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function whyText(why) {
  return Object.entries(why ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v}`)
    .join(' ');
}

function showLogin(message) {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  $('status').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('config-line').textContent = '';
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  $('token').focus();
}

async function login(event) {
  event.preventDefault();
  const input = $('token');
  const res = await fetch('/ui/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: input.value }),
  });
  input.value = '';
  if (res.status === 204) return start();
  const body = await res.json().catch(() => ({}));
  showLogin(res.status === 401 ? 'That is not the admin token.' : `Login failed: ${body?.error?.message ?? res.status}`);
}

async function logout() {
  await fetch('/ui/logout', { method: 'POST', credentials: 'same-origin' });
  showLogin();
}

function start() {
  $('login').hidden = true;
  $('status').hidden = false;
  $('logout').hidden = false;
  void refresh();
}

async function refresh() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  try {
    const [config, nodes, history] = await Promise.all([api('/v1/config'), api('/v1/nodes'), api('/v1/history?since=24h&limit=1000')]);
    const statuses = await Promise.all(config.services.map((s) => api(`/v1/services/${encodeURIComponent(s)}`)));
    const now = Date.now();
    renderConfig(config, now);
    renderServices(statuses, history, now);
    renderNodes(nodes, now);
    renderDecisions(history);
    $('updated').textContent = `Updated ${clock(new Date(now).toISOString())}; refreshes every ${REFRESH_MS / 1000}s.`;
  } catch (err) {
    if (err instanceof LoggedOut) return showLogin('Your session ended; log in again.');
    $('updated').textContent = `Could not refresh: ${err.message}`;
  }
  timer = setTimeout(() => void refresh(), REFRESH_MS);
}

function renderConfig(config, now) {
  const sync = config.lastSync;
  $('config-line').textContent =
    `config ${short(config.commit)}` + (sync ? ` · last sync ${ago(sync.at, now)}: ${sync.status} (${sync.message})` : ' · no sync yet');
  const box = $('config-errors');
  box.replaceChildren();
  if (sync && sync.status === 'invalid') {
    box.append(
      el(
        'div',
        { class: 'banner', id: 'config-problems' },
        el(
          'strong',
          {},
          `Config error: commit ${short(sync.commit)} rejected; ${config.commit ? `${short(config.commit)} stays in force` : 'no configuration in force'}`,
        ),
        el(
          'ul',
          {},
          sync.issues.map((i) => el('li', {}, el('code', {}, i.text))),
        ),
      ),
    );
  } else if (sync && sync.status === 'error') {
    box.append(el('div', { class: 'banner warn' }, el('strong', {}, 'Sync failed: '), sync.message));
  }
}

function renderServices(statuses, history, now) {
  const box = $('services');
  box.replaceChildren(
    ...statuses.map((s) =>
      serviceCard(
        s,
        history.filter((h) => h.service === s.service),
        now,
      ),
    ),
  );
}

function serviceCard(status, history, now) {
  const regions = Object.entries(status.regions);
  const banners = [];
  if (status.alert === 'no_ready_nodes')
    banners.push(el('div', { class: 'banner' }, 'No region has a ready node: fail static, weights and exclusions left as they are.'));
  if (status.frozen) {
    banners.push(
      el(
        'div',
        { class: 'banner warn', 'data-frozen': status.frozen.reason },
        el('strong', {}, `Self-protection (${status.frozen.reason}) since ${clock(status.frozen.since)}: `),
        status.frozen.detail,
      ),
    );
  }
  if (status.lastPass?.error) banners.push(el('div', { class: 'banner warn' }, el('strong', {}, 'Last pass failed: '), status.lastPass.error));
  const rows = regions.map(([name, r]) => {
    const counts = {};
    for (const n of r.nodes) counts[n.state] = (counts[n.state] ?? 0) + 1;
    return el(
      'tr',
      { 'data-region': name },
      el('td', {}, el('strong', {}, name)),
      el(
        'td',
        { class: 'weight' },
        r.weight ?? '—',
        r.computedWeight !== null && r.computedWeight !== r.weight ? el('span', { class: 'quiet' }, ` (computed ${r.computedWeight})`) : null,
      ),
      el('td', {}, `${r.readyNodes} / ${r.desiredNodes ?? '—'}`),
      el(
        'td',
        {},
        Object.entries(counts).map(([state, n]) => el('span', { class: `state-${state}` }, `${state} ${n} `)),
        r.excluded.length ? el('div', { class: 'quiet' }, `excluded: ${r.excluded.join(', ')}`) : null,
      ),
      el(
        'td',
        {},
        r.holds.length === 0
          ? el('span', { class: 'quiet' }, 'none')
          : r.holds.map((h) => el('div', { class: 'hold' }, `${h.key} held until ${clock(h.until)} (${ago(h.until, now)}) by ${h.author}, ${short(h.commit)}`)),
      ),
      el('td', {}, r.gtmReason ?? '—', r.autoscale ? el('div', { class: 'quiet' }, `autoscale: ${r.autoscale.reason}`) : null),
      el('td', {}, r.lastDecision ? [el('code', {}, short(r.lastDecision.commit)), ' ', r.lastDecision.summary] : el('span', { class: 'quiet' }, 'none')),
    );
  });
  const names = regions.map(([name]) => name);
  return el(
    'section',
    { class: 'card', 'data-service': status.service },
    el('h2', {}, status.service, el('span', { class: 'quiet' }, ` · config ${short(status.configCommit)}`)),
    banners,
    el(
      'table',
      { class: 'regions' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['region', 'weight', 'ready / desired', 'nodes', 'holds', 'why', 'last decision'].map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, rows),
    ),
    el(
      'div',
      { class: 'charts' },
      chart(
        'Weight over time',
        names,
        names.map((n) => steps(history, n, ['weight', 'create_pool'], status.regions[n].weight, now)),
        now,
      ),
      chart(
        'Desired nodes over time',
        names,
        names.map((n) => steps(history, n, ['scale_up', 'scale_down'], status.regions[n].desiredNodes, now)),
        now,
      ),
    ),
  );
}

/** A region's value over time from its decisions (newest first in `history`): [[ms, value], ...], oldest first. */
function steps(history, region, kinds, current, now) {
  const changes = history.filter((h) => h.region === region && kinds.includes(h.kind) && typeof h.to === 'number').reverse();
  const first = changes[0];
  let value = first ? (typeof first.from === 'number' ? first.from : first.to) : current;
  const points = [[-Infinity, value]];
  for (const c of changes) {
    value = c.to;
    points.push([Date.parse(c.at), value]);
  }
  points.push([now, typeof current === 'number' ? current : value]);
  return points;
}

/** A step chart, one line per region, drawn as SVG. */
function chart(title, names, series, now) {
  const W = 560;
  const H = 180;
  const L = 40;
  const R = 12;
  const T = 22;
  const B = 28;
  const times = series.flatMap((s) => s.map((p) => p[0])).filter((t) => Number.isFinite(t) && t < now);
  const earliest = times.length ? Math.min(...times) : now;
  const start = Math.min(now - 5 * 60_000, earliest - (now - earliest) * 0.05);
  const max = Math.max(1, ...series.flatMap((s) => s.map((p) => (typeof p[1] === 'number' ? p[1] : 0))));
  const x = (t) => L + ((Math.max(t, start) - start) / (now - start)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  svg.append(svgEl('title', {}, title));
  svg.append(svgEl('text', { x: L, y: 14 }, title));
  svg.append(svgEl('line', { class: 'axis', x1: L, y1: y(0), x2: W - R, y2: y(0) }));
  svg.append(svgEl('line', { class: 'axis', x1: L, y1: T, x2: L, y2: y(0) }));
  svg.append(svgEl('text', { x: L - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'));
  svg.append(svgEl('text', { x: L - 6, y: y(max) + 4, 'text-anchor': 'end' }, String(max)));
  svg.append(svgEl('text', { x: L, y: H - 8 }, clock(new Date(start).toISOString()).slice(11)));
  svg.append(svgEl('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, 'now'));
  series.forEach((points, i) => {
    const defined = points.filter((p) => typeof p[1] === 'number');
    if (defined.length === 0) return;
    let d = `M${x(defined[0][0]).toFixed(1)},${y(defined[0][1]).toFixed(1)}`;
    for (const [t, v] of defined.slice(1)) d += ` H${x(t).toFixed(1)} V${y(v).toFixed(1)}`;
    svg.append(svgEl('path', { class: `line s${i % 6}`, d, 'data-region': names[i] }));
    svg.append(svgEl('rect', { class: `s${i % 6}`, x: W - R - 70 * (names.length - i), y: 6, width: 10, height: 10 }));
    svg.append(svgEl('text', { x: W - R - 70 * (names.length - i) + 14, y: 15 }, names[i]));
  });
  return el('figure', { class: 'chart' }, svg);
}

function renderNodes(nodes, now) {
  const body = $('nodes').tBodies[0];
  body.replaceChildren(
    ...nodes.map((n) =>
      el(
        'tr',
        { 'data-node': n.name },
        el('td', {}, el('code', {}, n.name)),
        el('td', {}, n.service),
        el('td', {}, n.region),
        el('td', { class: `state-${n.state}` }, n.state),
        el('td', {}, ago(n.stateSince, now)),
        el('td', { title: n.lastHeartbeat ?? '' }, ago(n.lastHeartbeat, now)),
        el('td', {}, typeof n.cpu === 'number' ? n.cpu.toFixed(2) : '—'),
        el('td', {}, el('code', {}, n.address)),
      ),
    ),
  );
  if (nodes.length === 0) body.append(el('tr', {}, el('td', { colspan: 8, class: 'quiet' }, 'No node has registered.')));
}

function renderDecisions(history) {
  const body = $('decisions').tBodies[0];
  body.replaceChildren(
    ...history
      .slice(0, 100)
      .map((h) =>
        el(
          'tr',
          { class: 'decision' },
          el('td', {}, clock(h.at)),
          el('td', { title: h.commit ?? 'not pushed' }, el('code', {}, short(h.commit))),
          el('td', {}, h.summary),
          el('td', {}, `${h.from ?? '—'} → ${h.to ?? '—'}`),
          el('td', { class: 'quiet' }, whyText(h.why)),
        ),
      ),
  );
  if (history.length === 0) body.append(el('tr', {}, el('td', { colspan: 5, class: 'quiet' }, 'No decision in the last 24 hours.')));
}

async function boot() {
  $('login-form').addEventListener('submit', (event) => void login(event));
  $('logout').addEventListener('click', () => void logout());
  const res = await fetch('/ui/session', { credentials: 'same-origin' });
  const session = await res.json();
  if (session.authenticated) start();
  else showLogin();
}

void boot();
