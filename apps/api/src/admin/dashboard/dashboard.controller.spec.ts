import { NotFoundException } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DECORATORS } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import { extname, join } from 'node:path';
import { DASHBOARD_ASSET_NAMES, DASHBOARD_PAGE, DASHBOARD_ROUTES } from './dashboard-files';
import { DASHBOARD_CSP, DashboardController } from './dashboard.controller';

const PUBLIC_DIR = join(__dirname, 'public');
/** The files as they are on disk, read here independently of the controller. */
const onDisk = (name: string): Buffer => fs.readFileSync(join(PUBLIC_DIR, name));
const textOf = (name: string): string => onDisk(name).toString('utf8');

const HTML = textOf(DASHBOARD_PAGE);
const CSS_FILES = DASHBOARD_ASSET_NAMES.filter((name) => name.endsWith('.css'));
const JS_FILES = DASHBOARD_ASSET_NAMES.filter((name) => name.endsWith('.js'));

interface Served {
  status?: number;
  headers: Map<string, string>;
  body?: unknown;
  redirect?: { status: number; location: string };
}

/** A response that only records the headers, the body and a redirect. */
function fakeResponse(): { response: FastifyReply; served: Served } {
  const served: Served = { headers: new Map() };
  const response = {
    header: (name: string, value: string) => {
      served.headers.set(name.toLowerCase(), String(value));
      return response;
    },
    code: (status: number) => {
      served.status = status;
      return response;
    },
    send: (body: unknown) => {
      served.body = body;
      return response;
    },
    redirect: (location: string, status: number) => {
      served.redirect = { status, location };
      return response;
    },
  } as unknown as FastifyReply;
  return { response, served };
}

function fakeRequest(url: string, headers: Record<string, string> = {}): FastifyRequest {
  return { url, originalUrl: url, headers } as unknown as FastifyRequest;
}

/** The files a readFileSync spy saw, leaving out Jest's own reads (its matchers load their sources on a failure). */
function filesRead(read: jest.SpyInstance): string[] {
  return read.mock.calls.map(([path]) => String(path)).filter((path) => !path.includes('/node_modules/'));
}

function getPage(controller: DashboardController, url = '/admin'): Served {
  const { response, served } = fakeResponse();
  controller.page(fakeRequest(url), response);
  return served;
}

function getAsset(controller: DashboardController, name: string, headers: Record<string, string> = {}): Served {
  const { response, served } = fakeResponse();
  controller.asset(fakeRequest(`/admin/${name}`, headers), response);
  return served;
}

