// relay inspector: a single page over the local API (docs/inspector.md). No framework, no CDN.
'use strict';

const state = { requests: new Map(), order: [], selected: null, tunnels: new Map(), tab: 'request' };
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (!res.ok) throw new Error((data && data.msg) || `${res.status} ${res.statusText}`);
  return data;
}

function toast(message, bad = false) {
  const t = $('toast');
  t.textContent = message;
  t.className = bad ? 'toast bad' : 'toast';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 8000 : 3000);
}

// ---- formatting -------------------------------------------------------------------------------

function b64bytes(b64) {
  const bin = atob(b64 || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function decodeText(bytes) {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Control characters other than tab/newline/CR mean binary, even when valid UTF-8.
    return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? null : text;
  } catch (_) { return null; }
}

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function fmtDuration(ns) {
  const ms = ns / 1e6;
  if (ms < 1) return `${(ns / 1e3).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function fmtTime(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function header(r, side, name) {
  const h = r[side] && r[side].headers;
  if (!h) return '';
  const key = Object.keys(h).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? h[key][0] : '';
}

function jsonNode(value, indent = '') {
  const frag = document.createDocumentFragment();
  const span = (cls, text) => el('span', { class: cls, text });
  const pad = indent + '  ';
  if (Array.isArray(value)) {
    if (!value.length) { frag.append('[]'); return frag; }
    frag.append('[\n');
    value.forEach((v, i) => {
      frag.append(pad, jsonNode(v, pad), i < value.length - 1 ? ',\n' : '\n');
    });
    frag.append(indent + ']');
  } else if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (!keys.length) { frag.append('{}'); return frag; }
    frag.append('{\n');
    keys.forEach((k, i) => {
      frag.append(pad, span('j-key', JSON.stringify(k)), ': ', jsonNode(value[k], pad),
                  i < keys.length - 1 ? ',\n' : '\n');
    });
    frag.append(indent + '}');
  } else if (typeof value === 'string') frag.append(span('j-str', JSON.stringify(value)));
  else if (typeof value === 'number') frag.append(span('j-num', String(value)));
  else if (typeof value === 'boolean') frag.append(span('j-bool', String(value)));
  else frag.append(span('j-null', 'null'));
  return frag;
}

function hexDump(bytes) {
  const lines = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = bytes.slice(off, off + 16);
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

function renderBody(container, sizeLabel, part, contentType) {
  container.replaceChildren();
  if (!part) { sizeLabel.textContent = ''; container.append(el('div', { class: 'none', text: 'No response yet.' })); return; }
  const bytes = b64bytes(part.body);
  sizeLabel.textContent = part.body_size ? `(${fmtSize(part.body_size)})` : '';
  if (part.truncated) {
    container.append(el('div', { class: 'note',
      text: `Truncated: showing the first ${fmtSize(bytes.length)} of ${fmtSize(part.body_size)}. ` +
            'Delivery was not affected; raise the capture limit to keep more.' }));
  }
  if (!bytes.length) { container.append(el('div', { class: 'none', text: 'Empty body.' })); return; }
  const text = decodeText(bytes);
  const type = (contentType || '').toLowerCase();
  if (text === null) {
    container.append(el('pre', { class: 'hex', text: hexDump(bytes) }));
    return;
  }
  if (type.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      const pre = el('pre', { class: 'json' });
      pre.append(jsonNode(JSON.parse(text)));
      container.append(pre);
      return;
    } catch (_) { /* not JSON after all (or truncated): shown as text */ }
  }
  if (type.includes('application/x-www-form-urlencoded')) {
    const table = el('table', { class: 'form' }, el('tr', {}, el('th', { text: 'Field' }), el('th', { text: 'Value' })));
    for (const [k, v] of new URLSearchParams(text)) table.append(el('tr', {}, el('td', { text: k }), el('td', { text: v })));
    container.append(table);
    return;
  }
  container.append(el('pre', { text }));
}

function renderHeaders(table, headers) {
  table.replaceChildren();
  for (const [name, values] of Object.entries(headers || {})) {
    for (const v of values) table.append(el('tr', {}, el('td', { text: name }), el('td', { text: v })));
  }
}

// ---- list -------------------------------------------------------------------------------------

function statusCell(r) {
  if (r.response) {
    const code = r.response.status_code;
    return el('span', { class: `status s${String(code)[0]}`, text: String(code) });
  }
  if (r.relay.error_code) return el('span', { class: 'status serr', text: 'error' });
  return el('span', { class: 'status spending', text: '…' });
}

function verdictBadge(r) {
  const v = r.relay.verdict;
  if (!v) return el('span', { class: 'muted', text: '—' });
  return el('span', { class: `badge ${v.ok ? 'valid' : 'invalid'}`, text: v.ok ? 'verified' : v.code.replace(/_/g, ' '), title: v.reason || '' });
}

function matches(r) {
  const tunnel = $('f-tunnel').value, status = $('f-status').value;
  const verdict = $('f-verdict').value, text = $('f-path').value.trim().toLowerCase();
  if (tunnel && r.tunnel_name !== tunnel) return false;
  if (status === 'pending' && (r.response || r.relay.error_code)) return false;
  if (status === 'error' && !r.relay.error_code) return false;
  if (/^\d$/.test(status) && !(r.response && String(r.response.status_code)[0] === status)) return false;
  const v = r.relay.verdict;
  if (verdict === 'valid' && !(v && v.ok)) return false;
  if (verdict === 'invalid' && !(v && !v.ok)) return false;
  if (verdict === 'none' && v) return false;
  if (text && !r.request.uri.toLowerCase().includes(text)) return false;
  return true;
}

function rowFor(r, fresh) {
  const pathCell = el('td', { class: 'path', title: r.request.uri, text: r.request.uri });
  if (r.relay.replay) pathCell.append(el('span', { class: 'badge replay', text: 'replay' }));
  if (r.relay.duplicate) pathCell.append(el('span', { class: 'badge dup', text: 'duplicate' }));
  if (r.relay.delivery_id) {
    pathCell.append(el('span', { class: 'badge delivery', text: `queued #${r.relay.delivery_attempt}`,
                                 title: `Delivered from the edge's queue: ${r.relay.delivery_id}` }));
  }
  const tr = el('tr', { class: 'req-row' + (fresh ? ' fresh' : ''), 'data-id': r.id },
    el('td', { text: fmtTime(r.start) }),
    el('td', {}, el('span', { class: 'method', text: r.request.method })),
    pathCell,
    el('td', {}, statusCell(r)),
    el('td', { text: r.response || r.relay.error_code ? fmtDuration(r.duration) : '' }),
    el('td', {}, verdictBadge(r)),
    el('td', { class: 'muted', text: r.tunnel_name }));
  if (r.id === state.selected) tr.classList.add('selected');
  tr.addEventListener('click', () => select(r.id));
  return tr;
}

