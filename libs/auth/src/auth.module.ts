import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import type { AppConfig } from '@app/config';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwksController } from './jwks.controller';
import { ACCESS_TOKEN_SIGNER } from './signing/access-token-signer';
import { createAccessTokenSigner } from './signing/access-token-signer.factory';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { SessionRepository } from './session.repository';

@Module({
  imports: [
    TypeOrmModule.forFeature([User, Session, RefreshToken]),
    AuditModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      // HS256 only (JWT_ALGORITHM=HS256); the asymmetric algorithms sign with jose (ACCESS_TOKEN_SIGNER).
      useFactory: (config: ConfigService<AppConfig, true>) => {
        const secret = config.get('JWT_SECRET', { infer: true });
        if (config.get('JWT_ALGORITHM', { infer: true }) !== 'HS256' || !secret) return {};
        return {
          // A KeyObject, made once: given a string, jsonwebtoken derives a key object on every sign and verify.
          secret: createSecretKey(Buffer.from(secret, 'utf8')) as unknown as string,
          signOptions: { algorithm: 'HS256' },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
  ],
  controllers: [AuthController, JwksController],
  providers: [
    AuthService,
    AccessTokenService,
    AccessTokenGuard,
    SessionRepository,
    { provide: ACCESS_TOKEN_SIGNER, inject: [ConfigService, JwtService], useFactory: createAccessTokenSigner },
  ],
  exports: [AuthService, AccessTokenService, SessionRepository],
})
export class AuthModule {}
