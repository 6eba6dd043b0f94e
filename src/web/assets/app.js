// The gt dashboard page. Everything it shows comes from the server as JSON and is put on the
// page as text (append of strings, textContent) — never as markup — so nothing a bead, a
// mail or an agent's screen holds can run here. The server's policy allows only this script.
'use strict';

const $ = (id) => document.getElementById(id);

// An element with a class and children; strings become text nodes.
function el(tag, cls, ...kids) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    e.append(typeof k === 'object' ? k : String(k));
  }
  return e;
}

function fill(node, kids) {
  node.replaceChildren(...kids);
}

// --- the token: kept per dashboard address in this browser, never in the address bar ---
const TOKEN_KEY = 'gt-dashboard-token:' + location.host;
let token = localStorage.getItem(TOKEN_KEY) || '';
let canAct = false;

(function takeTokenFromLink() {
  const m = /(?:^#|&)token=([0-9a-fA-F]{64})/.exec(location.hash);
  if (m) {
    token = m[1];
    localStorage.setItem(TOKEN_KEY, token);
  }
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
})();

async function checkAccess() {
  canAct = false;
  if (token) {
    try {
      const r = await fetch('/api/access', { headers: { 'X-GT-Token': token } });
      canAct = r.ok && (await r.json()).can_act === true;
    } catch (_) { canAct = false; }
  }
  const a = $('access');
  a.textContent = canAct ? 'can act' : (token ? 'token refused: read-only' : 'read-only');
  a.className = 'badge ' + (canAct ? 'on' : 'off');
  $('token-form').hidden = canAct;
  for (const b of document.querySelectorAll('.needs-token')) b.disabled = !canAct;
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('token-input').value.trim();
  $('token-input').value = '';
  if (token) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY);
  checkAccess();
});

// --- actions: the same ones the workspace and the CLI run ---
function toast(message, ok) {
  const t = $('toast');
  t.textContent = message;
  t.className = ok ? '' : 'bad';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, ok ? 5000 : 12000);
}

async function act(name, body) {
  if (!canAct) { toast('read-only: give the dashboard token first (gt dashboard --token)', false); return null; }
  let r;
  try {
    r = await fetch('/api/act/' + encodeURIComponent(name), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GT-Token': token },
      body: JSON.stringify(body),
    });
  } catch (e) { toast('the dashboard did not answer: ' + e, false); return null; }
  // Refusals by the dashboard itself are plain text; outcomes are JSON.
  const text = await r.text();
  let out;
  try { out = JSON.parse(text); } catch (_) { out = { ok: false, message: text.trim() || ('HTTP ' + r.status) }; }
  toast(out.message || (r.ok ? 'done' : 'failed'), !!out.ok);
  if (r.status === 403) checkAccess();
  return out;
}

// --- what is selected ---
let selected = sessionStorage.getItem('gt-selected') || '';
let state = null;
let reviewing = null;

function ago(unix) {
  if (!unix || !state) return '';
  const now = state.taken_at + (Date.now() - receivedAt) / 1000;
  const s = Math.max(0, Math.round(now - unix));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}
let receivedAt = Date.now();

// An RFC 3339 time as `2026-12-04 21:05:12`.
const when = (t) => String(t || '').replace('T', ' ').replace(/(\.\d+)?(Z|[+-]\d\d:\d\d)$/, '');

function tone(word) {
  if (/^(dead|stuck|failed|gone|crashed|critical|high|bad)/.test(word)) return 'bad';
  if (/^(stalled|waiting|review|queued|blocked|needs|rate|paused|idle-hooked|medium)/.test(word)) return 'warn';
  if (/^(working|healthy|landed|approved|ok|closed|delivered)/.test(word)) return 'good';
  return '';
}
const tag = (word) => el('span', 'tag ' + tone(word || ''), word || '—');

