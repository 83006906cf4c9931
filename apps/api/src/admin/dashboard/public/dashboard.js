// The operators' dashboard (GET /admin), the page's entry module. It loads nothing from elsewhere: its
// data comes from the admin JSON API (`/api/v1/admin/stats|verifications|audit|phones`) with the admin key
// the operator types in, kept in sessionStorage for this tab. Charts are inline SVG drawn here (charts.js).
// The phone lookup also shows the number's state and the operators' actions on it (unlock, block,
// unblock, revoke sessions), each behind a confirmation <dialog>.
//
// Every value from the API reaches the DOM through textContent or setAttribute on a fixed attribute
// name (dom.js): the page never parses HTML built from data. The CSP allows scripts and styles from
// this server only ('self'): no inline <script>, <style>, style= or on…= attributes.

import { renderBreakdown, renderChannels, renderDaily } from './charts.js';
import { badge, clear, el, emptyState } from './dom.js';
import {
  activeSessions,
  ACTION_LABELS,
  confirmText,
  DAY_MS,
  finiteOrNull,
  fmtDuration,
  fmtInt,
  fmtMoney,
  fmtPct,
  fmtTime,
  isoDay,
  parseDay,
  plural,
  ratio,
  resultText,
  text,
} from './format.js';
import { renderAudit, renderVerifications } from './history.js';
import { renderFraud } from './fraud-panel.js';

const KEY_STORAGE = 'sms-auth.admin-key';
const API_BASE = window.location.pathname.replace(/\/admin\/?$/, '') + '/api/v1/admin/';
/** ?page_size=N (1..200) overrides the phone lookup page sizes, e.g. to walk next_cursor page by page. */
const PAGE_SIZE = (function () {
  const n = Number(new URLSearchParams(window.location.search).get('page_size'));
  return Number.isInteger(n) && n >= 1 && n <= 200 ? n : null;
})();

const byId = function (id) {
  return document.getElementById(id);
};
const ui = {
  banner: byId('error-banner'),
  keyPanel: byId('key-panel'),
  keyForm: byId('key-form'),
  keyInput: byId('key-input'),
  signOut: byId('sign-out'),
  dashboard: byId('dashboard'),
  rangeForm: byId('range-form'),
  from: byId('from-input'),
  to: byId('to-input'),
  refresh: byId('refresh'),
  status: byId('status-line'),
  daily: byId('chart-daily'),
  provider: byId('chart-provider'),
  country: byId('chart-country'),
  channels: byId('chart-channel'),
  fraud: byId('fraud-panel'),
  fraudResult: byId('fraud-result'),
  phoneForm: byId('phone-form'),
  phoneInput: byId('phone-input'),
  history: byId('history'),
  verifications: byId('history-verifications'),
  audit: byId('history-audit'),
  verificationsMore: byId('verifications-more'),
  auditMore: byId('audit-more'),
  phonePanel: byId('phone-panel'),
  phoneStatus: byId('phone-status'),
  actionResult: byId('action-result'),
  actions: {
    unlock: byId('action-unlock'),
    block: byId('action-block'),
    unblock: byId('action-unblock'),
    revoke: byId('action-revoke'),
  },
  dialog: byId('confirm-dialog'),
  confirmForm: byId('confirm-form'),
  confirmTitle: byId('confirm-title'),
  confirmMessage: byId('confirm-message'),
  confirmNote: byId('confirm-note'),
  confirmCancel: byId('confirm-cancel'),
  confirmOk: byId('confirm-ok'),
};

let statsSeq = 0;
let historySeq = 0;
let lastDaily = null;
let lookup = { phone: null, verificationsCursor: null, auditCursor: null };
/** The looked-up phone's state (GET /admin/phones/:phone), once loaded; the actions act on it. */
let phoneState = null;
/** The action the open dialog asks about: {kind, status, opener}. */
let pendingAction = null;
let acting = false;

function setText(id, value) {
  byId(id).textContent = value;
}

// ---------- errors, key handling ----------

function showError(message) {
  ui.banner.textContent = message;
  ui.banner.hidden = false;
}
function hideError() {
  ui.banner.hidden = true;
  ui.banner.textContent = '';
}

function ApiError(status, code, message) {
  this.status = status;
  this.code = code;
  this.message = message;
}

function getKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}
function setKey(key) {
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    /* private mode: the key lives for this page only */
  }
  memoryKey = key;
}
function dropKey() {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* nothing stored */
  }
  memoryKey = '';
}
let memoryKey = getKey();