function renderList(freshId) {
  const rows = $('rows');
  rows.replaceChildren();
  let shown = 0;
  for (const id of state.order) {
    const r = state.requests.get(id);
    if (!matches(r)) continue;
    rows.append(rowFor(r, id === freshId));
    shown++;
  }
  $('empty').hidden = state.order.length > 0;
  $('count').textContent = state.order.length
    ? `${shown === state.order.length ? '' : shown + ' of '}${state.order.length} request${state.order.length === 1 ? '' : 's'}` : '';
  renderTunnelFilter();
}

function renderTunnelFilter() {
  const select = $('f-tunnel');
  const names = new Set([...state.tunnels.keys()]);
  for (const r of state.requests.values()) names.add(r.tunnel_name);
  const current = select.value;
  const have = new Set(Array.from(select.options).map((o) => o.value));
  for (const n of [...names].sort()) if (!have.has(n)) select.append(el('option', { value: n, text: n }));
  select.value = current;
}

function upsert(r, live) {
  const isNew = !state.requests.has(r.id);
  state.requests.set(r.id, r);
  if (isNew) state.order.unshift(r.id);
  renderList(live && isNew ? r.id : null);
  if (state.selected === r.id) renderDetail();
}

// ---- detail -----------------------------------------------------------------------------------

