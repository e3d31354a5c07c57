# The trailseal image: a static binary on a distroless base, run as a
# non-root user (deploy/kubernetes/verify-job.yaml uses it).
#   docker build -t registry.example.com/trailseal:latest .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/trailseal/trailseal/internal/cli.version=${VERSION}" \
    -o /out/trailseal ./cmd/trailseal

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/trailseal /trailseal
USER 65532:65532
ENTRYPOINT ["/trailseal"]
