//go:build backstage && install

// The install test (make test-install): what a new adopter does with our
// packages. It packs each plugin package with `yarn pack` (its prepack
// builds dist/; no workspace links), creates a brand-new app with a pinned
// @backstage/create-app for each supported Backstage release line, adds the
// tarballs with `yarn add`, applies the steps of the packages' READMEs to
// the generated packages/backend/src/index.ts and app-config.yaml (and
// nothing else), type-checks and builds the app, and starts its backend on
// SQLite against a real engine syncing the example repository from a real
// git server. It checks what the adopter would: the catalog holds every
// entity the engine publishes, the proxy serves last-sync, Sync now works
// with a token and is refused without, and the built frontend shows the
// sync status and Kafka pages in Chromium.
//
//	make test-install                          both release lines
//	CENTRAL_CONFIG_INSTALL_LINES=current make test-install
//	CENTRAL_CONFIG_KEEP_INSTALL=1 make test-install   keep the apps
//
// It needs the repository's app installed (bash backstage/scripts/setup.sh)
// and the npm registry.
package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/source/git/gittest"
)

// releaseLine is a Backstage release line we support, and the create-app
// version that creates an app of it (its backstage.json says which).
type releaseLine struct {
	name      string
	createApp string
	backstage string
}

// The current release line and the one before it (issue 14). A new
// Backstage release: `npm view @backstage/create-app versions`, create an
// app with the newest, read its backstage.json.
var releaseLines = []releaseLine{
	{name: "current", createApp: "0.9.2", backstage: "1.55.0"},
	{name: "previous", createApp: "0.9.1", backstage: "1.54.0"},
}

const installEngineToken = "install-engine-token-3b7d"

// The app-config the READMEs tell an adopter to add: the engine for the
// catalog module (and Sync now), and the proxy entry of the two frontend
// plugins. Each block must appear, line by line, in the README named.
var readmeConfig = []struct{ readme, yaml string }{
	{"catalog-backend-module-central-config", `catalog:
  providers:
    centralConfig:
      baseUrl: ${CENTRAL_CONFIG_URL}
      token: ${CENTRAL_CONFIG_TOKEN}
`},
	{"central-config", `proxy:
  endpoints:
    '/central-config':
      target: ${CENTRAL_CONFIG_URL}/central-config
      credentials: require
      headers:
        Authorization: Bearer ${CENTRAL_CONFIG_TOKEN}
      allowedMethods: [GET]
      allowedHeaders: [ETag, If-None-Match]
`},
}

// tarball is one packed plugin package.
type tarball struct {
	dir  string // its folder under backstage/plugins
	name string
	role string // backstage.role
	path string
}

func TestInstallIntoNewApp(t *testing.T) {
	summarizeFailures(t)
	p := repoPaths(t)
	work := installWorkDir(t)
	in := newInstaller(t, p, work)

	var packs []tarball
	timed(t, "pack the plugin packages", func() { packs = packPlugins(t, in, p, filepath.Join(work, "tarballs")) })
	steps := stepsFromReadmes(t, p, packs)
	var engineBin string
	timed(t, "build the engine", func() { engineBin = buildEngine(t, p.root, work) })

	only := os.Getenv("CENTRAL_CONFIG_INSTALL_LINES")
	for _, line := range releaseLines {
		if only != "" && !slices.Contains(strings.Split(only, ","), line.name) {
			continue
		}
		t.Run(line.name, func(t *testing.T) {
			installInto(t, in, p, line, filepath.Join(work, line.name), packs, steps, engineBin)
		})
	}
}

// installWorkDir is a temporary folder, removed at the end unless
// CENTRAL_CONFIG_KEEP_INSTALL is set (then its path is logged).
func installWorkDir(t *testing.T) string {
	if os.Getenv("CENTRAL_CONFIG_KEEP_INSTALL") == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "central-config-install-")
	if err != nil {
		fatalf(t, "%v", err)
	}
	t.Logf("CENTRAL_CONFIG_KEEP_INSTALL: the apps stay in %s", dir)
	return dir
}

