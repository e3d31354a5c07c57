package output

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/ocsf"
)

// detectionEvent is an OCSF 1.3.0 Detection Finding (class 2004). Its time
// is when hunt made it; start_time and end_time are the event's time.
type detectionEvent struct {
	ocsf.Finding
	StartTime   int64             `json:"start_time"`
	EndTime     int64             `json:"end_time"`
	Message     string            `json:"message"`
	Metadata    ocsf.Metadata     `json:"metadata"`
	FindingInfo detectionInfo     `json:"finding_info"`
	Cloud       ocsf.Cloud        `json:"cloud"`
	Resources   []ocsf.Resource   `json:"resources,omitempty"`
	Evidences   []ocsfEvidence    `json:"evidences"`
	Remediation *ocsf.Remediation `json:"remediation,omitempty"`
	Unmapped    map[string]any    `json:"unmapped,omitempty"`
}

// detectionInfo is finding_info with what a detection adds: when the event
// was seen, the analytic (the detection), ATT&CK and the source record.
type detectionInfo struct {
	ocsf.FindingInfo
	FirstSeenTime int64          `json:"first_seen_time"`
	LastSeenTime  int64          `json:"last_seen_time"`
	Analytic      ocsfAnalytic   `json:"analytic"`
	Attacks       []ocsfAttack   `json:"attacks,omitempty"`
	DataSources   []string       `json:"data_sources,omitempty"`
	RelatedEvents []ocsfRelEvent `json:"related_events,omitempty"`
}

type ocsfAnalytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfAttack struct {
	Technique ocsfTechnique `json:"technique"`
	Version   string        `json:"version"`
}

type ocsfTechnique struct {
	UID  string `json:"uid"`
	Name string `json:"name"`
	Src  string `json:"src_url,omitempty"`
}

type ocsfRelEvent struct {
	UID     string `json:"uid"`
	Product string `json:"product_uid,omitempty"`
}

type ocsfEvidence struct {
	Actor       ocsfActor    `json:"actor"`
	API         ocsfAPI      `json:"api"`
	SrcEndpoint *ocsfNetwork `json:"src_endpoint,omitempty"`
}

type ocsfActor struct {
	User      ocsfUser     `json:"user"`
	Session   *ocsfSession `json:"session,omitempty"`
	InvokedBy string       `json:"invoked_by,omitempty"`
}

type ocsfUser struct {
	UID           string        `json:"uid,omitempty"`
	Name          string        `json:"name,omitempty"`
	Type          string        `json:"type,omitempty"`
	TypeID        int           `json:"type_id"`
	CredentialUID string        `json:"credential_uid,omitempty"`
	Account       *ocsf.Account `json:"account,omitempty"`
}

type ocsfSession struct {
	UID    string `json:"uid,omitempty"`
	Issuer string `json:"issuer,omitempty"`
	IsMFA  bool   `json:"is_mfa"`
}

type ocsfAPI struct {
	Operation string        `json:"operation"`
	Service   ocsfService   `json:"service"`
	Request   ocsfRequest   `json:"request"`
	Response  *ocsfResponse `json:"response,omitempty"`
}

type ocsfService struct {
	Name string `json:"name"`
}

type ocsfRequest struct {
	UID string `json:"uid"`
}

type ocsfResponse struct {
	Error string `json:"error"`
}

type ocsfNetwork struct {
	IP string `json:"ip,omitempty"`
	// Domain is set instead of IP when CloudTrail records an AWS service
	// (cloudtrail.amazonaws.com) as the source.
	Domain string `json:"domain,omitempty"`
}

