// The charts: requests vs verified per day as an inline SVG bar chart, the per-vendor and per-country
// tables with conversion and delivery meters, and the per-channel table with costs and the money saved
// against sending every code by SMS. No chart library.

import { clear, el, emptyState, svg } from './dom.js';
import {
  countryName,
  DAY_MS,
  finiteOrNull,
  fmtInt,
  fmtMoney,
  fmtPct,
  isoDay,
  num,
  parseDay,
  ratio,
  shortDay,
  text,
} from './format.js';

/** Every UTC day of the period (when it is not huge), merged with the days the server returned. */
function dailySeries(groups, range) {
  const byDay = {};
  groups.forEach(function (g) {
    byDay[String(g.key)] = g;
  });
  const keys = Object.keys(byDay);
  const first = parseDay(range.firstDay);
  const last = parseDay(range.lastDay);
  if (first && last && (last - first) / DAY_MS <= 366) {
    for (let t = first.getTime(); t <= last.getTime(); t += DAY_MS) {
      const day = isoDay(new Date(t));
      if (!byDay[day]) {
        byDay[day] = { key: day };
        keys.push(day);
      }
    }
  }
  keys.sort();
  return keys.map(function (key) {
    return { key: key, requested: num(byDay[key].requested), verified: num(byDay[key].verified) };
  });
}
function niceStep(max, count) {
  const raw = Math.max(max, 1) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const steps = [1, 2, 5, 10];
  for (let i = 0; i < steps.length; i++) if (steps[i] * power >= raw) return Math.max(1, steps[i] * power);
  return Math.max(1, 10 * power);
}

/** Draws `daily` ({groups, range}, or null for nothing) into `container`, as wide as the container. */
export function renderDaily(container, daily) {
  clear(container);
  if (!daily) return;
  const series = dailySeries(daily.groups, daily.range);
  const max = series.reduce(function (m, d) {
    return Math.max(m, d.requested, d.verified);
  }, 0);
  if (series.length === 0 || max <= 0) {
    container.appendChild(emptyState('No data for this period'));
    return;
  }

  const width = Math.max(320, Math.round(container.clientWidth || 800));
  const height = 260;
  const left = 44;
  const right = 12;
  const top = 12;
  const bottom = 28;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const step = niceStep(max, 4);
  const yMax = Math.ceil(max / step) * step;
  const y = function (v) {
    return top + plotH - (v / yMax) * plotH;
  };

  const root = svg('svg', {
    viewBox: '0 0 ' + width + ' ' + height,
    width: width,
    height: height,
    role: 'img',
    'aria-label': 'Requests and verified codes per day',
    'data-testid': 'chart-daily-svg',
  });
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    root.appendChild(
      svg('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }),
    );
    root.appendChild(svg('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end' }, fmtInt(v)));
  }
  const n = series.length;
  const groupW = plotW / n;
  const barW = Math.max(2, Math.min(28, (groupW * 0.72) / 2));
  const gap = Math.min(3, barW * 0.15);
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 52))));
  series.forEach(function (d, i) {
    const cx = left + groupW * i + groupW / 2;
    const share = fmtPct(ratio(d.verified, d.requested));
    const tip = `${shortDay(d.key)}: ${fmtInt(d.requested)} requested, ${fmtInt(d.verified)} verified (${share})`;
    const group = svg('g', { 'data-day': d.key }, [svg('title', {}, tip)]);
    [
      ['requested', d.requested, cx - barW - gap / 2],
      ['verified', d.verified, cx + gap / 2],
    ].forEach(function (b) {
      if (b[1] <= 0) return;
      const h = Math.max(1, plotH - (y(b[1]) - top));
      group.appendChild(
        svg('rect', {
          x: b[2].toFixed(1),
          y: (top + plotH - h).toFixed(1),
          width: barW.toFixed(1),
          height: h.toFixed(1),
          rx: Math.min(3, barW / 3).toFixed(1),
          class: 'bar bar-' + b[0],
          'data-series': b[0],
          'data-value': b[1],
        }),
      );
    });
    // A transparent hit area so the tooltip also shows over short bars.
    group.appendChild(
      svg('rect', {
        x: (cx - groupW / 2).toFixed(1),
        y: top,
        width: groupW.toFixed(1),
        height: plotH,
        fill: 'transparent',
      }),
    );
    root.appendChild(group);
    if (i % labelEvery === 0) {
      root.appendChild(svg('text', { x: cx.toFixed(1), y: height - 8, 'text-anchor': 'middle' }, shortDay(d.key)));
    }
  });
  container.appendChild(root);
}

function meter(value, kind, title) {
  const fill = el('div', { className: 'fill fill-' + kind });
  // A CSSOM property, not a style attribute: the CSP (style-src 'self') allows it.
  fill.style.width = (value === null ? 0 : Math.max(0, Math.min(1, value)) * 100).toFixed(1) + '%';
  return el('div', { className: 'meter', title: title, data: { testid: kind + '-meter' } }, [
    el('div', { className: 'track' }, fill),
    el('span', { className: 'meter-value' }, fmtPct(value)),
  ]);
}

