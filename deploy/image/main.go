// Command image builds the engine's container image without a Docker
// daemon, with go-containerregistry: `make image` runs it. It cross-builds
// the static binary (CGO_ENABLED=0, -trimpath, the version through
// -ldflags, as `make build` does), puts it on a base of a few files (CA
// certificates, /etc/passwd and /etc/group naming a non-root user, a
// writable working directory, /tmp) and writes the image as a tarball that
// `docker load` and `podman load` accept, and as an OCI image layout, which
// `crane push` and `skopeo copy oci:` push as they are. It prints the
// image's digest.
//
// The image has OCI media types, and its digest is its OCI manifest's: a
// registry reports it after a push of the layout. A docker-load tarball
// keeps no manifest (only manifest.json, config and layers), so whoever
// reads it (crane push of the tarball, docker load) makes a manifest with
// Docker media types, of another digest, which this command prints too;
// the config, the layers and the image ID are the same.
//
// The Dockerfile at the repository's root builds the same layout for those
// who build with Docker; image_test.go checks that the two agree.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's layout. The Dockerfile repeats these facts (a test compares
// them) and the Helm chart in deploy/helm relies on them.
const (
	// binaryPath is where the engine is, on the image's PATH.
	binaryPath = "/usr/local/bin/central-config"
	// pathEnv is the image's PATH, so that the entrypoint's bare name resolves.
	pathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	// workDir is the process's working directory, owned by the user: the
	// engine's relative defaults (.data/central-config.db, .data/cache)
	// land under it.
	workDir = "/var/lib/central-config"
	// caBundle is where Go's crypto/x509 looks first on Linux.
	caBundle = "/etc/ssl/certs/ca-certificates.crt"
	// userName, uid and gid: the non-root user the engine runs as (65532,
	// as distroless's nonroot, so a runAsUser written for those fits).
	userName = "central-config"
	uid      = 65532
	gid      = 65532
	// listenAddr is where serve listens by default in the container: the
	// engine's own default, 127.0.0.1:7080, is unreachable from outside a
	// container.
	listenAddr  = "0.0.0.0:7080"
	exposedPort = "7080/tcp"
	// title and defaultSource label the image.
	title         = "central-config"
	description   = "central-config engine: a central config repository, in Backstage"
	defaultSource = "https://github.com/central-config/central-config"
)

var (
	// entrypoint and cmd: `docker run IMAGE` serves on all interfaces;
	// `docker run IMAGE validate DIR` runs another command.
	entrypoint = []string{"central-config"}
	cmd        = []string{"serve", "--listen", listenAddr}
	// passwd and group name the user for tools such as ps and id.
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		userName + ":x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(gid) + ":" + userName + ":" + workDir + ":/sbin/nologin\n"
	group = "root:x:0:\n" + userName + ":x:" + strconv.Itoa(gid) + ":\n"
)

// options are the command's flags.
type options struct {
	goCmd    string    // the go command that builds the binary
	root     string    // the repository's root (holds go.mod)
	binary   string    // a binary built already, instead of building one
	arch     string    // GOARCH of the image (its OS is linux)
	version  string    // main.version and the version label
	revision string    // the git commit, for the revision label
	source   string    // the repository URL, for the source label
	created  time.Time // the image's and its files' time (the commit's, for a reproducible digest)
	caFile   string    // the CA bundle copied into the image
	tag      string    // the name the tarball gives the image (docker load tags it so)
	out      string    // the tarball to write
	ociDir   string    // an OCI image layout to write too, when set
}

