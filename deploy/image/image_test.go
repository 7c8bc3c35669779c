package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The facts the test builds the image with.
const (
	testVersion  = "v0.0.0-imagetest"
	testRevision = "0123456789abcdef0123456789abcdef01234567"
	testSource   = "https://example.com/central-config.git"
)

var testCreated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// built is the image the tests share: built once, as `make image` does,
// for the machine's architecture so that its binary runs here.
type built struct {
	dir    string // holds the tarball and the OCI layout
	tar    string
	oci    string
	caFile string // the CA bundle the image got
	result *result
	img    v1.Image // read back from the tarball
	files  map[string]*imageFile
}

// imageFile is a file or directory of the image's flattened file system.
type imageFile struct {
	hdr  *tar.Header
	body []byte
}

var (
	buildOnce sync.Once
	theImage  *built
	buildErr  error
	imageDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if imageDir != "" {
		_ = os.RemoveAll(imageDir)
	}
	os.Exit(code)
}

// image builds the image (once) and reads it back from its tarball.
func image(t *testing.T) *built {
	t.Helper()
	buildOnce.Do(func() {
		imageDir, buildErr = os.MkdirTemp("", "central-config-image-test-")
		if buildErr != nil {
			return
		}
		b := &built{dir: imageDir, tar: filepath.Join(imageDir, "central-config-image.tar"), oci: filepath.Join(imageDir, "oci"), caFile: caBundle}
		if _, err := os.Stat(caBundle); err != nil {
			// Not a Debian-like machine: a CA bundle of the test's own.
			b.caFile = filepath.Join(imageDir, "ca.pem")
			if buildErr = writeTestCA(b.caFile); buildErr != nil {
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		b.result, buildErr = build(ctx, options{goCmd: "go", root: "../..", arch: runtime.GOARCH, version: testVersion,
			revision: testRevision, source: testSource, created: testCreated, caFile: b.caFile, out: b.tar, ociDir: b.oci})
		if buildErr != nil {
			return
		}
		if b.img, buildErr = tarball.ImageFromPath(b.tar, nil); buildErr != nil {
			buildErr = fmt.Errorf("the tarball does not open as an image: %w", buildErr)
			return
		}
		if b.files, buildErr = flatten(b.img); buildErr != nil {
			return
		}
		theImage = b
	})
	if buildErr != nil {
		t.Fatalf("building the image: %v", buildErr)
	}
	return theImage
}

// flatten reads the image's file system as a container sees it.
func flatten(img v1.Image) (map[string]*imageFile, error) {
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	files := map[string]*imageFile{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the image's layers: %w", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files["/"+strings.Trim(path.Clean(hdr.Name), "/")] = &imageFile{hdr: hdr, body: body}
	}
}

func TestTheImageConfig(t *testing.T) {
	b := image(t)
	cf, err := b.img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"central-config"}) {
		t.Errorf("Entrypoint %q, want [central-config]", c.Entrypoint)
	}
	if len(c.Cmd) == 0 || c.Cmd[0] != "serve" {
		t.Errorf("Cmd %q: the image must serve by default", c.Cmd)
	}
	// serve listens on all interfaces on the exposed port: the engine's
	// own default, 127.0.0.1, is unreachable from outside the container.
	i := slices.Index(c.Cmd, "--listen")
	if i < 0 || i+1 >= len(c.Cmd) {
		t.Fatalf("Cmd %q must set --listen: the engine's default 127.0.0.1:7080 is unreachable in a container", c.Cmd)
	}
	host, port, err := net.SplitHostPort(c.Cmd[i+1])
	if err != nil || (host != "0.0.0.0" && host != "" && host != "::") {
		t.Errorf("serve --listen %q must listen on all interfaces", c.Cmd[i+1])
	}
	if _, ok := c.ExposedPorts[port+"/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("ExposedPorts %v, want exactly the listen port %s/tcp", c.ExposedPorts, port)
	}

	// A non-root user, numeric so that Kubernetes' runAsNonRoot can check
	// it, named in /etc/passwd and /etc/group.
	u, g, ok := strings.Cut(c.User, ":")
	uidN, err1 := strconv.Atoi(u)
	gidN, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || uidN == 0 || gidN == 0 {
		t.Errorf("User %q, want a numeric non-root UID:GID", c.User)
	}

	// PATH finds the entrypoint.
	var pathVar string
	for _, e := range c.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathVar = v
		}
	}
	found := false
	for dir := range strings.SplitSeq(pathVar, ":") {
		if f := b.files[path.Join(dir, c.Entrypoint[0])]; f != nil && f.hdr.Typeflag == tar.TypeReg {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("the entrypoint %q is in no directory of PATH %q (Env %q)", c.Entrypoint[0], pathVar, c.Env)
	}
	if c.WorkingDir == "" || c.WorkingDir == "/" {
		t.Errorf("WorkingDir %q: want a directory of the engine's own", c.WorkingDir)
	}

	wantLabels := map[string]string{
		"org.opencontainers.image.source":   testSource,
		"org.opencontainers.image.revision": testRevision,
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.title":    "central-config",
		"org.opencontainers.image.created":  testCreated.Format(time.RFC3339),
	}
	for k, v := range wantLabels {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if !cf.Created.Equal(testCreated) {
		t.Errorf("created %v, want %v", cf.Created.Time, testCreated)
	}

	// The image build printed is the OCI layout's, with OCI media types.
	p, err := layout.FromPath(b.oci)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != b.result.digest {
		t.Fatalf("the OCI layout's index %+v, want the one image %s (crane push of the layout pushes it as it is)", im.Manifests, b.result.digest)
	}
	if tag := im.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; tag != testVersion {
		t.Errorf("the layout names the image %q, want %q", tag, testVersion)
	}
	oci, err := p.Image(b.result.digest)
	if err != nil {
		t.Fatal(err)
	}
	if mt, err := oci.MediaType(); err != nil || mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %q (%v), want %q", mt, err, types.OCIManifestSchema1)
	}
	m, err := oci.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("config media type %q, want %q", m.Config.MediaType, types.OCIConfigJSON)
	}
	for _, l := range m.Layers {
		if l.MediaType != types.OCILayer {
			t.Errorf("layer %s has media type %q, want %q", l.Digest, l.MediaType, types.OCILayer)
		}
	}

	// The tarball holds the same config and layers; its readers make a
	// Docker manifest of them, whose digest build printed too.
	if name, err := b.img.ConfigName(); err != nil || name != m.Config.Digest || name != b.result.configDigest {
		t.Errorf("the tarball's config %s (%v), the layout's %s, printed %s: want one config", name, err, m.Config.Digest, b.result.configDigest)
	}
	tm, err := b.img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Layers) != len(m.Layers) {
		t.Fatalf("the tarball has %d layers, the layout %d", len(tm.Layers), len(m.Layers))
	}
	for i := range m.Layers {
		if tm.Layers[i].Digest != m.Layers[i].Digest {
			t.Errorf("layer %d: %s in the tarball, %s in the layout", i, tm.Layers[i].Digest, m.Layers[i].Digest)
		}
	}
	if d, err := b.img.Digest(); err != nil || d != b.result.tarballDigest {
		t.Errorf("the tarball's image digest is %s (%v), build printed %s", d, err, b.result.tarballDigest)
	}
}

