import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
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
  // Any route refuses an unreadable body or a NUL in the URL or headers with 400 VALIDATION_FAILED.
  @ApiErrorResponses(ErrorCode.ValidationFailed)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthReportDto })
  @ApiErrorResponses(ErrorCode.ValidationFailed, ErrorCode.ServiceUnavailable)
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer' })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1500 }),
      () => this.redis.isHealthy(),
    ]);
  }
}
