# hewn in a container: the binary and a volume for the SQLite database.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/hewn

FROM debian:bookworm-slim
RUN useradd --system --home-dir /data --create-home hewn
COPY --from=build /src/target/release/hewn /usr/local/bin/hewn
USER hewn
WORKDIR /data
ENV HEWN_BIND=0.0.0.0:3000 \
    HEWN_DATABASE_URL=sqlite:///data/hewn.db
EXPOSE 3000
VOLUME ["/data"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hewn"]
CMD ["serve"]
