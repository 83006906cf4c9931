import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { StatsGrouping } from './stats-query.dto';
import type { StatsFiguresDto, StatsGroupDto } from './stats-response.dto';

const GROUP_KEY: Record<StatsGrouping, string> = {
  day: `to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  provider: `coalesce(v.provider, 'none')`,
  country: `coalesce(v.country, 'unknown')`,
};

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
}

/**
 * One scan of the codes created in [from, to) (index on created_at), grouped and totalled in the same
 * statement (GROUPING SETS). Cost: accepted SMS (a delivery attempt with a vendor message id) × price.
 */
@Injectable()
export class StatsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async figures(
    from: Date,
    to: Date,
    groupBy: StatsGrouping,
    prices: Map<string, string>,
  ): Promise<{ totals: StatsFiguresDto; groups: StatsGroupDto[] }> {
    const rows: StatsRow[] = await this.dataSource.query(
      `WITH prices AS (SELECT * FROM unnest($3::text[], $4::numeric[]) AS p(provider, price)),
            codes AS (
              SELECT v.*, ${GROUP_KEY[groupBy]} AS key,
                     (SELECT coalesce(sum(p.price), 0) FROM sms_deliveries d JOIN prices p ON p.provider = d.provider
                       WHERE d.verification_id = v.id AND d.provider_message_id IS NOT NULL) AS cost
                FROM sms_verifications v
               WHERE v.created_at >= $1 AND v.created_at < $2)
       SELECT key, grouping(key) = 1 AS is_total,
              count(*)::int AS requested,
              count(*) FILTER (WHERE provider IS NOT NULL)::int AS sent,
              count(*) FILTER (WHERE delivery_status = 'delivered')::int AS delivered,
              count(*) FILTER (WHERE status = 'failed' OR delivery_status IN ('failed', 'expired'))::int AS failed,
              count(*) FILTER (WHERE status = 'approved')::int AS verified,
              count(*) FILTER (WHERE status = 'expired' OR (status = 'pending'
                AND expires_at <= now()))::int AS expired,
              count(*) FILTER (WHERE status = 'max_attempts_reached')::int AS max_attempts,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - created_at))
                FILTER (WHERE status = 'approved') AS median_seconds,
              sum(cost)::text AS estimated_cost
         FROM codes
        GROUP BY GROUPING SETS ((key), ())
        ORDER BY is_total, ${groupBy === 'day' ? 'key' : 'requested DESC, key'}`,
      [from, to, [...prices.keys()], [...prices.values()]],
    );
    const total = rows.find((row) => row.is_total);
    return {
      totals: total ? toFigures(total) : emptyFigures(),
      groups: rows.filter((row) => !row.is_total).map((row) => ({ key: row.key ?? 'unknown', ...toFigures(row) })),
    };
  }
}

function toFigures(row: StatsRow): StatsFiguresDto {
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
  };
}

function emptyFigures(): StatsFiguresDto {
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
  };
}
