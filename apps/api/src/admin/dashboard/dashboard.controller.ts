import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Request, Response } from 'express';
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

/**
 * GET /admin: the operators' dashboard page, and GET /admin/<file> its CSS and JS (public/). The page is
 * static and public; the data it shows comes from the admin API, which wants the ADMIN_API_KEY the operator
 * types into the page. The files are read once, here, and served from memory.
 * Served outside the `api/v1` prefix (see configure-app.ts).
 */
@Controller('admin')
export class DashboardController {
  private readonly files: DashboardFiles = loadDashboardFiles();

  @Get()
  @ApiExcludeEndpoint()
  page(@Req() request: Request, @Res() response: Response): void {
    // The page names its files relative to /admin, so /admin/ would look for them under /admin/admin/.
    if (request.path.endsWith('/')) {
      const query = request.originalUrl.indexOf('?');
      response.redirect(301, `../admin${query === -1 ? '' : request.originalUrl.slice(query)}`);
      return;
    }
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.send(this.files[DASHBOARD_PAGE]);
  }

  /** Only the fixed names of DASHBOARD_ASSETS are routes; the name picks a file already in memory. */
  @Get(DASHBOARD_ASSET_NAMES)
  @ApiExcludeEndpoint()
  asset(@Req() request: Request, @Res() response: Response): void {
    const name = posix.basename(request.path);
    if (!isAsset(name)) throw new NotFoundException();
    response.setHeader('Content-Type', DASHBOARD_ASSETS[name]);
    // Revalidated on every load (a 304 when unchanged, thanks to the ETag), so a new deploy is seen at once.
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.send(this.files[name]);
  }
}
