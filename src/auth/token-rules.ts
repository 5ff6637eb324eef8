import type { CognitoConfig } from '../config.js'
import { LOCAL_TOKEN_AUDIENCE } from './local-token-issuer.js'

/** What a token must say to be accepted, per backend (SPEC §3 "Authentication"). */
export interface TokenRules {
  issuer: string
  /** When set, `aud` must contain it. Cognito access tokens carry no `aud`. */
  audience?: string
  /** When set, `token_use` must equal it: Cognito ID tokens say `id` and are refused. */
  tokenUse?: 'access'
  /** When set, `client_id` must equal it: tokens for another app client are refused. */
  clientId?: string
  usernameClaim: string
}

export const localTokenRules = (issuer: string): TokenRules => ({
  issuer,
  audience: LOCAL_TOKEN_AUDIENCE,
  tokenUse: 'access',
  usernameClaim: 'username',
})

export const cognitoTokenRules = (cognito: Pick<CognitoConfig, 'issuer' | 'appClientId'>): TokenRules => ({
  issuer: cognito.issuer,
  tokenUse: 'access',
  clientId: cognito.appClientId,
  usernameClaim: 'username',
})

export const cognitoJwksUrl = (cognito: Pick<CognitoConfig, 'issuer'>): URL =>
  new URL(`${cognito.issuer}/.well-known/jwks.json`)
