import { Module } from '@nestjs/common';
import { SmsModule } from '@app/sms';
import { AdminKeyGuard } from './admin-key.guard';
import { ProviderBalanceController } from './provider-balance.controller';

/** Operator endpoints behind ADMIN_API_KEY. */
@Module({
  imports: [SmsModule],
  controllers: [ProviderBalanceController],
  providers: [AdminKeyGuard],
})
export class AdminModule {}
