package output

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/hunt/detection"
)

// OCSF pins: schema 1.3.0, the Detection Finding class (Findings category
// 2, class 4 of it) and its Create activity.
const (
	ocsfVersion  = "1.3.0"
	ocsfCategory = 2
	ocsfClass    = 2004
	ocsfCreate   = 1
)

type ocsfDetection struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	TypeName     string           `json:"type_name"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	StatusID     int              `json:"status_id"`
	Status       string           `json:"status"`
	Time         int64            `json:"time"`
	StartTime    int64            `json:"start_time"`
	EndTime      int64            `json:"end_time"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Cloud        ocsfCloud        `json:"cloud"`
	Resources    []ocsfResource   `json:"resources,omitempty"`
	Evidences    []ocsfEvidence   `json:"evidences"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     map[string]any   `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version string      `json:"version"`
	Product ocsfProduct `json:"product"`
	LogName string      `json:"log_name"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

type ocsfFindingInfo struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	Desc          string         `json:"desc,omitempty"`
	Types         []string       `json:"types"`
	CreatedTime   int64          `json:"created_time"`
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

type ocsfCloud struct {
	Provider string      `json:"provider"`
	Region   string      `json:"region,omitempty"`
	Account  ocsfAccount `json:"account"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfResource struct {
	UID    string `json:"uid"`
	Region string `json:"region,omitempty"`
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
	UID           string       `json:"uid,omitempty"`
	Name          string       `json:"name,omitempty"`
	Type          string       `json:"type,omitempty"`
	TypeID        int          `json:"type_id"`
	CredentialUID string       `json:"credential_uid,omitempty"`
	Account       *ocsfAccount `json:"account,omitempty"`
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

var ocsfSeverity = map[findings.Severity]struct {
	id   int
	name string
}{
	findings.Info:     {1, "Informational"},
	findings.Low:      {2, "Low"},
	findings.Medium:   {3, "Medium"},
	findings.High:     {4, "High"},
	findings.Critical: {5, "Critical"},
}

// writeOCSF writes a JSON array of OCSF 1.3.0 Detection Finding events
// (class 2004), one per detection. The finding's time is when hunt made it;
// start_time and end_time are the event's time.
func writeOCSF(w io.Writer, rep *detection.Report, _ Options) error {
	info := map[string]detection.Info{}
	for _, d := range detection.Catalog() {
		info[d.ID] = d
	}
	ms := rep.GeneratedAt.UnixMilli()
	out := []ocsfDetection{}
	for _, d := range rep.Detections {
		in := info[d.DetectionID]
		sev, ok := ocsfSeverity[d.Severity]
		if !ok {
			sev.id, sev.name = 0, "Unknown"
		}
		at := d.EventTime.UnixMilli()
		ev := ocsfDetection{
			ActivityID: ocsfCreate, ActivityName: "Create", CategoryUID: ocsfCategory, CategoryName: "Findings",
			ClassUID: ocsfClass, ClassName: "Detection Finding", TypeUID: ocsfClass*100 + ocsfCreate, TypeName: "Detection Finding: Create",
			SeverityID: sev.id, Severity: sev.name, StatusID: 1, Status: "New",
			Time: ms, StartTime: at, EndTime: at, Message: d.Message,
			Metadata: ocsfMetadata{Version: ocsfVersion, Product: ocsfProduct{Name: "trailseal", VendorName: "trailseal", Version: rep.Version}, LogName: "trailseal hunt"},
			FindingInfo: ocsfFindingInfo{
				UID: findingUID(d), Title: in.Title, Desc: in.Meaning, Types: []string{"Audit trail tampering"},
				CreatedTime: ms, FirstSeenTime: at, LastSeenTime: at,
				Analytic:      ocsfAnalytic{UID: d.DetectionID, Name: in.Title, TypeID: 1, Type: "Rule"},
				DataSources:   []string{"AWS CloudTrail"},
				RelatedEvents: []ocsfRelEvent{{UID: d.EventID, Product: "AWS CloudTrail"}},
			},
			Cloud:     ocsfCloud{Provider: "AWS", Region: d.Region, Account: ocsfAccount{UID: d.Account, TypeID: 10, Type: "AWS Account"}},
			Evidences: []ocsfEvidence{evidenceOf(d)},
			Unmapped: map[string]any{"attempt": d.Attempt, "weakens": d.Weakens, "origin": d.Origin,
				"user_agent": d.UserAgent, "match": d.Match, "request_parameters": d.Evidence},
		}
		for _, t := range in.Techniques {
			ev.FindingInfo.Attacks = append(ev.FindingInfo.Attacks, ocsfAttack{Technique: ocsfTechnique{UID: t.ID, Name: t.Name, Src: t.URL()}, Version: "v16"})
		}
		if d.Resource != "" {
			ev.Resources = []ocsfResource{{UID: d.Resource, Region: d.Region}}
		}
		if in.Response != "" {
			ev.Remediation = &ocsfRemediation{Desc: in.Response, References: in.References}
		}
		out = append(out, ev)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

type ocsfRemediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
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
		u.Account = &ocsfAccount{UID: a.AccountID, TypeID: 10, Type: "AWS Account"}
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
