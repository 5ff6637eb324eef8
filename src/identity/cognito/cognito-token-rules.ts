import type { TokenRules } from '../../auth/token-rules.js'
import type { CognitoConfig } from './cognito-config.js'

/**
 * Cognito access tokens for our app client: they carry no `aud`, so `client_id` is what ties a
 * token to this service, and `token_use` refuses the pool's ID tokens.
 */
export const cognitoTokenRules = (cognito: Pick<CognitoConfig, 'issuer' | 'appClientId'>): TokenRules => ({
  issuer: cognito.issuer,
  tokenUse: 'access',
  clientId: cognito.appClientId,
  usernameClaim: 'username',
})

/** Where the pool publishes its signing keys. */
export const cognitoJwksUrl = (cognito: Pick<CognitoConfig, 'issuer'>): URL =>
  new URL(`${cognito.issuer}/.well-known/jwks.json`)
