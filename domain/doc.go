// Package domain holds SkillSwap's entity types, enums, domain errors and pure rules.
// It imports nothing of ours, so every other package can depend on it.
package domain
