package collect

import (
	"context"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

// trails lists the trails visible from every region and keeps one entry per
// trail ARN: a multi-region or organization trail shows up in each region
// as a shadow, but it is one trail.
func (c *collector) trails(ctx context.Context, regions []string) ([]inventory.Trail, []inventory.RegionError) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		byARN   = map[string]inventory.Trail{}
		regErrs []inventory.RegionError
	)
	for _, region := range regions {
		c.spawn(&wg, func() {
			out, err := c.aws.CloudTrail(region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{
				IncludeShadowTrails: aws.Bool(true),
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				code, msg := awsclient.Failure(err)
				regErrs = append(regErrs, inventory.RegionError{
					Region: region,
					Error:  inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: code, Message: msg},
				})
				return
			}
			for _, t := range out.TrailList {
				arn := aws.ToString(t.TrailARN)
				if _, seen := byARN[arn]; !seen {
					byARN[arn] = trailFromAPI(t)
				}
			}
		})
	}
	wg.Wait()
	sort.Slice(regErrs, func(i, j int) bool { return regErrs[i].Region < regErrs[j].Region })
	trails := make([]inventory.Trail, 0, len(byARN))
	for _, arn := range sortedKeys(byARN) {
		trails = append(trails, byARN[arn])
	}
	return trails, regErrs
}

func trailFromAPI(t cttypes.Trail) inventory.Trail {
	arn := aws.ToString(t.TrailARN)
	home := aws.ToString(t.HomeRegion)
	if home == "" {
		home = regionOf(arn)
	}
	return inventory.Trail{
		ARN:                        arn,
		Name:                       aws.ToString(t.Name),
		HomeRegion:                 home,
		OwnerAccountID:             accountOf(arn),
		S3BucketName:               aws.ToString(t.S3BucketName),
		S3KeyPrefix:                aws.ToString(t.S3KeyPrefix),
		SNSTopicARN:                aws.ToString(t.SnsTopicARN),
		IsMultiRegion:              aws.ToBool(t.IsMultiRegionTrail),
		IncludeGlobalServiceEvents: aws.ToBool(t.IncludeGlobalServiceEvents),
		IsOrganizationTrail:        aws.ToBool(t.IsOrganizationTrail),
		LogFileValidationEnabled:   aws.ToBool(t.LogFileValidationEnabled),
		KMSKeyID:                   aws.ToString(t.KmsKeyId),
		CloudWatchLogsLogGroupARN:  aws.ToString(t.CloudWatchLogsLogGroupArn),
		CloudWatchLogsRoleARN:      aws.ToString(t.CloudWatchLogsRoleArn),
		HasCustomEventSelectors:    aws.ToBool(t.HasCustomEventSelectors),
		HasInsightSelectors:        aws.ToBool(t.HasInsightSelectors),
	}
}

// trailDetails reads status and selectors in the trail's home region,
// the only place where they can be read once per trail.
func (c *collector) trailDetails(ctx context.Context, t *inventory.Trail) {
	client := c.aws.CloudTrail(t.HomeRegion)
	var wg sync.WaitGroup
	c.spawn(&wg, func() { t.Status = trailStatus(ctx, client, t.ARN) })
	c.spawn(&wg, func() { t.Selectors = eventSelectors(ctx, client, t.ARN) })
	if t.HasInsightSelectors {
		c.spawn(&wg, func() { t.Insights = insightSelectors(ctx, client, t.ARN) })
	} else {
		// CloudTrail reports through HasInsightSelectors whether any are
		// set, so asking again would only cost a call.
		t.Insights = inventory.Ok([]string{})
	}
	wg.Wait()
}

func trailStatus(ctx context.Context, client *cloudtrail.Client, arn string) inventory.Result[inventory.TrailStatus] {
	out, err := client.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)})
	if err != nil {
		return failed[inventory.TrailStatus]("cloudtrail:GetTrailStatus", err)
	}
	return inventory.Ok(inventory.TrailStatus{
		IsLogging:                         aws.ToBool(out.IsLogging),
		StartLoggingTime:                  out.StartLoggingTime,
		StopLoggingTime:                   out.StopLoggingTime,
		LatestDeliveryTime:                out.LatestDeliveryTime,
		LatestDeliveryError:               aws.ToString(out.LatestDeliveryError),
		LatestDigestDeliveryTime:          out.LatestDigestDeliveryTime,
		LatestDigestDeliveryError:         aws.ToString(out.LatestDigestDeliveryError),
		LatestNotificationError:           aws.ToString(out.LatestNotificationError),
		LatestCloudWatchLogsDeliveryTime:  out.LatestCloudWatchLogsDeliveryTime,
		LatestCloudWatchLogsDeliveryError: aws.ToString(out.LatestCloudWatchLogsDeliveryError),
	})
}

func eventSelectors(ctx context.Context, client *cloudtrail.Client, arn string) inventory.Result[inventory.EventSelectors] {
	out, err := client.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)})
	if err != nil {
		return failed[inventory.EventSelectors]("cloudtrail:GetEventSelectors", err)
	}
	var sel inventory.EventSelectors
	for _, s := range out.EventSelectors {
		es := inventory.EventSelector{
			ReadWriteType:                 string(s.ReadWriteType),
			IncludeManagementEvents:       aws.ToBool(s.IncludeManagementEvents),
			ExcludeManagementEventSources: s.ExcludeManagementEventSources,
		}
		// The API omits ReadWriteType when it is the default.
		if es.ReadWriteType == "" {
			es.ReadWriteType = string(cttypes.ReadWriteTypeAll)
		}
		for _, d := range s.DataResources {
			es.DataResources = append(es.DataResources, inventory.DataResource{
				Type:   aws.ToString(d.Type),
				Values: d.Values,
			})
		}
		sel.Basic = append(sel.Basic, es)
	}
	for _, a := range out.AdvancedEventSelectors {
		as := inventory.AdvancedEventSelector{Name: aws.ToString(a.Name)}
		for _, f := range a.FieldSelectors {
			as.FieldSelectors = append(as.FieldSelectors, inventory.FieldSelector{
				Field:         aws.ToString(f.Field),
				Equals:        f.Equals,
				StartsWith:    f.StartsWith,
				EndsWith:      f.EndsWith,
				NotEquals:     f.NotEquals,
				NotStartsWith: f.NotStartsWith,
				NotEndsWith:   f.NotEndsWith,
			})
		}
		sel.Advanced = append(sel.Advanced, as)
	}
	return inventory.Ok(sel)
}

func insightSelectors(ctx context.Context, client *cloudtrail.Client, arn string) inventory.Result[[]string] {
	out, err := client.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: aws.String(arn)})
	if awsclient.HasCode(err, "InsightNotEnabledException") {
		return inventory.Ok([]string{})
	}
	if err != nil {
		return failed[[]string]("cloudtrail:GetInsightSelectors", err)
	}
	types := []string{}
	for _, s := range out.InsightSelectors {
		types = append(types, string(s.InsightType))
	}
	return inventory.Ok(types)
}
