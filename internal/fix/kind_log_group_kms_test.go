package fix

import "testing"

func TestCheckLogsKeyPolicy(t *testing.T) {
	const group = "arn:aws:logs:eu-west-1:111122223333:log-group:trail"
	stmt := func(service, actions, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":` + actions + `,"Resource":"*"` + cond + `}]}`
	}
	all := `["kms:Encrypt*","kms:Decrypt*","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"]`
	for name, tc := range map[string]struct {
		doc string
		ok  bool
	}{
		"service of the region, every action":     {stmt("logs.eu-west-1.amazonaws.com", all, ""), true},
		"condition on this group":                 {stmt("logs.eu-west-1.amazonaws.com", all, `,"Condition":{"ArnEquals":{"kms:EncryptionContext:aws:logs:arn":"`+group+`"}}`), true},
		"condition on every group of the account": {stmt("logs.eu-west-1.amazonaws.com", all, `,"Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:eu-west-1:111122223333:*"}}`), true},
		"another region's service":                {stmt("logs.us-east-1.amazonaws.com", all, ""), false},
		"no GenerateDataKey":                      {stmt("logs.eu-west-1.amazonaws.com", `["kms:Encrypt*","kms:Decrypt*"]`, ""), false},
		"condition on another group":              {stmt("logs.eu-west-1.amazonaws.com", all, `,"Condition":{"ArnEquals":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:eu-west-1:111122223333:log-group:other"}}`), false},
	} {
		if err := checkLogsKeyPolicy(tc.doc, "eu-west-1", group); (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %t", name, err, tc.ok)
		}
	}
}