function select(id) {
  state.selected = id;
  for (const tr of document.querySelectorAll('tr.req-row')) tr.classList.toggle('selected', tr.dataset.id === id);
  renderDetail();
}

function renderDetail() {
  const r = state.requests.get(state.selected);
  $('detail-placeholder').hidden = !!r;
  $('detail-content').hidden = !r;
  if (!r) return;
  $('d-method').textContent = r.request.method;
  $('d-path').textContent = r.request.uri;
  const facts = $('d-facts');
  facts.replaceChildren();
  const fact = (k, v) => { if (v) facts.append(el('dt', { text: k }), el('dd', { text: v })); };
  fact('Status', r.response ? r.response.status : (r.relay.error_code ? 'no response' : 'in flight'));
  fact('Duration', r.response || r.relay.error_code ? fmtDuration(r.duration) : '');
  fact('Received', new Date(r.start).toLocaleString());
  fact('Tunnel', r.tunnel_name);
  fact('Public URL', r.relay.public_url ? r.relay.public_url + r.request.uri : '');
  fact('From', r.remote_addr);
  fact('ID', r.id);
  if (r.relay.replay) fact('Replay of', r.relay.replay_of);
  if (r.relay.duplicate) fact('Duplicate', 'this event id was delivered before');
  if (r.relay.delivery_id) fact('Delivery', `${r.relay.delivery_id} (attempt ${r.relay.delivery_attempt})`);

  const v = r.relay.verdict, vbox = $('d-verdict');
  vbox.hidden = !v;
  if (v) {
    vbox.className = `verdict ${v.ok ? 'valid' : 'invalid'}`;
    vbox.textContent = v.ok ? `Signature verified (${v.provider})` :
      `Rejected by the ${v.provider} verifier: ${v.reason || v.code}`;
  }
  const ebox = $('d-error');
  ebox.hidden = !r.relay.error_code;
  ebox.textContent = r.relay.error_code ? `${r.relay.error_code}: ${r.relay.error || ''}` : '';

  renderHeaders($('req-headers'), r.request.headers);
  renderBody($('req-body'), $('req-body-size'), r.request, header(r, 'request', 'content-type'));
  renderHeaders($('res-headers'), r.response && r.response.headers);
  renderBody($('res-body'), $('res-body-size'), r.response, header(r, 'response', 'content-type'));
  const truncated = r.request.truncated;
  $('btn-replay').disabled = truncated;
  $('btn-replay').title = truncated ? 'The body was truncated at the capture limit: use Replay with modifications and supply the body' : '';
  showTab(state.tab);
}

function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.tab === tab);
  $('tab-request').hidden = tab !== 'request';
  $('tab-response').hidden = tab !== 'response';
}

// ---- actions ----------------------------------------------------------------------------------

async function replay() {
  const r = state.requests.get(state.selected);
  if (!r) return;
  try {
    const res = await api('POST', `/api/requests/http/${encodeURIComponent(r.id)}/replay`, {});
    toast(`Replayed: ${res.response ? res.response.status : 'sent'}`);
    if (res.id) { upsert(res, false); select(res.id); }
  } catch (e) { toast(`Replay failed: ${e.message}`, true); }
}

function openModify() {
  const r = state.requests.get(state.selected);
  if (!r) return;
  $('mod-method').value = r.request.method;
  $('mod-path').value = r.request.uri;
  const lines = [];
  for (const [name, values] of Object.entries(r.request.headers)) for (const v of values) lines.push(`${name}: ${v}`);
  $('mod-headers').value = lines.join('\n');
  const text = decodeText(b64bytes(r.request.body));
  $('mod-body').value = text === null ? '' : text;
  const t = state.tunnels.get(r.tunnel_name);
  const canResign = !!(t && t.relay && t.relay.can_resign);
  $('mod-resign').checked = canResign && !!r.relay.verdict;
  $('mod-resign').disabled = !canResign;
  $('mod-resign-note').textContent = canResign ? `(${t.relay.verify_provider})` :
    '(this tunnel has no webhook secret relay can sign with)';
  $('modify').showModal();
}

