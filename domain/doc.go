// Package domain holds SkillSwap's entity types, enums, domain errors and pure rules.
// It imports nothing of ours, so every other package can depend on it.
//
// It also holds Actor, the one way a service learns who is acting: an explicit argument of every
// service method that acts for a member, never a value read from the context. See Actor for why.
package domain
