import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { HealthReportDto } from './health-report.dto';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  // The docs Terminus would add describe its own 503 body; ours is the API's error (DomainErrorFilter).
  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthReportDto })
  // VALIDATION_FAILED (any route refuses an unreadable body) and INTERNAL.
  @ApiErrorResponses()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthReportDto })
  @ApiErrorResponses(ErrorCode.ServiceUnavailable)
  @ApiOperation({
    summary: 'Readiness: the database (and Redis, when configured) answer',
    description:
      'Ready (200, `status: "ok"`) while the database answers. Redis down does not make the service unready ' +
      '(per-IP limits fall back to each instance memory): it is reported at once, from the client state, as ' +
      '`error.redis` and `details.redis` = `{status: "down", degraded: true, connection, message}`.',
  })
  async ready(): Promise<HealthCheckResult> {
    const redis = this.redis.check();
    try {
      return withIndicator(
        await this.health.check([() => this.database.pingCheck('database', { timeout: 1500 })]),
        redis,
      );
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw new ServiceUnavailableException(withIndicator(error.getResponse() as HealthCheckResult, redis));
    }
  }
}

/** The result with a non-fatal indicator added to `info` or `error` and to `details`; `status` unchanged. */
function withIndicator(result: HealthCheckResult, indicator: HealthIndicatorResult): HealthCheckResult {
  const up = Object.values(indicator).every((value) => value.status === 'up');
  return {
    ...result,
    info: up ? { ...result.info, ...indicator } : result.info,
    error: up ? result.error : { ...result.error, ...indicator },
    details: { ...result.details, ...indicator },
  };
}
