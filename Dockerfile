# syntax=docker/dockerfile:1
# The engine's container image, for those who build with Docker (BuildKit):
#
#   docker build -t central-config:"$(git describe --tags --always --dirty)" \
#     --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" .
#
# (add --platform linux/arm64 for arm64). `make image` builds the same image
# without a Docker daemon (deploy/image/main.go), and
# deploy/image/dockerfile_test.go checks that this file and that builder
# agree: the user, entrypoint, command, port, working directory, PATH,
# labels and file layout. docs/operations.md, "Container image", says what
# is in it.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
# BuildKit sets TARGETARCH from --platform (default: the builder's own).
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
COPY cmd/ cmd/
COPY internal/ internal/
# The static binary, built as `make build` builds it. go build downloads
# the modules the binary imports and no more (go.mod also lists those of
# the tests; no `go mod download`); the cache mounts keep them, and the
# build cache, from one build to the next.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /rootfs/usr/local/bin/central-config ./cmd/central-config
# The base files: the build image's CA bundle (Debian's ca-certificates),
# the user and its group (65532, as distroless's nonroot), /tmp, and the
# working directory the user owns (copied with --chown below).
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /data/central-config \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\ncentral-config:x:65532:65532:central-config:/var/lib/central-config:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\ncentral-config:x:65532:\n' > /rootfs/etc/group \
 && chmod 1777 /rootfs/tmp

FROM scratch
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/central-config/central-config
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /data/ /var/lib/
LABEL org.opencontainers.image.title="central-config" \
      org.opencontainers.image.description="central-config engine: a central config repository, in Backstage" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER 65532:65532
# The engine's relative defaults (.data/central-config.db, .data/cache)
# land here.
WORKDIR /var/lib/central-config
EXPOSE 7080/tcp
ENTRYPOINT ["central-config"]
# The engine's own default, 127.0.0.1:7080, is unreachable from outside the
# container.
CMD ["serve", "--listen", "0.0.0.0:7080"]