function showKeyForm() {
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.keyPanel.hidden = false;
  ui.keyInput.value = '';
  ui.keyInput.focus();
}
function showDashboard() {
  ui.keyPanel.hidden = true;
  ui.dashboard.hidden = false;
  ui.signOut.hidden = false;
}
const KPI_VALUES = [
  'kpi-requested',
  'kpi-sent',
  'kpi-delivered',
  'kpi-verified',
  'kpi-conversion',
  'kpi-median',
  'kpi-cost',
  'kpi-failed',
  'kpi-expired',
  'kpi-max-attempts',
];
const KPI_SUBS = ['kpi-requested-sub', 'kpi-sent-sub', 'kpi-delivered-sub', 'kpi-verified-sub', 'kpi-cost-sub'];
function resetData() {
  statsSeq += 1;
  historySeq += 1;
  lastDaily = null;
  KPI_VALUES.forEach(function (id) {
    setText(id, '—');
  });
  KPI_SUBS.forEach(function (id) {
    setText(id, '');
  });
  [ui.daily, ui.provider, ui.country, ui.channels, ui.verifications, ui.audit].forEach(clear);
  ui.history.hidden = true;
  ui.verificationsMore.hidden = true;
  ui.auditMore.hidden = true;
  ui.status.textContent = '';
  ui.phoneInput.value = '';
  lookup = { phone: null, verificationsCursor: null, auditCursor: null };
  closeDialog();
  phoneState = null;
  acting = false;
  clear(ui.phoneStatus);
  ui.phoneStatus.setAttribute('data-state', 'idle');
  setResult('idle', '');
  ui.phonePanel.hidden = true;
  updateActions();
  ui.dashboard.setAttribute('data-state', 'idle');
}
function signOut(message) {
  dropKey();
  resetData();
  if (message) showError(message);
  else hideError();
  showKeyForm();
}
function handleFailure(error, what) {
  if (error instanceof ApiError && error.status === 401) {
    const code = error.code || 'UNAUTHORIZED';
    signOut(`The admin key was refused (401 ${code}). Enter the ADMIN_API_KEY configured on the server.`);
    return;
  }
  const detail =
    error instanceof ApiError
      ? (error.status ? 'HTTP ' + error.status + (error.code ? ' ' + error.code : '') + ': ' : '') + error.message
      : String((error && error.message) || error);
  showError('Could not load ' + what + '. ' + detail);
}

