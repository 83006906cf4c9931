import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { JobsModule } from '@app/jobs';
import { PhoneModule } from '@app/phone';
import { SmsModule } from '@app/sms';
import { CodeHasher } from './code-hasher';
import { DeliveryPoller } from './delivery/delivery-poller.service';
import { DeliveryTrackingRepository } from './delivery/delivery-tracking.repository';
import { DeliveryTrackingService } from './delivery/delivery-tracking.service';
import { SmsWebhooksController } from './delivery/sms-webhooks.controller';
import { PhoneLock } from './entities/phone-lock.entity';
import { DeliveryFailoverRepository } from './jobs/delivery-failover.repository';
import { DeliveryFailover } from './jobs/delivery-failover.service';
import { PostVerifyReports } from './jobs/post-verify-reports.service';
import { SupersededRevocations } from './jobs/superseded-revocations.service';
import { SmsDelivery } from './entities/sms-delivery.entity';
import { SmsVerification } from './entities/sms-verification.entity';
import { SendRecordWriter } from './send-record-writer';
import { SmsAuthController } from './sms-auth.controller';
import { TestNumbers } from './test-numbers.service';
import { ThrottlingModule } from './throttling/throttling.module';
import { VerificationRepository } from './verification.repository';
import { FraudGuard } from './fraud/fraud-guard.service';
import { VerificationService } from './verification.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([SmsVerification, SmsDelivery, PhoneLock]),
    AuditModule,
    AuthModule,
    JobsModule,
    PhoneModule,
    SmsModule,
    ThrottlingModule,
  ],
  controllers: [SmsAuthController, SmsWebhooksController],
  providers: [
    VerificationService,
    VerificationRepository,
    SendRecordWriter,
    CodeHasher,
    TestNumbers,
    DeliveryTrackingService,
    DeliveryTrackingRepository,
    DeliveryPoller,
    DeliveryFailover,
    DeliveryFailoverRepository,
    PostVerifyReports,
    SupersededRevocations,
    FraudGuard,
  ],
  exports: [VerificationService, DeliveryPoller, DeliveryFailover, DeliveryTrackingService, SendRecordWriter],
})
export class VerificationModule {}
