# wikirecent's image: build the runnable jar with Maven, run it on a JRE.
# Used by docker-compose.yml for the ingest (stream), the app and the offline replay.

# --- stage 1: build target/wikirecent.jar (the product module only, not the benchmarks)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The Maven repository is a build cache: a change to the code does not download the dependencies again.
RUN --mount=type=cache,target=/root/.m2 mvn -B -DskipTests package -pl :wikirecent -am

# --- stage 2: a JRE and the jar, nothing else. Built for Java 17; on 25 the same jar keeps up
# better and writes to 10,000 WebSocket clients for less CPU (BENCHMARKS.md, round 17).
FROM eclipse-temurin:25-jre
RUN useradd --system --uid 10001 --home-dir /app wikirecent \
 && mkdir -p /app /data && chown wikirecent /app /data
WORKDIR /app
COPY --from=build /src/target/wikirecent.jar /app/wikirecent.jar
# The recentchanges file lives on a volume, shared with Materialize (which reads it) in compose.
ENV WIKIRECENT_DATA_DIR=/data \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
VOLUME /data
USER wikirecent
EXPOSE 8875
ENTRYPOINT ["java", "-jar", "/app/wikirecent.jar"]