// TestTheTarballLoads checks what docker load and podman load read: the
// manifest.json naming the tag, the config and the layers.
func TestTheTarballLoads(t *testing.T) {
	b := image(t)
	f, err := os.Open(b.tar)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	entries := map[string]bool{}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[hdr.Name] = true
		if hdr.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatalf("manifest.json: %v", err)
			}
		}
	}
	if len(manifest) != 1 {
		t.Fatalf("manifest.json holds %d images, want 1", len(manifest))
	}
	want := "central-config:" + testVersion
	if !slices.Equal(manifest[0].RepoTags, []string{want}) || b.result.tag != want {
		t.Errorf("RepoTags %q (printed %q), want [%s]", manifest[0].RepoTags, b.result.tag, want)
	}
	for _, name := range append([]string{manifest[0].Config}, manifest[0].Layers...) {
		if !entries[name] {
			t.Errorf("manifest.json names %s, which the tarball lacks", name)
		}
	}
	if manifest[0].Config != b.result.configDigest.String() {
		t.Errorf("config %s, build printed %s", manifest[0].Config, b.result.configDigest)
	}

}

func TestTheImageFiles(t *testing.T) {
	b := image(t)
	cf, err := b.img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	u, g, _ := strings.Cut(cf.Config.User, ":")

	file := func(name string) *imageFile {
		t.Helper()
		f := b.files[name]
		if f == nil {
			t.Fatalf("the image has no %s", name)
		}
		return f
	}

	// The binary: executable, static (it runs on scratch), for the
	// image's architecture.
	bin := file(binaryPath)
	if bin.hdr.Typeflag != tar.TypeReg || bin.hdr.Mode&0o111 != 0o111 || bin.hdr.Uid != 0 {
		t.Errorf("%s: type %c mode %o owner %d, want a root-owned executable anyone may run", binaryPath, bin.hdr.Typeflag, bin.hdr.Mode, bin.hdr.Uid)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin.body))
	if err != nil {
		t.Fatalf("%s is not an ELF binary: %v", binaryPath, err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked (it has an interpreter): the image has no libc", binaryPath)
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q: the image has none", binaryPath, libs)
	}

	// The user, by number and by name.
	passwdLine := strings.Join([]string{userName, "x", u, g, userName, cf.Config.WorkingDir, "/sbin/nologin"}, ":")
	if !slices.Contains(strings.Split(string(file("/etc/passwd").body), "\n"), passwdLine) {
		t.Errorf("/etc/passwd lacks %q:\n%s", passwdLine, file("/etc/passwd").body)
	}
	groupLine := userName + ":x:" + g + ":"
	if !slices.Contains(strings.Split(string(file("/etc/group").body), "\n"), groupLine) {
		t.Errorf("/etc/group lacks %q:\n%s", groupLine, file("/etc/group").body)
	}

	// The working directory is the user's; /tmp is writable by anyone.
	wd := file(cf.Config.WorkingDir)
	if wd.hdr.Typeflag != tar.TypeDir || strconv.Itoa(wd.hdr.Uid) != u || strconv.Itoa(wd.hdr.Gid) != g || wd.hdr.Mode&0o700 != 0o700 {
		t.Errorf("%s: type %c owner %d:%d mode %o, want a directory the user %s owns and may write", cf.Config.WorkingDir, wd.hdr.Typeflag, wd.hdr.Uid, wd.hdr.Gid, wd.hdr.Mode, cf.Config.User)
	}
	if tmp := file("/tmp"); tmp.hdr.Typeflag != tar.TypeDir || tmp.hdr.Mode&0o7777 != 0o1777 {
		t.Errorf("/tmp mode %o, want 1777", tmp.hdr.Mode)
	}

	// The CA bundle, where Go looks first, holding certificates.
	ca := file(caBundle)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca.body) {
		t.Errorf("%s holds no certificate", caBundle)
	}
	if host, err := os.ReadFile(b.caFile); err != nil || !bytes.Equal(host, ca.body) {
		t.Errorf("%s differs from %s, the build machine's (%v)", caBundle, b.caFile, err)
	}
	// Every file in the image is one this builder put there on purpose.
	for name, f := range b.files {
		if f.hdr.Typeflag != tar.TypeDir && name != binaryPath && name != caBundle && name != "/etc/passwd" && name != "/etc/group" {
			t.Errorf("unexpected file %s in the image", name)
		}
	}
}

