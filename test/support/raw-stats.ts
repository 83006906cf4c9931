import type { Pool } from 'pg';

/**
 * The ground truth of /admin/stats: the figures computed from the raw codes and attempts, one scan, as the
 * service did before the rollups (the same definitions: see StatsRepository). Medians come as the exact
 * seconds-to-verify of the group, for the test to place the reported median within its precision.
 */
const GROUP_KEY: Record<string, string> = {
  day: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  provider: `coalesce(provider, 'none')`,
  country: `coalesce(country, 'unknown')`,
  channel: `channel`,
};

export interface RawPricing {
  prices: Record<string, string>;
  currency: string;
  smsPriceByCountry: Record<string, string>;
  smsPriceFallback: string | null;
}

export interface RawStatsRow {
  key: string | null;
  is_total: boolean;
  requested: number;
  sent: number;
  delivered: number;
  failed: number;
  verified: number;
  expired: number;
  max_attempts: number;
  verify_seconds: number[] | null;
  estimated_cost: string | null;
  saved_vs_sms: string;
  vendor_costs: number;
}

export async function rawStats(
  sql: Pool,
  from: Date,
  to: Date,
  groupBy: string,
  pricing: RawPricing,
): Promise<RawStatsRow[]> {
  const { rows } = await sql.query<RawStatsRow>(
    `WITH prices AS (SELECT * FROM unnest($3::text[], $4::numeric[]) AS p(provider, price)),
            sms_prices AS (SELECT * FROM unnest($6::text[], $7::numeric[]) AS s(country, price)),
            costed AS (
              -- The code's own columns, but not its channel: the truth takes it from the attempts.
              SELECT v.id, v.created_at, v.provider, v.country, v.status, v.delivery_status, v.expires_at,
                     v.verified_at,
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
              array_agg(extract(epoch FROM verified_at - created_at)::float8 ORDER BY verified_at - created_at)
                FILTER (WHERE status = 'approved' AND verified_at IS NOT NULL) AS verify_seconds,
              sum(cost)::text AS estimated_cost,
              coalesce(sum(sms_price - cost) FILTER (WHERE channel = ANY($9::text[]) AND sms_price IS NOT NULL),
                0)::text AS saved_vs_sms,
              sum(vendor_costs)::int AS vendor_costs
         FROM codes
        GROUP BY GROUPING SETS ((key), ())
        ORDER BY is_total, key`,
    [
      from,
      to,
      Object.keys(pricing.prices),
      Object.values(pricing.prices),
      pricing.currency,
      Object.keys(pricing.smsPriceByCountry),
      Object.values(pricing.smsPriceByCountry),
      pricing.smsPriceFallback,
      ['telegram', 'whatsapp'],
    ],
  );
  return rows;
}
