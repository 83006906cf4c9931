import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import {
  DASHBOARD_ASSET_NAMES,
  DASHBOARD_ASSETS,
  DASHBOARD_PAGE,
  type DashboardAsset,
  type DashboardFiles,
  loadDashboardFiles,
} from './dashboard-files';

/** The page's Content-Security-Policy: scripts and styles only from this server's files, nothing inline. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function isAsset(name: string): name is DashboardAsset {
  return Object.prototype.hasOwnProperty.call(DASHBOARD_ASSETS, name);
}

/** A strong validator of a file's bytes, computed once when the files are read. */
function entityTag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** If-None-Match lists this tag (or `*`); weak comparison (RFC 9110 §13.1.2), so `W/"…"` matches too. */
function matches(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const trimmed = candidate.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === tag;
  });
}

/**
 * GET /admin: the operators' dashboard page, and GET /admin/<file> its CSS and JS (public/). The page is
 * static and public; the data it shows comes from the admin API, which wants the ADMIN_API_KEY the operator
 * types into the page. The files are read once, here, and served from memory.
 * Served outside the `api/v1` prefix (see configure-app.ts).
 */
@Controller('admin')
export class DashboardController {
  private readonly files: DashboardFiles = loadDashboardFiles();
  private readonly tags = new Map(DASHBOARD_ASSET_NAMES.map((name) => [name, entityTag(this.files[name])]));

  @Get()
  @ApiExcludeEndpoint()
  page(@Req() request: FastifyRequest, @Res() response: FastifyReply): void {
    // The page names its files relative to /admin, so /admin/ would look for them under /admin/admin/.
    const query = request.originalUrl.indexOf('?');
    const path = query === -1 ? request.originalUrl : request.originalUrl.slice(0, query);
    if (path.endsWith('/')) {
      void response.redirect(`../admin${query === -1 ? '' : request.originalUrl.slice(query)}`, 301);
      return;
    }
    void response
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .header('Content-Security-Policy', DASHBOARD_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'no-referrer')
      .send(this.files[DASHBOARD_PAGE]);
  }

  /** Only the fixed names of DASHBOARD_ASSETS are routes; the name picks a file already in memory. */
  @Get(DASHBOARD_ASSET_NAMES)
  @ApiExcludeEndpoint()
  asset(@Req() request: FastifyRequest, @Res() response: FastifyReply): void {
    const name = posix.basename(request.url.split('?')[0]);
    if (!isAsset(name)) throw new NotFoundException();
    // Revalidated on every load (a 304 when unchanged, by the ETag), so a new deploy is seen at once.
    const tag = this.tags.get(name)!;
    void response.header('ETag', tag).header('Cache-Control', 'no-cache').header('X-Content-Type-Options', 'nosniff');
    if (matches(request.headers['if-none-match'], tag)) {
      void response.code(304).send();
      return;
    }
    void response.header('Content-Type', DASHBOARD_ASSETS[name]).send(this.files[name]);
  }
}
