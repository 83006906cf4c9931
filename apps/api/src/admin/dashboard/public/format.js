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
