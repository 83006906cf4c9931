// One phone's history: its codes (with every delivery attempt) and its audit events, appended page by page.

import { badge, el } from './dom.js';
import { fmtInt, fmtTime, num, text } from './format.js';

const STATUS_TONES = {
  approved: 'good',
  pending: 'info',
  failed: 'bad',
  max_attempts_reached: 'bad',
  expired: 'warn',
  canceled: '',
};
const DELIVERY_TONES = {
  delivered: 'good',
  sent: 'info',
  queued: 'info',
  accepted: 'info',
  failed: 'bad',
  rejected: 'bad',
  undelivered: 'bad',
  expired: 'warn',
};
function tone(map, value) {
  return Object.prototype.hasOwnProperty.call(map, value) ? map[value] : '';
}

function field(label, value, wide) {
  return el('div', { className: wide ? 'wide' : '' }, [el('dt', {}, label), el('dd', {}, value)]);
}

/** Appends verification cards to the list in `container` (created on the first page). */
export function renderVerifications(container, items) {
  const list = container.querySelector('.list') || container.appendChild(el('div', { className: 'list' }));
  items.forEach(function (v) {
    if (!v || typeof v !== 'object') return;
    const head = el('div', { className: 'vcard-head' }, [
      badge(v.status, tone(STATUS_TONES, v.status)),
      el('span', { className: 'when', title: text(v.created_at) }, fmtTime(v.created_at)),
      el('span', { className: 'mono' }, text(v.phone_number)),
      v.country ? el('span', { className: 'muted' }, String(v.country)) : null,
      v.is_test_number ? badge('test number', 'warn') : null,
    ]);
    const fields = el('dl', { className: 'fields' }, [
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
    const card = el('article', { className: 'vcard', data: { testid: 'verification-row', id: text(v.id) } }, [
      head,
      fields,
    ]);
    const deliveries = Array.isArray(v.deliveries) ? v.deliveries.slice() : [];
    if (deliveries.length > 0) {
      deliveries.sort(function (a, b) {
        return num(b && b.attempt_number) - num(a && a.attempt_number);
      });
      const rows = deliveries
        .filter(function (d) {
          return d && typeof d === 'object';
        })
        .map(function (d) {
          const error = [d.error_code, d.error_message]
            .filter(function (x) {
              return x;
            })
            .join(': ');
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
      const headings = ['#', 'Provider', 'Message id', 'Status', 'Vendor status', 'Error', 'Updated'];
      card.appendChild(
        el(
          'div',
          { className: 'deliveries table-wrap' },
          el('table', {}, [
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                headings.map(function (h, i) {
                  return el('th', { className: i === 0 ? 'num' : '' }, h);
                }),
              ),
            ),
            el('tbody', {}, rows),
          ]),
        ),
      );
    }
    list.appendChild(card);
  });
}

function detailsOf(details) {
  if (details === null || details === undefined) return '—';
  if (typeof details !== 'object') return String(details);
  const keys = Object.keys(details);
  if (keys.length === 0) return '—';
  return keys.map(function (k) {
    const value = details[k];
    return el('span', {}, [
      el('span', { className: 'muted' }, k + ': '),
      typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
    ]);
  });
}

/** Appends audit rows to the table in `container` (created on the first page). */
export function renderAudit(container, items) {
  let body = container.querySelector('tbody');
  if (!body) {
    body = el('tbody');
    const headings = ['Time', 'Event', 'Outcome', 'Provider', 'IP', 'Details'];
    container.appendChild(
      el(
        'div',
        { className: 'table-wrap' },
        el('table', { className: 'audit-table' }, [
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              headings.map(function (h) {
                return el('th', {}, h);
              }),
            ),
          ),
          body,
        ]),
      ),
    );
  }
  items.forEach(function (e) {
    if (!e || typeof e !== 'object') return;
    const details = el('td', { className: 'details' }, detailsOf(e.details));
    if (e.user_agent) {
      details.appendChild(
        el('div', { className: 'muted small', data: { testid: 'user-agent' } }, String(e.user_agent)),
      );
    }
    body.appendChild(
      el('tr', { data: { testid: 'audit-row', type: text(e.type) } }, [
        el('td', { className: 'nowrap', title: text(e.occurred_at) }, fmtTime(e.occurred_at)),
        el('td', { className: 'mono' }, text(e.type)),
        el('td', {}, badge(e.outcome, e.outcome === 'success' ? 'good' : e.outcome === 'failure' ? 'bad' : '')),
        el('td', {}, text(e.provider)),
        el('td', { className: 'mono' }, text(e.ip)),
        details,
      ]),
    );
  });
}
