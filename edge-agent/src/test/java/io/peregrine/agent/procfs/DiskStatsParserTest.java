package io.peregrine.agent.procfs;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.procfs.DiskStatsParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class DiskStatsParserTest {

  private static final byte[] CAPTURED = bytes("host-debian12-vm/proc/diskstats");

  private static final DiskStat VDA = new DiskStat("vda", 254, 0, 39024, 5274, 2879122L * 512,
      469208L * 512, 38279, 1961, 5196);

  /** Linux 4.14 (11 counters) with partitions, device mapper and md; constructed from iostats.rst. */
  private static final String OLD_KERNEL_WITH_PARTITIONS = ""
      + "   8       0 sda 100 1 800 50 200 2 1600 70 0 90 120\n"
      + "   8       1 sda1 90 1 720 45 190 2 1520 65 0 80 110\n"
      + " 259       0 nvme0n1 10 0 80 5 20 0 160 7 0 9 12\n"
      + " 259       1 nvme0n1p1 10 0 80 5 20 0 160 7 0 9 12\n"
      + " 253       0 dm-0 5 0 40 2 6 0 48 3 0 4 5\n"
      + "   9       0 md127 1 0 8 1 1 0 8 1 0 1 2\n"
      + "   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0\n"
      + "  11       0 sr0 3 0 24 1 0 0 0 0 0 1 1\n";

  record Case(String name, byte[] content, List<DiskStat> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured: loop and zram skipped, vda kept", CAPTURED, List.of(VDA), Set.of()),
        new Case("11-counter kernel: partitions, ram and sr skipped",
            text(OLD_KERNEL_WITH_PARTITIONS), List.of(
                new DiskStat("sda", 8, 0, 100, 200, 800 * 512, 1600 * 512, 50, 70, 90),
                new DiskStat("nvme0n1", 259, 0, 10, 20, 80 * 512, 160 * 512, 5, 7, 9),
                new DiskStat("dm-0", 253, 0, 5, 6, 40 * 512, 48 * 512, 2, 3, 4),
                new DiskStat("md127", 9, 0, 1, 1, 8 * 512, 8 * 512, 1, 1, 1)), Set.of()),
        new Case("corrupt counter: the line is skipped, others kept",
            text(" 8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n 8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\n"),
            List.of(new DiskStat("sdb", 8, 16, 1, 5, 3 * 512, 7 * 512, 4, 8, 10)),
            problems(SOURCE, Cause.BAD_NUMBER)),
        new Case("too few counters", text(" 8 0 sda 1 2 3\n"), List.of(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("truncated inside the vda line", cutInside(CAPTURED, "vda 39024 72"), List.of(),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("another file: /proc/stat", bytes("host-debian12-vm/proc/stat"), List.of(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("empty", new byte[0], List.of(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldKeepWholeDevicesWithBytesFromSectors(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(DiskStatsParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }

  @ParameterizedTest(name = "{0} whole={1}")
  @CsvSource({
      "sda, true", "sdaa, true", "vda, true", "xvdf, true", "hdb, true", "dm-0, true",
      "md127, true", "mmcblk0, true", "nvme0n1, true", "nvme12n3, true", "rbd0, true",
      "sda1, false", "vda15, false", "nvme0n1p1, false", "mmcblk0p2, false", "loop0, false",
      "ram0, false", "zram0, false", "sr0, false", "dm-, false", "nvme0, false", "sd, false",
      "md, false"})
  void shouldTellWholeDevicesFromPartitionsByName(String name, boolean whole) {
    assertThat(DiskStatsParser.isWholeDevice(name)).isEqualTo(whole);
  }
}
