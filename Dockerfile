# Passline's container image: a thin wrapper around the release archive that scripts/release makes (and that the test
# suite unpacks and runs without the SDK). No container daemon runs in this project's CI, so this file is not built by
# the tests; everything it runs is.
#
#   docker build -t passline .
#   docker run -p 127.0.0.1:8080:8080 -v passline-data:/var/lib/passline --env-file passline.env passline
#
# where passline.env holds at least Passline__PublicBaseUrl and Passline__Secrets__Key (base64 of 32 random bytes,
# openssl rand -base64 32, kept: Passline does not start without it outside Development); docs/deployment.md has more.
#
# Build stage: the SDK image runs scripts/release for the target's architecture. The git history comes along in the
# build context (see .dockerignore), so the version is the tag or commit, as for the release archives.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN rid=$([ "$TARGETARCH" = "arm64" ] && echo linux-arm64 || echo linux-x64) \
 && scripts/release --out /release "$rid" \
 && mkdir /app \
 && tar -xzf /release/passline-*-"$rid".tar.gz -C /app --strip-components=1

# Final stage: the operating-system libraries .NET needs and nothing else (no shell tools beyond the base image's, no
# SDK, no runtime: the executable carries it). The base image's non-root "app" user (APP_UID) runs Passline.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS final
COPY --from=build /app /opt/passline
RUN mkdir -p /var/lib/passline && chown "$APP_UID" /var/lib/passline
USER $APP_UID

# The working directory holds the embedded SQLite database (data/passline.db, the default connection string); it is
# the only place Passline writes to, so the root file system can be mounted read-only (mount a tmpfs on /tmp, where
# .NET puts its diagnostics sockets).
WORKDIR /var/lib/passline
VOLUME /var/lib/passline

ENV ASPNETCORE_ENVIRONMENT=Production \
    Urls=http://+:8080 \
    Logging__Console__FormatterName=json \
    PASSLINE_HEALTH_PORT=8080
EXPOSE 8080

# The image has no curl: bash's /dev/tcp asks /healthz for its status line, on the port PASSLINE_HEALTH_PORT names.
# With a management listener (Passline__Management__Urls=http://+:9090, say) /healthz answers 404 on 8080: set
# PASSLINE_HEALTH_PORT=9090 with it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PASSLINE_HEALTH_PORT:-8080} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/opt/passline/passline"]
CMD ["serve"]
