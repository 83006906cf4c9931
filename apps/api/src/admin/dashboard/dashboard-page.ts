/**
 * The operators' dashboard: one self-contained HTML document (inline CSS, inline vanilla JS, charts
 * drawn as inline SVG), served at GET /admin by DashboardController. It loads nothing from elsewhere;
 * its data comes from the admin JSON API (`/api/v1/admin/stats|verifications|audit`) with the admin
 * key the operator types in, kept in sessionStorage.
 *
 * Every value from the API reaches the DOM through textContent or setAttribute on a fixed attribute
 * name: the page never parses HTML built from data. The CSP allows only the nonced <style> and
 * <script> blocks below; `__CSP_NONCE__` is replaced per response (see renderDashboard).
 *
 * Written with String.raw so the script's backslashes stay as typed; the script itself uses no
 * backticks and no dollar-brace sequences.
 */
export const DASHBOARD_NONCE_PLACEHOLDER = '__CSP_NONCE__';

export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>sms-auth · Operations dashboard</title>
<link rel="icon" href="data:,">
<style nonce="__CSP_NONCE__">
:root {
  --bg: #f5f6f8; --card: #ffffff; --border: #e2e5ea; --border-strong: #cfd4dc;
  --text: #1c2430; --muted: #667085; --faint: #98a2b3;
  --accent: #2f6fde; --accent-soft: #e8f0fd; --accent-text: #1d4fae;
  --green: #1f9d55; --green-soft: #e5f6ec; --green-text: #14703b;
  --red: #d64545; --red-soft: #fdeaea; --red-text: #a12a2a;
  --amber: #c77c0e; --amber-soft: #fdf3e1; --amber-text: #8a5200;
  --gray-soft: #eef0f3; --gray-text: #4b5563;
  --series-requested: #93b4ee; --series-verified: #1f9d55;
  --radius: 10px; --shadow: 0 1px 2px rgba(16, 24, 40, .04);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; padding: 0; }
