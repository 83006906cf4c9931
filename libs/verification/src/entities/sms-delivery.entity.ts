import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { SmsVerification } from './sms-verification.entity';
import { DeliveryStatus } from '@app/sms';

/** One attempt to hand a code to one provider. Failover makes several per verification. */
@Entity({ name: 'sms_deliveries' })
@Index('uq_sms_deliveries_provider_message', ['provider', 'providerMessageId'], {
  unique: true,
  where: 'provider_message_id IS NOT NULL',
})
@Index('idx_sms_deliveries_awaiting_status', ['statusCheckedAt'], { where: `status IN ('queued', 'sent', 'unknown')` })
export class SmsDelivery {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Index('idx_sms_deliveries_verification_id')
  @Column({ name: 'verification_id', type: 'uuid' })
  verificationId: string;

  @ManyToOne(() => SmsVerification, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'verification_id' })
  verification?: SmsVerification;

  @Column({ name: 'attempt_number', type: 'smallint' }) attemptNumber: number;

  @Column({ type: 'varchar', length: 32 }) provider: string;

  /** `sms`, `telegram` or `whatsapp` (DeliveryChannel). */
  @Column({ type: 'varchar', length: 16, default: 'sms' }) channel: string;

  /** What the attempt cost, when the vendor stated it (a decimal string as pg returns numeric). */
  @Column({ type: 'numeric', precision: 12, scale: 6, nullable: true }) cost: string | null;

  @Column({ name: 'cost_currency', type: 'varchar', length: 3, nullable: true }) costCurrency: string | null;

  @Column({ name: 'provider_message_id', type: 'varchar', length: 128, nullable: true }) providerMessageId:
    string | null;

  @Column({ type: 'varchar', length: 16 }) status: DeliveryStatus;

  /** The vendor's own last status (`DELIVRD`, `undelivered`, `70`). */
  @Column({ name: 'provider_status', type: 'varchar', length: 32, nullable: true }) providerStatus: string | null;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true }) errorCode: string | null;

  @Column({ name: 'error_message', type: 'varchar', length: 512, nullable: true }) errorMessage: string | null;

  /** Last time the poller asked the vendor; with `status_checks` it bounds the polling. */
  @Column({ name: 'status_checked_at', type: 'timestamptz', nullable: true }) statusCheckedAt: Date | null;

  @Column({ name: 'status_checks', type: 'int', default: 0 }) statusChecks: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