// timed runs one step, logging how long it took; a failure inside names
// the step.
func timed(t testing.TB, step string, f func()) {
	t.Helper()
	start := time.Now()
	t.Logf("step %q...", step)
	f()
	t.Logf("step %q took %s", step, time.Since(start).Round(time.Second))
}

// installer runs the commands of the install: with Node 22 on PATH and a
// `yarn` (create-app checks for one; each app then runs the Yarn release
// its .yarnrc.yml names), no browser downloads, and installs that may
// write the lockfile although CI is set.
type installer struct {
	root string
	env  []string
}

// newInstaller puts the `yarn` (the repository's vendored Yarn, which
// hands over to an app's own) in dir/bin.
func newInstaller(t testing.TB, p paths, dir string) installer {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		fatalf(t, "%v", err)
	}
	yarnRelease, err := filepath.Glob(filepath.Join(p.app, ".yarn/releases/yarn-*.cjs"))
	if err != nil || len(yarnRelease) != 1 {
		fatalf(t, "the vendored Yarn in backstage/.yarn/releases: %v %v", yarnRelease, err)
	}
	writeExecutable(t, filepath.Join(bin, "yarn"), fmt.Sprintf("#!/usr/bin/env bash\nexec node %q \"$@\"\n", yarnRelease[0]))
	return installer{root: p.root, env: []string{
		"PATH=" + bin + ":" + os.Getenv("PATH"),
		"PUPPETEER_SKIP_DOWNLOAD=1",
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
		"YARN_ENABLE_IMMUTABLE_INSTALLS=false",
		"YARN_ENABLE_PROGRESS_BARS=false",
	}}
}

// try runs argv in dir and returns its output. Its process group dies
// with it, and after 30 minutes.
func (in installer) try(dir string, env []string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(in.root, "scripts/node-env.sh")}, argv...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(in.env, env...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		return "", err
	}
	groups.add(cmd.Process.Pid)
	defer groups.remove(cmd.Process.Pid)
	err := cmd.Wait()
	return out.String(), err
}

// groups are the process groups of the commands running now (yarn starts
// Node processes of its own, which a kill of the command alone would
// leave behind). A SIGINT or SIGTERM of the test kills them before the
// test exits.
var groups = func() *processGroups {
	g := &processGroups{pids: map[int]bool{}}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-signals
		g.mu.Lock()
		for pid := range g.pids {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		g.mu.Unlock()
		fmt.Fprintf(os.Stderr, "install test: %v, killed the running commands\n", sig)
		os.Exit(1)
	}()
	return g
}()

type processGroups struct {
	mu   sync.Mutex
	pids map[int]bool
}

func (g *processGroups) add(pid int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pids[pid] = true
}

func (g *processGroups) remove(pid int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pids, pid)
}

// run is try, failing the test with the step's name and the end of the
// output.
func (in installer) run(t testing.TB, step, dir string, env []string, argv ...string) {
	t.Helper()
	if out, err := in.try(dir, env, argv...); err != nil {
		fatalf(t, "%s: %s failed (%v); the last lines of its output:\n%s", step, strings.Join(argv, " "), err, lastLines(out, 40))
	}
}