/** The per-vendor (`kind` 'provider') or per-country ('country') table of the stats groups. */
export function renderBreakdown(container, groups, kind) {
  clear(container);
  const rows = groups.filter(function (g) {
    return num(g.requested) > 0 || num(g.sent) > 0 || num(g.verified) > 0;
  });
  if (rows.length === 0) {
    container.appendChild(emptyState('No data for this period'));
    return;
  }
  rows.sort(function (a, b) {
    return num(b.requested) - num(a.requested) || String(a.key).localeCompare(String(b.key));
  });
  const body = el('tbody');
  rows.forEach(function (g) {
    const key = text(g.key);
    const label = [key];
    if (kind === 'country') {
      const name = countryName(key);
      if (name) label.push(el('span', { className: 'muted' }, name));
    }
    if (kind === 'provider' && key === 'none') label.push(el('span', { className: 'muted' }, 'no vendor used'));
    const rate = finiteOrNull(g.conversion_rate);
    const conversion = rate !== null ? rate : ratio(g.verified, g.requested);
    const delivery = ratio(g.delivered, g.sent);
    const verifiedTitle = fmtInt(g.verified) + ' of ' + fmtInt(g.requested) + ' requested were verified';
    const deliveredTitle = fmtInt(g.delivered) + ' of ' + fmtInt(g.sent) + ' sent were delivered';
    body.appendChild(
      el('tr', { data: { testid: kind + '-row', key: key } }, [
        el('td', { className: 'key-cell' }, label),
        el('td', { className: 'num' }, fmtInt(g.requested)),
        el('td', {}, meter(conversion, 'conversion', verifiedTitle)),
        el('td', {}, meter(delivery, 'delivery', deliveredTitle)),
      ]),
    );
  });
  container.appendChild(
    el(
      'div',
      { className: 'table-wrap' },
      el('table', { className: 'breakdown' }, [
        el(
          'thead',
          {},
          el('tr', {}, [
            el('th', {}, kind === 'provider' ? 'Vendor' : 'Country'),
            el('th', { className: 'num' }, 'Requested'),
            el('th', {}, 'Conversion'),
            el('th', {}, 'Delivery'),
          ]),
        ),
        body,
      ]),
    ),
  );
}

const CHANNEL_NAMES = { sms: 'SMS', telegram: 'Telegram', whatsapp: 'WhatsApp', none: 'no link accepted' };

/** An amount with its currency, when there is one (the server's `currency`: SMS_PRICE_CURRENCY). */
function money(value, currency) {
  const amount = fmtMoney(value);
  return amount === '—' || !currency ? amount : amount + ' ' + currency;
}

/**
 * The per-channel table of GET /admin/stats?group_by=channel: codes, conversion, cost and cost per sent
 * code, and `saved_vs_sms` (computed by the server: what the telegram/whatsapp codes would have cost by
 * the SMS link of their chain, minus what they cost), with its total above the table.
 */
export function renderChannels(container, result) {
  clear(container);
  const groups = (Array.isArray(result && result.groups) ? result.groups : []).filter(function (g) {
    return g && typeof g === 'object' && (num(g.requested) > 0 || num(g.sent) > 0);
  });
  if (groups.length === 0) {
    container.appendChild(emptyState('No data for this period'));
    return;
  }
  const currency = result.currency ? String(result.currency) : null;
  const totals = result.totals && typeof result.totals === 'object' ? result.totals : {};
  groups.sort(function (a, b) {
    return num(b.requested) - num(a.requested) || String(a.key).localeCompare(String(b.key));
  });
  const body = el('tbody');
  groups.forEach(function (g) {
    const key = text(g.key);
    const label = [Object.prototype.hasOwnProperty.call(CHANNEL_NAMES, key) ? CHANNEL_NAMES[key] : key];
    const rate = finiteOrNull(g.conversion_rate);
    const conversion = rate !== null ? rate : ratio(g.verified, g.requested);
    const cost = finiteOrNull(g.estimated_cost);
    const perCode = cost !== null && num(g.sent) > 0 ? cost / num(g.sent) : null;
    const saved = finiteOrNull(g.saved_vs_sms);
    body.appendChild(
      el('tr', { data: { testid: 'channel-row', key: key } }, [
        el('td', { className: 'key-cell' }, label),
        el('td', { className: 'num', data: { testid: 'channel-requested' } }, fmtInt(g.requested)),
        el('td', { className: 'num', data: { testid: 'channel-sent' } }, fmtInt(g.sent)),
        el('td', { className: 'num', data: { testid: 'channel-conversion' } }, fmtPct(conversion)),
        el('td', { className: 'num', data: { testid: 'channel-cost' } }, money(g.estimated_cost, currency)),
        el('td', { className: 'num', data: { testid: 'channel-cost-per-code' } }, money(perCode, currency)),
        el(
          'td',
          { className: 'num' + (saved !== null && saved < 0 ? ' negative' : ''), data: { testid: 'channel-saved' } },
          money(saved, currency),
        ),
      ]),
    );
  });
  const totalSaved = finiteOrNull(totals.saved_vs_sms);
  container.appendChild(
    el('p', { className: 'channels-saved', data: { testid: 'channels-saved' } }, [
      'Saved against all-SMS: ',
      el('b', { data: { testid: 'channels-saved-total' } }, money(totalSaved, currency)),
      el(
        'span',
        { className: 'muted' },
        ' · Telegram and WhatsApp codes priced at the SMS link of their chain (SMS_PRICES), minus what they cost',
      ),
    ]),
  );
  container.appendChild(
    el(
      'div',
      { className: 'table-wrap' },
      el('table', { className: 'breakdown' }, [
        el(
          'thead',
          {},
          el('tr', {}, [
            el('th', {}, 'Channel'),
            el('th', { className: 'num' }, 'Requested'),
            el('th', { className: 'num' }, 'Sent'),
            el('th', { className: 'num' }, 'Conversion'),
            el('th', { className: 'num' }, 'Cost'),
            el('th', { className: 'num' }, 'Per sent code'),
            el('th', { className: 'num' }, 'Saved vs SMS'),
          ]),
        ),
        body,
      ]),
    ),
  );
}
