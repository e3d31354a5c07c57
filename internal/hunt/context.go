package hunt

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/inventory"
)

// Thresholds are the settings detections read.
type Thresholds struct {
	// MinRetentionDays is the shortest acceptable retention of trail logs
	// (lifecycle expiration, log group retention, Lake retention).
	MinRetentionDays int
}

// DefaultThresholds matches the scan's defaults.
func DefaultThresholds() Thresholds { return Thresholds{MinRetentionDays: 365} }

// Context tells detections which resources belong to a trail. It is built
// from an inventory (collected now, or a snapshot); without one (NoContext)
// detections that need it fire only where the record itself shows the
// resource is a trail's.
type Context struct {
	Thresholds
	// Known is false without an inventory.
	Known bool
	// CollectedAt is when the inventory was collected. A record newer than
	// that changed a configuration the inventory may not show yet; one
	// older changed the configuration the inventory was taken from, or
	// one replaced since.
	CollectedAt time.Time
	Account     string

	trails    []inventory.Trail
	buckets   map[string]*inventory.Bucket // by name
	keys      []*inventory.KMSKey
	logGroups []*inventory.LogGroup
	topics    map[string]bool // alarm topic ARNs
}

// NoContext returns a context without an inventory.
func NoContext(o Thresholds) *Context { return &Context{Thresholds: o} }

// NewContext indexes an inventory's trails and their dependencies.
func NewContext(inv *inventory.Inventory, o Thresholds) *Context {
	c := &Context{Thresholds: o, Known: true, CollectedAt: inv.CollectedAt, Account: inv.Account.ID,
		trails: inv.Trails, buckets: map[string]*inventory.Bucket{}, topics: map[string]bool{}}
	for i := range inv.Buckets {
		c.buckets[inv.Buckets[i].Name] = &inv.Buckets[i]
	}
	for _, t := range inv.Trails {
		if _, ok := c.buckets[t.S3BucketName]; !ok && t.S3BucketName != "" {
			// A trail's bucket that the collector could not read is still
			// the trail's bucket.
			c.buckets[t.S3BucketName] = &inventory.Bucket{Name: t.S3BucketName}
		}
	}
	for i := range inv.Keys {
		c.keys = append(c.keys, &inv.Keys[i])
	}
	for i := range inv.LogGroups {
		lg := &inv.LogGroups[i]
		c.logGroups = append(c.logGroups, lg)
		if alarms, ok := val(lg.Alarms); ok {
			for _, a := range alarms {
				for _, act := range a.AlarmActions {
					c.topics[act] = true
				}
			}
		}
	}
	for _, t := range inv.Topics {
		c.topics[t.ARN] = true
	}
	for _, t := range inv.Trails {
		if t.SNSTopicARN != "" {
			c.topics[t.SNSTopicARN] = true
		}
	}
	return c
}

// Trail finds a trail by the name or ARN a record gives (requestParameters
// name or trailName). A bare name is the trail of that name homed in the
// record's region, as CloudTrail resolves it.
func (c *Context) Trail(nameOrARN, region string) (inventory.Trail, bool) {
	if c == nil {
		return inventory.Trail{}, false
	}
	isARN := arn.IsARN(nameOrARN)
	for _, t := range c.trails {
		if isARN && t.ARN == nameOrARN || !isARN && t.Name == nameOrARN && (t.HomeRegion == region || region == "") {
			return t, true
		}
	}
	return inventory.Trail{}, false
}

// Bucket returns the inventory's bucket of that name, if a trail writes to
// it, and the trails that do.
func (c *Context) Bucket(name string) (*inventory.Bucket, []inventory.Trail) {
	if c == nil || name == "" {
		return nil, nil
	}
	b := c.buckets[name]
	if b == nil {
		return nil, nil
	}
	var trails []inventory.Trail
	for _, t := range c.trails {
		if t.S3BucketName == name {
			trails = append(trails, t)
		}
	}
	return b, trails
}

// Key finds a trail key by what a record names it: a key ID, key ARN,
// alias or alias ARN (requestParameters.keyId), or the key ARN CloudTrail
// puts in resources[]. Aliases are matched only through resources[]: the
// inventory keeps key ARNs.
func (c *Context) Key(ids ...string) (*inventory.KMSKey, bool) {
	if c == nil {
		return nil, false
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		for _, k := range c.keys {
			keyID := k.ARN[strings.LastIndex(k.ARN, "/")+1:]
			if md, ok := val(k.Metadata); ok && md.KeyID != "" {
				keyID = md.KeyID
			}
			if id == k.ARN || id == keyID {
				return k, true
			}
		}
		for _, t := range c.trails {
			if t.KMSKeyID != "" && (t.KMSKeyID == id || strings.HasSuffix(t.KMSKeyID, "/"+id)) {
				return &inventory.KMSKey{ARN: t.KMSKeyID}, true
			}
		}
	}
	return nil, false
}

// LogGroup finds a trail's log group by name in a region.
func (c *Context) LogGroup(name, region string) (*inventory.LogGroup, bool) {
	if c == nil {
		return nil, false
	}
	for _, lg := range c.logGroups {
		if lg.Name == name && (lg.Region == region || region == "") {
			return lg, true
		}
	}
	for _, t := range c.trails {
		if n, r := logGroupOf(t.CloudWatchLogsLogGroupARN); n == name && (r == region || region == "") {
			return &inventory.LogGroup{Name: n, Region: r, ARN: t.CloudWatchLogsLogGroupARN}, true
		}
	}
	return nil, false
}

// Alarm finds a trail alarm (an alarm on a metric of a trail log group's
// metric filters) by name in a region.
func (c *Context) Alarm(name, region string) (inventory.Alarm, *inventory.LogGroup, bool) {
	if c == nil {
		return inventory.Alarm{}, nil, false
	}
	for _, lg := range c.logGroups {
		if lg.Region != region && region != "" {
			continue
		}
		alarms, _ := val(lg.Alarms)
		for _, a := range alarms {
			if a.Name == name {
				return a, lg, true
			}
		}
	}
	return inventory.Alarm{}, nil, false
}

// Topic reports whether a topic ARN is one a trail alarm notifies (or the
// trail's own notification topic).
func (c *Context) Topic(topicARN string) bool {
	return c != nil && c.topics[topicARN]
}

// logGroupOf splits a log group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*)
// into its name and region.
func logGroupOf(groupARN string) (name, region string) {
	a, err := arn.Parse(groupARN)
	if err != nil {
		return "", ""
	}
	name = strings.TrimPrefix(a.Resource, "log-group:")
	name = strings.TrimSuffix(name, ":*")
	return name, a.Region
}

// after reports whether the inventory was collected after t: its settings
// then include whatever the record changed (unless changed again since).
func (c *Context) after(t time.Time) bool {
	return c.Known && !t.IsZero() && c.CollectedAt.After(t)
}
