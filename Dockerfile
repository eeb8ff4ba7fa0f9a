# The peregrine image: every component is a subcommand of the one jar.
#   docker build -t peregrine .
#
# Built on Debian for the eBPF sensor's toolchain (clang, libbpf, bpftool), which the Maven build
# uses when present; without it the agent would quietly run procfs-only, so the build stops
# instead. vmlinux.h is generated from the build host's kernel BTF (/sys/kernel/btf/vmlinux,
# visible to build containers); CO-RE relocates the programs to whichever kernel runs the agent.
# The loader links libbpf, libelf and zlib statically: the runtime image needs none of them.
FROM debian:bookworm AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven \
      clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev make pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests install
RUN test -x edge-agent/target/classes/native/peregrine-loader \
 || { echo "the eBPF sensor was not built (its notice is above): no kernel BTF at /sys/kernel/btf/vmlinux?" >&2; exit 1; }

FROM eclipse-temurin:17-jre
COPY --from=build /src/cli/target/peregrine.jar /opt/peregrine/peregrine.jar
ENV PEREGRINE_HOME=/var/lib/peregrine
ENTRYPOINT ["java", "-jar", "/opt/peregrine/peregrine.jar"]
CMD ["--help"]
