package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/source/githubauth/apptest"
)

// TestServeReadsWithTheGitHubAppOfBackstagesIntegration runs the engine
// on one app-config shared with Backstage: its integrations.github entry
// for the git server's host holds a GitHub App (key from a file, app id
// from the environment, Backstage's client and webhook secrets beside),
// the git source names no credentials, and the git server takes only the
// installation tokens the fake GitHub App API hands out, or the
// integration's token. With the app's key the sync succeeds; with another
// key it fails (the token is no excuse for a broken app), and the status
// says which config key to fix; with the app not installed on the
// repository the integration's token reads it, with one warning naming
// the app. Neither the logs nor the status ever show the key, the JWTs,
// the tokens or Backstage's secrets.
func TestServeReadsWithTheGitHubAppOfBackstagesIntegration(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keyN       int
		installOn  string
		outcome    string
		wantStatus []string
		wantWarn   string
	}{
		{"the app's key", 1, "acme", "succeeded", nil, ""},
		{"another key", 2, "acme", "failed", []string{"GitHub refused the app's credentials",
			"is integrations.github[0].apps[0].privateKey the private key of app 7"}, ""},
		{"the app not installed on the repository", 1, "widgets", "succeeded", nil,
			"no GitHub App is installed on the repository; using the integration's token instead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apps, api := apptest.Start(t)
			_, key := apptest.Key(t, 1)
			apps.AddApp(7, key)
			apps.Install(7, tc.installOn)
			keyPEM, _ := apptest.Key(t, tc.keyN)

			const pat = "ghp_integrationT0ken0123456789abcdefABCD"
			srv := gittest.NewServer(t)
			appToken := apps.GitPassword("acme", "config")
			srv.SetPasswordCheck(func(user, pass string) bool { return pass == pat || appToken(user, pass) })
			repo := srv.NewRepo("acme/config")
			sha := repo.Commit("main", map[string]string{"catalog/team.yaml": `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: team, children: []}
`})
			u, err := url.Parse(repo.URL)
			if err != nil {
				t.Fatal(err)
			}

			const clientSecret, webhookSecret = "client-s3cret-9f1e", "webhook-s3cret-77a0"
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "github-app.pem"), []byte(keyPEM), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "app-config.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`app: {title: Portal}
integrations:
  gitlab:
    - host: gitlab.com
  github:
    - host: %q
      apiBaseUrl: %q
      token: ${GITHUB_TOKEN}
      apps:
        - appId: ${GITHUB_APP_ID}
          clientId: Iv1.0123
          clientSecret: ${GITHUB_CLIENT_SECRET}
          webhookSecret: %s
          privateKey: {$file: github-app.pem}
          allowedInstallationOwners: [ACME]
centralConfig:
  sources:
    - id: org
      git: {url: %q}
      schedule: {frequency: {minutes: 5}}
  database: {connection: %q}
  cacheDir: %q
  logging: {level: debug, format: json}
`, u.Host, api, webhookSecret, repo.URL, filepath.Join(dir, "engine.db"), filepath.Join(dir, "cache"))), 0o600); err != nil {
				t.Fatal(err)
			}

			addr := enginetest.FreeAddr(t)
			logs := &logtest.Buffer{}
			vars := map[string]string{"GITHUB_APP_ID": "7", "GITHUB_CLIENT_SECRET": clientSecret, "GITHUB_TOKEN": pat}
			e := &env{stdout: io.Discard, stderr: logs, configFiles: []string{cfg},
				lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
				log:       slog.New(slog.NewTextHandler(logs, nil))}
			stop := startServe(t, e, addr)

			var status string
			deadline := time.Now().Add(30 * time.Second)
			for {
				code, body := get(t, "http://"+addr+"/central-config/last-sync")
				if code == 200 && strings.Contains(string(body), `"outcome":"`+tc.outcome+`"`) {
					status = string(body)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no %s sync after 30 s: %d %s\nlogs:\n%s", tc.outcome, code, body, logs.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			stop()
			if mints := map[string]int{"acme": 1, "widgets": 0}[tc.installOn]; tc.outcome == "succeeded" && (!strings.Contains(status, sha) || apps.Count("mint") != mints) {
				t.Errorf("want revision %s read with %d token minted; %d minted, status %s", sha, mints, apps.Count("mint"), status)
			}
			if n := strings.Count(logs.String(), "no GitHub App is installed"); tc.wantWarn != "" &&
				(n != 1 || !strings.Contains(logs.String(), tc.wantWarn) || !strings.Contains(logs.String(), "integrations.github[0].apps[0]")) {
				t.Errorf("want one warning %q naming integrations.github[0].apps[0]; %d in the logs:\n%s", tc.wantWarn, n, logs.String())
			}
			for _, want := range tc.wantStatus {
				if !strings.Contains(status, want) {
					t.Errorf("the status does not say %q: %s", want, status)
				}
			}
			secrets := append(apps.Secrets(), strings.Split(keyPEM, "\n")[1], clientSecret, webhookSecret, pat)
			if len(apps.Secrets()) == 0 {
				t.Fatal("the fake saw no JWT: the check below checks nothing")
			}
			for _, s := range secrets {
				for name, out := range map[string]string{"logs": logs.String(), "status": status} {
					if strings.Contains(out, s) {
						t.Fatalf("the %s show a secret:\n%s", name, out)
					}
				}
			}
		})
	}
}
