package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.HostInfoParser.BOOT_ID_SOURCE;
import static io.peregrine.agent.procfs.HostInfoParser.MACHINE_ID_SOURCE;
import static io.peregrine.agent.procfs.HostInfoParser.OS_RELEASE_SOURCE;
import static io.peregrine.agent.procfs.HostInfoParser.UPTIME_SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class HostInfoParserTest {

  enum File {
    BOOT_ID((b, p) -> HostInfoParser.bootId(b, b.length, p)),
    MACHINE_ID((b, p) -> HostInfoParser.machineId(b, b.length, p)),
    KERNEL((b, p) -> HostInfoParser.kernelRelease(b, b.length, p)),
    UPTIME((b, p) -> {
      OptionalDouble d = HostInfoParser.uptimeSeconds(b, b.length, p);
      return d.isPresent() ? Optional.of(d.getAsDouble()) : Optional.empty();
    });

    final BiFunction<byte[], ParseProblems, Optional<?>> parser;

    File(BiFunction<byte[], ParseProblems, Optional<?>> parser) {
      this.parser = parser;
    }
  }

  record Case(String name, File file, byte[] content, Optional<?> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured boot_id", File.BOOT_ID,
            bytes("host-debian12-vm/proc/sys/kernel/random/boot_id"),
            Optional.of("d1052078-83bb-4404-b565-78d3052f72be"), Set.of()),
        new Case("boot_id in upper case", File.BOOT_ID,
            text("D1052078-83BB-4404-B565-78D3052F72BE\n"),
            Optional.of("d1052078-83bb-4404-b565-78d3052f72be"), Set.of()),
        new Case("boot_id truncated", File.BOOT_ID, text("d1052078-83bb-44"), Optional.empty(),
            problems(BOOT_ID_SOURCE, Cause.MALFORMED_LINE)),
        new Case("boot_id empty", File.BOOT_ID, new byte[0], Optional.empty(),
            problems(BOOT_ID_SOURCE, Cause.EMPTY)),
        new Case("captured machine-id", File.MACHINE_ID, bytes("host-debian12-vm/etc/machine-id"),
            Optional.of("3d1219c7c4c5404aaa1f6d2a48adfda4"), Set.of()),
        new Case("machine-id written as a UUID, without newline", File.MACHINE_ID,
            text("3D1219C7-C4C5-404A-AA1F-6D2A48ADFDA4"),
            Optional.of("3d1219c7c4c5404aaa1f6d2a48adfda4"), Set.of()),
        new Case("machine-id not yet initialised", File.MACHINE_ID, text("uninitialized\n"),
            Optional.empty(), problems(MACHINE_ID_SOURCE, Cause.MALFORMED_LINE)),
        new Case("machine-id holding another file: boot_id", File.MACHINE_ID,
            text("d1052078-83bb-4404-b565-78d3052f72be\nx\n"), Optional.empty(),
            problems(MACHINE_ID_SOURCE, Cause.MALFORMED_LINE)),
        new Case("machine-id empty (container images ship it so)", File.MACHINE_ID, text("\n"),
            Optional.empty(), problems(MACHINE_ID_SOURCE, Cause.EMPTY)),
        new Case("captured osrelease", File.KERNEL,
            bytes("host-debian12-vm/proc/sys/kernel/osrelease"), Optional.of("6.18.44-fc-v669"),
            Set.of()),
        new Case("osrelease holding another file: loadavg", File.KERNEL,
            bytes("host-debian12-vm/proc/loadavg"), Optional.empty(),
            problems(OS_RELEASE_SOURCE, Cause.MALFORMED_LINE)),
        new Case("captured uptime", File.UPTIME, bytes("host-debian12-vm/proc/uptime"),
            Optional.of(2097.70), Set.of()),
        new Case("uptime corrupt", File.UPTIME, text("abc 12.0\n"), Optional.empty(),
            problems(UPTIME_SOURCE, Cause.BAD_NUMBER)),
        new Case("uptime truncated", File.UPTIME, text("2097.7"), Optional.empty(),
            problems(UPTIME_SOURCE, Cause.TRUNCATED)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldValidateSingleValueFilesOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(c.file().parser.apply(c.content(), problems)).isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
