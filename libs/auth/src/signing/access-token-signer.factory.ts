import { type ConfigService } from '@nestjs/config';
import { type JwtService } from '@nestjs/jwt';
import { type AppConfig, parseSigningKeys, secretKeyId } from '@app/config';
import type { AccessTokenSigner } from './access-token-signer';
import { HmacAccessTokenSigner } from './hmac-access-token-signer';
import { JoseAccessTokenSigner } from './jose-access-token-signer';

/** The signer JWT_ALGORITHM names, its keys imported once here (validateEnv has checked them). */
export function createAccessTokenSigner(config: ConfigService<AppConfig, true>, jwt: JwtService): AccessTokenSigner {
  const algorithm = config.get('JWT_ALGORITHM', { infer: true });
  if (algorithm === 'HS256') {
    const secret = config.get('JWT_SECRET', { infer: true });
    if (!secret) throw new Error('JWT_SECRET: is required with JWT_ALGORITHM=HS256');
    return new HmacAccessTokenSigner(jwt, secretKeyId(secret));
  }
  const keys = parseSigningKeys(config.get('JWT_PRIVATE_KEYS', { infer: true }), algorithm);
  if (keys.length === 0)
    throw new Error(
      `JWT_PRIVATE_KEYS: is empty with JWT_ALGORITHM=${algorithm} ` +
        '(the service generates one into DATA_DIR at start; an app built without main.ts must set it)',
    );
  return new JoseAccessTokenSigner(keys);
}
