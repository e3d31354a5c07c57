package verify

import "context"

// UsesSignedGETs tells whether Open reads bucket with plain signed GETs
// rather than the SDK's GetObject.
func (s *S3Store) UsesSignedGETs(ctx context.Context, bucket string) bool {
	r := s.reader(ctx, bucket)
	return r != nil && !r.skewed.Load()
}
