package collect

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/trailseal/trailseal/internal/inventory"
)

// configRecorders reads AWS Config in each region that holds one of our
// trail buckets: that is where a recorder would catch changes to them.
func (c *collector) configRecorders(ctx context.Context, buckets []inventory.Bucket) []inventory.ConfigRegion {
	regions := bucketRegions(buckets)
	out := make([]inventory.ConfigRegion, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		c.spawn(&wg, func() {
			out[i] = inventory.ConfigRegion{Region: region, Recorders: c.recorders(ctx, region)}
		})
	}
	wg.Wait()
	return out
}

func (c *collector) recorders(ctx context.Context, region string) inventory.Result[[]inventory.ConfigRecorder] {
	client := c.aws.ConfigService(region)
	var (
		wg        sync.WaitGroup
		recs      *configservice.DescribeConfigurationRecordersOutput
		stats     *configservice.DescribeConfigurationRecorderStatusOutput
		recErr    error
		statusErr error
	)
	c.spawn(&wg, func() {
		recs, recErr = client.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	})
	c.spawn(&wg, func() {
		stats, statusErr = client.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
	})
	wg.Wait()
	if recErr != nil {
		return failed[[]inventory.ConfigRecorder]("config:DescribeConfigurationRecorders", recErr)
	}
	if statusErr != nil {
		return failed[[]inventory.ConfigRecorder]("config:DescribeConfigurationRecorderStatus", statusErr)
	}
	result := []inventory.ConfigRecorder{}
	for _, r := range recs.ConfigurationRecorders {
		rec := inventory.ConfigRecorder{Name: aws.ToString(r.Name)}
		if g := r.RecordingGroup; g != nil {
			rec.AllSupported = g.AllSupported
			for _, t := range g.ResourceTypes {
				rec.ResourceTypes = append(rec.ResourceTypes, string(t))
			}
			if g.RecordingStrategy != nil {
				rec.Strategy = string(g.RecordingStrategy.UseOnly)
			}
			if g.ExclusionByResourceTypes != nil {
				for _, t := range g.ExclusionByResourceTypes.ResourceTypes {
					rec.ExcludedResourceTypes = append(rec.ExcludedResourceTypes, string(t))
				}
			}
		}
		for _, s := range stats.ConfigurationRecordersStatus {
			if aws.ToString(s.Name) == rec.Name {
				rec.Recording = s.Recording
				rec.LastStatus = string(s.LastStatus)
				rec.LastErrorCode = aws.ToString(s.LastErrorCode)
			}
		}
		result = append(result, rec)
	}
	return inventory.Ok(result)
}
