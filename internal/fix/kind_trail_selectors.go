package fix

import (
	"bytes"
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

// KindTrailSelectors replaces a trail's event selectors.
const KindTrailSelectors Kind = "cloudtrail:PutEventSelectors"

// SelectorsParams are the parameters of a KindTrailSelectors step.
type SelectorsParams struct {
	TrailRef
	// Partition is the trail's AWS partition, for describing coverage.
	Partition string                    `json:"partition,omitempty"`
	Selectors *inventory.EventSelectors `json:"selectors"`
}

// Kind implements Params.
func (*SelectorsParams) Kind() Kind { return KindTrailSelectors }

// The state of a selectors step is inventory.EventSelectors, trailseal's
// own type.
var trailSelectorsKind = setting[inventory.EventSelectors]{
	read: func(ctx context.Context, c *Clients, s Step) (inventory.EventSelectors, error) {
		p := s.Params.(*SelectorsParams)
		cur, err := c.cloudtrail(s.Region).GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(p.TrailARN)})
		if err != nil {
			return inventory.EventSelectors{}, err
		}
		return selectorsFromSDK(cur), nil
	},
	target: func(s Step, _ inventory.EventSelectors, _ outputFunc) (inventory.EventSelectors, error) {
		return *s.Params.(*SelectorsParams).Selectors, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v inventory.EventSelectors, _ bool) error {
		_, err := c.cloudtrail(s.Region).PutEventSelectors(ctx, selectorsToSDK(s.Params.(*SelectorsParams).TrailARN, v))
		return err
	},
	// Selectors are compared as CloudTrail applies them: no selectors at
	// all and the explicit default are the same.
	same: func(_ Step, a, b inventory.EventSelectors) bool {
		return bytes.Equal(marshal(explicitSelectors(a)), marshal(explicitSelectors(b)))
	},
	show: func(s Step, v inventory.EventSelectors) string {
		return "selectors covering " + selectors.EvaluatePartition(v, orNone(s.Params.(*SelectorsParams).Partition, "aws")).Summary()
	},
	reverted: func(Step, inventory.EventSelectors) string { return "restored the previous event selectors" },
	manual: func(s Step, prev inventory.EventSelectors) string {
		flag, doc := apiSelectors(prev)
		return "aws cloudtrail put-event-selectors --region " + s.Region + " --trail-name " + shq(s.Params.(*SelectorsParams).TrailARN) + " --" + flag + " " + sq(compactJSON(doc))
	},
}.ops(kindOps{
	fixes:  []string{"trail.management_events", "trail.s3_data_events_write", "trail.s3_data_events_read"},
	params: func() Params { return &SelectorsParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*SelectorsParams)
		flag, doc := apiSelectors(*p.Selectors)
		e.line("aws cloudtrail put-event-selectors --region %s --trail-name %s --%s %s > /dev/null", s.Region, sq(p.TrailARN), flag, sq(compactJSON(doc)))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*SelectorsParams)
		e.onTrail(p.TrailARN, s, func(t *tfTrail) { t.sel = p.Selectors })
	},
})

// explicitSelectors writes out the default (all management events) when a
// trail has no selectors.
func explicitSelectors(v inventory.EventSelectors) inventory.EventSelectors {
	if len(v.Basic) == 0 && len(v.Advanced) == 0 {
		return inventory.EventSelectors{Basic: defaultSelectors}
	}
	return v
}

func selectorsFromSDK(o *cloudtrail.GetEventSelectorsOutput) inventory.EventSelectors {
	var out inventory.EventSelectors
	for _, s := range o.EventSelectors {
		es := inventory.EventSelector{ReadWriteType: string(s.ReadWriteType), IncludeManagementEvents: aws.ToBool(s.IncludeManagementEvents),
			ExcludeManagementEventSources: s.ExcludeManagementEventSources}
		for _, d := range s.DataResources {
			es.DataResources = append(es.DataResources, inventory.DataResource{Type: aws.ToString(d.Type), Values: d.Values})
		}
		out.Basic = append(out.Basic, es)
	}
	for _, a := range o.AdvancedEventSelectors {
		as := inventory.AdvancedEventSelector{Name: aws.ToString(a.Name)}
		for _, f := range a.FieldSelectors {
			as.FieldSelectors = append(as.FieldSelectors, inventory.FieldSelector{Field: aws.ToString(f.Field), Equals: f.Equals,
				StartsWith: f.StartsWith, EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
		}
		out.Advanced = append(out.Advanced, as)
	}
	return out
}

// selectorsToSDK builds the PutEventSelectors request. Empty selectors are
// the CloudTrail default (all management events), written out explicitly.
func selectorsToSDK(trail string, sel inventory.EventSelectors) *cloudtrail.PutEventSelectorsInput {
	in := &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(trail)}
	if len(sel.Advanced) > 0 {
		for _, a := range sel.Advanced {
			as := cttypes.AdvancedEventSelector{}
			if a.Name != "" {
				as.Name = aws.String(a.Name)
			}
			for _, f := range a.FieldSelectors {
				as.FieldSelectors = append(as.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(f.Field), Equals: f.Equals,
					StartsWith: f.StartsWith, EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
			}
			in.AdvancedEventSelectors = append(in.AdvancedEventSelectors, as)
		}
		return in
	}
	for _, b := range explicitSelectors(sel).Basic {
		es := cttypes.EventSelector{ReadWriteType: cttypes.ReadWriteType(b.ReadWriteType), IncludeManagementEvents: aws.Bool(b.IncludeManagementEvents),
			ExcludeManagementEventSources: b.ExcludeManagementEventSources}
		for _, d := range b.DataResources {
			es.DataResources = append(es.DataResources, cttypes.DataResource{Type: aws.String(d.Type), Values: d.Values})
		}
		in.EventSelectors = append(in.EventSelectors, es)
	}
	return in
}
