export * from './local-identities.js'
export * from './roles.js'
export * from './user-roles.js'
export * from './users.js'
