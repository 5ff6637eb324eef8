import { defineConfig } from 'drizzle-kit'

// Migrations are generated from src/db/schema and committed; `flip-users migrate` applies them
// on PostgreSQL 15 and PGlite alike, so the generated SQL must stay within what both accept.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
})