// --- rendering ---
function renderAgents(s) {
  // The town's own agents (mayor, deacon) first, then each rig.
  const byRig = new Map([['town', []]]);
  for (const a of s.agents) {
    const rig = a.rig || 'town';
    if (!byRig.has(rig)) byRig.set(rig, []);
    byRig.get(rig).push(a);
  }
  const blocks = [];
  for (const [rig, agents] of byRig) {
    if (!agents.length) continue;
    const head = el('tr', null,
      el('th', 'c-agent', 'agent'), el('th', 'c-state', 'state'), el('th', 'c-verdict', 'verdict'),
      el('th', 'c-hook', 'hook'), el('th', 'c-active hide-narrow', 'active'), el('th', 'c-cost hide-narrow', 'cost'));
    const rows = agents.map((a) => {
      const verdict = el('td', null, a.verdict ? tag(a.verdict) : '—',
        a.reason ? el('div', 'muted', a.reason) : null);
      const hook = el('td', null,
        a.hook ? el('span', 'id', a.hook) : '—',
        a.hook_title ? el('span', null, a.hook_title) : null,
        a.delivery_problem ? el('div', 'muted', 'last message: ' + a.delivery + ' — ' + a.delivery_problem) : null);
      const tr = el('tr', 'pick' + (a.address === selected ? ' selected' : ''),
        el('td', null, el('span', 'id', a.name), el('div', 'muted', a.role + (a.runtime ? ' · ' + a.runtime : ''))),
        el('td', null, tag(a.session), a.queued ? el('div', 'muted', a.queued + ' queued') : null,
          a.unread_mail ? el('div', 'muted', a.unread_mail + ' unread') : null),
        verdict, hook,
        el('td', 'hide-narrow', ago(a.last_activity)),
        el('td', 'hide-narrow', a.cost || ''));
      tr.dataset.agent = a.address;
      tr.addEventListener('click', () => select(a.address));
      return tr;
    });
    blocks.push(el('div', 'rig-name', rig), el('table', null, el('thead', null, head), el('tbody', null, ...rows)));
  }
  if (!blocks.length) blocks.push(el('p', 'muted', 'no agents yet'));
  fill($('agents'), blocks);
  $('agent-count').textContent = '(' + s.agents.length + ')';
}

function renderAttention(s) {
  fill($('attention'), s.attention.map((a) => {
    const li = el('li', 'pick', tag(a.kind), el('span', 'id', a.subject), a.text);
    // Enter on it in the workspace acts on its subject; here a click does.
    li.addEventListener('click', () => {
      if (a.kind === 'review-waiting') openReview(a.subject);
      else if (s.agents.some((x) => x.address === a.subject)) select(a.subject);
    });
    return li;
  }));
  $('attention-box').classList.toggle('empty', s.attention.length === 0);
}

function renderConvoys(s) {
  const open = s.convoys.filter((c) => c.status !== 'closed');
  const shown = open.length ? open : s.convoys.slice(0, 5);
  fill($('convoys'), shown.map((c) => {
    const pct = c.total ? Math.round((100 * c.closed) / c.total) : 0;
    const bar = el('div', 'bar', el('span'));
    bar.firstChild.style.width = pct + '%';
    const li = el('li', null, el('span', 'id', c.id), c.title, ' ', el('span', 'muted', c.closed + '/' + c.total), bar);
    li.dataset.convoy = c.id;
    return li;
  }));
  if (!shown.length) fill($('convoys'), [el('li', 'muted', 'no convoys')]);
}

function renderQueue(s) {
  fill($('queue'), s.queue.map((q) => {
    const review = q.state === 'review'
      ? el('button', 'small', 'Review') : null;
    if (review) review.addEventListener('click', (ev) => { ev.stopPropagation(); openReview(q.id); });
    const li = el('li', null, tag(q.state), el('span', 'id', q.id), q.rig, ' ',
      q.source_bead ? el('span', 'id', q.source_bead) : null,
      q.worker ? el('span', 'muted', ' by ' + q.worker + ' ') : null, review,
      q.detail ? el('div', 'muted', q.detail) : null);
    li.dataset.mr = q.id;
    return li;
  }));
  if (!s.queue.length) fill($('queue'), [el('li', 'muted', 'nothing waiting')]);
}

function renderEscalations(s) {
  fill($('escalations'), s.escalations.map((e) => {
    const open = !e.acked_by && e.status !== 'closed';
    const ack = open ? el('button', 'small needs-token', 'Acknowledge') : null;
    if (ack) {
      ack.disabled = !canAct;
      ack.addEventListener('click', () => act('ack', { escalation: e.id }));
    }
    const li = el('li', null, tag(e.severity), el('span', 'id', e.id), e.title, ' ',
      el('span', 'muted', 'from ' + e.from + (e.acked_by ? ' · acknowledged by ' + e.acked_by : '')), ' ', ack);
    li.dataset.escalation = e.id;
    return li;
  }));
  if (!s.escalations.length) fill($('escalations'), [el('li', 'muted', 'none')]);
}

