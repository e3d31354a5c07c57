package verify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// checkSignatures verifies each digest on its own: location, algorithm,
// key and RSA signature.
func (v *verifier) checkSignatures(ctx context.Context, all []*digestState) {
	for _, ds := range all {
		if ds.d == nil || ds.sigChecked {
			continue
		}
		ds.sigChecked = true
		v.checkSignature(ctx, ds)
	}
}

func (v *verifier) checkSignature(ctx context.Context, ds *digestState) {
	o := v.o
	d := ds.d
	ds.keyFingerprint = d.DigestPublicKeyFingerprint
	if d.DigestS3Bucket != ds.bucket || d.DigestS3Object != ds.key {
		ds.fail(StatusInvalid, DigestMoved, "read from s3://%s/%s but written to s3://%s/%s", ds.bucket, ds.key, d.DigestS3Bucket, d.DigestS3Object)
	}
	sig, haveSig := ds.md.sig.String(), ds.md.hasSig
	alg, haveAlg := ds.md.alg, ds.md.hasAlg
	if !ds.md.present && o.Offline {
		if ds.nextSig == nil {
			ds.fail(StatusUnverifiable, DigestNoSignatureOffline, "no metadata file and no later digest holds its signature: copy it with 'trailseal pull' to keep signatures")
			return
		}
		sig, haveSig = *ds.nextSig, true
		alg, haveAlg = d.DigestSignatureAlgorithm, true
	}
	if !haveSig || sig == "" {
		ds.fail(StatusInvalid, DigestSignatureMissing, "the object has no 'signature' metadata")
		return
	}
	if !haveAlg {
		alg = d.DigestSignatureAlgorithm
	}
	if alg != SignatureAlgorithm || d.DigestSignatureAlgorithm != SignatureAlgorithm {
		ds.fail(StatusInvalid, DigestAlgorithm, "signature algorithm %q (metadata) / %q (content), want %s", alg, d.DigestSignatureAlgorithm, SignatureAlgorithm)
		return
	}
	signedAt := d.End
	if ds.name.Backfill {
		ts, ok := ds.md.backfillTS, ds.md.hasTS
		if !ok && !ds.md.present && o.Offline {
			ts, ok = d.DigestEndTime, true
		}
		t, err := parseTime(ts)
		if !ok || err != nil {
			ds.fail(StatusInvalid, DigestBackfillMetadata, "backfill digest without a valid 'backfill-generation-timestamp' metadata")
			return
		}
		signedAt = t
	}
	key, ok := v.findKey(ctx, ds, signedAt)
	if !ok {
		return
	}
	ds.keyRegion = key.Region
	if !key.validAt(signedAt) {
		// The key list may end early (an export for a shorter period, a
		// rotation CloudTrail reports late): nothing is proven wrong, but
		// the signature cannot be trusted.
		ds.fail(StatusUnverifiable, DigestKeyNotValid, "key %s of %s is valid %s to %s, the digest was signed at %s: could not verify",
			key.Fingerprint, ds.region, key.ValidityStart.Format(displayTime), key.ValidityEnd.Format(displayTime), signedAt.Format(displayTime))
		return
	}
	sigBytes, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		ds.fail(StatusInvalid, DigestSignatureInvalid, "signature metadata is not hex")
		return
	}
	signed := *d
	if d.PreviousDigestSignature != nil {
		prev := ds.prevSig.String()
		signed.PreviousDigestSignature = &prev
	}
	h := sha256.Sum256([]byte(StringToSign(&signed, ds.sha)))
	if err := rsa.VerifyPKCS1v15(key.key, crypto.SHA256, h[:], sigBytes); err != nil {
		ds.fail(StatusInvalid, DigestSignatureInvalid, "RSA signature does not match the content: the digest or its signature was changed")
	}
}

// findKey looks for the digest's key among its own region's keys, as
// CloudTrail signs; it reports why when there is none.
func (v *verifier) findKey(ctx context.Context, ds *digestState, signedAt time.Time) (PublicKey, bool) {
	fp := ds.d.DigestPublicKeyFingerprint
	ring, err := v.keys.Keys(ctx, ds.region, v.keyFrom, v.keyTo)
	if err != nil {
		ds.fail(StatusError, DigestKeysUnavailable, "the public keys of %s could not be read: %v", ds.region, err)
		return PublicKey{}, false
	}
	key, ok := keyByFingerprint(ring, fp)
	if !ok && ds.name.Backfill {
		// Backfill digests can be signed long after the period.
		more, err := v.keys.Keys(ctx, ds.region, signedAt.Add(-time.Hour), signedAt.Add(time.Hour))
		if err != nil {
			ds.fail(StatusError, DigestKeysUnavailable, "the public keys of %s could not be read: %v", ds.region, err)
			return PublicKey{}, false
		}
		key, ok = keyByFingerprint(more, fp)
	}
	if !ok {
		detail := fmt.Sprintf("no public key of region %s has fingerprint %s", ds.region, fp)
		if other := v.keys.RegionsOf(fp); len(other) > 0 {
			detail += fmt.Sprintf(" (the key files hold it for %s: CloudTrail signs each region's digests with that region's own key)", strings.Join(other, ", "))
		}
		ds.fail(StatusInvalid, DigestKeyNotFound, "%s", detail)
	}
	return key, ok
}

func keyByFingerprint(ring []PublicKey, fp string) (PublicKey, bool) {
	for _, k := range ring {
		if strings.EqualFold(k.Fingerprint, fp) {
			return k, true
		}
	}
	return PublicKey{}, false
}