func writeExecutable(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		fatalf(t, "%v", err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// packPlugins builds every package of backstage/plugins (unless its
// prepack does) and packs it with `yarn pack` (which runs its prepack:
// package.json as published), then checks that each tarball is
// what npm would publish: public, main and types in dist/.
func packPlugins(t testing.TB, in installer, p paths, out string) []tarball {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(p.app, "plugins/*/package.json"))
	if err != nil || len(dirs) == 0 {
		fatalf(t, "no plugin packages under backstage/plugins: %v", err)
	}
	yarn := filepath.Join(p.app, "scripts/yarn")
	// The type declarations the builds bundle (dist-types).
	in.run(t, "yarn tsc in backstage/", p.app, nil, yarn, "tsc")
	var packs []tarball
	for _, manifest := range dirs {
		dir := filepath.Dir(manifest)
		var pkg struct {
			Name    string            `json:"name"`
			Scripts map[string]string `json:"scripts"`
		}
		readJSON(t, manifest, &pkg)
		if !strings.Contains(pkg.Scripts["prepack"], "build") {
			in.run(t, "yarn build "+pkg.Name, dir, nil, yarn, "build")
		}
		path := filepath.Join(out, strings.NewReplacer("@", "", "/", "-").Replace(pkg.Name)+".tgz")
		in.run(t, "yarn pack "+pkg.Name, dir, nil, yarn, "pack", "--out", path)
		packed := packedManifest(t, path)
		inDist := func(f string) bool { return strings.HasPrefix(filepath.Clean(f), "dist/") }
		if packed.Private || !inDist(packed.Main) || !inDist(packed.Types) {
			fatalf(t, "%s: the tarball's package.json has private %v, main %q, types %q; want a public package with main and types in dist/",
				pkg.Name, packed.Private, packed.Main, packed.Types)
		}
		if !packed.has(packed.Main) {
			fatalf(t, "%s: the tarball lacks its main %s (files: %s)", pkg.Name, packed.Main, strings.Join(packed.files, ", "))
		}
		packs = append(packs, tarball{dir: filepath.Base(dir), name: pkg.Name, role: packed.Backstage.Role, path: path})
	}
	return packs
}

// packed is a tarball's package.json and its list of files.
type packed struct {
	Private   bool   `json:"private"`
	Main      string `json:"main"`
	Types     string `json:"types"`
	Backstage struct {
		Role string `json:"role"`
	} `json:"backstage"`
	files []string
}

func (p packed) has(file string) bool { return slices.Contains(p.files, filepath.Clean(file)) }

func packedManifest(t testing.TB, path string) packed {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		fatalf(t, "%v", err)
	}
	defer func() { _ = f.Close() }()
	gz, err := gzip.NewReader(f)
	if err != nil {
		fatalf(t, "%s: %v", path, err)
	}
	var m packed
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fatalf(t, "%s: %v", path, err)
		}
		name := strings.TrimPrefix(h.Name, "package/")
		m.files = append(m.files, name)
		if name == "package.json" {
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				fatalf(t, "%s: package.json: %v", path, err)
			}
		}
	}
	return m
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		fatalf(t, "%v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		fatalf(t, "%s: %v", path, err)
	}
}

