import { LOCAL_TOKEN_AUDIENCE } from '../../auth/local-token-issuer.js'
import type { TokenRules } from '../../auth/token-rules.js'

/** Tokens the service signed itself: our issuer, our fixed audience, access tokens only. */
export const localTokenRules = (issuer: string): TokenRules => ({
  issuer,
  audience: LOCAL_TOKEN_AUDIENCE,
  tokenUse: 'access',
  usernameClaim: 'username',
})
