/**
 * TRUST_PROXY → Fastify's `trustProxy` option (the semantics of Express's `trust proxy`, both use proxy-addr):
 * false, true, a hop count, or addresses/subnets.
 */
export function trustProxySetting(raw: string): boolean | number | string {
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return raw;
}
