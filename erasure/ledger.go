package erasure

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/store"
)

// WriteLedger writes the ledger one entry a line: "<user id> <erased at, RFC 3339>".
func WriteLedger(w io.Writer, ledger []store.ErasureEntry) error {
	bw := bufio.NewWriter(w)
	for _, e := range ledger {
		if _, err := fmt.Fprintf(bw, "%s %s\n", e.UserID, e.ErasedAt.UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ParseLedger reads what WriteLedger wrote; blank lines and lines starting with # are skipped.
func ParseLedger(r io.Reader) ([]store.ErasureEntry, error) {
	var out []store.ErasureEntry
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		idText, atText, _ := strings.Cut(line, " ")
		id, err := uuid.Parse(idText)
		if err != nil {
			return nil, fmt.Errorf("line %d: user id: %w", n, err)
		}
		at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(atText))
		if err != nil {
			return nil, fmt.Errorf("line %d: time: %w", n, err)
		}
		out = append(out, store.ErasureEntry{UserID: id, ErasedAt: at})
	}
	return out, sc.Err()
}
