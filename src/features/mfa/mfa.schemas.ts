import { Type } from 'typebox'

export const MfaStatus = Type.Object({ enabled: Type.Boolean(), required: Type.Boolean() })

/** FLIP answers a reset with an empty object. */
export const MfaReset = Type.Object({}, { additionalProperties: false })
