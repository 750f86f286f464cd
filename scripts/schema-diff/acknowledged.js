// graphql-inspector diff rule (--rule): downgrades the breaking changes listed in the
// acknowledgement file (schema.breaking-changes, path in SCHEMA_DIFF_ACK_FILE) from BREAKING
// to DANGEROUS, so they are still printed, marked as acknowledged, but no longer fail the check.
//
// A line of the file acknowledges the change whose message, as graphql-inspector prints it,
// is that line: quotes around names are optional (the CLI prints 'Query.a' as Query.a), runs
// of white space count as one space, and a `#` at the start of a line or after white space
// starts a comment. See the header of schema.breaking-changes.
'use strict';

const fs = require('node:fs');
const { normalize } = require('./normalize.js');

function readAcknowledged(path) {
  const acknowledged = new Set();
  if (!path || !fs.existsSync(path)) {
    return acknowledged;
  }
  for (const raw of fs.readFileSync(path, 'utf8').split('\n')) {
    const line = normalize(raw.replace(/(^|\s)#.*$/, ''));
    if (line) {
      acknowledged.add(line);
    }
  }
  return acknowledged;
}

module.exports = function acknowledgedBreakingChanges({ changes }) {
  const acknowledged = readAcknowledged(process.env.SCHEMA_DIFF_ACK_FILE);
  return changes.map(change => {
    if (change.criticality.level !== 'BREAKING' || !acknowledged.has(normalize(change.message))) {
      return change;
    }
    return {
      ...change,
      message: `[acknowledged breaking change] ${change.message}`,
      criticality: { ...change.criticality, level: 'DANGEROUS' },
    };
  });
};