async function sendModified() {
  const r = state.requests.get(state.selected);
  const headers = {};
  for (const line of $('mod-headers').value.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim(), value = line.slice(i + 1).trim();
    (headers[name] = headers[name] || []).push(value);
  }
  const body = { method: $('mod-method').value.trim(), path: $('mod-path').value.trim(), headers,
                 body: $('mod-body').value, resign: $('mod-resign').checked };
  try {
    const res = await api('POST', `/api/requests/http/${encodeURIComponent(r.id)}/replay`, body);
    $('modify').close();
    toast(`Replayed with modifications: ${res.response ? res.response.status : 'sent'}`);
    if (res.id) { upsert(res, false); select(res.id); }
  } catch (e) { toast(`Replay failed: ${e.message}`, true); }
}

function shellQuote(s) { return `'${String(s).replace(/'/g, `'\\''`)}'`; }

function curlCommand(r) {
  const skip = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'accept-encoding']);
  const base = r.relay.public_url || 'http://localhost';
  const parts = ['curl', '-X', r.request.method, shellQuote(base + r.request.uri)];
  for (const [name, values] of Object.entries(r.request.headers)) {
    if (skip.has(name.toLowerCase())) continue;
    for (const v of values) parts.push('-H', shellQuote(`${name}: ${v}`));
  }
  const bytes = b64bytes(r.request.body);
  if (bytes.length) {
    const text = decodeText(bytes);
    parts.push('--data-binary', text === null ? "@body.bin" : shellQuote(text));
  }
  return parts.join(' ');
}

async function copyCurl() {
  const r = state.requests.get(state.selected);
  if (!r) return;
  const cmd = curlCommand(r);
  try {
    await navigator.clipboard.writeText(cmd);
  } catch (_) {
    const ta = el('textarea');
    ta.value = cmd;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast(r.request.truncated ? 'Copied (the body was truncated in the capture)' : 'Copied as curl');
}

async function clearAll() {
  try {
    await api('DELETE', '/api/requests/http');
    resetList();
  } catch (e) { toast(`Clear failed: ${e.message}`, true); }
}

function resetList() {
  state.requests.clear();
  state.order = [];
  state.selected = null;
  renderList();
  renderDetail();
}

// ---- deliveries (the edge's queue of --buffer tunnels) -----------------------------------------

const dq = { timer: null, items: [] };

function stateBadge(d) {
  const text = { queued: 'queued', delivering: 'delivering', delivered: 'delivered', dead: 'dead' }[d.state] || d.state;
  return el('span', { class: `badge st-${d.state}`, text });
}

function lastError(d) {
  if (d.last_error) return d.last_error;
  return d.last_status ? `HTTP ${d.last_status}` : '';
}

function deliveryRow(d) {
  const acts = el('td', { class: 'acts' });
  if (d.state !== 'delivering') {
    const retry = el('button', { class: 'btn', type: 'button', text: 'Retry', 'data-action': 'retry', title: 'Deliver it again now' });
    retry.addEventListener('click', () => deliveryAction('POST', `/api/deliveries/${encodeURIComponent(d.id)}/retry`, `Retrying ${d.id}`));
    const drop = el('button', { class: 'btn', type: 'button', text: 'Drop', 'data-action': 'drop', title: 'Remove it from the queue' });
    drop.addEventListener('click', () => deliveryAction('DELETE', `/api/deliveries/${encodeURIComponent(d.id)}`, `Dropped ${d.id}`));
    acts.append(retry, drop);
  }
  const err = lastError(d);
  return el('tr', { class: 'dq-row', 'data-id': d.id, 'data-state': d.state },
    el('td', { text: d.received_at ? new Date(d.received_at).toLocaleString() : '', title: d.id }),
    el('td', { class: 'muted', text: d.tunnel }),
    el('td', { class: 'path', title: d.path },
      el('span', { class: 'method', text: d.method }), ' ', d.path),
    el('td', {}, stateBadge(d)),
    el('td', { text: String(d.attempts) }),
    el('td', { text: d.next_attempt_at ? fmtTime(d.next_attempt_at) : '' }),
    el('td', { class: 'err', title: err, text: err }),
    acts);
}

function renderDeliveries() {
  const rows = $('dq-rows');
  rows.replaceChildren(...dq.items.map(deliveryRow));
  $('dq-empty').hidden = dq.items.length > 0;
  const select = $('dq-tunnel');
  const have = new Set(Array.from(select.options).map((o) => o.value));
  const names = new Set([...state.tunnels.keys(), ...dq.items.map((d) => d.tunnel)]);
  for (const n of [...names].sort()) if (n && !have.has(n)) select.append(el('option', { value: n, text: n }));
}

async function pollDeliveries() {
  clearTimeout(dq.timer);
  if ($('deliveries-view').hidden) return;
  const params = new URLSearchParams({ limit: '500' });
  if ($('dq-state').value) params.set('state', $('dq-state').value);
  if ($('dq-tunnel').value) params.set('tunnel', $('dq-tunnel').value);
  try {
    const res = await api('GET', `/api/deliveries?${params}`);
    dq.items = res.deliveries || [];
    $('dq-error').hidden = true;
    $('dq-updated').textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
    renderDeliveries();
  } catch (e) {
    $('dq-error').hidden = false;
    $('dq-error').textContent = `Cannot list the queue: ${e.message}`;
  }
  if (!$('deliveries-view').hidden) dq.timer = setTimeout(pollDeliveries, 2000);
}

async function deliveryAction(method, path, done) {
  try {
    await api(method, path);
    toast(done);
  } catch (e) { toast(`Failed: ${e.message}`, true); }
  pollDeliveries();
}

function showView(view) {
  for (const b of document.querySelectorAll('.view')) b.classList.toggle('active', b.dataset.view === view);
  $('requests-view').hidden = view !== 'requests';
  $('deliveries-view').hidden = view !== 'deliveries';
  $('count').hidden = view !== 'requests';
  $('btn-clear').hidden = view !== 'requests';
  if (view === 'deliveries') pollDeliveries(); else clearTimeout(dq.timer);
  if (location.hash !== `#${view}`) history.replaceState(null, '', view === 'requests' ? location.pathname : `#${view}`);
}