// writeOCSF writes a JSON array of OCSF 1.3.0 Detection Finding events
// (class 2004), one per detection.
func writeOCSF(w io.Writer, rep *detection.Report, _ Options) error {
	info := map[string]detection.Info{}
	for _, d := range detection.Catalog() {
		info[d.ID] = d
	}
	ms := rep.GeneratedAt.UnixMilli()
	out := []detectionEvent{}
	for _, d := range rep.Detections {
		in := info[d.DetectionID]
		at := d.EventTime.UnixMilli()
		ev := detectionEvent{
			Finding:   ocsf.NewFinding(ocsf.DetectionFinding, d.Severity, ms),
			StartTime: at, EndTime: at, Message: d.Message,
			Metadata: ocsf.TrailsealMetadata(rep.Version, "trailseal hunt"),
			FindingInfo: detectionInfo{
				FindingInfo: ocsf.FindingInfo{UID: findingUID(d), Title: in.Title, Desc: in.Meaning,
					Types: []string{"Audit trail tampering"}, CreatedTime: ms},
				FirstSeenTime: at, LastSeenTime: at,
				Analytic:      ocsfAnalytic{UID: d.DetectionID, Name: in.Title, TypeID: 1, Type: "Rule"},
				DataSources:   []string{"AWS CloudTrail"},
				RelatedEvents: []ocsfRelEvent{{UID: d.EventID, Product: "AWS CloudTrail"}},
			},
			Cloud:     ocsf.AWSCloud(d.Region, ocsf.AWSAccount(d.Account, "")),
			Evidences: []ocsfEvidence{evidenceOf(d)},
			Unmapped: map[string]any{"attempt": d.Attempt, "weakens": d.Weakens, "origin": d.Origin,
				"user_agent": d.UserAgent, "match": d.Match, "request_parameters": d.Evidence},
		}
		for _, t := range in.Techniques {
			ev.FindingInfo.Attacks = append(ev.FindingInfo.Attacks, ocsfAttack{Technique: ocsfTechnique{UID: t.ID, Name: t.Name, Src: t.URL()}, Version: "v16"})
		}
		if d.Resource != "" {
			ev.Resources = []ocsf.Resource{{UID: d.Resource, Region: d.Region}}
		}
		if in.Response != "" {
			ev.Remediation = &ocsf.Remediation{Desc: in.Response, References: in.References}
		}
		out = append(out, ev)
	}
	return ocsf.Write(w, out)
}

// findingUID is stable for one detection of one event.
func findingUID(d detection.Detection) string {
	sum := sha256.Sum256([]byte(d.DetectionID + "\x00" + d.EventID + "\x00" + d.Account + "\x00" + d.Region))
	return "tsh-" + hex.EncodeToString(sum[:10])
}

func evidenceOf(d detection.Detection) ocsfEvidence {
	a := d.Actor
	userType := map[string]int{"Root": 2, "IAMUser": 1, "AssumedRole": 1, "FederatedUser": 1, "AWSService": 3}
	u := ocsfUser{UID: a.ARN, Name: a.Name(), Type: a.Type, TypeID: userType[a.Type], CredentialUID: a.AccessKeyID}
	if _, ok := userType[a.Type]; !ok && a.Type != "" {
		u.TypeID = 99
	}
	if a.AccountID != "" {
		acct := ocsf.AWSAccount(a.AccountID, "")
		u.Account = &acct
	}
	ev := ocsfEvidence{
		Actor: ocsfActor{User: u, InvokedBy: a.InvokedBy},
		API:   ocsfAPI{Operation: d.EventName, Service: ocsfService{Name: d.Source}, Request: ocsfRequest{UID: d.EventID}},
	}
	if a.SessionIssuer != "" || a.SessionName != "" {
		ev.Actor.Session = &ocsfSession{UID: a.SessionName, Issuer: a.SessionIssuer, IsMFA: a.MFAAuthenticated == "true"}
	}
	if d.ErrorCode != "" {
		ev.API.Response = &ocsfResponse{Error: d.ErrorCode}
	}
	if d.SourceIP != "" {
		ev.SrcEndpoint = &ocsfNetwork{IP: d.SourceIP}
		if net.ParseIP(d.SourceIP) == nil {
			ev.SrcEndpoint = &ocsfNetwork{Domain: d.SourceIP}
		}
	}
	return ev
}
