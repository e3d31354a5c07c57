// Package catalogcheck holds only a test: every rule ID mapped by a
// compliance framework exists in rules.All(), and the
// trailseal-best-practices view covers every rule.
package catalogcheck
