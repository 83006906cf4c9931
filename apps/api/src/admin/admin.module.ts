import { Module } from '@nestjs/common';
import { PhoneModule } from '@app/phone';
import { SmsModule } from '@app/sms';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AdminAuditRepository } from './audit/admin-audit.repository';
import { DashboardModule } from './dashboard/dashboard.module';
import { ProviderBalanceController } from './provider-balance.controller';
import { StatsController } from './stats/stats.controller';
import { StatsRepository } from './stats/stats.repository';
import { AdminVerificationsController } from './verifications/admin-verifications.controller';
import { AdminVerificationsRepository } from './verifications/admin-verifications.repository';

/** Operator endpoints behind ADMIN_API_KEY: statistics, code and audit queries, provider balances. */
@Module({
  imports: [SmsModule, PhoneModule, DashboardModule],
  controllers: [StatsController, AdminVerificationsController, AdminAuditController, ProviderBalanceController],
  providers: [AdminKeyGuard, StatsRepository, AdminVerificationsRepository, AdminAuditRepository],
})
export class AdminModule {}
