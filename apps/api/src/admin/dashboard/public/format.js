// Numbers, dates and values from the admin API as display text. Pure functions: no DOM here.

export const DAY_MS = 86400000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function num(value) {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}
export function ratio(part, whole) {
  const p = num(part);
  const w = num(whole);
  return w > 0 ? p / w : null;
}
export function finiteOrNull(value) {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
export function fmtInt(value) {
  return Math.round(num(value)).toLocaleString('en-US');
}
export function fmtPct(r) {
  return r === null || !Number.isFinite(r) ? '—' : (Math.round(r * 1000) / 10).toFixed(1) + '%';
}
export function fmtDuration(value) {
  const s = finiteOrNull(value);
  if (s === null || s < 0) return '—';
  if (s < 0.1) return '< 0.1 s';
  if (s < 10) return s.toFixed(1) + ' s';
  if (s < 60) return Math.round(s) + ' s';
  const total = Math.round(s);
  if (total < 3600) return Math.floor(total / 60) + ' min ' + pad2(total % 60) + ' s';
  return Math.floor(total / 3600) + ' h ' + pad2(Math.floor((total % 3600) / 60)) + ' min';
}
export function fmtMoney(value) {
  const n = finiteOrNull(value);
  if (n === null) return '—';
  const maximumFractionDigits = Math.abs(n) > 0 && Math.abs(n) < 1 ? 4 : 2;
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: maximumFractionDigits });
}
function pad2(n) {
  return (n < 10 ? '0' : '') + n;
}
export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}
export function parseDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
}
export function shortDay(day) {
  const d = parseDay(day);
  return d ? MONTHS[d.getUTCMonth()] + ' ' + d.getUTCDate() : String(day);
}
export function fmtTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  if (isNaN(d.getTime())) return String(value);
  return isoDay(d) + ' ' + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
}
export function text(value) {
  return value === null || value === undefined || value === '' ? '—' : String(value);
}

let countryNames = null;
try {
  countryNames = new Intl.DisplayNames(['en'], { type: 'region' });
} catch {
  countryNames = null;
}
export function countryName(code) {
  if (!countryNames || !/^[A-Z]{2}$/.test(code || '')) return null;
  try {
    const name = countryNames.of(code);
    return name && name !== code ? name : null;
  } catch {
    return null;
  }
}

// ---------- operator actions: what the confirmation says and what the result says ----------

/** 1 → "1 active session", 2 → "2 active sessions" (`what` = "active session"). */
export function plural(count, what) {
  const n = Math.max(0, Math.round(num(count)));
  return n + ' ' + what + (n === 1 ? '' : 's');
}
/** How many active sessions the looked-up number's user has (0 with no user). */
export function activeSessions(status) {
  return status && status.user ? Math.max(0, Math.round(num(status.user.active_sessions))) : 0;
}

/** The question the confirmation dialog asks: exactly what will happen, for this phone in this state. */
export function confirmText(kind, status) {
  const phone = text(status && status.phone_number);
  const sessions = activeSessions(status);
  switch (kind) {
    case 'block':
      return (
        'Block ' +
        phone +
        '? Codes will be refused' +
        (sessions > 0 ? ' and its ' + plural(sessions, 'active session') + ' ended.' : '.')
      );
    case 'unblock':
      return 'Unblock ' + phone + '? Codes can be sent to it and checked again.';
    case 'lift':
      return 'Lift the block of the numbers ' + text(status && status.prefix) + '…? New numbers there get codes again.';
    case 'unlock':
      return (
        'Unlock ' +
        phone +
        '? Its lock' +
        (status && status.locked_until ? ' (until ' + fmtTime(status.locked_until) + ' UTC)' : '') +
        ' ends now and codes can be sent to it and checked again.'
      );
    case 'revoke':
      return (
        'End the ' +
        plural(sessions, 'active session') +
        ' of ' +
        phone +
        ' (user ' +
        text(status && status.user && status.user.id) +
        ')? Their access and refresh tokens stop working at once.'
      );
    default:
      return '';
  }
}

/** The dialog's title and confirm button for each action. */
export const ACTION_LABELS = {
  block: { title: 'Block phone number', confirm: 'Block' },
  unblock: { title: 'Unblock phone number', confirm: 'Unblock' },
  unlock: { title: 'Unlock phone number', confirm: 'Unlock' },
  revoke: { title: 'Revoke sessions', confirm: 'Revoke sessions' },
  lift: { title: 'Lift a number range block', confirm: 'Lift' },
};

function ended(count) {
  const n = Math.max(0, Math.round(num(count)));
  return n === 0 ? 'No sessions ended.' : plural(n, 'session') + ' ended.';
}

/** The message once the API answered. */
export function resultText(kind, body) {
  const b = body || {};
  switch (kind) {
    case 'block':
      return (b.was_blocked ? 'Already blocked. ' : 'Blocked. ') + ended(b.sessions_revoked);
    case 'unblock':
      return b.was_blocked ? 'Unblocked. Codes can be sent again.' : 'Was not blocked: nothing changed.';
    case 'unlock':
      return b.was_locked ? 'Unlocked. Codes can be sent and checked again.' : 'Was not locked: nothing changed.';
    case 'revoke':
      return ended(b.sessions_revoked);
    case 'lift':
      return 'Lifted the block of ' + text(b.prefix) + '…';
    default:
      return 'Done.';
  }
}
