import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { SmsVerification } from './sms-verification.entity';
import { DeliveryStatus } from '@app/sms';

/** One attempt to hand a code to one provider. Failover makes several per verification. */
@Entity({ name: 'sms_deliveries' })
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

  @Column({ name: 'provider_message_id', type: 'varchar', length: 128, nullable: true }) providerMessageId: string | null;

  @Column({ type: 'varchar', length: 16 }) status: DeliveryStatus;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true }) errorCode: string | null;

  @Column({ name: 'error_message', type: 'varchar', length: 512, nullable: true }) errorMessage: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