describe(DashboardController.name, () => {
  let controller: DashboardController;
  beforeAll(() => {
    controller = new DashboardController();
  });

  describe('GET /admin', () => {
    it('sends the page as uncached UTF-8 HTML with the security headers', () => {
      const { headers } = getPage(controller);
      expect(Object.fromEntries(headers)).toEqual({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
    });

    it("sends a CSP of exactly these directives: 'self' for scripts and styles, no nonce, nothing inline", () => {
      const csp = getPage(controller).headers.get('content-security-policy')!;
      expect(csp.split('; ')).toEqual([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
      ]);
      expect(csp).not.toMatch(/nonce-|sha\d+-|unsafe-|\*|https?:/);
    });

    it('sends the bytes of public/index.html', () => {
      const { body } = getPage(controller);
      expect(Buffer.isBuffer(body)).toBe(true);
      expect((body as Buffer).equals(onDisk(DASHBOARD_PAGE))).toBe(true);
      expect((body as Buffer).toString('utf8')).toMatch(/^<!doctype html>/);
    });

    it('sends /admin/ to /admin (the page names its files relative to /admin), keeping the query', () => {
      expect(getPage(controller, '/admin/').redirect).toEqual({ status: 301, location: '../admin' });
      expect(getPage(controller, '/admin/?page_size=1').redirect).toEqual({
        status: 301,
        location: '../admin?page_size=1',
      });
      const { body, redirect } = getPage(controller, '/admin?page_size=1');
      expect(redirect).toBeUndefined();
      expect(Buffer.isBuffer(body)).toBe(true);
    });
  });

  describe('GET /admin/<file>', () => {
    it.each(DASHBOARD_ASSET_NAMES)('sends %s with its type, nosniff, no-cache and an ETag, byte for byte', (name) => {
      const { status, headers, body } = getAsset(controller, name);
      const type = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' }[extname(name)];
      expect(status).toBeUndefined();
      expect(Object.fromEntries(headers)).toEqual({
        'content-type': type,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        etag: expect.stringMatching(/^"[A-Za-z0-9_-]{27}"$/),
      });
      expect(Buffer.isBuffer(body)).toBe(true);
      expect((body as Buffer).equals(onDisk(name))).toBe(true);
    });

    it('answers a revalidation with 304 and no body while the file is unchanged, and the file once it changed', () => {
      const tags = DASHBOARD_ASSET_NAMES.map((name) => getAsset(controller, name).headers.get('etag')!);
      expect(new Set(tags).size).toBe(tags.length);
      const [name] = DASHBOARD_ASSET_NAMES;
      const [tag] = tags;
      for (const ifNoneMatch of [tag, `W/${tag}`, `"stale", ${tag}`, '*']) {
        const revalidated = getAsset(controller, name, { 'if-none-match': ifNoneMatch });
        expect(revalidated.status).toBe(304);
        expect(revalidated.body).toBeUndefined();
        expect(revalidated.headers.get('etag')).toBe(tag);
      }
      const changed = getAsset(controller, name, { 'if-none-match': tags[1] });
      expect(changed.status).toBeUndefined();
      expect((changed.body as Buffer).equals(onDisk(name))).toBe(true);
    });

    it('has one fixed route per file, outside the API prefix, and none of them in Swagger', () => {
      const paths = Reflect.getMetadata(PATH_METADATA, DashboardController.prototype.asset) as string[];
      expect(paths).toEqual(DASHBOARD_ASSET_NAMES);
      for (const path of paths) expect(path).toMatch(/^[a-z-]+\.(css|js)$/); // no parameter, no wildcard
      expect(Reflect.getMetadata(PATH_METADATA, DashboardController.prototype.page)).toBe('/');
      expect(DASHBOARD_ROUTES).toEqual(['admin', ...DASHBOARD_ASSET_NAMES.map((name) => `admin/${name}`)]);
      for (const handler of [DashboardController.prototype.page, DashboardController.prototype.asset]) {
        expect(Reflect.getMetadata(DECORATORS.API_EXCLUDE_ENDPOINT, handler)).toEqual({ disable: true });
      }
    });

    it('serves nothing but those files: other names are a 404, not a disk read', () => {
      const read = jest.spyOn(fs, 'readFileSync');
      try {
        for (const path of ['index.html', '../main.js', '..%2Fmain.js', 'DASHBOARD.CSS', 'dashboard.js.map', '']) {
          expect(() => getAsset(controller, path)).toThrow(NotFoundException);
        }
        expect(filesRead(read)).toEqual([]);
      } finally {
        read.mockRestore();
      }
    });

    it('serves every file in public/, and public/ holds no file it does not serve', () => {
      expect(fs.readdirSync(PUBLIC_DIR).sort()).toEqual([DASHBOARD_PAGE, ...DASHBOARD_ASSET_NAMES].sort());
      expect(CSS_FILES).toEqual(['dashboard.css']);
      expect(JS_FILES).toContain('dashboard.js');
    });
  });

  it('reads each file once, when it is constructed, and then serves from memory', () => {
    const read = jest.spyOn(fs, 'readFileSync');
    try {
      const fresh = new DashboardController();
      const paths = filesRead(read).sort();
      expect(paths).toEqual([DASHBOARD_PAGE, ...DASHBOARD_ASSET_NAMES].map((name) => join(PUBLIC_DIR, name)).sort());
      read.mockClear();
      for (let i = 0; i < 3; i += 1) {
        getPage(fresh);
        for (const name of DASHBOARD_ASSET_NAMES) getAsset(fresh, name);
      }
      expect(filesRead(read)).toEqual([]);
    } finally {
      read.mockRestore();
    }
  });

  describe('the files', () => {
    it('the page links its stylesheet and entry module, with nothing inline', () => {
      const links = HTML.match(/<link\b[^>]*>/g) ?? [];
      expect(links.filter((tag) => /rel="stylesheet"/.test(tag))).toEqual([
        '<link rel="stylesheet" href="admin/dashboard.css" />',
      ]);
      const scripts = [...HTML.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.map(([, attributes]) => attributes.trim())).toEqual(['type="module" src="admin/dashboard.js"']);
      for (const [, , body] of scripts) expect(body).toBe(''); // an inline body would be blocked by the CSP
      expect(HTML.match(/<script\b/g)).toHaveLength(scripts.length);
      expect(HTML).not.toMatch(/<style\b/i);
    });

    it.each([DASHBOARD_PAGE, ...DASHBOARD_ASSET_NAMES])(
      '%s has no style= or on…= attribute, creates no script or style element, has no javascript: URL',
      (name) => {
        const text = textOf(name);
        // Blocked by the CSP (no 'unsafe-inline'), in the markup or built by a script.
        expect(text).not.toMatch(/<[^>]+\sstyle\s*=/i);
        expect(text).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
        expect(text).not.toMatch(/setAttribute\(\s*['"`](style|on[a-z]+)['"`]/i);
        expect(text).not.toMatch(/['"]?\b(style|on[a-z]+)['"]?\s*:\s*['"`]/); // { style: '…' } handed to el()/svg()
        expect(text).not.toMatch(/\.cssText\b|\.on[a-z]+\s*=[^=]/);
        expect(text).not.toMatch(/javascript:/i);
        expect(text).not.toMatch(/createElement(NS)?\([^)]*['"`](script|style|link|iframe)['"`]/i);
      },
    );

    it.each([DASHBOARD_PAGE, ...DASHBOARD_ASSET_NAMES])(
      '%s loads nothing from another origin (works offline)',
      (name) => {
        // The SVG namespace is an identifier, not something fetched.
        const text = textOf(name).split("'http://www.w3.org/2000/svg'").join("''");
        expect(text).not.toMatch(/https?:\/\//i);
        expect(text).not.toMatch(/\b(src|href|action)\s*=\s*["']?\/\//i); // protocol-relative
        expect(text).not.toMatch(/\burl\(/i);
        expect(text).not.toMatch(/@import\b/i);
        expect(text).not.toMatch(/['"`]\/\/[^\s'"`]/); // a protocol-relative URL in a script
      },
    );

    it.each(JS_FILES)('%s builds the DOM without parsing HTML and runs no code from strings', (name) => {
      const js = textOf(name);
      expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\b/);
      expect(js).not.toMatch(/\b(setTimeout|setInterval)\(\s*['"`]/);
      expect(js).not.toMatch(/createContextualFragment|DOMParser|srcdoc/);
    });

    it('the JS modules import only each other, by served name, and dashboard.js reaches them all', () => {
      // `import … from '…'`, `import '…'` and `export … from '…'`.
      const specifier = /^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
      const importsOf = (name: string): string[] => [...textOf(name).matchAll(specifier)].map(([, from]) => from);
      const reached = new Set<string>();
      const visit = (name: string): void => {
        if (reached.has(name)) return;
        reached.add(name);
        for (const from of importsOf(name)) {
          expect(from).toMatch(/^\.\/[a-z-]+\.js$/);
          expect(JS_FILES).toContain(from.slice(2));
          visit(from.slice(2));
        }
      };
      visit('dashboard.js');
      expect([...reached].sort()).toEqual([...JS_FILES].sort());
      for (const name of JS_FILES) expect(textOf(name)).not.toMatch(/\bimport\s*\(|\brequire\s*\(/);
    });
  });
});
