import { createHmac, timingSafeEqual } from 'node:crypto';
import { scalarText } from '../../http/vendor-format';

/** Form parameters as a body parser hands them over: a repeated key may arrive as an array. */
export type TwilioFormParams = Record<string, unknown>;

/**
 * X-Twilio-Signature (providers.md §4): base64(HMAC-SHA1(authToken, url + each sorted name+value)).
 * A repeated key contributes each of its distinct values, sorted, as the official SDK does.
 */
export function twilioSignature(authToken: string, url: string, params: TwilioFormParams): string {
  const signed = Object.keys(params)
    .sort()
    .reduce((data, name) => data + nameValuePairs(name, params[name]), url);
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

/**
 * A form value as Twilio signed it: its text. Null, undefined, and a nested object (bracketed names parsed
 * by qs, which no Twilio callback sends) contribute nothing, so a signature over them fails as it should.
 */
function formText(value: unknown): string {
  return scalarText(value) ?? '';
}

function nameValuePairs(name: string, value: unknown): string {
  if (!Array.isArray(value)) return name + formText(value);
  return [...new Set(value.map(formText))]
    .sort()
    .map((item) => name + item)
    .join('');
}

/** Accepts a signature made over the URL with or without its scheme's explicit port, compared in constant time. */
export function isValidTwilioSignature(
  authToken: string,
  signature: string,
  url: string,
  params: TwilioFormParams,
): boolean {
  const given = Buffer.from(signature);
  let valid = false;
  for (const candidate of urlPortVariants(url)) {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params));
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'https:': '443', 'http:': '80' };

/**
 * Twilio signs its callback URL sometimes with and sometimes without the default port, so both spellings
 * count. Built on the string rather than `URL`, which would drop an explicit default port and re-encode.
 */
export function urlPortVariants(url: string): string[] {
  const parts = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)(.*)$/is.exec(url);
  const defaultPort = parts ? DEFAULT_PORTS[parts[1].toLowerCase()] : undefined;
  if (!parts || !defaultPort) return [url];
  const [, scheme, authority, rest] = parts;
  const at = authority.lastIndexOf('@');
  const userInfo = authority.slice(0, at + 1);
  const { host, port } = splitHostPort(authority.slice(at + 1));
  if (port !== undefined && port !== defaultPort) return [url];
  return [`${scheme}//${userInfo}${host}${rest}`, `${scheme}//${userInfo}${host}:${defaultPort}${rest}`];
}

function splitHostPort(hostPort: string): { host: string; port?: string } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  if (!match) return { host: hostPort };
  return { host: match[1], port: match[2] };
}