function renderReady(s) {
  fill($('ready'), s.ready.map((b) => {
    const li = el('li', 'pick', el('span', 'tag', 'P' + b.priority), el('span', 'id', b.id), b.title);
    li.dataset.bead = b.id;
    li.addEventListener('click', () => { $('sling-bead').value = b.id; $('sling-target').focus(); });
    return li;
  }));
  if (!s.ready.length) fill($('ready'), [el('li', 'muted', 'nothing ready')]);
  $('ready-count').textContent = s.ready_total > s.ready.length
    ? '(' + s.ready.length + ' of ' + s.ready_total + ')' : '(' + s.ready_total + ')';
  const targets = [...s.rigs, ...s.agents.filter((a) => a.role === 'crew' || a.role === 'polecat').map((a) => a.address)];
  fill($('targets'), targets.map((t) => { const o = el('option'); o.value = t; return o; }));
}

function renderMail(s) {
  fill($('mail'), s.mail.slice(0, 50).map((m) => el('li', m.read ? null : 'unread',
    m.read ? null : el('span', 'tag warn', 'new'), el('span', 'id', m.from), m.subject,
    ' ', el('span', 'muted', when(m.created_at)))));
  if (!s.mail.length) fill($('mail'), [el('li', 'muted', 'no mail for ' + s.identity)]);
  $('unread').textContent = s.unread ? '(' + s.unread + ' unread)' : '';
}

function renderFeed(s) {
  const lines = s.feed.slice().reverse();
  fill($('feed'), lines.map((f) => el('li', null, el('span', 'muted', when(f.at) + ' '),
    el('span', 'id', f.actor), f.text)));
}

function renderHeader(s) {
  $('town').textContent = s.town;
  document.title = 'gt — ' + s.town;
  $('daemon').textContent = s.daemon;
  $('cost').textContent = 'today ' + s.cost_today;
  const b = $('scheduler');
  b.textContent = s.scheduler_paused ? 'Resume scheduler' : 'Pause scheduler';
  b.dataset.paused = s.scheduler_paused ? 'true' : 'false';
  const banner = $('banner');
  const stops = [];
  if (s.brakes.town) stops.push('The town is stopped by ' + s.brakes.town.by + (s.brakes.town.why ? ': ' + s.brakes.town.why : ''));
  for (const e of s.brakes.rig_estops) stops.push('Rig ' + e.rig + ' is stopped by ' + e.by + (e.why ? ': ' + e.why : ''));
  if (s.scheduler_paused) stops.push('The scheduler is paused: slings to rigs wait in its queue.');
  banner.textContent = stops.join(' · ');
  banner.hidden = stops.length === 0;
  const p = $('problems');
  p.textContent = s.problems.length ? 'Not read this time: ' + s.problems.join('; ') : '';
  p.hidden = !s.problems.length;
}

function render(s) {
  state = s;
  receivedAt = Date.now();
  renderHeader(s);
  renderAttention(s);
  renderAgents(s);
  renderConvoys(s);
  renderQueue(s);
  renderEscalations(s);
  renderReady(s);
  renderMail(s);
  renderFeed(s);
  window.__gt.states += 1;
  if (!window.__gt.firstRender) window.__gt.firstRender = performance.now();
}

function renderScreen(sc) {
  if (sc.agent !== selected) return;
  const lines = sc.lines.map((runs) => {
    const line = el('div');
    for (const r of runs) {
      const span = el('span', (r.a || '').split('').map((c) => 'a-' + c).join(' '), r.t);
      let fg = r.fg, bg = r.bg;
      if ((r.a || '').includes('r')) { [fg, bg] = [bg || '#d0d0d0', fg || '#0b0e11']; }
      // Colours are #rrggbb strings the server made; anything else is left out.
      if (fg && /^#[0-9a-f]{6}$/.test(fg)) span.style.color = fg;
      if (bg && /^#[0-9a-f]{6}$/.test(bg)) span.style.backgroundColor = bg;
      line.append(span);
    }
    if (!runs.length) line.append('\u00a0');
    return line;
  });
  const pre = $('screen');
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  fill(pre, lines);
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

// --- the live connection: one WebSocket per page (browsers hold at most six HTTP
// connections per host for all tabs together; WebSockets are not counted there) ---
let socket = null;
let retry = 500;
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/live');
  socket = ws;
  ws.onopen = () => {
    retry = 500;
    if (!window.__gt.open) window.__gt.open = performance.now();
    live(true);
    if (selected) ws.send(JSON.stringify({ agent: selected }));
  };
  ws.onmessage = (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { console.error(e); return; }
    if (m.state) render(m.state);
    if (m.screen) renderScreen(m.screen);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    live(false);
    // Back again as soon as the dashboard is (a restart, a dropped connection).
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

function tell(agent) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ agent }));
}

