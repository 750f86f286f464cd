package push

import (
	"encoding/json"
	"fmt"
)

// PayloadSize is what m weighs against Expo's 4 KiB limit: its JSON encoding without the
// recipient (Expo forwards title, body, data, badge... to Apple or Google, not the token). It is
// an upper bound of what Apple and Google count, so a message that fits here fits there.
func PayloadSize(m Message) int {
	m.To = ""
	b, err := json.Marshal(m)
	if err != nil {
		return MaxPayloadBytes + 1
	}
	return len(b)
}

// ellipsis ends a truncated body.
const ellipsis = "…"

// Fit makes m's payload at most limit bytes by shortening its body, cut on a rune boundary (never
// inside a UTF-8 sequence) and ended with an ellipsis. It fails when the message is too big even
// without a body (a title or data too large: a programming error of the caller).
func Fit(m Message, limit int) (Message, error) {
	if PayloadSize(m) <= limit {
		return m, nil
	}
	body := m.Body
	m.Body = ""
	if PayloadSize(m) > limit {
		return m, fmt.Errorf("push payload: %d bytes without a body, at most %d", PayloadSize(m), limit)
	}
	// Cut points: the byte offsets where a rune starts. Binary search for the longest prefix that
	// fits (JSON escaping makes a prefix's size not simply its length, but it grows with it).
	var cuts []int
	for i := range body {
		cuts = append(cuts, i)
	}
	lo, hi := 0, len(cuts) // cuts[lo-1] fits (lo = 0: no prefix known to fit), cuts[hi] does not
	for lo < hi {
		mid := (lo + hi) / 2
		m.Body = body[:cuts[mid]] + ellipsis
		if cuts[mid] == 0 || PayloadSize(m) <= limit {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	m.Body = ""
	if lo > 0 && cuts[lo-1] > 0 {
		m.Body = body[:cuts[lo-1]] + ellipsis
	}
	return m, nil
}
