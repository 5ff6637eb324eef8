import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/database.js'
import { userProfile, userRole, usersAudit } from '../db/schema/index.js'
import { TRUST_ADMIN_ROLE_ID } from '../domain/roles.js'
import type { AuditAction } from './audit-repository.js'
import type { AlongsideWrites } from './registration-write-statements.js'

/**
 * What a registration's completion writes beside its last transition, as CTEs over `moved` (the
 * registration as it completes: `user_id`, `name`, `organisation`, `requested_by`), so profile,
 * audit, grants and the state change are one statement and one commit. Nothing is written when
 * the transition does not apply (a stale state): every CTE selects from `moved`. Their values
 * are placeholders (lists as JSON), so each shape's statement is prepared once.
 */

const profileAndAuditCtes = (db: Db, moved: SQL) => [
  db.$with('profiled', {}).as(sql`
    INSERT INTO ${userProfile} (user_id, name, organisation)
    SELECT user_id, name, organisation FROM ${moved}
    ON CONFLICT (user_id) DO UPDATE
      SET name = excluded.name, organisation = excluded.organisation, updated_at = now()`),
  // users_audit.timestamp is clock_timestamp(), so rows inserted in this order keep it.
  db.$with('audited', {}).as(sql`
    INSERT INTO ${usersAudit} (action, user_id, modified_by_user_id)
    SELECT a.action, m.user_id, m.requested_by
    FROM ${moved} AS m
      CROSS JOIN jsonb_array_elements_text(${sql.placeholder('auditActions')}::jsonb) WITH ORDINALITY AS a(action, ord)
    ORDER BY a.ord`),
]

/** The profile from the registration (created, or its fields overwritten) and the audit rows, in order. */
export const profileAndAudit = (actions: readonly AuditAction[]): AlongsideWrites => ({
  shape: 'profile-and-audit',
  ctes: profileAndAuditCtes,
  values: { auditActions: JSON.stringify(actions) },
})

const roleGrantsCtes = (db: Db, moved: SQL) => {
  const global = sql`${sql.placeholder('grantGlobalRoleIds')}::jsonb`
  const trustAdminOf = sql`${sql.placeholder('grantTrustAdminOf')}::uuid`
  return [
    db.$with('ungranted', {}).as(sql`
      DELETE FROM ${userRole} AS ur USING ${moved} AS m
      WHERE ur.user_id = m.user_id
        AND ((ur.trust_id IS NULL
              AND ur.role_id::text NOT IN (SELECT jsonb_array_elements_text(${global})))
          OR (ur.role_id = ${TRUST_ADMIN_ROLE_ID}::uuid AND ur.trust_id IS NOT NULL
              AND ur.trust_id IS DISTINCT FROM ${trustAdminOf}))`),
    db.$with('granted', {}).as(sql`
      INSERT INTO ${userRole} (user_id, role_id, trust_id)
      SELECT m.user_id, g.role_id::uuid, NULL::uuid
      FROM ${moved} AS m CROSS JOIN jsonb_array_elements_text(${global}) AS g(role_id)
      UNION ALL
      SELECT m.user_id, ${TRUST_ADMIN_ROLE_ID}::uuid, ${trustAdminOf}
      FROM ${moved} AS m WHERE ${trustAdminOf} IS NOT NULL
      ON CONFLICT DO NOTHING`),
  ]
}

/**
 * The user's role grants replaced by `globalRoleIds` (trust_id NULL) and, for a Trust Admin, the
 * Trust Admin role at `trustAdminOf` only: the same result as `writeRoleGrants`, in two CTEs.
 * Existing matching grants are kept (ON CONFLICT DO NOTHING), others removed.
 */
export const roleGrants = (grants: {
  globalRoleIds: readonly string[]
  trustAdminOf: string | null
}): AlongsideWrites => ({
  shape: 'role-grants',
  ctes: roleGrantsCtes,
  values: {
    grantGlobalRoleIds: JSON.stringify(grants.globalRoleIds),
    grantTrustAdminOf: grants.trustAdminOf,
  },
})
