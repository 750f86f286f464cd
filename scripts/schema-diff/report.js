// graphql-inspector diff completion handler (--onComplete): instead of exiting 1 on the first
// comparison with a breaking change, it appends the unacknowledged breaking changes, one
// normalized message a line, to the file named by SCHEMA_DIFF_REPORT, so that
// scripts/schema-diff.sh can check every version of the snapshot and list all of them at once.
'use strict';

const fs = require('node:fs');
const { normalize } = require('./normalize.js');

module.exports = function report({ breakingChanges }) {
  const out = process.env.SCHEMA_DIFF_REPORT;
  if (!out) {
    throw new Error('SCHEMA_DIFF_REPORT is not set');
  }
  fs.appendFileSync(out, breakingChanges.map(c => normalize(c.message) + '\n').join(''));
};
