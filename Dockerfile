# The gateway's image for those who build with Docker: the same content as `make image`
# (static binary, CA certificates, the non-root user 65532, no shell).
#   docker build -t ghcr.io/nango-gateway/nango-gateway:<tag> .
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=linux GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o /out/nango-gateway ./cmd/server \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > /out/group \
 && mkdir -p /out/home/nonroot /out/tmp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /out/group /etc/
COPY --from=build --chown=65532:65532 --chmod=700 /out/home/nonroot /home/nonroot
COPY --from=build --chmod=1777 /out/tmp /tmp
COPY --from=build /out/nango-gateway /usr/local/bin/nango-gateway
ENV PATH=/usr/local/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /
EXPOSE 50051/tcp 8080/tcp
ENTRYPOINT ["/usr/local/bin/nango-gateway"]
