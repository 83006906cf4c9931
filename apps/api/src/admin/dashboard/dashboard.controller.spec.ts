import type { Response } from 'express';
import { DashboardController } from './dashboard.controller';
import { DASHBOARD_HTML, DASHBOARD_NONCE_PLACEHOLDER } from './dashboard-page';

/** A response that only records the headers the controller sets. */
function fakeResponse(): { response: Response; headers: Map<string, string> } {
  const headers = new Map<string, string>();
  const response = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), String(value)),
  } as unknown as Response;
  return { response, headers };
}

function serve(): { html: string; headers: Map<string, string>; nonce: string } {
  const { response, headers } = fakeResponse();
  const html = new DashboardController().page(response);
  const nonce = /script-src 'nonce-([^']+)'/.exec(headers.get('content-security-policy') ?? '')?.[1] ?? '';
  return { html, headers, nonce };
}

describe(DashboardController.name, () => {
  it('sends the page as uncached UTF-8 HTML', () => {
    const { html, headers } = serve();
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).toMatch(/^<!doctype html>/);
  });

  it('sends a strict CSP whose nonce is on every inline <script> and <style> of the page', () => {
    const { html, headers, nonce } = serve();
    const csp = headers.get('content-security-policy')!;
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22,}={0,2}$/);
    for (const directive of [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);

    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    const styles = html.match(/<style\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    expect(styles.length).toBeGreaterThan(0);
    for (const tag of [...scripts, ...styles]) expect(tag).toContain(`nonce="${nonce}"`);
    expect(html).not.toContain(DASHBOARD_NONCE_PLACEHOLDER);
  });

  it('draws a fresh nonce for every response', () => {
    const nonces = new Set(Array.from({ length: 5 }, () => serve().nonce));
    expect(nonces.size).toBe(5);
    const first = serve();
    const second = serve();
    expect(first.html).toContain(`nonce="${first.nonce}"`);
    expect(first.html).not.toContain(second.nonce);
  });

  it('is one self-contained document: no external resources, no HTML parsing of data', () => {
    expect(DASHBOARD_HTML).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(DASHBOARD_HTML).not.toMatch(/\burl\(\s*["']?(https?:)?\/\//i);
    expect(DASHBOARD_HTML).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    // Inline style attributes and event-handler attributes would be blocked by the CSP (no 'unsafe-inline').
    expect(DASHBOARD_HTML).not.toMatch(/<[^>]+\sstyle=/i);
    expect(DASHBOARD_HTML).not.toMatch(/<[^>]+\son[a-z]+=/i);
  });
});
