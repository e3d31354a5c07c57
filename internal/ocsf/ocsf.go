// Package ocsf holds the Open Cybersecurity Schema Framework (OCSF) 1.3.0
// objects that trailseal's Findings-category events share: scan's
// Compliance Finding (class 2003) and hunt's Detection Finding (class 2004).
// The class-specific event structs live with their writers and embed
// Finding, then use the objects below.
package ocsf

import (
	"encoding/json"
	"io"

	"github.com/trailseal/trailseal/internal/findings"
)

// Version is the OCSF schema version every event names in its metadata.
const Version = "1.3.0"

// The Findings category and the one activity trailseal reports: Create.
const (
	categoryFindings = 2
	activityCreate   = 1
)

// Class is an OCSF event class of the Findings category.
type Class struct {
	UID  int
	Name string
}

// The classes trailseal writes.
var (
	ComplianceFinding = Class{UID: 2003, Name: "Compliance Finding"}
	DetectionFinding  = Class{UID: 2004, Name: "Detection Finding"}
)

// Finding is the head of a Findings event: its class, activity, severity,
// status and time. An event struct embeds it first, so that its members
// come first in the JSON, in this order.
type Finding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	Time         int64  `json:"time"`
}

// NewFinding is the head of a new finding (status New, activity Create) of
// class c, made at timeMs (Unix milliseconds).
func NewFinding(c Class, sev findings.Severity, timeMs int64) Finding {
	id, name := SeverityOf(sev)
	return Finding{
		ActivityID: activityCreate, ActivityName: "Create",
		CategoryUID: categoryFindings, CategoryName: "Findings",
		ClassUID: c.UID, ClassName: c.Name,
		TypeUID: c.UID*100 + activityCreate, TypeName: c.Name + ": Create",
		SeverityID: id, Severity: name,
		StatusID: 1, Status: "New",
		Time: timeMs,
	}
}

// SeverityOf maps a trailseal severity to OCSF's severity_id and name; an
// unknown one is 0, "Unknown".
func SeverityOf(s findings.Severity) (int, string) {
	switch s {
	case findings.Info:
		return 1, "Informational"
	case findings.Low:
		return 2, "Low"
	case findings.Medium:
		return 3, "Medium"
	case findings.High:
		return 4, "High"
	case findings.Critical:
		return 5, "Critical"
	}
	return 0, "Unknown"
}

// Metadata names the schema version and the product that wrote the event.
type Metadata struct {
	Version string  `json:"version"`
	Product Product `json:"product"`
	LogName string  `json:"log_name"`
}

// Product is trailseal, at the version that wrote the event.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

// TrailsealMetadata is the metadata of an event trailseal version wrote
// into the log logName ("trailseal scan", "trailseal hunt").
func TrailsealMetadata(version, logName string) Metadata {
	return Metadata{
		Version: Version,
		Product: Product{Name: "trailseal", VendorName: "trailseal", Version: version},
		LogName: logName,
	}
}

// FindingInfo describes the finding; a class may embed it to add members.
type FindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc,omitempty"`
	Types       []string `json:"types"`
	CreatedTime int64    `json:"created_time"`
}

// Cloud is where the finding is: AWS, a region and an account.
type Cloud struct {
	Provider string  `json:"provider"`
	Region   string  `json:"region,omitempty"`
	Account  Account `json:"account"`
}

// Account is a cloud account; Name is optional.
type Account struct {
	UID    string `json:"uid"`
	Name   string `json:"name,omitempty"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

// AWSAccount is an AWS account (account type_id 10).
func AWSAccount(uid, name string) Account {
	return Account{UID: uid, Name: name, TypeID: 10, Type: "AWS Account"}
}

// AWSCloud is an AWS region of an account.
func AWSCloud(region string, account Account) Cloud {
	return Cloud{Provider: "AWS", Region: region, Account: account}
}

// Resource is a resource the finding is about; only UID is required.
type Resource struct {
	UID            string `json:"uid"`
	Name           string `json:"name,omitempty"`
	Type           string `json:"type,omitempty"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition,omitempty"`
}

// Remediation says how to fix or respond to the finding.
type Remediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

// Write writes events (a slice of event structs) as an indented JSON array,
// with <, > and & left as they are.
func Write(w io.Writer, events any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(events)
}
