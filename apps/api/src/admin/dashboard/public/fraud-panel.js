// The "Fraud guard" panel (SPEC §10): blocked sends per rule and per country, the active prefix blocks with a
// Lift button each, and the estimated money not spent. Built with el(): data never reaches the DOM as HTML.

import { clear, el, emptyState } from './dom.js';
import { fmtInt, fmtMoney, fmtTime, text } from './format.js';

const RULE_LABELS = {
  ip_countries: 'IP reaching many countries',
  country_unverified: 'Country: unverified codes',
  ip_unverified: 'IP: unverified codes',
  prefix_velocity: 'Number range: burst',
  prefix_breaker: 'Number range: breaker',
  country_spend: 'Country: daily spend cap',
};

function countsTable(title, rows, keyLabel, label, testid) {
  if (!rows.length) return el('div', null, [el('h3', null, title), emptyState('Nothing blocked.', true)]);
  return el('div', null, [
    el('h3', null, title),
    el('table', { data: { testid: testid } }, [
      el(
        'thead',
        null,
        el('tr', null, [
          el('th', null, keyLabel),
          el('th', { className: 'num' }, 'Blocked'),
          el('th', { className: 'num', title: 'record mode: sent anyway' }, 'Would block'),
        ]),
      ),
      el(
        'tbody',
        null,
        rows.map(function (row) {
          return el('tr', { data: { key: text(row.key) } }, [
            el('td', null, label(row.key)),
            el('td', { className: 'num' }, fmtInt(row.blocked)),
            el('td', { className: 'num' }, fmtInt(row.flagged)),
          ]);
        }),
      ),
    ]),
  ]);
}

function blocksList(blocks, onLift) {
  if (!blocks.length) return el('div', null, [el('h3', null, 'Blocked number ranges'), emptyState('None.', true)]);
  return el('div', null, [
    el('h3', null, 'Blocked number ranges'),
    el(
      'ul',
      { className: 'fraud-blocks', data: { testid: 'fraud-blocks' } },
      blocks.map(function (block) {
        const button = el(
          'button',
          { className: 'btn btn-small', data: { testid: 'lift-' + text(block.prefix) } },
          'Lift',
        );
        button.type = 'button';
        button.addEventListener('click', function () {
          onLift(block, button);
        });
        return el('li', null, [
          el('code', null, text(block.prefix) + '…'),
          el('span', { className: 'muted small' }, ' until ' + fmtTime(block.blocked_until) + ' UTC '),
          button,
        ]);
      }),
    ),
  ]);
}

/** Fills `container` from GET fraud/summary and fraud/blocks; `onLift(block, button)` asks to lift one. */
export function renderFraud(container, summary, blocks, onLift) {
  clear(container);
  const blocked = (summary.by_rule || []).reduce(function (sum, row) {
    return sum + (Number(row.blocked) || 0);
  }, 0);
  container.appendChild(
    el('div', { className: 'fraud-kpis' }, [
      el('div', { data: { testid: 'fraud-blocked' } }, [el('strong', null, fmtInt(blocked)), ' sends blocked']),
      el('div', { data: { testid: 'fraud-saved' } }, [
        el('strong', null, fmtMoney(summary.money_not_spent) + ' ' + text(summary.currency)),
        ' not spent',
      ]),
      el('div', { data: { testid: 'fraud-active' } }, [
        el('strong', null, fmtInt(summary.active_blocks)),
        ' active blocks',
      ]),
      el('div', null, [el('strong', null, fmtInt(summary.allowed)), ' sends allowed']),
    ]),
  );
  container.appendChild(
    el('div', { className: 'fraud-grid' }, [
      countsTable(
        'Per rule',
        summary.by_rule || [],
        'Rule',
        function (rule) {
          return RULE_LABELS[rule] || text(rule);
        },
        'fraud-rules',
      ),
      countsTable('Per country', summary.by_country || [], 'Country', text, 'fraud-countries'),
      blocksList(blocks || [], onLift),
    ]),
  );
}