// TestTheImagesBinaryRuns runs the binary extracted from the image on this
// machine (it is static): version, then serve as the image's Cmd runs it,
// with a config file and a SQLite database in a temporary directory.
func TestTheImagesBinaryRuns(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the image's linux binary does not run on %s", runtime.GOOS)
	}
	b := image(t)
	cf, err := b.img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "central-config")
	if err := os.WriteFile(bin, b.files[binaryPath].body, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || string(out) != "central-config "+testVersion+"\n" {
		t.Fatalf("central-config version: %q (%v), want %q", out, err, "central-config "+testVersion+"\n")
	}

	// serve, with the image's Cmd: only the listen address becomes a free
	// port on the loopback interface.
	addr := freeAddr(t)
	args := slices.Clone(cf.Config.Cmd)
	i := slices.Index(args, "--listen")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("Cmd %q has no --listen", args)
	}
	args[i+1] = addr
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "engine.db")
	cfgFile := filepath.Join(dir, "app-config.yaml")
	cfg := "centralConfig:\n  database:\n    client: sqlite\n    connection: " + db + "\n  logging:\n    level: info\n    format: json\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	serve := exec.Command(bin, append([]string{"--config", cfgFile}, args...)...)
	serve.Dir, serve.Stdout, serve.Stderr = work, &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	exited := false
	defer func() {
		if !exited {
			_ = serve.Process.Kill()
			t.Logf("serve killed: %v", <-done)
		}
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			exited = true
			t.Fatalf("serve %q exited before answering /healthz: %v\n%s", args, err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve %q: no 200 from /healthz within 30 s (last: %v)\n%s", args, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Live is not ready: /readyz answers 503 while the database opens
	// (a busy machine takes a while to migrate), then 200.
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatalf("/readyz: %v", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("/readyz %d, want 200 on a fresh SQLite database within 30 s\n%s", resp.StatusCode, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the SQLite database %s was not created: %v", db, err)
	}

	// SIGTERM, as Kubernetes stops a pod: a clean exit.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want 0\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("serve did not exit within 20 s of SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "central-config engine started") || !strings.Contains(logs.String(), testVersion) {
		t.Errorf("serve's log lacks its start line with the version:\n%s", logs.String())
	}
}

// writeTestCA writes a self-signed CA certificate to file.
func writeTestCA(file string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "central-config image test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	return os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestTheSameInputsGiveTheSameDigest: the image is reproducible, so that
// two builds of one commit push one digest.
func TestTheSameInputsGiveTheSameDigest(t *testing.T) {
	b := image(t)
	o := options{binary: filepath.Join(t.TempDir(), "central-config"), arch: runtime.GOARCH, version: testVersion,
		revision: testRevision, source: testSource, created: testCreated, caFile: b.caFile, out: filepath.Join(t.TempDir(), "again.tar")}
	if err := os.WriteFile(o.binary, b.files[binaryPath].body, 0o755); err != nil {
		t.Fatal(err)
	}
	again, err := build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if again.digest != b.result.digest {
		t.Errorf("the same binary and options gave digest %s, then %s", b.result.digest, again.digest)
	}
}

func TestTagOf(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.0":                 "v1.2.0",
		"v1.2.0-3-gabcdef-dirty": "v1.2.0-3-gabcdef-dirty",
		"13d1822":                "13d1822",
		"1.0+build.5":            "1.0-build.5",
		"":                       "v",
		".hidden":                "v.hidden",
	} {
		if got := tagOf(in); got != want {
			t.Errorf("tagOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteTestCA checks the stand-in bundle used where the machine has none.
func TestWriteTestCA(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := writeTestCA(file); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(body) {
		t.Errorf("%s holds no certificate:\n%s", file, body)
	}
}

// TestTheLayoutReplacesOnlyALayout: -oci-layout pointed at a directory of
// other files leaves it alone.
func TestTheLayoutReplacesOnlyALayout(t *testing.T) {
	b := image(t)
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "central-config")
	if err := os.WriteFile(bin, b.files[binaryPath].body, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := build(context.Background(), options{binary: bin, arch: runtime.GOARCH, version: testVersion, created: testCreated,
		caFile: b.caFile, out: filepath.Join(t.TempDir(), "x.tar"), ociDir: dir})
	if err == nil || !strings.Contains(err.Error(), "not an OCI image layout") {
		t.Errorf("writing the layout over a directory of other files: %v, want a refusal", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the directory's file is gone: %v", err)
	}
}
