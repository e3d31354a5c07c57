package verify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// checkSignatures verifies each digest on its own: location, algorithm,
// key and RSA signature.
func (v *verifier) checkSignatures(ctx context.Context, all []*digestState) {
	o := v.o
	ring, keyErr := v.ring, v.keyErr
	for _, ds := range all {
		if ds.d == nil || ds.sigChecked {
			continue
		}
		ds.sigChecked = true
		d := ds.d
		if d.DigestS3Bucket != ds.bucket || d.DigestS3Object != ds.key {
			ds.fail(StatusInvalid, DigestMoved, "read from s3://%s/%s but written to s3://%s/%s", ds.bucket, ds.key, d.DigestS3Bucket, d.DigestS3Object)
		}
		sig, haveSig := ds.md.sig.String(), ds.md.hasSig
		alg, haveAlg := ds.md.alg, ds.md.hasAlg
		if !ds.md.present && o.Offline {
			if ds.nextSig == nil {
				ds.fail(StatusUnverifiable, DigestNoSignatureOffline, "no metadata file and no later digest holds its signature: copy it with 'trailseal pull' to keep signatures")
				continue
			}
			sig, haveSig = *ds.nextSig, true
			alg, haveAlg = d.DigestSignatureAlgorithm, true
		}
		if !haveSig || sig == "" {
			ds.fail(StatusInvalid, DigestSignatureMissing, "the object has no 'signature' metadata")
			continue
		}
		if !haveAlg {
			alg = d.DigestSignatureAlgorithm
		}
		if alg != SignatureAlgorithm || d.DigestSignatureAlgorithm != SignatureAlgorithm {
			ds.fail(StatusInvalid, DigestAlgorithm, "signature algorithm %q (metadata) / %q (content), want %s", alg, d.DigestSignatureAlgorithm, SignatureAlgorithm)
			continue
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
				continue
			}
			signedAt = t
		}
		if keyErr != nil {
			ds.fail(StatusError, DigestKeysUnavailable, "%v", keyErr)
			continue
		}
		key, ok := findKey(ring, d.DigestPublicKeyFingerprint)
		if !ok && ds.name.Backfill {
			// Backfill digests can be signed long after the period.
			v.keysMu.Lock()
			more, err := o.Keys.Keys(ctx, signedAt.Add(-time.Hour), signedAt.Add(time.Hour))
			v.keysMu.Unlock()
			if err != nil {
				ds.fail(StatusError, DigestKeysUnavailable, "%v", err)
				continue
			}
			key, ok = findKey(more, d.DigestPublicKeyFingerprint)
		}
		if !ok {
			ds.fail(StatusInvalid, DigestKeyNotFound, "no public key with fingerprint %s", d.DigestPublicKeyFingerprint)
			continue
		}
		if !key.validAt(signedAt) {
			ds.fail(StatusInvalid, DigestKeyNotValid, "key %s is valid %s to %s, the digest was signed at %s",
				key.Fingerprint, key.ValidityStart.Format(displayTime), key.ValidityEnd.Format(displayTime), signedAt.Format(displayTime))
			continue
		}
		sigBytes, err := hex.DecodeString(strings.TrimSpace(sig))
		if err != nil {
			ds.fail(StatusInvalid, DigestSignatureInvalid, "signature metadata is not hex")
			continue
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
}

func findKey(ring []PublicKey, fp string) (PublicKey, bool) {
	for _, k := range ring {
		if strings.EqualFold(k.Fingerprint, fp) {
			return k, true
		}
	}
	return PublicKey{}, false
}