// ---- live updates -----------------------------------------------------------------------------

async function load() {
  const [reqs, tunnels] = await Promise.all([api('GET', '/api/requests/http?limit=500'), api('GET', '/api/tunnels')]);
  state.tunnels = new Map(tunnels.tunnels.map((t) => [t.name, t]));
  state.requests.clear();
  state.order = [];
  for (const r of reqs.requests) { state.requests.set(r.id, r); state.order.push(r.id); }
  renderList();
  renderDetail();
}

function connect() {
  const live = $('live');
  const source = new EventSource('/api/requests/http/stream');
  source.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'live on';
    load().catch((e) => toast(`Cannot load requests: ${e.message}`, true));  // catch up after a gap
  });
  source.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = 'live off'; });
  source.addEventListener('request', (e) => upsert(JSON.parse(e.data), true));
  source.addEventListener('clear', () => resetList());
}

document.addEventListener('DOMContentLoaded', () => {
  for (const id of ['f-tunnel', 'f-status', 'f-verdict']) $(id).addEventListener('change', () => renderList());
  $('f-path').addEventListener('input', () => renderList());
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => showTab(b.dataset.tab));
  $('btn-replay').addEventListener('click', replay);
  $('btn-modify').addEventListener('click', openModify);
  $('btn-curl').addEventListener('click', copyCurl);
  $('btn-clear').addEventListener('click', clearAll);
  $('mod-cancel').addEventListener('click', () => $('modify').close());
  $('mod-send').addEventListener('click', sendModified);
  for (const b of document.querySelectorAll('.view')) b.addEventListener('click', () => showView(b.dataset.view));
  for (const id of ['dq-state', 'dq-tunnel']) $(id).addEventListener('change', () => pollDeliveries());
  connect();
  if (location.hash === '#deliveries') showView('deliveries');
});
