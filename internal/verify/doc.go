// Package verify checks CloudTrail log file integrity: it lists the digest
// files a trail delivered for a period in every region that must have them,
// checks each digest's RSA signature with its own region's key and its link
// to the previous digest, re-hashes every log file a digest names, and
// reports anything modified, deleted, moved, appended to, left out of the
// chain or written in a gap, each with its own reason code, and what a
// versioned bucket still keeps of what is missing.
//
// A Target (ResolveTarget, from a TargetSpec the CLI fills from flags) says
// where a trail's files are and how to read them; its Options run one
// verification. Run is a list of named phases: regions, list, fetch,
// links, signatures, chains, unreferenced, logs, assemble, versions,
// earlier. Objects are read through the Store interface: S3 (S3Store, one
// client per bucket region), an offline copy made by Pull (DirStore), and
// Prefetch in front of either. Public keys come from a KeySource, asked per
// region through a KeyCache: CloudTrail's ListPublicKeys in each region, or
// key files.
package verify
