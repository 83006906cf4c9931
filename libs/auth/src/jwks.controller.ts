import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '@app/common';
import { AccessTokenService } from './access-token.service';
import { JwksResponseDto } from './dto/jwks-response.dto';

/** Other backends cache the key set this long; a rotation waits at least as long (README "Signing keys"). */
export const JWKS_MAX_AGE_SECONDS = 300;
export const JWKS_CACHE_CONTROL = `public, max-age=${JWKS_MAX_AGE_SECONDS}`;
/** At the root, outside the API prefix (configure-app.ts excludes it), where JWKS clients look. */
export const WELL_KNOWN_JWKS_PATH = '.well-known/jwks.json';

const JWKS_RESPONSE = {
  type: JwksResponseDto,
  description: 'The public keys of the access tokens (`{"keys":[]}` with JWT_ALGORITHM=HS256)',
  headers: {
    'Cache-Control': {
      description: 'JWKS clients may cache the set this long',
      required: true,
      schema: { type: 'string', example: JWKS_CACHE_CONTROL },
    },
  },
};

const DESCRIPTION =
  'Verify an access token with the key whose `kid` is in its header, the algorithm pinned to that key’s ' +
  '`alg`, and check `iss`, `aud` and `exp` (e.g. jose: createRemoteJWKSet + jwtVerify).';

@ApiTags('auth')
@Controller()
export class JwksController {
  constructor(private readonly accessTokens: AccessTokenService) {}

  @Get(WELL_KNOWN_JWKS_PATH)
  @Header('Cache-Control', JWKS_CACHE_CONTROL)
  @ApiOperation({ summary: 'JSON Web Key Set of the access tokens', description: DESCRIPTION })
  @ApiOkResponse(JWKS_RESPONSE)
  @ApiErrorResponses()
  wellKnown(): JwksResponseDto {
    return this.accessTokens.jwks();
  }

  @Get('auth/jwks')
  @Header('Cache-Control', JWKS_CACHE_CONTROL)
  @ApiOperation({
    summary: 'JSON Web Key Set of the access tokens (alias of /.well-known/jwks.json)',
    description: DESCRIPTION,
  })
  @ApiOkResponse(JWKS_RESPONSE)
  @ApiErrorResponses()
  jwks(): JwksResponseDto {
    return this.accessTokens.jwks();
  }
}
