import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SqlConditions } from '../sql-conditions';
import type { DeliveryAttemptDto, VerificationRowDto } from './verification-row.dto';

/** SMS_PRICES (provider → price) and SMS_PRICE_CURRENCY: the cost of an accepted attempt the vendor did not state. */
export interface AttemptPricing {
  prices: ReadonlyMap<string, string>;
  currency: string;
}

export interface VerificationFilter {
  phone?: string;
  status?: string;
  provider?: string;
  from: Date;
  to: Date;
  /** Exclusive keyset position: rows strictly older than (created_at, id). */
  after?: { createdAt: string; id: string };
  limit: number;
}

interface VerificationRow {
  id: string;
  phone_number: string;
  country: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  locale: string;
  provider: string | null;
  request_id: string | null;
  delivery_status: string | null;
  is_test_number: boolean;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  expires_at: Date;
  verified_at: Date | null;
  user_id: string | null;
  cursor_created_at: string;
}

type DeliveryRow = Omit<
  DeliveryAttemptDto,
  'message_id' | 'created_at' | 'updated_at' | 'cost' | 'cost_currency' | 'cost_source'
> & {
  verification_id: string;
  provider_message_id: string | null;
  cost: string | null;
  cost_currency: string | null;
  created_at: Date;
  updated_at: Date;
};

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/**
 * Keyset pages of codes, newest first, ordered by (created_at, id): stable under concurrent inserts.
 * Each filter has an index leading with its column and ending in (created_at, id).
 */
@Injectable()
export class AdminVerificationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(
    filter: VerificationFilter,
    pricing: AttemptPricing,
  ): Promise<{ rows: VerificationRowDto[]; last?: { createdAt: string; id: string }; more: boolean }> {
    const sql = new SqlConditions().add(
      (from, to) => `v.created_at >= ${from} AND v.created_at < ${to}`,
      filter.from,
      filter.to,
    );
    if (filter.phone) sql.add((p) => `v.phone_number = ${p}`, filter.phone);
    // A pending code past its expiry is expired, whether or not anyone has tried it since.
    if (filter.status === 'expired')
      sql.add(() => `(v.status = 'expired' OR (v.status = 'pending' AND v.expires_at <= now()))`);
    else if (filter.status === 'pending') sql.add(() => `v.status = 'pending' AND v.expires_at > now()`);
    else if (filter.status) sql.add((p) => `v.status = ${p}`, filter.status);
    if (filter.provider) sql.add((p) => `v.provider = ${p}`, filter.provider);
    if (filter.after)
      sql.add(
        (time, id) => `(v.created_at, v.id) < (${time}::timestamptz, ${id}::uuid)`,
        filter.after.createdAt,
        filter.after.id,
      );
    const limit = sql.param(filter.limit + 1);
    const rows = await this.dataSource.query<VerificationRow[]>(
      `SELECT v.id, v.phone_number, v.country,
              CASE WHEN v.status = 'pending' AND v.expires_at <= now() THEN 'expired' ELSE v.status END AS status,
                v.attempts, v.max_attempts, v.locale, v.provider, v.request_id,
              v.delivery_status, v.is_test_number, v.ip, v.user_agent, v.created_at, v.expires_at, v.verified_at,
                v.user_id,
              to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_created_at
         FROM sms_verifications v
        ${sql.where()}
        ORDER BY v.created_at DESC, v.id DESC
        LIMIT ${limit}`,
      sql.params,
    );
    const more = rows.length > filter.limit;
    const page = rows.slice(0, filter.limit);
    const deliveries = await this.deliveriesOf(
      page.map((row) => row.id),
      pricing,
    );
    const last = page.at(-1);
    return {
      rows: page.map((row) => ({
        id: row.id,
        phone_number: row.phone_number,
        country: row.country,
        status: row.status,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        locale: row.locale,
        provider: row.provider,
        sms_id: row.request_id,
        delivery_status: row.delivery_status,
        is_test_number: row.is_test_number,
        ip: row.ip,
        user_agent: row.user_agent,
        created_at: iso(row.created_at)!,
        expires_at: iso(row.expires_at)!,
        verified_at: iso(row.verified_at),
        user_id: row.user_id,
        deliveries: deliveries.get(row.id) ?? [],
      })),
      last: last ? { createdAt: last.cursor_created_at, id: last.id } : undefined,
      more,
    };
  }

  private async deliveriesOf(
    verificationIds: string[],
    pricing: AttemptPricing,
  ): Promise<Map<string, DeliveryAttemptDto[]>> {
    const byVerification = new Map<string, DeliveryAttemptDto[]>();
    if (verificationIds.length === 0) return byVerification;
    const rows = await this.dataSource.query<DeliveryRow[]>(
      `SELECT verification_id, attempt_number, provider, channel, cost::text AS cost, cost_currency,
        provider_message_id, status, provider_status, error_code, error_message, created_at, updated_at
         FROM sms_deliveries WHERE verification_id = ANY($1::uuid[]) ORDER BY verification_id, attempt_number`,
      [verificationIds],
    );
    for (const row of rows) {
      const attempts = byVerification.get(row.verification_id) ?? [];
      // The same rule as the stats' estimated_cost (in the vendor's own currency here, since it is stated).
      const price = row.provider_message_id !== null ? pricing.prices.get(row.provider) : undefined;
      const cost =
        row.cost !== null
          ? { cost: row.cost, cost_currency: row.cost_currency, cost_source: 'vendor' as const }
          : price !== undefined
            ? { cost: price, cost_currency: pricing.currency, cost_source: 'sms_prices' as const }
            : { cost: null, cost_currency: null, cost_source: null };
      attempts.push({
        attempt_number: row.attempt_number,
        provider: row.provider,
        channel: row.channel,
        ...cost,
        message_id: row.provider_message_id,
        status: row.status,
        provider_status: row.provider_status,
        error_code: row.error_code,
        error_message: row.error_message,
        created_at: iso(row.created_at)!,
        updated_at: iso(row.updated_at)!,
      });
      byVerification.set(row.verification_id, attempts);
    }
    return byVerification;
  }
}
