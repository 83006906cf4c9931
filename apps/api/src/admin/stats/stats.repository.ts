import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  CODE_COUNTERS,
  CODE_KEYS,
  countersOf,
  keyListOf,
  VERIFY_BUCKET_COLUMNS,
  VERIFY_SECONDS_EDGES,
  verifyBucketOf,
} from '../../../../../migrations/1795365000000-StatsRollups';
import type { SmsPricePerCode } from './sms-price-per-code';
import { type RawEdge, statsBounds } from './stats-bounds';
import type { StatsGrouping } from './stats-query.dto';
import type { StatsFiguresDto, StatsGroupDto } from './stats-response.dto';

/** The channels whose codes count toward saved_vs_sms. */
const NON_SMS_CHANNELS = ['telegram', 'whatsapp'];

export interface StatsPricing {
  /** provider → SMS_PRICES price. */
  prices: ReadonlyMap<string, string>;
  /** SMS_PRICE_CURRENCY: vendor-stated costs in it (or without a currency) count as stated. */
  currency: string;
  /** For saved_vs_sms (group_by=channel). */
  smsPricePerCode: SmsPricePerCode;
}

interface StatsRow {
  key: string | null;
  is_total: boolean;
  requested: number;
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  expired: number;
  max_attempts: number;
  /** Codes per seconds-to-verify bucket (VERIFY_SECONDS_EDGES). */
  histogram: string[] | null;
  estimated_cost: string;
  saved_vs_sms: string;
  vendor_costs: number;
}

