# The peregrine image: every component is a subcommand of the one jar.
#   docker build -t peregrine .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests install

FROM eclipse-temurin:17-jre
COPY --from=build /src/cli/target/peregrine.jar /opt/peregrine/peregrine.jar
ENV PEREGRINE_HOME=/var/lib/peregrine
ENTRYPOINT ["java", "-jar", "/opt/peregrine/peregrine.jar"]
CMD ["--help"]