// installInto does, for one release line, what an adopter does; then it
// starts the engine and the new app's backend and checks the result.
func installInto(t *testing.T, in installer, p paths, line releaseLine, dir string, packs []tarball, steps readmeSteps, engineBin string) {
	app := filepath.Join(dir, "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatalf(t, "%v", err)
	}
	timed(t, "create the app with @backstage/create-app@"+line.createApp, func() {
		in.run(t, "create-app", dir, []string{"BACKSTAGE_APP_NAME=app"},
			"npx", "--yes", "@backstage/create-app@"+line.createApp, "--path", app, "--skip-install")
		var v struct {
			Version string `json:"version"`
		}
		readJSON(t, filepath.Join(app, "backstage.json"), &v)
		if v.Version != line.backstage {
			fatalf(t, "create-app %s made a Backstage %s app, not %s: update releaseLines", line.createApp, v.Version, line.backstage)
		}
	})
	timed(t, "yarn add the tarballs (the app's first install)", func() { addTarballs(t, in, app, packs) })
	timed(t, "apply the READMEs' steps", func() { steps.apply(t, app) })
	timed(t, "yarn tsc", func() { in.run(t, "yarn tsc", app, nil, "yarn", "tsc") })
	timed(t, "build the frontend (yarn build in packages/app)", func() {
		in.run(t, "the frontend build", filepath.Join(app, "packages/app"), nil, "yarn", "build")
		requireBundleHolds(t, filepath.Join(app, "packages/app/dist/static"), "central-config", "kafka-topology")
	})

	// The engine, on SQLite, syncing the example repository from a git
	// server.
	git := gittest.NewServer(t)
	repo := git.NewRepo("config")
	repo.Commit("main", exampleFiles(t, p.example))
	enginePort, backendPort := freePort(t), freePort(t)
	eng := engine{baseURL: fmt.Sprintf("http://127.0.0.1:%d", enginePort), token: installEngineToken}
	engineConfig := filepath.Join(dir, "engine.yaml")
	writeFile(t, engineConfig, fmt.Sprintf(`centralConfig:
  sources:
    - id: example
      git:
        url: %s
        branch: main
        token: %s
      schedule:
        frequency: { seconds: 5 }
  database:
    client: sqlite
    connection: %s
  cacheDir: %s
  server:
    listen: 127.0.0.1:%d
    token: %s
  logging:
    format: text
`, repo.URL, gittest.Token, filepath.Join(dir, "engine.db"), filepath.Join(dir, "cache"), enginePort, installEngineToken))
	engineProc := start(t, "engine", p.root, nil, engineBin,
		"--config", filepath.Join(p.root, "examples/app-config.yaml"), "--config", engineConfig, "serve")
	eng.waitFirstSync(t, engineProc)

	// The new app's backend, as `yarn start` runs it (without the file
	// watcher), on its own SQLite in memory. The overlay only moves it to
	// a free port; the backend serves the built frontend.
	backendURL := fmt.Sprintf("http://127.0.0.1:%d", backendPort)
	overlay := filepath.Join(dir, "app-config.test.yaml")
	writeFile(t, overlay, fmt.Sprintf(`app:
  baseUrl: %[1]s
backend:
  baseUrl: %[1]s
  listen: 127.0.0.1:%[2]d
  cors:
    origin: %[1]s
`, backendURL, backendPort))
	var backend *process
	timed(t, "start the backend", func() {
		backend = start(t, "backend", filepath.Join(app, "packages/backend"), []string{
			"NODE_ENV=development", // as yarn start sets it; guest sign-in needs it
			"CENTRAL_CONFIG_URL=" + eng.baseURL,
			"CENTRAL_CONFIG_TOKEN=" + installEngineToken,
			"ESBK_TSCONFIG_PATH=" + filepath.Join(app, "tsconfig.json"),
		},
			"bash", filepath.Join(p.root, "scripts/node-env.sh"),
			"node", "--enable-source-maps",
			"--require", filepath.Join(app, "node_modules/@backstage/cli-node/config/nodeTransform.cjs"),
			"src/index.ts", "--config", "../../app-config.yaml", "--config", overlay)
		eventually(t, 3*time.Minute, "the backend ready", func() error {
			return httpStatus(backendURL+"/.backstage/health/v1/readiness", "", http.MethodGet, http.StatusOK)
		}, backend, engineProc)
	})

	// A signed-in user's token, as the frontend gets it.
	user := guestToken(t, backendURL)
	cat := catalog{baseURL: backendURL, token: user}
	timed(t, "the catalog holds the engine's entities", func() {
		eventually(t, 2*time.Minute, "every engine entity in the new app's catalog", func() error {
			_, want, err := eng.entities()
			if err != nil {
				return err
			}
			got, err := cat.entities()
			if err != nil {
				return err
			}
			return sameEntities(want, published(got))
		}, backend, engineProc)
	})

	// The proxy serves last-sync, to signed-in users only.
	ls, err := eng.lastSync()
	if err != nil {
		fatalf(t, "%v", err)
	}
	var viaProxy lastSync
	if err := getJSON(backendURL+"/api/proxy/central-config/last-sync", user, &viaProxy); err != nil {
		fatalf(t, "the proxy's last-sync: %v", err)
	}
	if viaProxy.Generation != ls.Generation || len(viaProxy.Sources) != len(ls.Sources) {
		errorf(t, "the proxy's last-sync has generation %d and %d sources, the engine %d and %d",
			viaProxy.Generation, len(viaProxy.Sources), ls.Generation, len(ls.Sources))
	}
	if err := httpStatus(backendURL+"/api/proxy/central-config/last-sync", "", http.MethodGet, http.StatusUnauthorized); err != nil {
		errorf(t, "the proxy without a token: %v", err)
	}

	// Sync now: the backend plugin starts a run with a user's token and
	// refuses a request without one.
	if err := httpStatus(backendURL+"/api/central-config/sync", "", http.MethodPost, http.StatusUnauthorized); err != nil {
		errorf(t, "Sync now without a token: %v", err)
	}
	if err := httpStatus(backendURL+"/api/central-config/sync", user, http.MethodPost, http.StatusAccepted); err != nil {
		errorf(t, "Sync now with a user's token: %v", err)
	}

	// The built frontend, served by the backend, shows our pages and the
	// catalog's sync card (the created app puts the catalog at /).
	b := newBrowser(t, p.root)
	b.open(backendURL + "/central-config")
	b.waitText("sync-status", []string{"Sync now", "example"})
	b.open(backendURL + "/kafka")
	b.waitText("kafka-topology", []string{"Kafka topology", "produces to", "consumed by"})
	b.open(backendURL + "/")
	b.waitText("catalog", []string{"Config sync"})
}