/** Over a row of figures (rollup, delta or code): its bucket, provider, channel, country. */
const PART_KEY: Record<StatsGrouping, string> = {
  day: `to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  provider: `coalesce(nullif(provider, ''), 'none')`,
  country: `coalesce(nullif(country, ''), 'unknown')`,
  channel: `channel`,
};

const COUNTERS = 'requested, sent, delivered, failed, verified, max_attempts';

/** The rollups' histogram columns (migrations/1795365000000-StatsRollups.ts): one per seconds-to-verify bucket. */
const HISTOGRAM = VERIFY_BUCKET_COLUMNS;

/** A part's histogram from a row that carries one verify_bucket, counted `verified` times (±1 for a delta). */
const ONE_HOT = (row: string) =>
  HISTOGRAM.map((_, i) => `CASE WHEN ${row}.verify_bucket = ${i + 1} THEN ${row}.verified ELSE 0 END`).join(', ');

/** A code row's keys as its rollups hold them (the triggers' definitions: the same figures, read raw). */
const CODE_KEYS_OF = (row: string) =>
  keyListOf(row)
    .map((key, i) => `${key} AS ${CODE_KEYS[i]}`)
    .join(', ');

/** A code row's figures, as its rollups count them, times `sign`. */
const CODE_FIGURES = (row: string, sign: string) =>
  `${countersOf(row)
    .map((counter, i) => `${sign} * ${counter} AS ${CODE_COUNTERS[i]}`)
    .join(', ')}, ${verifyBucketOf(row)} AS verify_bucket`;

/** Rollup rows `r` of the whole days ($11, $12), and of the other whole hours ($9, $10). */
const WHOLE_DAYS = `r.period = 'day' AND r.bucket >= $11::timestamptz AND r.bucket < $12::timestamptz`;
const OTHER_WHOLE_HOURS = `r.period = 'hour' AND r.bucket >= $9::timestamptz AND r.bucket < $10::timestamptz
                 AND NOT (r.bucket >= $11::timestamptz AND r.bucket < $12::timestamptz)`;

/**
 * An amount as text, '0' when it is zero: a cost moved from one group to another (a code's channel found after
 * its attempt) leaves +x and -x behind, whose sum would print with the scale of x.
 */
const amount = (sql: string) => `CASE WHEN (${sql}) = 0 THEN '0' ELSE (${sql})::text END`;

/** The sign of an edge code: that of the first raw edge ($14, $15: sign $16) when in it, else the second's ($19). */
const EDGE_SIGN = `CASE WHEN v.created_at >= $14::timestamptz AND v.created_at < $15::timestamptz
                        THEN $16::int ELSE $19::int END`;

/**
 * The figures of [from, to) from the rollups (SQL in migrations/1795365000000-StatsRollups.ts): whole days from
 * the daily rows, whole hours from the hourly ones, plus the deltas not folded yet; an hour the range cuts from
 * its codes, or from its rollup less the codes outside the range (statsBounds). Expired: codes of status
 * expired, and pending ones past their expiry: every pending code of a settled hour, and in the last hour or two
 * the pending codes themselves. Median: from the histogram of seconds-to-verify, interpolated in its bucket.
 *
 * Cost of a code: the sum over its delivery attempts of the cost the vendor stated (when in SMS_PRICE_CURRENCY
 * or without a currency), else, for an accepted attempt (one with a vendor message id), the SMS_PRICES of its
 * provider. Channel of a code: that of the attempt that delivered it, else of the last accepted attempt; a test
 * number's code is `sms`; `none` when no link accepted.
 */
@Injectable()
export class StatsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async figures(
    from: Date,
    to: Date,
    groupBy: StatsGrouping,
    pricing: StatsPricing,
  ): Promise<{ totals: StatsFiguresDto; groups: StatsGroupDto[]; vendorCosts: boolean }> {
    const smsPrices = pricing.smsPricePerCode;
    const key = PART_KEY[groupBy];
    // The bounds as constants (not computed in the statement): the planner then knows how few codes the cut
    // hours hold, and plans accordingly.
    const [{ now }] = await this.dataSource.query<{ now: Date }[]>('SELECT now() AS now');
    const bounds = statsBounds(from, to, now);
    const rows: StatsRow[] = await this.dataSource.query(
      `WITH prices AS (SELECT * FROM unnest($1::text[], $2::numeric[]) AS p(priced_provider, price)),
            sms_prices AS (SELECT * FROM unnest($4::text[], $5::numeric[]) AS s(country, price)),
            edge_codes AS (
              SELECT v.id, ${EDGE_SIGN} AS sign, ${CODE_KEYS_OF('v')},
                     ${CODE_FIGURES('v', EDGE_SIGN)},
                     ${EDGE_SIGN} * (v.status = 'pending' AND v.expires_at <= $8::timestamptz)::int AS lapsed
                FROM sms_verifications v
               WHERE (v.created_at >= $14::timestamptz AND v.created_at < $15::timestamptz)
                  OR (v.created_at >= $17::timestamptz AND v.created_at < $18::timestamptz)),
            parts AS (
              SELECT r.bucket, r.provider, r.channel, r.country, ${COUNTERS}, r.expired + r.pending AS expired,
                     ${HISTOGRAM.map((column) => `r.${column}`).join(', ')}
                FROM stats_rollups r
               WHERE ${WHOLE_DAYS}
              UNION ALL
              SELECT r.bucket, r.provider, r.channel, r.country, ${COUNTERS},
                     r.expired + CASE WHEN r.bucket < $13::timestamptz THEN r.pending ELSE 0 END,
                     ${HISTOGRAM.map((column) => `r.${column}`).join(', ')}
                FROM stats_rollups r
               WHERE ${OTHER_WHOLE_HOURS}
              UNION ALL
              SELECT x.bucket, x.provider, x.channel, x.country, ${COUNTERS},
                     x.expired + CASE WHEN x.bucket < $13::timestamptz THEN x.pending ELSE 0 END, ${ONE_HOT('x')}
                FROM stats_code_deltas x
               WHERE x.bucket >= $9::timestamptz AND x.bucket < $10::timestamptz
              UNION ALL
              SELECT ${CODE_KEYS_OF('v')}, 0, 0, 0, 0, 0, 0, 1, ${HISTOGRAM.map(() => '0').join(', ')}
                FROM sms_verifications v
               WHERE v.status = 'pending' AND v.expires_at <= $8::timestamptz
                 AND v.created_at >= greatest($9::timestamptz, $13::timestamptz) AND v.created_at < $10::timestamptz
              UNION ALL
              SELECT bucket, provider, channel, country, ${COUNTERS}, expired + lapsed, ${ONE_HOT('edge_codes')}
                FROM edge_codes),
            cost_parts AS (
              SELECT r.bucket, r.provider, r.channel, r.country, r.delivery_provider, r.currency, r.deliveries,
                     r.accepted, r.stated_cost
                FROM stats_rollup_costs r
               WHERE ${WHOLE_DAYS}
              UNION ALL
              SELECT r.bucket, r.provider, r.channel, r.country, r.delivery_provider, r.currency, r.deliveries,
                     r.accepted, r.stated_cost
                FROM stats_rollup_costs r
               WHERE ${OTHER_WHOLE_HOURS}
              UNION ALL
              SELECT x.bucket, x.provider, x.channel, x.country, x.delivery_provider, x.currency, x.deliveries,
                     x.accepted, x.stated_cost
                FROM stats_cost_deltas x
               WHERE x.bucket >= $9::timestamptz AND x.bucket < $10::timestamptz
              UNION ALL
              SELECT c.bucket, c.provider, c.channel, c.country, d.provider,
                     CASE WHEN d.cost IS NULL THEN '-' ELSE coalesce(d.cost_currency, '') END, c.sign,
                     c.sign * (d.provider_message_id IS NOT NULL)::int, c.sign * coalesce(d.cost, 0)
                -- OFFSET 0: each edge code's attempts by the index, never a hash of every attempt.
                FROM edge_codes c
                CROSS JOIN LATERAL (SELECT * FROM sms_deliveries d WHERE d.verification_id = c.id OFFSET 0) d),
            figures AS (
              SELECT ${key} AS key, grouping(${key}) = 1 AS is_total,
                     sum(requested)::int AS requested, sum(sent)::int AS sent, sum(delivered)::int AS delivered,
                     sum(failed)::int AS failed, sum(verified)::int AS verified, sum(expired)::int AS expired,
                     sum(max_attempts)::int AS max_attempts,
                     ARRAY[${HISTOGRAM.map((column) => `sum(${column})`).join(', ')}]::bigint[] AS histogram,
                     coalesce(sum(requested * coalesce(
                       (SELECT s.price FROM sms_prices s WHERE s.country = parts.country), $6::numeric))
                       FILTER (WHERE channel = ANY($7::text[])), 0) AS sms_price_of_non_sms
                FROM parts
               GROUP BY GROUPING SETS ((${key}), ())),
            costs AS (
              SELECT ${key} AS key, grouping(${key}) = 1 AS is_total,
                     coalesce(sum(CASE WHEN c.currency IN ('', $3) THEN c.stated_cost
                                       ELSE nullif(c.accepted, 0) * p.price END), 0) AS cost,
                     coalesce(sum(CASE WHEN c.currency IN ('', $3) THEN c.stated_cost
                                       ELSE nullif(c.accepted, 0) * p.price END)
                       FILTER (WHERE c.channel = ANY($7::text[]) AND coalesce(
                         (SELECT s.price FROM sms_prices s WHERE s.country = c.country), $6::numeric) IS NOT NULL), 0)
                       AS non_sms_cost,
                     coalesce(sum(c.deliveries) FILTER (WHERE c.currency IN ('', $3)), 0)::int AS vendor_costs
                FROM cost_parts c LEFT JOIN prices p ON p.priced_provider = c.delivery_provider
               GROUP BY GROUPING SETS ((${key}), ()))
       SELECT f.key, f.is_total, f.requested, f.sent, f.delivered, f.failed, f.verified, f.expired, f.max_attempts,
              f.histogram, ${amount('coalesce(c.cost, 0)')} AS estimated_cost,
              ${amount('f.sms_price_of_non_sms - coalesce(c.non_sms_cost, 0)')} AS saved_vs_sms,
              coalesce(c.vendor_costs, 0) AS vendor_costs
         FROM figures f LEFT JOIN costs c ON c.is_total = f.is_total AND c.key IS NOT DISTINCT FROM f.key
        WHERE f.requested > 0 OR f.is_total
        ORDER BY f.is_total, ${groupBy === 'day' ? 'f.key' : 'f.requested DESC, f.key'}`,
      [
        [...pricing.prices.keys()],
        [...pricing.prices.values()],
        pricing.currency,
        [...smsPrices.byCountry.keys()],
        [...smsPrices.byCountry.values()],
        smsPrices.fallback,
        NON_SMS_CHANNELS,
        now,
        bounds.h0,
        bounds.h1,
        bounds.d0,
        bounds.d1,
        bounds.settled,
        ...rawEdgeParameters(bounds.edges),
      ],
    );
    const withSaved = groupBy === 'channel';
    const total = rows.find((row) => row.is_total);
    return {
      totals: total && total.requested > 0 ? toFigures(total, withSaved) : emptyFigures(withSaved),
      groups: rows
        .filter((row) => !row.is_total)
        .map((row) => ({ key: row.key ?? 'unknown', ...toFigures(row, withSaved) })),
      vendorCosts: (total?.vendor_costs ?? 0) > 0,
    };
  }
}

/** $14–$19: two raw edges (from, to, sign); an absent one is empty. */
function rawEdgeParameters(edges: RawEdge[]): unknown[] {
  if (edges.length > 2) throw new Error('at most two raw edges');
  const none: RawEdge = { from: new Date(0), to: new Date(0), sign: 1 };
  return [edges[0] ?? none, edges[1] ?? none].flatMap((edge) => [edge.from, edge.to, edge.sign]);
}

function toFigures(row: StatsRow, withSaved: boolean): StatsFiguresDto {
  const median = medianOf(row.histogram?.map(Number) ?? [], VERIFY_SECONDS_EDGES);
  return {
    requested: row.requested,
    sent: row.sent,
    delivered: row.delivered,
    failed: row.failed,
    verified: row.verified,
    expired: row.expired,
    max_attempts: row.max_attempts,
    conversion_rate: row.requested > 0 ? Math.round((row.verified / row.requested) * 10_000) / 10_000 : null,
    median_seconds_to_verify: median === null ? null : Math.round(median * 100) / 100,
    estimated_cost: row.estimated_cost ?? '0',
    ...(withSaved ? { saved_vs_sms: row.saved_vs_sms } : {}),
  };
}

function emptyFigures(withSaved: boolean): StatsFiguresDto {
  return {
    requested: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    verified: 0,
    expired: 0,
    max_attempts: 0,
    conversion_rate: null,
    median_seconds_to_verify: null,
    estimated_cost: '0',
    ...(withSaved ? { saved_vs_sms: '0' } : {}),
  };
}

/**
 * The median (percentile_cont 0.5: the middle code, or the mean of the two middle ones) of the values a
 * histogram counts, the codes of a bucket taken as spread evenly over it. Each middle code is placed within the
 * width of its bucket (the open last bucket places them at its lower edge), so the median is within the width
 * of the buckets holding the middle codes: 1 s below 10 s, 2 s to 20 s, 5 s to 60 s, 10 s to 2 min, 30 s to
 * 5 min, 60 s to 10 min.
 */
export function medianOf(counts: readonly number[], edges: readonly number[]): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = (total - 1) / 2;
  return (valueAtRank(counts, edges, Math.floor(rank)) + valueAtRank(counts, edges, Math.ceil(rank))) / 2;
}

function valueAtRank(counts: readonly number[], edges: readonly number[], rank: number): number {
  let before = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    const count = counts[bucket];
    if (rank < before + count) {
      const lower = edges[bucket];
      const upper = edges[bucket + 1] ?? lower;
      return lower + ((rank - before + 0.5) / count) * (upper - lower);
    }
    before += count;
  }
  return edges[edges.length - 1];
}
