package i18n

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// The error catalogue: the English messages (or fmt formats) of the domain errors written in the
// code (domain.Invalid(field, "must be at most %d characters", n), domain.Forbidden("...")),
// each mapped to its text in another language, gettext-style: the English text is the key, so a
// call site needs no id, and a French format keeps the English one's verbs (reordered with
// explicit indexes such as %[2]s when the sentence needs it). The catalogue test scans the code
// for the constructors' literals and fails when one lacks a translation. English needs no file:
// the key is its text.
//
// Errors that name a message id (domain.Error.WithMessage: go-i18n templates in
// locales/<language>.json, "error.*") are the other level; they come first.

//go:embed locales/errors.fr.json
var errorsFR []byte

var errorTexts = sync.OnceValue(func() map[string]map[string]string {
	fr := map[string]string{}
	if err := json.Unmarshal(errorsFR, &fr); err != nil {
		panic(fmt.Errorf("i18n: locales/errors.fr.json: %w", err))
	}
	return map[string]map[string]string{French: fr}
})

// ErrorText is the text in lang of a domain error's English message or format; ok is false when
// the catalogue of lang lacks it (English has no catalogue: its texts are the keys).
func ErrorText(lang, english string) (text string, ok bool) {
	text, ok = errorTexts()[lang][english]
	return text, ok
}

// ErrorMessage is a domain error's message in lang, from the error catalogue: the text of its
// format filled with its arguments when the message is still what the format made, else the
// text of the whole message (a message replaced after it was built, or passed on with "%s");
// the English message when lang is English or the catalogue lacks it.
func ErrorMessage(lang, format string, args []any, message string) string {
	if lang == English {
		return message
	}
	if format != "" && fmt.Sprintf(format, args...) == message {
		if text, ok := ErrorText(lang, format); ok {
			return fmt.Sprintf(text, args...)
		}
	}
	if text, ok := ErrorText(lang, message); ok && !strings.Contains(text, "%") {
		return text
	}
	return message
}

// ErrorTexts lists the English texts the error catalogue of lang translates, sorted.
func ErrorTexts(lang string) []string {
	out := make([]string, 0, len(errorTexts()[lang]))
	for k := range errorTexts()[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