// addTarballs adds our packages as an adopter's `yarn add` would, from the
// tarballs instead of the registry: the backend and frontend plugins in
// their packages, and (resolutions) the tarballs of the libraries they
// depend on. The first add is the app's first install.
func addTarballs(t testing.TB, in installer, app string, packs []tarball) {
	t.Helper()
	manifest := filepath.Join(app, "package.json")
	var root map[string]any
	readJSON(t, manifest, &root)
	created, _ := root["resolutions"].(map[string]any)
	pins := releaseVersions(t, app)
	adds := map[string][]string{}
	for _, pk := range packs {
		switch pk.role {
		case "backend-plugin", "backend-plugin-module":
			adds["packages/backend"] = append(adds["packages/backend"], pk.name+"@file:"+pk.path)
		case "frontend-plugin":
			adds["packages/app"] = append(adds["packages/app"], pk.name+"@file:"+pk.path)
		}
	}
	for _, pkg := range []string{"packages/backend", "packages/app"} {
		if len(adds[pkg]) == 0 {
			fatalf(t, "no tarball to add to %s (the packages: %+v)", pkg, packs)
		}
	}
	for attempt := 1; ; attempt++ {
		resolutions := map[string]any{}
		for k, v := range created {
			resolutions[k] = v
		}
		for k, v := range pins {
			resolutions[k] = v
		}
		for _, pk := range packs {
			resolutions[pk.name] = "file:" + pk.path
		}
		root["resolutions"] = resolutions
		b, err := json.MarshalIndent(root, "", "  ")
		if err != nil {
			fatalf(t, "%v", err)
		}
		writeFile(t, manifest, string(b)+"\n")
		argv := append([]string{"yarn", "--cwd", "packages/backend", "add"}, adds["packages/backend"]...)
		out, err := in.try(app, nil, argv...)
		if err == nil {
			break
		}
		missing := missingVersion.FindAllStringSubmatch(out, -1)
		if len(missing) == 0 || attempt == 10 {
			fatalf(t, "yarn add in packages/backend: %s failed (%v); the last lines of its output:\n%s", strings.Join(argv, " "), err, lastLines(out, 40))
		}
		for _, m := range missing {
			t.Logf("the registry lacks %s %s of this release: it is left to its range", m[1], m[2])
			for k := range pins {
				if strings.HasPrefix(k, m[1]+"@") {
					delete(pins, k)
				}
			}
		}
	}
	in.run(t, "yarn add in packages/app", app, nil, append([]string{"yarn", "--cwd", "packages/app", "add"}, adds["packages/app"]...)...)
}