func main() {
	o := options{}
	var created int64
	flag.StringVar(&o.goCmd, "go", "go", "the go command")
	flag.StringVar(&o.root, "root", ".", "the repository's root")
	flag.StringVar(&o.binary, "binary", "", "use this linux binary instead of building one")
	flag.StringVar(&o.arch, "arch", "amd64", "GOARCH of the image (linux/ARCH)")
	flag.StringVar(&o.version, "version", "dev", "the engine's version")
	flag.StringVar(&o.revision, "revision", "", "the git commit the image is built from")
	flag.StringVar(&o.source, "source", defaultSource, "the source repository's URL")
	flag.Int64Var(&created, "created", 0, "creation time, seconds since 1970 (the commit's time keeps the digest reproducible)")
	flag.StringVar(&o.caFile, "ca-certificates", caBundle, "the CA bundle to copy into the image")
	flag.StringVar(&o.tag, "tag", "", "the image's name in the tarball (default central-config:VERSION)")
	flag.StringVar(&o.out, "out", "bin/central-config-image.tar", "the image tarball (docker load) to write")
	flag.StringVar(&o.ociDir, "oci-layout", "bin/central-config-image.oci", "the OCI image layout to write (replaced); empty: none")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./deploy/image [flags]; see -help")
		os.Exit(2)
	}
	o.created = time.Unix(created, 0).UTC()
	res, err := build(context.Background(), o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("image    %s (linux/%s)\n", res.tag, o.arch)
	fmt.Printf("digest   %s\n", res.digest)
	if o.ociDir != "" {
		fmt.Printf("layout   %s: crane push %s REGISTRY/central-config:TAG (keeps the digest)\n", o.ociDir, o.ociDir)
	}
	fmt.Printf("tarball  %s (%.1f MB): docker load -i / podman load -i; crane push of the tarball gives Docker media types, digest %s\n",
		o.out, float64(res.tarSize)/1e6, res.tarballDigest)
	fmt.Printf("image ID %s (the config's digest; docker images shows it)\n", res.configDigest)
}

// result is what build made.
type result struct {
	tag           string
	digest        v1.Hash // the OCI manifest's: what a registry reports after a push of the layout
	tarballDigest v1.Hash // the manifest's that readers of the tarball make (Docker media types)
	configDigest  v1.Hash // the image ID
	tarSize       int64
}

// build builds the image and writes it as o says.
func build(ctx context.Context, o options) (*result, error) {
	if o.arch == "" {
		o.arch = runtime.GOARCH
	}
	tag := o.tag
	if tag == "" {
		tag = "central-config:" + tagOf(o.version)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return nil, fmt.Errorf("image name %q: %w", tag, err)
	}
	bin, err := binary(ctx, o)
	if err != nil {
		return nil, err
	}
	img, err := assemble(o, bin)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return nil, err
	}
	if err := tarball.WriteToFile(o.out, ref, img); err != nil {
		return nil, fmt.Errorf("writing %s: %w", o.out, err)
	}
	if o.ociDir != "" {
		// Replace a layout written before, never another directory.
		if entries, err := os.ReadDir(o.ociDir); err == nil && len(entries) > 0 {
			if _, err := os.Stat(filepath.Join(o.ociDir, "oci-layout")); err != nil {
				return nil, fmt.Errorf("%s is not empty and not an OCI image layout: not replacing it", o.ociDir)
			}
		}
		if err := os.RemoveAll(o.ociDir); err != nil {
			return nil, err
		}
		p, err := layout.Write(o.ociDir, empty.Index)
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", o.ociDir, err)
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": ref.TagStr(),
		})); err != nil {
			return nil, fmt.Errorf("writing %s: %w", o.ociDir, err)
		}
	}
	res := &result{tag: ref.String()}
	if res.digest, err = img.Digest(); err != nil {
		return nil, err
	}
	if res.configDigest, err = img.ConfigName(); err != nil {
		return nil, err
	}
	st, err := os.Stat(o.out)
	if err != nil {
		return nil, err
	}
	res.tarSize = st.Size()
	fromTar, err := tarball.ImageFromPath(o.out, nil)
	if err != nil {
		return nil, fmt.Errorf("reading %s back: %w", o.out, err)
	}
	if res.tarballDigest, err = fromTar.Digest(); err != nil {
		return nil, err
	}
	return res, nil
}

