import type { Response } from 'supertest';
import { sendCode, type SendOptions } from '../support/http-helpers';
import { nextIp, type TestApp } from '../support/test-app';

/** The operators' key every admin test app is booted with. */
export const ADMIN_API_KEY = 'admin-key-0123456789-abcdefghij';

export const STATS = '/api/v1/admin/stats';
export const VERIFICATIONS = '/api/v1/admin/verifications';
export const AUDIT = '/api/v1/admin/audit';

export type Query = Record<string, string | number>;

/** GET an admin endpoint with the operators' key. */
export function adminGet(t: TestApp, path: string, query: Query = {}, key = ADMIN_API_KEY) {
  return t.http.get(path).query(query).set('Authorization', `Bearer ${key}`);
}

/** POST send-code from a fresh client address, assert 200 and return the body. */
export async function sendOk(t: TestApp, phone: string, options: SendOptions = {}): Promise<Response['body']> {
  const res = await sendCode(t, phone, { ip: nextIp(), ...options });
  if (res.status !== 200) throw new Error(`send-code ${phone} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Follows next_cursor from the first page until it is null. `between(pageNumber)` runs after each page
 * that has a successor, before that successor is requested (e.g. to insert rows concurrently).
 */
export async function allPages<T>(
  t: TestApp,
  path: string,
  query: Query,
  between?: (pageNumber: number) => Promise<void>,
): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let cursor: string | null = null;
  do {
    const res: Response = await adminGet(t, path, cursor === null ? query : { ...query, cursor });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    expect(res.body.success).toBe(true);
    expect(Object.keys(res.body).sort()).toEqual(['items', 'next_cursor', 'success']);
    pages.push({ items: res.body.items, next_cursor: res.body.next_cursor });
    cursor = res.body.next_cursor;
    if (pages.length > 1000) throw new Error('pagination does not end');
    if (cursor !== null && between) await between(pages.length);
  } while (cursor !== null);
  return pages;
}

/** Ids that occur more than once. */
export function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false))))];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
