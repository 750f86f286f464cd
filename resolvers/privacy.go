package resolvers

// derefInt returns *p, or def when the argument was omitted (null).
func derefInt(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// optionalString is nil for "" (a document with no required version).
func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
