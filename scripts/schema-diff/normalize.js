// The one spelling of a change message that the acknowledgement file and the report share.
'use strict';

// normalize drops the quotes graphql-inspector puts around names and values (its printer
// shows them as bold text, so a reader copying the terminal output never sees them) and
// collapses white space, so an acknowledgement matches however it was copied.
function normalize(message) {
  return message
    .replace(/'([^']+)'/g, '$1')
    .replace(/"([^"]+)"/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

module.exports = { normalize };
