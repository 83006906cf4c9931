import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SmsPricePerCode } from './sms-price-per-code';
import type { StatsGrouping } from './stats-query.dto';
import type { StatsFiguresDto, StatsGroupDto } from './stats-response.dto';

/** Over the columns of a code (sms_verifications) and its `channel`. */
const GROUP_KEY: Record<StatsGrouping, string> = {
  day: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  provider: `coalesce(provider, 'none')`,
  country: `coalesce(country, 'unknown')`,
  channel: `channel`,
};

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
  median_seconds: number | null;
  estimated_cost: string;
  saved_vs_sms: string;
  vendor_costs: number;
}

/**
 * One scan of the codes created in [from, to) (index on created_at), grouped and totalled in the same
 * statement (GROUPING SETS).
 *
 * Cost of a code: the sum over its delivery attempts of the cost the vendor stated (when in SMS_PRICE_CURRENCY
 * or without a currency), else, for an accepted attempt (one with a vendor message id), the SMS_PRICES of its
 * provider. Channel of a code: that of the attempt that delivered it, else of the last accepted attempt (a
 * later link is tried only when an earlier one did not deliver in time, so a code several links delivered
 * counts once, under the latest of them); a test number's code is `sms`; `none` when no link accepted.
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
    const rows: StatsRow[] = await this.dataSource.query(
      `WITH prices AS (SELECT * FROM unnest($3::text[], $4::numeric[]) AS p(provider, price)),
            sms_prices AS (SELECT * FROM unnest($6::text[], $7::numeric[]) AS s(country, price)),
            costed AS (
              SELECT v.*,
                     coalesce(ch.channel, CASE WHEN v.provider IS NOT NULL THEN 'sms' END, 'none') AS channel,
                     coalesce(c.cost, 0) AS cost, coalesce(c.vendor_costs, 0) AS vendor_costs,
                     coalesce((SELECT s.price FROM sms_prices s WHERE s.country = v.country), $8::numeric)
                       AS sms_price
                FROM sms_verifications v
                LEFT JOIN LATERAL (
                  SELECT d.channel FROM sms_deliveries d
                   WHERE d.verification_id = v.id AND d.provider_message_id IS NOT NULL
                   ORDER BY d.status IN ('delivered', 'read') DESC, d.attempt_number DESC
                   LIMIT 1) ch ON true
                LEFT JOIN LATERAL (
                  SELECT sum(CASE WHEN d.cost IS NOT NULL AND (d.cost_currency IS NULL OR d.cost_currency = $5)
                                  THEN d.cost
                                  WHEN d.provider_message_id IS NOT NULL THEN p.price END) AS cost,
                         count(*) FILTER (WHERE d.cost IS NOT NULL
                           AND (d.cost_currency IS NULL OR d.cost_currency = $5)) AS vendor_costs
                    FROM sms_deliveries d LEFT JOIN prices p ON p.provider = d.provider
                   WHERE d.verification_id = v.id) c ON true
               WHERE v.created_at >= $1 AND v.created_at < $2),
            codes AS (SELECT *, ${GROUP_KEY[groupBy]} AS key FROM costed)
       SELECT key, grouping(key) = 1 AS is_total,
              count(*)::int AS requested,
              count(*) FILTER (WHERE provider IS NOT NULL)::int AS sent,
              -- Read (Telegram, WhatsApp) is delivered, and then some.
              count(*) FILTER (WHERE delivery_status IN ('delivered', 'read'))::int AS delivered,
              count(*) FILTER (WHERE status = 'failed' OR delivery_status IN ('failed', 'expired'))::int AS failed,
              count(*) FILTER (WHERE status = 'approved')::int AS verified,
              count(*) FILTER (WHERE status = 'expired' OR (status = 'pending'
                AND expires_at <= now()))::int AS expired,
              count(*) FILTER (WHERE status = 'max_attempts_reached')::int AS max_attempts,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - created_at))
                FILTER (WHERE status = 'approved') AS median_seconds,
              sum(cost)::text AS estimated_cost,
              coalesce(sum(sms_price - cost) FILTER (WHERE channel = ANY($9::text[]) AND sms_price IS NOT NULL),
                0)::text AS saved_vs_sms,
              sum(vendor_costs)::int AS vendor_costs
         FROM codes
        GROUP BY GROUPING SETS ((key), ())
        ORDER BY is_total, ${groupBy === 'day' ? 'key' : 'requested DESC, key'}`,
      [
        from,
        to,
        [...pricing.prices.keys()],
        [...pricing.prices.values()],
        pricing.currency,
        [...smsPrices.byCountry.keys()],
        [...smsPrices.byCountry.values()],
        smsPrices.fallback,
        NON_SMS_CHANNELS,
      ],
    );
    const withSaved = groupBy === 'channel';
    const total = rows.find((row) => row.is_total);
    return {
      totals: total ? toFigures(total, withSaved) : emptyFigures(withSaved),
      groups: rows
        .filter((row) => !row.is_total)
        .map((row) => ({ key: row.key ?? 'unknown', ...toFigures(row, withSaved) })),
      vendorCosts: (total?.vendor_costs ?? 0) > 0,
    };
  }
}

function toFigures(row: StatsRow, withSaved: boolean): StatsFiguresDto {
  return {
    requested: row.requested,
    sent: row.sent,
    delivered: row.delivered,
    failed: row.failed,
    verified: row.verified,
    expired: row.expired,
    max_attempts: row.max_attempts,
    conversion_rate: row.requested > 0 ? Math.round((row.verified / row.requested) * 10_000) / 10_000 : null,
    median_seconds_to_verify: row.median_seconds === null ? null : Math.round(Number(row.median_seconds) * 100) / 100,
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
