package calendar

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one VEVENT of an RFC 5545 calendar. Times are written in UTC, so no VTIMEZONE is
// needed; calendar apps show them in the reader's zone.
type Event struct {
	// UID is globally unique and stable across updates of the event.
	UID   string
	Stamp time.Time
	Start time.Time
	End   time.Time
	// Sequence increases with each revision, so clients replace older copies.
	Sequence    int
	Status      string // CONFIRMED, TENTATIVE or CANCELLED
	Summary     string
	Description string
	Location    string
	URL         string
}

// Calendar is a VCALENDAR.
type Calendar struct {
	Name   string
	Events []Event
}

const prodID = "-//SkillSwap//Skill sessions//EN"

// maxLineOctets is RFC 5545 §3.1's limit, excluding the CRLF.
const maxLineOctets = 75

// Encode renders the calendar as RFC 5545 text: CRLF line ends, lines folded at 75 octets
// (never inside a UTF-8 sequence), TEXT values escaped.
func Encode(c Calendar) []byte {
	var b bytes.Buffer
	w := func(name, value string) { writeLine(&b, name+":"+value) }
	w("BEGIN", "VCALENDAR")
	w("VERSION", "2.0")
	w("PRODID", prodID)
	w("CALSCALE", "GREGORIAN")
	w("METHOD", "PUBLISH")
	if c.Name != "" {
		w("X-WR-CALNAME", escapeText(c.Name))
	}
	for _, e := range c.Events {
		w("BEGIN", "VEVENT")
		w("UID", escapeText(e.UID))
		w("DTSTAMP", utc(e.Stamp))
		w("DTSTART", utc(e.Start))
		w("DTEND", utc(e.End))
		w("SEQUENCE", strconv.Itoa(e.Sequence))
		if e.Status != "" {
			w("STATUS", e.Status)
		}
		w("SUMMARY", escapeText(e.Summary))
		if e.Location != "" {
			w("LOCATION", escapeText(e.Location))
		}
		if e.URL != "" {
			// URL is of value type URI: not TEXT-escaped, but it must stay on logical line.
			w("URL", stripControls(e.URL))
		}
		if e.Description != "" {
			w("DESCRIPTION", escapeText(e.Description))
		}
		w("END", "VEVENT")
	}
	w("END", "VCALENDAR")
	return b.Bytes()
}

func utc(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line
// breaks; other control characters are dropped.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n', '\r':
			b.WriteString(`\n`)
		default:
			if r < 0x20 || r == 0x7f {
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// writeLine folds a content line: the first physical line holds at most 75 octets, each
// continuation a space plus at most 74, cut only between UTF-8 sequences.
func writeLine(b *bytes.Buffer, line string) {
	limit := maxLineOctets
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = maxLineOctets - 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