// binary returns the engine's static linux binary: o.binary, or one built
// as `make build` builds it, for o.arch.
func binary(ctx context.Context, o options) ([]byte, error) {
	if o.binary != "" {
		return os.ReadFile(o.binary)
	}
	dir, err := os.MkdirTemp("", "central-config-image-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	out := filepath.Join(dir, "central-config")
	c := exec.CommandContext(ctx, o.goCmd, "build", "-trimpath",
		"-ldflags", "-s -w -X main.version="+o.version, "-o", out, "./cmd/central-config")
	c.Dir = o.root
	c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.arch)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/central-config (linux/%s): %w", o.arch, err)
	}
	return os.ReadFile(out)
}

// assemble makes the image: a base layer (CA bundle, passwd, group,
// directories) and a layer with the binary, which changes more often.
func assemble(o options, bin []byte) (v1.Image, error) {
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		return nil, fmt.Errorf("the CA certificates for the image: %w", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("%s holds no PEM certificate", o.caFile)
	}
	root := entry{uid: 0, gid: 0}
	base, err := layer(o.created,
		root.dir("etc/", 0o755), root.file("etc/passwd", 0o644, []byte(passwd)), root.file("etc/group", 0o644, []byte(group)),
		root.dir("etc/ssl/", 0o755), root.dir("etc/ssl/certs/", 0o755), root.file(strings.TrimPrefix(caBundle, "/"), 0o644, ca),
		root.dir("tmp/", 0o1777),
		root.dir("usr/", 0o755), root.dir("usr/local/", 0o755), root.dir("usr/local/bin/", 0o755),
		root.dir("var/", 0o755), root.dir("var/lib/", 0o755),
		entry{uid: uid, gid: gid}.dir(strings.TrimPrefix(workDir, "/")+"/", 0o755),
	)
	if err != nil {
		return nil, err
	}
	engine, err := layer(o.created, root.file(strings.TrimPrefix(binaryPath, "/"), 0o755, bin))
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := v1.Time{Time: o.created}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "deploy/image: CA certificates (" + o.caFile + "), /etc/passwd, /etc/group, " + workDir + ", /tmp"}},
		mutate.Addendum{Layer: engine, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "deploy/image: " + binaryPath + " " + o.version + " (CGO_ENABLED=0 go build -trimpath)"}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", o.arch, created
	if o.arch == "arm64" {
		cf.Variant = "v8"
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       title,
		"org.opencontainers.image.description": description,
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.created":     o.created.Format(time.RFC3339),
	}
	if o.revision != "" {
		labels["org.opencontainers.image.revision"] = o.revision
	}
	cf.Config = v1.Config{
		Entrypoint:   entrypoint,
		Cmd:          cmd,
		Env:          []string{pathEnv},
		User:         strconv.Itoa(uid) + ":" + strconv.Itoa(gid),
		WorkingDir:   workDir,
		ExposedPorts: map[string]struct{}{exposedPort: {}},
		Labels:       labels,
	}
	return mutate.ConfigFile(img, cf)
}

// entry is the owner of the layer entries it makes.
type entry struct{ uid, gid int }

// member is one file or directory of a layer.
type member struct {
	hdr  tar.Header
	body []byte
}

func (e entry) dir(name string, mode int64) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: e.uid, Gid: e.gid}}
}

func (e entry) file(name string, mode int64, body []byte) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: e.uid, Gid: e.gid, Size: int64(len(body))}, body: body}
}

// layer makes an OCI layer (gzip) of members, every time set to t so that
// the same inputs give the same digest.
func layer(t time.Time, members ...member) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := m.hdr
		hdr.ModTime, hdr.Format = t, tar.FormatPAX
		if err := tw.WriteHeader(&hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(m.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// tagOf turns a version such as v1.2.0-3-gabcdef-dirty into a valid tag.
func tagOf(version string) string {
	t := regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(version, "-")
	if t == "" || strings.HasPrefix(t, ".") || strings.HasPrefix(t, "-") {
		t = "v" + t
	}
	if len(t) > 128 {
		t = t[:128]
	}
	return t
}