// missingVersion is Yarn's error for a pinned version the registry lacks.
var missingVersion = regexp.MustCompile(`(@backstage/[a-z0-9-]+)@npm:([0-9][^:\s]*): No candidates found`)

// releaseVersions pins the app's own @backstage/* dependencies to the
// versions of its release, as the yarn.lock seed that create-app fetches
// from GitHub would. Without it (GitHub is unreachable here) every range
// resolves to the newest version on the registry, which mixes releases
// (a newer plugin-signals-backend needs a newer backend-defaults: the
// created app does not start) and would meet our packages with the
// current line's versions in an app of the previous line. The pins are
// per range ("name@^1.2.3": "1.2.3"), so our packages' own ranges resolve
// as in an adopter's app: a range of ours above the app's version gets a
// second copy.
func releaseVersions(t testing.TB, app string) map[string]string {
	t.Helper()
	pins := map[string]string{}
	for _, manifest := range []string{"package.json", "packages/app/package.json", "packages/backend/package.json"} {
		var pkg struct {
			Dependencies    map[string]string `json:"dependencies"`
			DevDependencies map[string]string `json:"devDependencies"`
		}
		readJSON(t, filepath.Join(app, manifest), &pkg)
		for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies} {
			for name, rng := range deps {
				if strings.HasPrefix(name, "@backstage/") && strings.HasPrefix(rng, "^") {
					pins[name+"@"+rng] = strings.TrimPrefix(rng, "^")
				}
			}
		}
	}
	return pins
}

// readmeSteps are the edits the READMEs tell an adopter to make.
type readmeSteps struct {
	backendAdds []string // lines for packages/backend/src/index.ts
	config      []string // YAML blocks for app-config.yaml
}

// stepsFromReadmes collects the steps the test takes, failing unless each
// package's README shows them: `backend.add(import(...))` for each backend
// package, the app-config blocks (readmeConfig), and for the frontend
// plugins that created apps discover them (app.packages: all), so App.tsx
// stays as created.
func stepsFromReadmes(t testing.TB, p paths, packs []tarball) readmeSteps {
	t.Helper()
	readme := func(dir string) string { return readFile(t, filepath.Join(p.app, "plugins", dir, "README.md")) }
	var steps readmeSteps
	for _, pk := range packs {
		switch pk.role {
		case "backend-plugin", "backend-plugin-module":
			// As written, or as prettier wraps a long name (spaces,
			// line breaks and trailing commas aside).
			add := fmt.Sprintf("backend.add(import('%s'));", pk.name)
			compact := strings.ReplaceAll(strings.Join(strings.Fields(readme(pk.dir)), ""), ",)", ")")
			if !strings.Contains(compact, add) {
				fatalf(t, "the README of %s does not show the step the install test takes: %s", pk.dir, add)
			}
			steps.backendAdds = append(steps.backendAdds, add)
		case "frontend-plugin":
			requireReadmeShows(t, pk.dir, readme(pk.dir), "app.packages: all")
		}
	}
	for _, c := range readmeConfig {
		requireReadmeShows(t, c.readme, readme(c.readme), c.yaml)
		steps.config = append(steps.config, c.yaml)
	}
	return steps
}

// apply edits the generated packages/backend/src/index.ts and
// app-config.yaml, nothing else.
func (steps readmeSteps) apply(t testing.TB, app string) {
	t.Helper()
	index := filepath.Join(app, "packages/backend/src/index.ts")
	src := readFile(t, index)
	if !strings.Contains(src, "\nbackend.start();") {
		fatalf(t, "%s has no backend.start(); the template changed", index)
	}
	src = strings.Replace(src, "\nbackend.start();", "\n"+strings.Join(steps.backendAdds, "\n")+"\nbackend.start();", 1)
	writeFile(t, index, src)

	configPath := filepath.Join(app, "app-config.yaml")
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(readFile(t, configPath)), &doc); err != nil {
		fatalf(t, "%s: %v", configPath, err)
	}
	for _, block := range steps.config {
		var add yaml.Node
		if err := yaml.Unmarshal([]byte(block), &add); err != nil {
			fatalf(t, "%v", err)
		}
		mergeYAML(doc.Content[0], add.Content[0])
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		fatalf(t, "%v", err)
	}
	writeFile(t, configPath, out.String())
}

