// Package verify checks CloudTrail log file integrity: it lists the digest
// files a trail delivered for a period, checks each digest's RSA signature
// and its link to the previous digest, re-hashes every log file a digest
// names, and reports anything modified, deleted, moved, appended to or left
// out of the chain, each with its own reason code.
//
// The pipeline is list -> fetch -> hash/verify -> results. Objects are read
// through the Store interface, which has an S3 implementation (S3Store) and
// an offline one for copies made by 'trailseal pull' (DirStore). Public keys
// come from a KeySource: CloudTrail's ListPublicKeys or a JSON file.
package verify
