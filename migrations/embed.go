// Package migrations embeds the forward-only SQL migrations, applied in file-name order.
package migrations

import "embed"

// FS holds the NNNN_name.sql files.
//
//go:embed *.sql
var FS embed.FS
