package awsclient

// BucketRegion maps an answer of s3:GetBucketLocation to a region name.
// The API keeps two historical spellings: no location constraint means
// us-east-1, and "EU" is the legacy name of eu-west-1 (GetBucketLocation in
// the Amazon S3 API reference).
func BucketRegion(locationConstraint string) string {
	switch locationConstraint {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return locationConstraint
}
