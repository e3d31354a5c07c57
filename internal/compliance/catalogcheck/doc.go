// Package catalogcheck holds only tests: every rule ID mapped by a
// compliance framework exists in the catalog (catalog.Account), the
// trailseal-best-practices view covers every rule, and compliance views
// agree with what the rules find.
package catalogcheck