/** GET `path` (or `request.method` with `request.body` as JSON) on the admin API; the body, or an ApiError. */
async function api(path, params, request) {
  const query = new URLSearchParams();
  Object.keys(params || {}).forEach(function (name) {
    const value = params[name];
    if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
  });
  const url = API_BASE + path + (query.toString() ? '?' + query.toString() : '');
  const init = {
    method: (request && request.method) || 'GET',
    headers: { Authorization: 'Bearer ' + memoryKey, Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  };
  if (request && request.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(request.body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'NETWORK', 'The server did not answer (' + ((e && e.message) || 'network error') + ').');
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const err = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  if (!response.ok || !body || body.success !== true) {
    const fallback = response.ok
      ? 'Unexpected answer from the server.'
      : (response.statusText || 'Request failed') + '.';
    throw new ApiError(
      response.status,
      err && typeof err.code === 'string' ? err.code : null,
      err && typeof err.message === 'string' ? err.message : fallback,
    );
  }
  return body;
}

// ---------- period ----------

function setRange(days) {
  const today = new Date();
  ui.to.value = isoDay(today);
  ui.from.value = isoDay(new Date(today.getTime() - (days - 1) * DAY_MS));
  markPreset();
}
function markPreset() {
  const from = parseDay(ui.from.value);
  const to = parseDay(ui.to.value);
  const today = isoDay(new Date());
  const span = from && to ? Math.round((to - from) / DAY_MS) + 1 : null;
  Array.prototype.forEach.call(document.querySelectorAll('[data-days]'), function (button) {
    button.classList.toggle('active', ui.to.value === today && span === Number(button.getAttribute('data-days')));
  });
}
/** The selected UTC days as an [from, to) interval of instants. */
function currentRange() {
  let from = parseDay(ui.from.value);
  let to = parseDay(ui.to.value);
  if (!from || !to) return null;
  if (from > to) {
    const swap = from;
    from = to;
    to = swap;
    ui.from.value = isoDay(from);
    ui.to.value = isoDay(to);
  }
  return {
    from: from.toISOString(),
    to: new Date(to.getTime() + DAY_MS).toISOString(),
    firstDay: isoDay(from),
    lastDay: isoDay(to),
  };
}

// ---------- statistics ----------

async function loadStats() {
  const range = currentRange();
  if (!range) {
    showError('Choose a valid period.');
    return;
  }
  const seq = ++statsSeq;
  hideError();
  ui.dashboard.setAttribute('data-state', 'loading');
  ui.refresh.disabled = true;
  ui.status.textContent = 'Loading…';
  try {
    const params = { from: range.from, to: range.to };
    const [results, fraud] = await Promise.all([
      Promise.all(
        ['day', 'provider', 'country', 'channel'].map(function (groupBy) {
          return api('stats', Object.assign({ group_by: groupBy }, params));
        }),
      ),
      Promise.all([api('fraud/summary', params), api('fraud/blocks')]),
    ]);
    if (seq !== statsSeq) return;
    renderFraud(ui.fraud, fraud[0], fraud[1].items, openLiftDialog);
    renderTotals(results[0].totals || {}, results[0].currency);
    lastDaily = { groups: groupsOf(results[0]), range: range };
    renderDaily(ui.daily, lastDaily);
    renderBreakdown(ui.provider, groupsOf(results[1]), 'provider');
    renderBreakdown(ui.country, groupsOf(results[2]), 'country');
    renderChannels(ui.channels, results[3]);
    ui.status.textContent = 'Updated ' + fmtTime(new Date().toISOString()).slice(11) + ' UTC';
    ui.dashboard.setAttribute('data-state', 'ready');
  } catch (error) {
    if (seq !== statsSeq) return;
    ui.status.textContent = '';
    ui.dashboard.setAttribute('data-state', 'error');
    handleFailure(error, 'statistics');
  } finally {
    if (seq === statsSeq) ui.refresh.disabled = false;
  }
}
function groupsOf(result) {
  if (!Array.isArray(result && result.groups)) return [];
  return result.groups.filter(function (g) {
    return g && typeof g === 'object';
  });
}

function renderTotals(t, currency) {
  setText('kpi-requested', fmtInt(t.requested));
  setText('kpi-sent', fmtInt(t.sent));
  setText('kpi-delivered', fmtInt(t.delivered));
  setText('kpi-verified', fmtInt(t.verified));
  const conversion = finiteOrNull(t.conversion_rate);
  setText('kpi-conversion', fmtPct(conversion !== null ? conversion : ratio(t.verified, t.requested)));
  setText('kpi-median', fmtDuration(t.median_seconds_to_verify));
  const cost = fmtMoney(t.estimated_cost);
  const costless = cost === '—' || finiteOrNull(t.estimated_cost) === 0;
  if (currency) {
    setText('kpi-cost', cost);
    if (cost !== '—') byId('kpi-cost').appendChild(el('span', { className: 'kpi-unit' }, ' ' + currency));
    setText('kpi-cost-sub', 'vendor-stated cost, else SMS prices');
  } else {
    setText('kpi-cost', costless ? '—' : cost);
    setText('kpi-cost-sub', costless ? 'no SMS prices configured' : 'currency not configured');
  }
  setText('kpi-requested-sub', 'codes asked for');
  const sentShare = ratio(t.sent, t.requested);
  setText('kpi-sent-sub', sentShare === null ? '' : fmtPct(sentShare) + ' of requested');
  const delivery = ratio(t.delivered, t.sent);
  setText('kpi-delivered-sub', delivery === null ? '' : fmtPct(delivery) + ' of sent');
  setText('kpi-verified-sub', 'correct code entered');
  setText('kpi-failed', fmtInt(t.failed));
  setText('kpi-expired', fmtInt(t.expired));
  setText('kpi-max-attempts', fmtInt(t.max_attempts));
}

// ---------- phone lookup ----------

const PAGES = {
  verifications: {
    path: 'verifications',
    container: ui.verifications,
    moreButton: ui.verificationsMore,
    limit: 20,
    cursorName: 'verificationsCursor',
    what: 'verifications',
    render: renderVerifications,
    emptyMessage: 'No codes were sent to this number.',
  },
  audit: {
    path: 'audit',
    container: ui.audit,
    moreButton: ui.auditMore,
    limit: 50,
    cursorName: 'auditCursor',
    what: 'audit events',
    render: renderAudit,
    emptyMessage: 'No audit events for this number.',
  },
};

function searchPhone() {
  const phone = ui.phoneInput.value.trim();
  if (!phone) return;
  setResult('idle', '');
  lookupPhone(phone);
}

/** Loads the phone's state, codes and audit events afresh (a search, or after an action on it). */
async function lookupPhone(phone) {
  const seq = ++historySeq;
  lookup = { phone: phone, verificationsCursor: null, auditCursor: null };
  hideError();
  ui.history.hidden = false;
  ui.phonePanel.hidden = false;
  [ui.verifications, ui.audit].forEach(function (c) {
    clear(c);
    c.setAttribute('data-state', 'loading');
    c.appendChild(emptyState('Loading…', true));
  });
  ui.verificationsMore.hidden = true;
  ui.auditMore.hidden = true;
  phoneState = null;
  clear(ui.phoneStatus);
  ui.phoneStatus.setAttribute('data-state', 'loading');
  ui.phoneStatus.appendChild(el('span', { className: 'muted' }, 'Loading…'));
  updateActions();
  const results = await Promise.allSettled([
    api('phones/' + encodeURIComponent(phone)),
    api('verifications', { phone: phone, limit: PAGE_SIZE || PAGES.verifications.limit }),
    api('audit', { phone: phone, limit: PAGE_SIZE || PAGES.audit.limit }),
  ]);
  if (seq !== historySeq) return;
  showStatus(results[0]);
  if (seq !== historySeq) return;
  showPage('verifications', results[1], true);
  if (seq !== historySeq) return;
  showPage('audit', results[2], true);
}

function showPage(kind, result, fresh) {
  const page = PAGES[kind];
  const container = page.container;
  if (fresh) clear(container);
  if (result.status === 'rejected') {
    container.setAttribute('data-state', 'error');
    if (fresh) container.appendChild(emptyState('Could not load ' + page.what + '.', true));
    handleFailure(result.reason, page.what);
    return;
  }
  const items = Array.isArray(result.value.items) ? result.value.items : [];
  if (fresh && items.length === 0) container.appendChild(emptyState(page.emptyMessage, true));
  else if (items.length > 0) page.render(container, items);
  const next = result.value.next_cursor;
  lookup[page.cursorName] = typeof next === 'string' && next ? next : null;
  page.moreButton.hidden = !lookup[page.cursorName];
  container.setAttribute('data-state', 'ready');
}

async function loadMore(kind) {
  const page = PAGES[kind];
  const button = page.moreButton;
  if (!lookup.phone || !lookup[page.cursorName]) return;
  const seq = historySeq;
  button.disabled = true;
  page.container.setAttribute('data-state', 'loading');
  let result;
  try {
    const params = { phone: lookup.phone, cursor: lookup[page.cursorName], limit: PAGE_SIZE || page.limit };
    result = { status: 'fulfilled', value: await api(page.path, params) };
  } catch (error) {
    result = { status: 'rejected', reason: error };
  }
  button.disabled = false;
  if (seq !== historySeq) return;
  showPage(kind, result, false);
}

// ---------- phone state and operator actions ----------

function isLocked(status) {
  if (!status || !status.locked_until) return false;
  const until = Date.parse(status.locked_until);
  return Number.isNaN(until) || until > Date.now();
}

function showStatus(result) {
  clear(ui.phoneStatus);
  if (result.status === 'rejected') {
    phoneState = null;
    ui.phoneStatus.setAttribute('data-state', 'error');
    ui.phoneStatus.appendChild(el('span', { className: 'muted' }, 'Could not load the state of this number.'));
    updateActions();
    handleFailure(result.reason, 'the state of this number');
    return;
  }
  const s = result.value;
  phoneState = s;
  const blocked = s.blocked && typeof s.blocked === 'object' ? s.blocked : null;
  const locked = isLocked(s);
  const user = s.user && typeof s.user === 'object' ? s.user : null;
  ui.phoneStatus.setAttribute('data-blocked', String(Boolean(blocked)));
  ui.phoneStatus.setAttribute('data-locked', String(locked));

  const parts = [
    el('span', { className: 'mono status-phone', data: { testid: 'status-phone' } }, text(s.phone_number)),
  ];
  parts.push(
    blocked
      ? el('span', { className: 'status-item', data: { testid: 'status-blocked' } }, [
          badge('blocked', 'bad'),
          ' since ' + fmtTime(blocked.blocked_at) + ' UTC',
          blocked.note
            ? el('span', { className: 'status-note' }, [
                el('span', { className: 'muted' }, 'Note: '),
                el('span', { data: { testid: 'status-block-note' } }, String(blocked.note)),
              ])
            : null,
        ])
      : el('span', { className: 'status-item', data: { testid: 'status-blocked' } }, badge('not blocked', 'good')),
  );
  parts.push(
    locked
      ? el('span', { className: 'status-item', data: { testid: 'status-locked' } }, [
          badge('locked', 'warn'),
          ' until ' + fmtTime(s.locked_until) + ' UTC',
        ])
      : el('span', { className: 'status-item', data: { testid: 'status-locked' } }, badge('not locked', 'good')),
  );
  parts.push(
    user
      ? el('span', { className: 'status-item', data: { testid: 'status-user' } }, [
          el('span', { className: 'muted' }, 'User '),
          el('span', { className: 'mono', data: { testid: 'status-user-id' } }, text(user.id)),
          ' · ',
          el(
            'span',
            { data: { testid: 'status-sessions', count: activeSessions(s) } },
            plural(activeSessions(s), 'active session'),
          ),
          el(
            'span',
            { className: 'muted' },
            ' · created ' + fmtTime(user.created_at) + ' · last login ' + fmtTime(user.last_login_at),
          ),
        ])
      : el('span', { className: 'status-item muted', data: { testid: 'status-user' } }, 'No user yet'),
  );
  parts.forEach(function (part) {
    ui.phoneStatus.appendChild(part);
  });
  ui.phoneStatus.setAttribute('data-state', 'ready');
  updateActions();
}

/** Which buttons apply to the phone's current state; all off while its state is unknown or an action runs. */
function updateActions() {
  const s = phoneState;
  const ready = Boolean(s) && !acting;
  const blocked = Boolean(s && s.blocked);
  ui.actions.unlock.disabled = !ready || !isLocked(s);
  ui.actions.block.hidden = blocked;
  ui.actions.block.disabled = !ready;
  ui.actions.unblock.hidden = !blocked;
  ui.actions.unblock.disabled = !ready;
  ui.actions.revoke.disabled = !ready || activeSessions(s) === 0;
  ui.actions.unlock.title = s && !isLocked(s) ? 'This number is not locked.' : '';
  ui.actions.revoke.title = s && activeSessions(s) === 0 ? (s.user ? 'No active sessions.' : 'No user yet.') : '';
}

function setFraudResult(state, message) {
  ui.fraudResult.setAttribute('data-state', state);
  ui.fraudResult.textContent = message;
}
function setResult(state, message) {
  ui.actionResult.setAttribute('data-state', state);
  ui.actionResult.textContent = message;
}

function openDialog(kind) {
  if (!phoneState) return;
  askToConfirm(kind, phoneState, ui.actions[kind]);
}
/** Lifting a prefix block: the same confirmation as the phone actions, about the block. */
function openLiftDialog(block, opener) {
  askToConfirm('lift', block, opener);
}
/** Opens the confirmation of `kind` about `subject` (a phone's state, or a prefix block). */
function askToConfirm(kind, subject, opener) {
  if (acting) return;
  const danger = kind === 'block' || kind === 'revoke';
  pendingAction = { kind: kind, status: subject, opener: opener };
  ui.confirmTitle.textContent = ACTION_LABELS[kind].title;
  ui.confirmMessage.textContent = confirmText(kind, subject);
  ui.confirmOk.textContent = ACTION_LABELS[kind].confirm;
  ui.confirmOk.classList.toggle('btn-danger', danger);
  ui.confirmOk.classList.toggle('btn-primary', !danger);
  ui.confirmNote.value = '';
  ui.dialog.setAttribute('data-action', kind);
  if (!ui.dialog.open) ui.dialog.showModal();
  ui.confirmCancel.focus();
}
function closeDialog() {
  pendingAction = null;
  if (ui.dialog.open) ui.dialog.close();
  ui.dialog.removeAttribute('data-action');
}

const ACTION_REQUESTS = {
  unlock: function (s) {
    return { path: 'phones/' + encodeURIComponent(s.phone_number) + '/unlock', method: 'POST', busy: 'Unlocking…' };
  },
  block: function (s) {
    return { path: 'phones/' + encodeURIComponent(s.phone_number) + '/block', method: 'POST', busy: 'Blocking…' };
  },
  unblock: function (s) {
    return { path: 'phones/' + encodeURIComponent(s.phone_number) + '/block', method: 'DELETE', busy: 'Unblocking…' };
  },
  lift: function (block) {
    return { path: 'fraud/blocks/' + encodeURIComponent(block.prefix), method: 'DELETE', busy: 'Lifting…' };
  },
  revoke: function (s) {
    return {
      path: 'users/' + encodeURIComponent(s.user.id) + '/revoke-sessions',
      method: 'POST',
      busy: 'Revoking sessions…',
    };
  },
};

async function runAction() {
  const action = pendingAction;
  if (!action || acting) return;
  const note = ui.confirmNote.value.trim().slice(0, 500);
  closeDialog();
  const request = ACTION_REQUESTS[action.kind](action.status);
  const phone = lookup.phone;
  acting = true;
  updateActions();
  if (action.kind === 'lift') setFraudResult('busy', request.busy);
  else setResult('busy', request.busy);
  let outcome;
  try {
    const body = await api(request.path, null, { method: request.method, body: note ? { note: note } : {} });
    outcome = { state: 'success', message: resultText(action.kind, body) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      acting = false;
      handleFailure(error, 'the action');
      return;
    }
    const code = error instanceof ApiError && error.code ? error.code : 'ERROR';
    const status = error instanceof ApiError && error.status ? ' (HTTP ' + error.status + ')' : '';
    outcome = {
      state: 'error',
      message: ACTION_LABELS[action.kind].confirm + ' failed: ' + code + status + ': ' + String(error.message),
    };
  }
  acting = false;
  if (ui.dashboard.hidden) return; // signed out meanwhile
  if (action.kind === 'lift') {
    setFraudResult(outcome.state, outcome.message);
    await loadStats();
    return;
  }
  if (lookup.phone === phone && phone) {
    setResult(outcome.state, outcome.message);
    // The state and the lists as they are now (the action is in the audit trail).
    await lookupPhone(phone);
  } else {
    // Another number was looked up meanwhile: say which number the result is about.
    setResult(outcome.state, text(action.status.phone_number) + ': ' + outcome.message);
    updateActions();
  }
  restoreFocus(action);
}

/** The buttons were disabled while the call ran, which drops focus: back to the button, or its counterpart. */
function restoreFocus(action) {
  const active = document.activeElement;
  if (active && active !== document.body) return;
  const counterpart = { block: 'unblock', unblock: 'block' }[action.kind];
  const candidates = [action.opener, counterpart ? ui.actions[counterpart] : null, ui.phoneInput];
  for (const node of candidates) {
    if (node && !node.hidden && !node.disabled) {
      node.focus();
      return;
    }
  }
}

// ---------- wiring ----------

ui.keyForm.addEventListener('submit', function (event) {
  event.preventDefault();
  const key = ui.keyInput.value.trim();
  if (!key) return;
  setKey(key);
  ui.keyInput.value = '';
  hideError();
  showDashboard();
  loadStats();
});
ui.signOut.addEventListener('click', function () {
  signOut();
});
ui.rangeForm.addEventListener('submit', function (event) {
  event.preventDefault();
  markPreset();
  loadStats();
});
[ui.from, ui.to].forEach(function (input) {
  input.addEventListener('change', markPreset);
});
Array.prototype.forEach.call(document.querySelectorAll('[data-days]'), function (button) {
  button.addEventListener('click', function () {
    setRange(Number(button.getAttribute('data-days')));
    loadStats();
  });
});
ui.phoneForm.addEventListener('submit', function (event) {
  event.preventDefault();
  searchPhone();
});
ui.verificationsMore.addEventListener('click', function () {
  loadMore('verifications');
});
ui.auditMore.addEventListener('click', function () {
  loadMore('audit');
});
Object.keys(ui.actions).forEach(function (kind) {
  ui.actions[kind].addEventListener('click', function () {
    openDialog(kind);
  });
});
ui.confirmForm.addEventListener('submit', function (event) {
  event.preventDefault();
  runAction();
});
ui.confirmCancel.addEventListener('click', closeDialog);
// However the dialog closes (Cancel, Escape, after an action), nothing stays pending.
ui.dialog.addEventListener('close', function () {
  pendingAction = null;
  ui.dialog.removeAttribute('data-action');
});
let resizeTimer = null;
window.addEventListener('resize', function () {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(function () {
    renderDaily(ui.daily, lastDaily);
  }, 150);
});

setRange(7);
if (memoryKey) {
  showDashboard();
  loadStats();
} else {
  showKeyForm();
}
