import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { JobsModule } from '@app/jobs';
import { PhoneModule } from '@app/phone';
import { SmsModule } from '@app/sms';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AdminAuditRepository } from './audit/admin-audit.repository';
import { DashboardModule } from './dashboard/dashboard.module';
import { AdminFraudController } from './fraud/admin-fraud.controller';
import { AdminFraudRepository } from './fraud/admin-fraud.repository';
import { PrefixBlocksGauge } from './fraud/prefix-blocks.gauge';
import { AdminPhonesController } from './phones/admin-phones.controller';
import { AdminPhonesRepository } from './phones/admin-phones.repository';
import { ProviderBalanceController } from './provider-balance.controller';
import { StatsController } from './stats/stats.controller';
import { StatsFoldJob } from './stats/stats-fold.job';
import { StatsRepository } from './stats/stats.repository';
import { AdminUsersController } from './users/admin-users.controller';
import { AdminUsersRepository } from './users/admin-users.repository';
import { AdminVerificationsController } from './verifications/admin-verifications.controller';
import { AdminVerificationsRepository } from './verifications/admin-verifications.repository';

/**
 * Operator endpoints behind ADMIN_API_KEY: statistics, code and audit queries, provider balances, and the
 * operators' actions on phones and users (SPEC §7).
 */
@Module({
  imports: [SmsModule, PhoneModule, AuditModule, AuthModule, DashboardModule, JobsModule],
  controllers: [
    StatsController,
    AdminVerificationsController,
    AdminAuditController,
    ProviderBalanceController,
    AdminPhonesController,
    AdminFraudController,
    AdminUsersController,
  ],
  providers: [
    AdminKeyGuard,
    StatsRepository,
    StatsFoldJob,
    AdminVerificationsRepository,
    AdminAuditRepository,
    AdminPhonesRepository,
    AdminFraudRepository,
    PrefixBlocksGauge,
    AdminUsersRepository,
  ],
})
export class AdminModule {}
