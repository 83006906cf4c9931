import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Logger,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import { SMS_PROVIDERS, SmsProvider, WebhookRejectedError, WebhookRequest } from '@app/sms';
import { DeliveryTrackingService, DeliveryUpdateOutcome } from './delivery-tracking.service';

/**
 * Delivery reports from vendors: POST /sms-auth/webhooks/:provider (Messaggio: …/messaggio/<token>).
 * Each adapter authenticates its own reports; a forged one gets 401 and changes nothing.
 * GET /sms-auth/webhooks/:provider answers a vendor's check of the URL (WhatsApp's hub.challenge).
 */
@ApiExcludeController()
@Controller('sms-auth/webhooks')
export class SmsWebhooksController {
  private readonly logger = new Logger(SmsWebhooksController.name);
  private readonly publicBaseUrl?: string;

  constructor(
    @Inject(SMS_PROVIDERS) private readonly providers: ReadonlyMap<string, SmsProvider>,
    private readonly tracking: DeliveryTrackingService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.publicBaseUrl = config.get('PUBLIC_BASE_URL', { infer: true })?.replace(/\/+$/, '');
  }

  /** The subscription check: the challenge as text/plain, or 403 (a wrong token, or none configured). */
  @Get(':provider')
  subscribe(
    @Param('provider') name: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): string {
    const provider = this.providers.get(name);
    if (!provider?.answerSubscription)
      throw new DomainError(ErrorCode.NotFound, `No webhook subscription is answered for "${name}"`);
    try {
      const challenge = provider.answerSubscription(query);
      // Set only on success: a refusal is the usual JSON error body.
      void reply.type('text/plain; charset=utf-8');
      return challenge;
    } catch (error) {
      if (!(error instanceof WebhookRejectedError)) throw error;
      this.logger.warn(`${name} webhook subscription refused: ${error.message}`);
      throw new ForbiddenException(error.message);
    }
  }

  @Post(':provider')
  @HttpCode(200)
  receive(@Param('provider') name: string, @Body() body: unknown, @Req() request: FastifyRequest) {
    return this.handle(name, undefined, body, request);
  }

  @Post(':provider/:token')
  @HttpCode(200)
  receiveWithToken(
    @Param('provider') name: string,
    @Param('token') token: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ) {
    return this.handle(name, token, body, request);
  }

  private async handle(name: string, pathToken: string | undefined, body: unknown, request: FastifyRequest) {
    const provider = this.providers.get(name);
    if (!provider?.parseDeliveryReport)
      throw new DomainError(ErrorCode.NotFound, `No delivery reports are accepted for "${name}"`);
    let reports;
    try {
      reports = provider.parseDeliveryReport(this.webhookRequest(request, body, pathToken));
    } catch (error) {
      if (error instanceof WebhookRejectedError) this.logger.warn(`${name} delivery report refused: ${error.message}`);
      throw error;
    }
    const outcomes: DeliveryUpdateOutcome[] = [];
    for (const report of reports) outcomes.push(await this.tracking.apply(provider.name, report, 'webhook'));
    return {
      success: true,
      updated: outcomes.filter((outcome) => outcome === 'updated').length,
      received: reports.length,
    };
  }

  /** The URL the vendor signed: PUBLIC_BASE_URL + path behind a proxy, else the URL as received. */
  private webhookRequest(request: FastifyRequest, body: unknown, pathToken?: string): WebhookRequest {
    const url = this.publicBaseUrl
      ? `${this.publicBaseUrl}${request.originalUrl}`
      : `${request.protocol}://${request.headers.host}${request.originalUrl}`;
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(request.headers))
      headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    return {
      url,
      headers,
      body: body && typeof body === 'object' ? (body as Record<string, unknown>) : {},
      rawBody: (request as FastifyRequest & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0),
      pathToken,
    };
  }
}