body {
  background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  -webkit-font-smoothing: antialiased;
}
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
h1, h2, h3 { margin: 0; font-weight: 600; }
h2 { font-size: 15px; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.muted { color: var(--muted); }
.small { font-size: 12px; }
button, input { font: inherit; color: inherit; }

.topbar {
  display: flex; align-items: center; justify-content: space-between; gap: 16px;
  padding: 12px 24px; background: var(--card); border-bottom: 1px solid var(--border);
  position: sticky; top: 0; z-index: 5;
}
.brand { display: flex; align-items: center; gap: 12px; }
.logo {
  width: 30px; height: 30px; border-radius: 8px; flex: none;
  background: linear-gradient(135deg, #2f6fde, #1f9d55); position: relative;
}
.logo::after {
  content: ""; position: absolute; inset: 9px 7px; border: 2px solid #fff; border-radius: 4px 4px 4px 0;
}
.brand h1 { font-size: 16px; line-height: 1.2; }
.brand p { margin: 0; font-size: 12px; color: var(--muted); }

main, #dashboard { display: grid; gap: 16px; }
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 48px; }
.card {
  background: var(--card); border: 1px solid var(--border); border-radius: var(--radius);
  box-shadow: var(--shadow); padding: 16px 18px;
}
.card-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.card-head p { margin: 2px 0 0; }

.btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  height: 34px; padding: 0 14px; border-radius: 8px; border: 1px solid var(--border-strong);
  background: var(--card); cursor: pointer; font-weight: 500; white-space: nowrap;
}
.btn:hover { background: #f8f9fb; }
.btn:disabled { opacity: .55; cursor: default; }
.btn-primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn-primary:hover { background: #2a62c6; }
.btn-small { height: 28px; padding: 0 10px; font-size: 12.5px; }
.btn.active { background: var(--accent-soft); border-color: #b9cff5; color: var(--accent-text); }
input[type=password], input[type=text], input[type=search], input[type=date] {
  height: 34px; padding: 0 10px; border: 1px solid var(--border-strong); border-radius: 8px; background: #fff; min-width: 0;
}
input:focus-visible, .btn:focus-visible { outline: 2px solid #9bbcf3; outline-offset: 1px; }

.banner {
  border-radius: var(--radius); padding: 12px 16px; border: 1px solid #f3c1c1;
  background: var(--red-soft); color: var(--red-text); font-weight: 500;
}

.key-card { max-width: 520px; margin: 48px auto 0; width: 100%; padding: 24px; }
.key-card h2 { font-size: 18px; margin-bottom: 6px; }
.key-card p { margin: 0 0 16px; }
.key-card label { display: block; font-weight: 500; margin-bottom: 6px; }
.row { display: flex; gap: 8px; }
.row input { flex: 1; }

.toolbar { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px; padding: 12px 16px; }
.toolbar form { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }
.toolbar label { display: inline-flex; align-items: center; gap: 6px; color: var(--muted); font-weight: 500; }
.presets { display: inline-flex; gap: 4px; }
.status-line { color: var(--muted); font-size: 12.5px; }

.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.kpi { padding: 14px 16px; }
.kpi-label { color: var(--muted); font-size: 12px; font-weight: 500; text-transform: uppercase; letter-spacing: .04em; }
.kpi-value { display: block; font-size: 26px; font-weight: 650; line-height: 1.25; margin-top: 4px; font-variant-numeric: tabular-nums; letter-spacing: -.01em; }
.kpi-unit { font-size: 14px; font-weight: 600; color: var(--muted); letter-spacing: 0; }
.kpi-sub { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; min-height: 17px; }
.secondary { display: flex; flex-wrap: wrap; gap: 8px 20px; color: var(--muted); font-size: 12.5px; padding: 0 2px; }
.secondary b { color: var(--text); font-weight: 600; font-variant-numeric: tabular-nums; }

.legend { display: inline-flex; gap: 14px; color: var(--muted); font-size: 12.5px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.swatch-requested { background: var(--series-requested); }
.swatch-verified { background: var(--series-verified); }
.chart { width: 100%; min-height: 120px; }
.chart svg { display: block; width: 100%; height: auto; overflow: visible; }
.chart text { font-size: 11px; fill: var(--muted); }
.chart .grid { stroke: #edf0f3; }
.chart .axis { stroke: var(--border-strong); }
.chart .bar-requested { fill: var(--series-requested); }
.chart .bar-verified { fill: var(--series-verified); }
.chart .bar:hover { opacity: .8; }
.empty {
  display: flex; align-items: center; justify-content: center; min-height: 120px; padding: 16px;
  color: var(--muted); background: #fafbfc; border: 1px dashed var(--border); border-radius: 8px; text-align: center;
}
.empty.compact { min-height: 64px; }

.grid-2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .grid-2 { grid-template-columns: minmax(0, 1fr); } }

table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; padding: 6px 8px; border-bottom: 1px solid var(--border); white-space: nowrap; }
td { padding: 8px; border-bottom: 1px solid #f0f2f5; vertical-align: top; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.breakdown td { vertical-align: middle; }
.key-cell { font-weight: 600; }
.key-cell .muted { font-weight: 400; margin-left: 6px; font-size: 12px; }
.meter { display: flex; align-items: center; gap: 8px; min-width: 120px; }
.track { flex: 1; height: 8px; border-radius: 4px; background: #eef1f5; overflow: hidden; }
.fill { height: 100%; border-radius: 4px; width: 0; }
.fill-conversion { background: var(--series-verified); }
.fill-delivery { background: var(--accent); }
.meter-value { width: 48px; text-align: right; font-variant-numeric: tabular-nums; font-size: 12.5px; }

.lookup-form { display: flex; gap: 8px; flex-wrap: wrap; margin-bottom: 16px; }
.lookup-form input { flex: 1 1 260px; max-width: 420px; }
.history { display: grid; gap: 20px; }
.history h3 { margin-bottom: 8px; }
.list { display: grid; gap: 10px; }
.vcard { border: 1px solid var(--border); border-radius: 8px; padding: 12px 14px; background: #fcfcfd; }
.vcard-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; margin-bottom: 8px; }
.vcard-head .when { font-weight: 600; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 6px 16px; margin: 0; }
.fields div { min-width: 0; }
.fields dt { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; }
.fields dd { margin: 0; overflow-wrap: anywhere; }
.fields .wide { grid-column: 1 / -1; }
.deliveries { margin-top: 10px; }
.deliveries table { font-size: 12.5px; background: #fff; border: 1px solid var(--border); border-radius: 6px; }
.audit-table td { font-size: 13px; }
.audit-table .details { overflow-wrap: anywhere; color: var(--gray-text); }
.audit-table .details span { display: inline-block; margin-right: 10px; }
.table-wrap { overflow-x: auto; }
.nowrap { white-space: nowrap; }
.more { margin-top: 10px; }

.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: var(--gray-soft); color: var(--gray-text); white-space: nowrap;
}
.badge.good { background: var(--green-soft); color: var(--green-text); }
.badge.bad { background: var(--red-soft); color: var(--red-text); }
.badge.warn { background: var(--amber-soft); color: var(--amber-text); }
.badge.info { background: var(--accent-soft); color: var(--accent-text); }

@media (max-width: 640px) {
  main { padding: 12px; }
  .topbar { padding: 10px 12px; }
  .kpi-value { font-size: 22px; }
}
</style>
</head>
<body>
<header class="topbar">
  <div class="brand">
    <span class="logo" aria-hidden="true"></span>
    <div><h1>sms-auth</h1><p>Operations dashboard</p></div>
  </div>
  <button type="button" class="btn btn-small" id="sign-out" data-testid="sign-out" hidden>Sign out</button>
</header>

<main>
  <div id="error-banner" class="banner" data-testid="error-banner" role="alert" hidden></div>

  <section id="key-panel" class="card key-card" data-testid="key-panel" hidden>
    <h2>Sign in</h2>
    <p class="muted">Enter the <code>ADMIN_API_KEY</code> configured on this server. It is kept in this tab only
      (sessionStorage) and sent as a bearer token to the admin API.</p>
    <form id="key-form" data-testid="key-form" autocomplete="off">
      <label for="key-input">Admin API key</label>
      <div class="row">
        <input id="key-input" data-testid="key-input" type="password" name="key" required autocomplete="off" spellcheck="false">
        <button type="submit" class="btn btn-primary" data-testid="key-submit">Open dashboard</button>
      </div>
    </form>
  </section>

  <div id="dashboard" data-testid="dashboard" data-state="idle" hidden>
    <section class="card toolbar" aria-label="Period">
      <form id="range-form" data-testid="range-form">
        <label>From <input type="date" id="from-input" data-testid="from-input" required></label>
        <label>To <input type="date" id="to-input" data-testid="to-input" required></label>
        <span class="presets">
          <button type="button" class="btn btn-small" data-days="1">Today</button>
          <button type="button" class="btn btn-small" data-days="7">7 days</button>
          <button type="button" class="btn btn-small" data-days="30">30 days</button>
          <button type="button" class="btn btn-small" data-days="90">90 days</button>
        </span>
        <button type="submit" class="btn btn-primary" id="refresh" data-testid="refresh">Refresh</button>
      </form>
      <span id="status-line" class="status-line" data-testid="status-line" aria-live="polite"></span>
    </section>

    <section class="kpis" data-testid="kpis" aria-label="Totals">
      <div class="card kpi"><span class="kpi-label">Requested</span><span class="kpi-value" id="kpi-requested" data-testid="kpi-requested">—</span><span class="kpi-sub" id="kpi-requested-sub"></span></div>
      <div class="card kpi"><span class="kpi-label">Sent</span><span class="kpi-value" id="kpi-sent" data-testid="kpi-sent">—</span><span class="kpi-sub" id="kpi-sent-sub"></span></div>
      <div class="card kpi"><span class="kpi-label">Delivered</span><span class="kpi-value" id="kpi-delivered" data-testid="kpi-delivered">—</span><span class="kpi-sub" id="kpi-delivered-sub"></span></div>
      <div class="card kpi"><span class="kpi-label">Verified</span><span class="kpi-value" id="kpi-verified" data-testid="kpi-verified">—</span><span class="kpi-sub" id="kpi-verified-sub"></span></div>
      <div class="card kpi"><span class="kpi-label">Conversion</span><span class="kpi-value" id="kpi-conversion" data-testid="kpi-conversion">—</span><span class="kpi-sub">verified / requested</span></div>
      <div class="card kpi"><span class="kpi-label">Median verify time</span><span class="kpi-value" id="kpi-median" data-testid="kpi-median">—</span><span class="kpi-sub">until the right code</span></div>
      <div class="card kpi"><span class="kpi-label">Estimated cost</span><span class="kpi-value" id="kpi-cost" data-testid="kpi-cost">—</span><span class="kpi-sub" id="kpi-cost-sub"></span></div>
    </section>
    <div class="secondary" data-testid="kpi-secondary">
      <span>Failed to send <b id="kpi-failed" data-testid="kpi-failed">—</b></span>
      <span>Expired <b id="kpi-expired" data-testid="kpi-expired">—</b></span>
      <span>Max attempts reached <b id="kpi-max-attempts" data-testid="kpi-max-attempts">—</b></span>
      <span>Dates and times are UTC</span>
    </div>

    <section class="card" aria-labelledby="daily-title">
      <div class="card-head">
        <h2 id="daily-title">Requests vs verified per day</h2>
        <span class="legend"><span><i class="swatch swatch-requested"></i>Requested</span><span><i class="swatch swatch-verified"></i>Verified</span></span>
      </div>
      <div id="chart-daily" class="chart" data-testid="chart-daily"></div>
    </section>

    <div class="grid-2">
      <section class="card" aria-labelledby="provider-title">
        <div class="card-head"><div><h2 id="provider-title">Conversion and delivery per vendor</h2>
          <p class="muted small">Conversion = verified / requested · Delivery = delivered / sent</p></div></div>
        <div id="chart-provider" data-testid="chart-provider"></div>
      </section>
      <section class="card" aria-labelledby="country-title">
        <div class="card-head"><div><h2 id="country-title">Conversion and delivery per country</h2>
          <p class="muted small">Conversion = verified / requested · Delivery = delivered / sent</p></div></div>
        <div id="chart-country" data-testid="chart-country"></div>
      </section>
    </div>

    <section class="card" aria-labelledby="lookup-title">
      <div class="card-head"><div><h2 id="lookup-title">Phone lookup</h2>
        <p class="muted small">Every code sent to a number and its audit trail, newest first. Any format: +7 701 234-56-78, 87012345678…</p></div></div>
      <form id="phone-form" class="lookup-form" data-testid="phone-form" autocomplete="off">
        <input type="search" id="phone-input" data-testid="phone-input" placeholder="Phone number" aria-label="Phone number" required maxlength="32" spellcheck="false">
        <button type="submit" class="btn btn-primary" data-testid="phone-search">Search</button>
      </form>
      <div id="history" class="history" hidden>
        <div>
          <h3>Verifications</h3>
          <div id="history-verifications" data-testid="history-verifications" data-state="idle"></div>
          <button type="button" class="btn btn-small more" id="verifications-more" data-testid="verifications-more" hidden>Load more verifications</button>
        </div>
        <div>
          <h3>Audit events</h3>
          <div id="history-audit" data-testid="history-audit" data-state="idle"></div>
          <button type="button" class="btn btn-small more" id="audit-more" data-testid="audit-more" hidden>Load more events</button>
        </div>
      </div>
    </section>
  </div>
</main>

<script nonce="__CSP_NONCE__">
(function () {
  'use strict';

  var KEY_STORAGE = 'sms-auth.admin-key';
  var API_BASE = window.location.pathname.replace(/\/admin\/?$/, '') + '/api/v1/admin/';
  var DAY_MS = 86400000;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  /** ?page_size=N (1..200) overrides the phone lookup page sizes, e.g. to walk next_cursor page by page. */
  var PAGE_SIZE = (function () {
    var n = Number(new URLSearchParams(window.location.search).get('page_size'));
    return Number.isInteger(n) && n >= 1 && n <= 200 ? n : null;
  })();
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  var byId = function (id) { return document.getElementById(id); };
  var ui = {
    banner: byId('error-banner'), keyPanel: byId('key-panel'), keyForm: byId('key-form'), keyInput: byId('key-input'),
    signOut: byId('sign-out'), dashboard: byId('dashboard'), rangeForm: byId('range-form'), from: byId('from-input'),
    to: byId('to-input'), refresh: byId('refresh'), status: byId('status-line'), daily: byId('chart-daily'),
    provider: byId('chart-provider'), country: byId('chart-country'), phoneForm: byId('phone-form'),
    phoneInput: byId('phone-input'), history: byId('history'), verifications: byId('history-verifications'),
    audit: byId('history-audit'), verificationsMore: byId('verifications-more'), auditMore: byId('audit-more'),
  };

  var statsSeq = 0;
  var historySeq = 0;
  var lastDaily = null;
  var lookup = { phone: null, verificationsCursor: null, auditCursor: null };

  // ---------- small helpers (every value reaches the DOM as text) ----------

  /** el('td', {className: 'num', title: '…', data: {testid: 'x'}}, ['text', node, …]) */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    applyProps(node, props);
    append(node, children);
    return node;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, String(attrs[name])); });
    append(node, children);
    return node;
  }
  function applyProps(node, props) {
    if (!props) return;
    if (props.className) node.className = props.className;
    if (props.title != null) node.title = String(props.title);
    if (props.data) Object.keys(props.data).forEach(function (k) { node.setAttribute('data-' + k, String(props.data[k])); });
    if (props.attrs) Object.keys(props.attrs).forEach(function (k) { node.setAttribute(k, String(props.attrs[k])); });
  }
  function append(node, children) {
    if (children == null) return;
    (Array.isArray(children) ? children : [children]).forEach(function (child) {
      if (child == null || child === false) return;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function setText(id, text) { byId(id).textContent = text; }

  function num(value) { var n = Number(value); return Number.isFinite(n) ? n : 0; }
  function ratio(part, whole) { var p = num(part), w = num(whole); return w > 0 ? p / w : null; }
  function finiteOrNull(value) {
    if (value === null || value === undefined || value === '') return null;
    var n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  function fmtInt(value) { return Math.round(num(value)).toLocaleString('en-US'); }
  function fmtPct(r) { return r === null || !Number.isFinite(r) ? '—' : (Math.round(r * 1000) / 10).toFixed(1) + '%'; }
  function fmtDuration(value) {
    var s = finiteOrNull(value);
    if (s === null || s < 0) return '—';
    if (s < 0.1) return '< 0.1 s';
    if (s < 10) return s.toFixed(1) + ' s';
    if (s < 60) return Math.round(s) + ' s';
    var total = Math.round(s);
    if (total < 3600) return Math.floor(total / 60) + ' min ' + pad2(total % 60) + ' s';
    return Math.floor(total / 3600) + ' h ' + pad2(Math.floor((total % 3600) / 60)) + ' min';
  }
  function fmtMoney(value) {
    var n = finiteOrNull(value);
    if (n === null) return '—';
    return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: Math.abs(n) > 0 && Math.abs(n) < 1 ? 4 : 2 });
  }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function isoDay(date) { return date.toISOString().slice(0, 10); }
  function parseDay(day) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
    return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
  }
  function shortDay(day) {
    var d = parseDay(day);
    return d ? MONTHS[d.getUTCMonth()] + ' ' + d.getUTCDate() : String(day);
  }
  function fmtTime(value) {
    if (!value) return '—';
    var d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    return isoDay(d) + ' ' + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
  }
  function text(value) { return value === null || value === undefined || value === '' ? '—' : String(value); }
  var countryNames = null;
  try { countryNames = new Intl.DisplayNames(['en'], { type: 'region' }); } catch (e) { countryNames = null; }
  function countryName(code) {
    if (!countryNames || !/^[A-Z]{2}$/.test(code || '')) return null;
    try { var name = countryNames.of(code); return name && name !== code ? name : null; } catch (e) { return null; }
  }

  function badge(value, tone) { return el('span', { className: 'badge ' + (tone || '') }, text(value)); }
  var STATUS_TONES = { approved: 'good', pending: 'info', failed: 'bad', max_attempts_reached: 'bad', expired: 'warn', canceled: '' };
  var DELIVERY_TONES = { delivered: 'good', sent: 'info', queued: 'info', accepted: 'info', failed: 'bad', rejected: 'bad', undelivered: 'bad', expired: 'warn' };
  function tone(map, value) { return Object.prototype.hasOwnProperty.call(map, value) ? map[value] : ''; }

  // ---------- errors, key handling ----------

  function showError(message) { ui.banner.textContent = message; ui.banner.hidden = false; }
  function hideError() { ui.banner.hidden = true; ui.banner.textContent = ''; }

  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }

  function getKey() { try { return sessionStorage.getItem(KEY_STORAGE) || ''; } catch (e) { return ''; } }
  function setKey(key) { try { sessionStorage.setItem(KEY_STORAGE, key); } catch (e) { /* private mode: the key lives for this page only */ } memoryKey = key; }
  function dropKey() { try { sessionStorage.removeItem(KEY_STORAGE); } catch (e) { /* nothing stored */ } memoryKey = ''; }
  var memoryKey = getKey();

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
  function resetData() {
    statsSeq += 1;
    historySeq += 1;
    lastDaily = null;
    ['kpi-requested', 'kpi-sent', 'kpi-delivered', 'kpi-verified', 'kpi-conversion', 'kpi-median', 'kpi-cost', 'kpi-failed', 'kpi-expired', 'kpi-max-attempts']
      .forEach(function (id) { setText(id, '—'); });
    ['kpi-requested-sub', 'kpi-sent-sub', 'kpi-delivered-sub', 'kpi-verified-sub', 'kpi-cost-sub'].forEach(function (id) { setText(id, ''); });
    [ui.daily, ui.provider, ui.country, ui.verifications, ui.audit].forEach(clear);
    ui.history.hidden = true;
    ui.verificationsMore.hidden = true;
    ui.auditMore.hidden = true;
    ui.status.textContent = '';
    ui.phoneInput.value = '';
    lookup = { phone: null, verificationsCursor: null, auditCursor: null };
    ui.dashboard.setAttribute('data-state', 'idle');
  }
  function signOut(message) {
    dropKey();
    resetData();
    if (message) showError(message); else hideError();
    showKeyForm();
  }
  function handleFailure(error, what) {
    if (error instanceof ApiError && error.status === 401) {
      signOut('The admin key was refused (401 ' + (error.code || 'UNAUTHORIZED') + '). Enter the ADMIN_API_KEY configured on the server.');
      return;
    }
    var detail = error instanceof ApiError
      ? (error.status ? 'HTTP ' + error.status + (error.code ? ' ' + error.code : '') + ': ' : '') + error.message
      : String((error && error.message) || error);
    showError('Could not load ' + what + '. ' + detail);
  }

  async function api(path, params) {
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (name) {
      var value = params[name];
      if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
    });
    var url = API_BASE + path + (query.toString() ? '?' + query.toString() : '');
    var response;
    try {
      response = await fetch(url, {
        headers: { Authorization: 'Bearer ' + memoryKey, Accept: 'application/json' },
        cache: 'no-store', credentials: 'omit', redirect: 'error',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', 'The server did not answer (' + ((e && e.message) || 'network error') + ').');
    }
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    var err = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
    if (!response.ok || !body || body.success !== true) {
      throw new ApiError(response.status, err && typeof err.code === 'string' ? err.code : null,
        err && typeof err.message === 'string' ? err.message : (response.ok ? 'Unexpected answer from the server.' : (response.statusText || 'Request failed') + '.'));
    }
    return body;
  }

  // ---------- period ----------

  function setRange(days) {
    var today = new Date();
    ui.to.value = isoDay(today);
    ui.from.value = isoDay(new Date(today.getTime() - (days - 1) * DAY_MS));
    markPreset();
  }
  function markPreset() {
    var from = parseDay(ui.from.value), to = parseDay(ui.to.value), today = isoDay(new Date());
    var span = from && to ? Math.round((to - from) / DAY_MS) + 1 : null;
    Array.prototype.forEach.call(document.querySelectorAll('[data-days]'), function (button) {
      button.classList.toggle('active', ui.to.value === today && span === Number(button.getAttribute('data-days')));
    });
  }
  /** The selected UTC days as an [from, to) interval of instants. */
  function currentRange() {
    var from = parseDay(ui.from.value), to = parseDay(ui.to.value);
    if (!from || !to) return null;
    if (from > to) { var swap = from; from = to; to = swap; ui.from.value = isoDay(from); ui.to.value = isoDay(to); }
    return { from: from.toISOString(), to: new Date(to.getTime() + DAY_MS).toISOString(), firstDay: isoDay(from), lastDay: isoDay(to) };
  }

  // ---------- statistics ----------

  async function loadStats() {
    var range = currentRange();
    if (!range) { showError('Choose a valid period.'); return; }
    var seq = ++statsSeq;
    hideError();
    ui.dashboard.setAttribute('data-state', 'loading');
    ui.refresh.disabled = true;
    ui.status.textContent = 'Loading…';
    try {
      var params = { from: range.from, to: range.to };
      var results = await Promise.all(['day', 'provider', 'country'].map(function (groupBy) {
        return api('stats', Object.assign({ group_by: groupBy }, params));
      }));
      if (seq !== statsSeq) return;
      renderTotals(results[0].totals || {}, results[0].currency);
      lastDaily = { groups: groupsOf(results[0]), range: range };
      renderDaily();
      renderBreakdown(ui.provider, groupsOf(results[1]), 'provider');
      renderBreakdown(ui.country, groupsOf(results[2]), 'country');
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
    return Array.isArray(result && result.groups) ? result.groups.filter(function (g) { return g && typeof g === 'object'; }) : [];
  }

  function renderTotals(t, currency) {
    setText('kpi-requested', fmtInt(t.requested));
    setText('kpi-sent', fmtInt(t.sent));
    setText('kpi-delivered', fmtInt(t.delivered));
    setText('kpi-verified', fmtInt(t.verified));
    var conversion = finiteOrNull(t.conversion_rate);
    setText('kpi-conversion', fmtPct(conversion !== null ? conversion : ratio(t.verified, t.requested)));
    setText('kpi-median', fmtDuration(t.median_seconds_to_verify));
    var cost = fmtMoney(t.estimated_cost);
    var costless = cost === '—' || finiteOrNull(t.estimated_cost) === 0;
    if (currency) {
      setText('kpi-cost', cost);
      if (cost !== '—') byId('kpi-cost').appendChild(el('span', { className: 'kpi-unit' }, ' ' + currency));
      setText('kpi-cost-sub', 'SMS prices × messages sent');
    } else {
      setText('kpi-cost', costless ? '—' : cost);
      setText('kpi-cost-sub', costless ? 'no SMS prices configured' : 'currency not configured');
    }
    setText('kpi-requested-sub', 'codes asked for');
    var sentShare = ratio(t.sent, t.requested);
    setText('kpi-sent-sub', sentShare === null ? '' : fmtPct(sentShare) + ' of requested');
    var delivery = ratio(t.delivered, t.sent);
    setText('kpi-delivered-sub', delivery === null ? '' : fmtPct(delivery) + ' of sent');
    setText('kpi-verified-sub', 'correct code entered');
    setText('kpi-failed', fmtInt(t.failed));
    setText('kpi-expired', fmtInt(t.expired));
    setText('kpi-max-attempts', fmtInt(t.max_attempts));
  }

  function emptyState(message, compact) { return el('div', { className: 'empty' + (compact ? ' compact' : ''), data: { testid: 'empty' } }, message); }

  /** Every UTC day of the period (when it is not huge), merged with the days the server returned. */
  function dailySeries(groups, range) {
    var byDay = {};
    groups.forEach(function (g) { byDay[String(g.key)] = g; });
    var keys = Object.keys(byDay);
    var first = parseDay(range.firstDay), last = parseDay(range.lastDay);
    if (first && last && (last - first) / DAY_MS <= 366) {
      for (var t = first.getTime(); t <= last.getTime(); t += DAY_MS) {
        var day = isoDay(new Date(t));
        if (!byDay[day]) { byDay[day] = { key: day }; keys.push(day); }
      }
    }
    keys.sort();
    return keys.map(function (key) { return { key: key, requested: num(byDay[key].requested), verified: num(byDay[key].verified) }; });
  }
  function niceStep(max, count) {
    var raw = Math.max(max, 1) / count;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= raw) return Math.max(1, steps[i] * power);
    return Math.max(1, 10 * power);
  }

  function renderDaily() {
    clear(ui.daily);
    if (!lastDaily) return;
    var series = dailySeries(lastDaily.groups, lastDaily.range);
    var max = series.reduce(function (m, d) { return Math.max(m, d.requested, d.verified); }, 0);
    if (series.length === 0 || max <= 0) { ui.daily.appendChild(emptyState('No data for this period')); return; }

    var width = Math.max(320, Math.round(ui.daily.clientWidth || 800));
    var height = 260, left = 44, right = 12, top = 12, bottom = 28;
    var plotW = width - left - right, plotH = height - top - bottom;
    var step = niceStep(max, 4);
    var yMax = Math.ceil(max / step) * step;
    var y = function (v) { return top + plotH - (v / yMax) * plotH; };

    var root = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, role: 'img',
      'aria-label': 'Requests and verified codes per day', 'data-testid': 'chart-daily-svg' });
    for (var v = 0; v <= yMax + 1e-9; v += step) {
      root.appendChild(svg('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }));
      root.appendChild(svg('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end' }, fmtInt(v)));
    }
    var n = series.length, groupW = plotW / n;
    var barW = Math.max(2, Math.min(28, (groupW * 0.72) / 2));
    var gap = Math.min(3, barW * 0.15);
    var labelEvery = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 52))));
    series.forEach(function (d, i) {
      var cx = left + groupW * i + groupW / 2;
      var tip = shortDay(d.key) + ': ' + fmtInt(d.requested) + ' requested, ' + fmtInt(d.verified) + ' verified (' + fmtPct(ratio(d.verified, d.requested)) + ')';
      var group = svg('g', { 'data-day': d.key }, [svg('title', {}, tip)]);
      [['requested', d.requested, cx - barW - gap / 2], ['verified', d.verified, cx + gap / 2]].forEach(function (b) {
        if (b[1] <= 0) return;
        var h = Math.max(1, plotH - (y(b[1]) - top));
        group.appendChild(svg('rect', { x: b[2].toFixed(1), y: (top + plotH - h).toFixed(1), width: barW.toFixed(1), height: h.toFixed(1),
          rx: Math.min(3, barW / 3).toFixed(1), class: 'bar bar-' + b[0], 'data-series': b[0], 'data-value': b[1] }));
      });
      // A transparent hit area so the tooltip also shows over short bars.
      group.appendChild(svg('rect', { x: (cx - groupW / 2).toFixed(1), y: top, width: groupW.toFixed(1), height: plotH, fill: 'transparent' }));
      root.appendChild(group);
      if (i % labelEvery === 0) root.appendChild(svg('text', { x: cx.toFixed(1), y: height - 8, 'text-anchor': 'middle' }, shortDay(d.key)));
    });
    ui.daily.appendChild(root);
  }

  function meter(value, kind, title) {
    var fill = el('div', { className: 'fill fill-' + kind });
    fill.style.width = (value === null ? 0 : Math.max(0, Math.min(1, value)) * 100).toFixed(1) + '%';
    return el('div', { className: 'meter', title: title, data: { testid: kind + '-meter' } }, [
      el('div', { className: 'track' }, fill),
      el('span', { className: 'meter-value' }, fmtPct(value)),
    ]);
  }

  function renderBreakdown(container, groups, kind) {
    clear(container);
    var rows = groups.filter(function (g) { return num(g.requested) > 0 || num(g.sent) > 0 || num(g.verified) > 0; });
    if (rows.length === 0) { container.appendChild(emptyState('No data for this period')); return; }
    rows.sort(function (a, b) { return num(b.requested) - num(a.requested) || String(a.key).localeCompare(String(b.key)); });
    var body = el('tbody');
    rows.forEach(function (g) {
      var key = text(g.key);
      var label = [key];
      if (kind === 'country') { var name = countryName(key); if (name) label.push(el('span', { className: 'muted' }, name)); }
      if (kind === 'provider' && key === 'none') label.push(el('span', { className: 'muted' }, 'no vendor used'));
      var rate = finiteOrNull(g.conversion_rate);
      var conversion = rate !== null ? rate : ratio(g.verified, g.requested);
      var delivery = ratio(g.delivered, g.sent);
      body.appendChild(el('tr', { data: { testid: kind + '-row', key: key } }, [
        el('td', { className: 'key-cell' }, label),
        el('td', { className: 'num' }, fmtInt(g.requested)),
        el('td', {}, meter(conversion, 'conversion', fmtInt(g.verified) + ' of ' + fmtInt(g.requested) + ' requested were verified')),
        el('td', {}, meter(delivery, 'delivery', fmtInt(g.delivered) + ' of ' + fmtInt(g.sent) + ' sent were delivered')),
      ]));
    });
    container.appendChild(el('div', { className: 'table-wrap' }, el('table', { className: 'breakdown' }, [
      el('thead', {}, el('tr', {}, [
        el('th', {}, kind === 'provider' ? 'Vendor' : 'Country'), el('th', { className: 'num' }, 'Requested'),
        el('th', {}, 'Conversion'), el('th', {}, 'Delivery'),
      ])),
      body,
    ])));
  }

  // ---------- phone lookup ----------

  async function searchPhone() {
    var phone = ui.phoneInput.value.trim();
    if (!phone) return;
    var seq = ++historySeq;
    lookup = { phone: phone, verificationsCursor: null, auditCursor: null };
    hideError();
    ui.history.hidden = false;
    [ui.verifications, ui.audit].forEach(function (c) { clear(c); c.setAttribute('data-state', 'loading'); c.appendChild(emptyState('Loading…', true)); });
    ui.verificationsMore.hidden = true;
    ui.auditMore.hidden = true;
    var results = await Promise.allSettled([
      api('verifications', { phone: phone, limit: PAGE_SIZE || 20 }),
      api('audit', { phone: phone, limit: PAGE_SIZE || 50 }),
    ]);
    if (seq !== historySeq) return;
    showPage(ui.verifications, results[0], true, 'verificationsCursor', ui.verificationsMore, renderVerifications, 'No codes were sent to this number.', 'verifications');
    if (seq !== historySeq) return;
    showPage(ui.audit, results[1], true, 'auditCursor', ui.auditMore, renderAudit, 'No audit events for this number.', 'audit events');
  }

  function showPage(container, result, fresh, cursorName, moreButton, render, emptyMessage, what) {
    if (fresh) clear(container);
    if (result.status === 'rejected') {
      container.setAttribute('data-state', 'error');
      if (fresh) container.appendChild(emptyState('Could not load ' + what + '.', true));
      handleFailure(result.reason, what);
      return;
    }
    var items = Array.isArray(result.value.items) ? result.value.items : [];
    if (fresh && items.length === 0) container.appendChild(emptyState(emptyMessage, true));
    else if (items.length > 0) render(container, items);
    lookup[cursorName] = typeof result.value.next_cursor === 'string' && result.value.next_cursor ? result.value.next_cursor : null;
    moreButton.hidden = !lookup[cursorName];
    container.setAttribute('data-state', 'ready');
  }

  async function loadMore(kind) {
    var isVerifications = kind === 'verifications';
    var cursorName = isVerifications ? 'verificationsCursor' : 'auditCursor';
    var button = isVerifications ? ui.verificationsMore : ui.auditMore;
    var container = isVerifications ? ui.verifications : ui.audit;
    if (!lookup.phone || !lookup[cursorName]) return;
    var seq = historySeq;
    button.disabled = true;
    container.setAttribute('data-state', 'loading');
    var result;
    try {
      result = { status: 'fulfilled', value: await api(isVerifications ? 'verifications' : 'audit', { phone: lookup.phone, cursor: lookup[cursorName], limit: PAGE_SIZE || (isVerifications ? 20 : 50) }) };
    } catch (error) {
      result = { status: 'rejected', reason: error };
    }
    button.disabled = false;
    if (seq !== historySeq) return;
    showPage(container, result, false, cursorName, button, isVerifications ? renderVerifications : renderAudit, '', isVerifications ? 'verifications' : 'audit events');
  }

  function field(label, value, wide) {
    return el('div', { className: wide ? 'wide' : '' }, [el('dt', {}, label), el('dd', {}, value)]);
  }

  function renderVerifications(container, items) {
    var list = container.querySelector('.list') || container.appendChild(el('div', { className: 'list' }));
    items.forEach(function (v) {
      if (!v || typeof v !== 'object') return;
      var head = el('div', { className: 'vcard-head' }, [
        badge(v.status, tone(STATUS_TONES, v.status)),
        el('span', { className: 'when', title: text(v.created_at) }, fmtTime(v.created_at)),
        el('span', { className: 'mono' }, text(v.phone_number)),
        v.country ? el('span', { className: 'muted' }, String(v.country)) : null,
        v.is_test_number ? badge('test number', 'warn') : null,
      ]);
      var fields = el('dl', { className: 'fields' }, [
        field('Delivery', v.delivery_status ? badge(v.delivery_status, tone(DELIVERY_TONES, v.delivery_status)) : '—'),
        field('Attempts', fmtInt(v.attempts) + ' / ' + fmtInt(v.max_attempts)),
        field('Provider', text(v.provider)),
        field('SMS id', el('span', { className: 'mono' }, text(v.sms_id))),
        field('Locale', text(v.locale)),
        field('Expires', fmtTime(v.expires_at)),
        field('Verified', fmtTime(v.verified_at)),
        field('User', el('span', { className: 'mono' }, text(v.user_id))),
        field('IP', el('span', { className: 'mono' }, text(v.ip))),
        field('Verification id', el('span', { className: 'mono' }, text(v.id))),
        field('User agent', el('span', { data: { testid: 'user-agent' } }, text(v.user_agent)), true),
      ]);
      var card = el('article', { className: 'vcard', data: { testid: 'verification-row', id: text(v.id) } }, [head, fields]);
      var deliveries = Array.isArray(v.deliveries) ? v.deliveries.slice() : [];
      if (deliveries.length > 0) {
        deliveries.sort(function (a, b) { return num(b && b.attempt_number) - num(a && a.attempt_number); });
        var rows = deliveries.filter(function (d) { return d && typeof d === 'object'; }).map(function (d) {
          var error = [d.error_code, d.error_message].filter(function (x) { return x; }).join(': ');
          return el('tr', { data: { testid: 'delivery-row' } }, [
            el('td', { className: 'num' }, fmtInt(d.attempt_number)),
            el('td', {}, text(d.provider)),
            el('td', { className: 'mono' }, text(d.message_id)),
            el('td', {}, badge(d.status, tone(DELIVERY_TONES, d.status))),
            el('td', { className: 'mono' }, text(d.provider_status)),
            el('td', {}, text(error)),
            el('td', { className: 'nowrap' }, fmtTime(d.updated_at || d.created_at)),
          ]);
        });
        card.appendChild(el('div', { className: 'deliveries table-wrap' }, el('table', {}, [
          el('thead', {}, el('tr', {}, ['#', 'Provider', 'Message id', 'Status', 'Vendor status', 'Error', 'Updated'].map(function (h, i) {
            return el('th', { className: i === 0 ? 'num' : '' }, h);
          }))),
          el('tbody', {}, rows),
        ])));
      }
      list.appendChild(card);
    });
  }

  function detailsOf(details) {
    if (details === null || details === undefined) return '—';
    if (typeof details !== 'object') return String(details);
    var keys = Object.keys(details);
    if (keys.length === 0) return '—';
    return keys.map(function (k) {
      var value = details[k];
      return el('span', {}, [el('span', { className: 'muted' }, k + ': '), typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)]);
    });
  }

  function renderAudit(container, items) {
    var body = container.querySelector('tbody');
    if (!body) {
      body = el('tbody');
      container.appendChild(el('div', { className: 'table-wrap' }, el('table', { className: 'audit-table' }, [
        el('thead', {}, el('tr', {}, ['Time', 'Event', 'Outcome', 'Provider', 'IP', 'Details'].map(function (h) { return el('th', {}, h); }))),
        body,
      ])));
    }
    items.forEach(function (e) {
      if (!e || typeof e !== 'object') return;
      var details = el('td', { className: 'details' }, detailsOf(e.details));
      if (e.user_agent) details.appendChild(el('div', { className: 'muted small', data: { testid: 'user-agent' } }, String(e.user_agent)));
      body.appendChild(el('tr', { data: { testid: 'audit-row', type: text(e.type) } }, [
        el('td', { className: 'nowrap', title: text(e.occurred_at) }, fmtTime(e.occurred_at)),
        el('td', { className: 'mono' }, text(e.type)),
        el('td', {}, badge(e.outcome, e.outcome === 'success' ? 'good' : e.outcome === 'failure' ? 'bad' : '')),
        el('td', {}, text(e.provider)),
        el('td', { className: 'mono' }, text(e.ip)),
        details,
      ]));
    });
  }

  // ---------- wiring ----------

  ui.keyForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = ui.keyInput.value.trim();
    if (!key) return;
    setKey(key);
    ui.keyInput.value = '';
    hideError();
    showDashboard();
    loadStats();
  });
  ui.signOut.addEventListener('click', function () { signOut(); });
  ui.rangeForm.addEventListener('submit', function (event) { event.preventDefault(); markPreset(); loadStats(); });
  [ui.from, ui.to].forEach(function (input) { input.addEventListener('change', markPreset); });
  Array.prototype.forEach.call(document.querySelectorAll('[data-days]'), function (button) {
    button.addEventListener('click', function () { setRange(Number(button.getAttribute('data-days'))); loadStats(); });
  });
  ui.phoneForm.addEventListener('submit', function (event) { event.preventDefault(); searchPhone(); });
  ui.verificationsMore.addEventListener('click', function () { loadMore('verifications'); });
  ui.auditMore.addEventListener('click', function () { loadMore('audit'); });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(renderDaily, 150);
  });

  setRange(7);
  if (memoryKey) { showDashboard(); loadStats(); } else { showKeyForm(); }
})();
</script>
</body>
</html>
`;

/** The page with its CSP nonce filled in (the nonce is base64, so it needs no escaping). */
export function renderDashboard(nonce: string): string {
  return DASHBOARD_HTML.split(DASHBOARD_NONCE_PLACEHOLDER).join(nonce);
}
