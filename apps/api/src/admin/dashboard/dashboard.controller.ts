import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { renderDashboard } from './dashboard-page';

/** The Content-Security-Policy of one response: only this response's nonced <script> and <style> run. */
export function dashboardCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * GET /admin: the operators' dashboard page. The page is static and public; the data it shows comes
 * from the admin API, which wants the ADMIN_API_KEY the operator types into the page.
 * Served outside the `api/v1` prefix (see configure-app.ts).
 */
@Controller('admin')
export class DashboardController {
  @Get()
  @ApiExcludeEndpoint()
  page(@Res({ passthrough: true }) response: Response): string {
    const nonce = randomBytes(18).toString('base64');
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Security-Policy', dashboardCsp(nonce));
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Referrer-Policy', 'no-referrer');
    return renderDashboard(nonce);
  }
}
