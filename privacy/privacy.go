// Package privacy holds the register of personal data: every column of every table the
// migrations create, classified (personal and of which kind, pseudonymous, or not personal), with
// how long it is kept and what erasing a member does to it. It is data, read by people in review
// and by code: the register test fails when a migration adds or renames a column the register does
// not classify (or the register names one that is gone), and the erasure (package erasure) and its
// end-to-end test are checked against it.
package privacy

import (
	"fmt"
	"sort"
)

// Class says whether a column holds personal data and of which kind.
type Class string

// Classes. The personal ones follow the kinds the privacy notice names.
const (
	// NotPersonal columns say nothing about a person (taxonomy, states, amounts without a payer).
	NotPersonal Class = "not personal"
	// Pseudonymous columns hold a member's id (or another opaque reference) and nothing that
	// identifies them without another table: what erasure may leave behind.
	Pseudonymous Class = "pseudonymous"
	// Contact: email addresses and other ways to reach the person.
	Contact Class = "personal: contact"
	// Identity: names, credentials, provider subjects, anything that says who they are.
	Identity Class = "personal: identity"
	// Content: what the person wrote (bio, messages, reviews, notes).
	Content Class = "personal: content"
	// Location: city, coordinates, meeting places, time zone.
	Location Class = "personal: location"
	// Financial: payment and payout references.
	Financial Class = "personal: financial"
	// Technical: IP addresses, user agents, device and session traces.
	Technical Class = "personal: technical"
)

// Personal reports whether the class is one of the personal kinds.
func (c Class) Personal() bool {
	switch c {
	case Contact, Identity, Content, Location, Financial, Technical:
		return true
	}
	return false
}

// Action is what erasing a member does to a column of their rows.
type Action string

// Erasure actions.
const (
	// Keep: nothing to do (not personal, or pseudonymous and still needed).
	Keep Action = "keep"
	// DeleteRow: the member's rows of the table are deleted.
	DeleteRow Action = "delete row"
	// Null: the column is set to NULL.
	Null Action = "null"
	// Anonymise: the column is overwritten with Column.AnonymisedTo.
	Anonymise Action = "anonymise"
	// KeepPseudonymous: the column holds the member's id, which stays as a pseudonym (the ledger,
	// payments, the other side of a conversation or review still point to it).
	KeepPseudonymous Action = "keep pseudonymous"
)

// Column is the register entry of one column.
type Column struct {
	Class Class
	// Retention says how long values are kept: "account lifetime", "90 days", "legal 10 years",
	// "until erased"...
	Retention string
	// Erasure is what erasing the member does; AnonymisedTo describes the value Anonymise writes.
	Erasure      Action
	AnonymisedTo string
}

// Table is the register entry of one table.
type Table struct {
	// Rows says whose rows these are: which column ties a row to a member.
	Rows    string
	Columns map[string]Column
}

// Tables returns the register, by table name.
func Tables() map[string]Table { return register }

// RiverTables are River's own tables (job queue), documented apart: River owns their schema.
// River deletes finalised jobs after 24 hours (completed) to 7 days (discarded); job arguments
// hold ids only (our jobs never carry an email or a name), and the erasure cancels the member's
// pending jobs.
func RiverTables() map[string]string { return riverTables }

// Lookup returns the entry of table.column.
func Lookup(table, column string) (Column, bool) {
	t, ok := register[table]
	if !ok {
		return Column{}, false
	}
	c, ok := t.Columns[column]
	return c, ok
}

// PersonalColumns lists the "table.column" names of every personal column, sorted.
func PersonalColumns() []string {
	var out []string
	for tn, t := range register {
		for cn, c := range t.Columns {
			if c.Class.Personal() {
				out = append(out, tn+"."+cn)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Validate checks the register's own consistency: a personal column has a retention and an
// erasure action, an anonymised one says to what, a not-personal one needs no erasure.
func Validate() error {
	for tn, t := range register {
		if t.Rows == "" {
			return fmt.Errorf("privacy register: %s: say whose rows these are", tn)
		}
		for cn, c := range t.Columns {
			name := tn + "." + cn
			switch {
			case c.Retention == "":
				return fmt.Errorf("privacy register: %s: no retention rule", name)
			case c.Erasure == "":
				return fmt.Errorf("privacy register: %s: no erasure action", name)
			case c.Erasure == Anonymise && c.AnonymisedTo == "":
				return fmt.Errorf("privacy register: %s: anonymised to what?", name)
			case c.Class.Personal() && c.Erasure == Keep:
				return fmt.Errorf("privacy register: %s: a personal column cannot be kept as is; anonymise, null, delete the row or reclassify", name)
			case c.Class == NotPersonal && c.Erasure != Keep && c.Erasure != DeleteRow:
				return fmt.Errorf("privacy register: %s: not personal, yet erased with %q", name, c.Erasure)
			case c.Class == "":
				return fmt.Errorf("privacy register: %s: no class", name)
			}
		}
	}
	return nil
}