function live(on) {
  const l = $('live');
  l.textContent = on ? 'live' : 'reconnecting…';
  l.className = 'badge ' + (on ? 'on' : 'off');
}

function select(agent) {
  selected = agent;
  sessionStorage.setItem('gt-selected', agent);
  $('screen-agent').textContent = '— ' + agent;
  fill($('screen'), []);
  for (const tr of document.querySelectorAll('tr.pick')) tr.classList.toggle('selected', tr.dataset.agent === agent);
  tell(agent);
}

// --- review ---
async function openReview(mr) {
  reviewing = mr;
  $('review').hidden = false;
  $('review-title').textContent = 'Merge request ' + mr + ' — loading the diff…';
  fill($('diff'), []);
  let d;
  try {
    const r = await fetch('/api/diff/' + encodeURIComponent(mr));
    d = await r.json();
  } catch (e) { d = { ok: false, message: String(e) }; }
  if (reviewing !== mr) return;
  if (!d.ok || !d.diff) { $('review-title').textContent = 'Merge request ' + mr + ': ' + (d.message || 'no diff'); return; }
  const v = d.diff;
  $('review-title').textContent = v.what + ' — ' + v.files.length + ' file(s), +' + v.insertions + ' −' + v.deletions;
  const patch = v.patch.length > 400000 ? v.patch.slice(0, 400000) + '\n… (cut: gt diff ' + mr + ' shows it all)' : v.patch;
  fill($('diff'), patch.split('\n').map((l) => {
    const cls = l.startsWith('+++') || l.startsWith('---') || l.startsWith('diff ') ? 'd-file'
      : l.startsWith('@@') ? 'd-hunk' : l.startsWith('+') ? 'd-add' : l.startsWith('-') ? 'd-del' : null;
    return el('div', cls, l || '\u00a0');
  }));
}

$('approve').addEventListener('click', async () => {
  if (!reviewing) return;
  const out = await act('approve', { mr: reviewing });
  if (out && out.ok) { $('review').hidden = true; reviewing = null; }
});
$('sendback').addEventListener('click', async () => {
  if (!reviewing) return;
  const comment = $('sendback-comment').value.trim();
  if (!comment) { toast('say why it goes back', false); $('sendback-comment').focus(); return; }
  const out = await act('send-back', { mr: reviewing, comment });
  if (out && out.ok) { $('review').hidden = true; reviewing = null; $('sendback-comment').value = ''; }
});
$('review-close').addEventListener('click', () => { $('review').hidden = true; reviewing = null; });

$('nudge-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('nudge-text').value;
  if (!selected) { toast('pick an agent first', false); return; }
  if (!text.trim()) return;
  const out = await act('nudge', { agent: selected, text });
  if (out && out.ok) $('nudge-text').value = '';
});

$('sling-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const bead = $('sling-bead').value.trim(), target = $('sling-target').value.trim();
  if (!bead || !target) { toast('give a bead and a rig or agent', false); return; }
  const out = await act('sling', { bead, target });
  if (out && out.ok) $('sling-bead').value = '';
});

$('scheduler').addEventListener('click', () => {
  act('scheduler', { paused: $('scheduler').dataset.paused !== 'true' });
});

// For tests and benches: how many states arrived, when the first was on screen.
window.__gt = { states: 0, firstRender: 0 };
if (selected) $('screen-agent').textContent = '— ' + selected;
// The town as the page was served (when the dashboard was already looking): on screen at
// once, before the live connection is up.
try {
  const initial = $('initial').textContent;
  if (initial) render(JSON.parse(initial));
} catch (e) { console.error(e); }
connect();
checkAccess();
