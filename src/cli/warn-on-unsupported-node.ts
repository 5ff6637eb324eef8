import { supportedNodeRange, unsupportedNodeWarning } from './node-support.js'

// Imported first by main.ts, so the line comes before any dependency (pg-boss, the AWS SDK) has
// loaded. NODE_NO_WARNINGS=1, Node's own switch for process warnings, silences it too.
const warning =
  process.env.NODE_NO_WARNINGS === '1'
    ? undefined
    : unsupportedNodeWarning(process.version, supportedNodeRange())
if (warning !== undefined) process.stderr.write(warning)