// mergeYAML adds src's keys to dst (both mappings): a mapping under a key
// both have is merged, any other value of src replaces dst's.
func mergeYAML(dst, src *yaml.Node) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		key, val := src.Content[i], src.Content[i+1]
		j := slices.IndexFunc(dst.Content, func(n *yaml.Node) bool { return n.Value == key.Value })
		switch {
		case j < 0 || j%2 == 1:
			dst.Content = append(dst.Content, key, val)
		case dst.Content[j+1].Kind == yaml.MappingNode && val.Kind == yaml.MappingNode:
			mergeYAML(dst.Content[j+1], val)
		default:
			dst.Content[j+1] = val
		}
	}
}

// requireReadmeShows fails unless the README holds each line of step, in
// order (spaces and trailing # comments aside).
func requireReadmeShows(t testing.TB, pkg, readme, step string) {
	t.Helper()
	norm := func(s string) string {
		if i := strings.Index(s, " #"); i >= 0 {
			s = s[:i]
		}
		return strings.Join(strings.Fields(s), " ")
	}
	var have []string
	for _, l := range strings.Split(readme, "\n") {
		have = append(have, norm(l))
	}
	at := 0
	for _, want := range strings.Split(strings.TrimSpace(step), "\n") {
		want = norm(want)
		i := slices.IndexFunc(have[at:], func(h string) bool { return strings.Contains(h, want) })
		if i < 0 {
			fatalf(t, "the README of %s does not show the step the install test takes: no %q (after line %d) in\n%s", pkg, want, at, step)
		}
		at += i + 1
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		fatalf(t, "%v", err)
	}
	return string(b)
}

// requireBundleHolds fails unless the built frontend's scripts register
// each frontend plugin id.
func requireBundleHolds(t testing.TB, static string, pluginIDs ...string) {
	t.Helper()
	scripts, err := filepath.Glob(filepath.Join(static, "*.js"))
	if err != nil || len(scripts) == 0 {
		fatalf(t, "no scripts in %s: %v", static, err)
	}
	for _, id := range pluginIDs {
		re := regexp.MustCompile(`pluginId:\s*["']` + regexp.QuoteMeta(id) + `["']`)
		found := slices.ContainsFunc(scripts, func(f string) bool { return re.MatchString(readFile(t, f)) })
		if !found {
			fatalf(t, "the frontend bundle (%s) does not hold the plugin %q: was it discovered?", static, id)
		}
	}
}

// published keeps the catalog's entities that the engine published (the
// new app's catalog also holds its own examples).
func published(all map[string]entity) map[string]entity {
	out := map[string]entity{}
	for ref, e := range all {
		if _, ok := e.Metadata.Annotations["central-config.io/source"]; ok {
			out[ref] = e
		}
	}
	return out
}

// guestToken signs in as guest the way the frontend does.
func guestToken(t testing.TB, backendURL string) string {
	t.Helper()
	var res struct {
		BackstageIdentity struct {
			Token string `json:"token"`
		} `json:"backstageIdentity"`
	}
	if err := getJSON(backendURL+"/api/auth/guest/refresh", "", &res); err != nil || res.BackstageIdentity.Token == "" {
		fatalf(t, "sign in as guest: %v (token %d bytes)", err, len(res.BackstageIdentity.Token))
	}
	return res.BackstageIdentity.Token
}

// httpStatus sends an empty request (with a bearer token unless "") and
// wants the status.
func httpStatus(url, token, method string, want int) error {
	res, err := send(method, url, token)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s, want %d", method, url, res.StatusCode, bytes.TrimSpace(body), want)
	}
	return nil
}
