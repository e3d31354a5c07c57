package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Moto is a running moto_server on loopback.
type Moto struct {
	// Endpoint is the base URL, for example http://127.0.0.1:41234.
	Endpoint string
	cmd      *exec.Cmd
	logPath  string
	once     sync.Once
}

// StartMoto starts moto_server on a free loopback port and waits until it
// answers. Extra environment variables (KEY=VALUE) are passed to it.
func StartMoto(extraEnv ...string) (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH: install it with 'pip install \"moto[server]\"' (the collector tests need it)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	logf.Close()
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logPath: logf.Name()}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return m, nil
		}
		time.Sleep(150 * time.Millisecond)
	}
	log, _ := os.ReadFile(m.logPath)
	m.Stop()
	return nil, fmt.Errorf("moto_server did not answer on %s within 60s; its log:\n%s", m.Endpoint, log)
}

// Stop ends the server.
func (m *Moto) Stop() {
	m.once.Do(func() {
		if m.cmd.Process != nil {
			syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
			m.cmd.Wait()
		}
		os.Remove(m.logPath)
	})
}

// Reset wipes all emulator state.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "application/json", strings.NewReader(""))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset: %s", resp.Status)
	}
	return nil
}

// Config returns an SDK configuration for region that sends every service's
// requests to endpoint with dummy static credentials.
func Config(ctx context.Context, endpoint, region string) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithBaseEndpoint(endpoint),
		config.WithRetryMaxAttempts(2),
	)
}

// Env returns environment variables that point the AWS CLI (or the
// trailseal binary) at endpoint with dummy credentials.
func Env(endpoint, region string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_DEFAULT_REGION=" + region,
		"AWS_REGION=" + region,
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// SetEnv points the process (the CLI run in-process, or a binary it
// starts) at endpoint as Env does, for the test's duration, and clears
// AWS_PROFILE so a developer's own profile is never used.
func SetEnv(t testing.TB, endpoint, region string) {
	t.Helper()
	for _, kv := range Env(endpoint, region) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_PROFILE", "")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
