package io.peregrine.agent.cgroup;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cutInside;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static io.peregrine.agent.cgroup.ProcCgroupParser.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ProcCgroupParserTest {

  private static final String K8S_V1 = "/kubepods/burstable/pod9f2bb938-3076-4b5b-9cc7-e9feedbf33c0/"
      + "ccd66c078cc0dca9b690c8adb76311f6f41c0c65e26a7c601c150d0b74150481";

  record Case(String name, byte[] content, Optional<ProcessCgroups> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("captured hybrid host: only memory below the root",
            bytes("host-debian12-vm/proc/16208/cgroup"), Optional.of(new ProcessCgroups("/", "/",
                "/", "/process_api/03bc89246f882af9f4eaed883f41d6d4", "/", "/")), Set.of()),
        new Case("captured v1: cpu, cpuacct and memory in a cgroup, v2 at the root",
            bytes("cgroup-v1-captured/proc/16512/cgroup"), Optional.of(new ProcessCgroups("/",
                "/peregrine-fixture-limited", "/peregrine-fixture-limited",
                "/peregrine-fixture-limited", "/", "/")), Set.of()),
        new Case("captured v1: blkio in a cgroup, the others at the root",
            bytes("cgroup-v1-blkio-captured/proc/814/cgroup"), Optional.of(new ProcessCgroups("/",
                "/", "/", "/process_api/952dbb378633da28f816766366902b09",
                "/peregrine-fixture-throttled", "/")), Set.of()),
        new Case("captured v2 child on a hybrid host",
            bytes("cgroup-v2-captured-no-controllers/proc/16962/cgroup"),
            Optional.of(new ProcessCgroups("/peregrine-fixture", "/", "/",
                "/process_api/03bc89246f882af9f4eaed883f41d6d4", "/", "/")), Set.of()),
        new Case("v2 only", bytes("proc-cgroup-layouts/systemd-service-v2"),
            Optional.of(new ProcessCgroups("/system.slice/nginx.service", null, null, null, null, null)),
            Set.of()),
        new Case("v1 with co-mounted cpu,cpuacct", bytes("proc-cgroup-layouts/k8s-cgroupfs-v1"),
            Optional.of(new ProcessCgroups(K8S_V1, K8S_V1, K8S_V1, K8S_V1, K8S_V1, K8S_V1)), Set.of()),
        new Case("path holding colons (containerd)",
            text("0::/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:ab\n"),
            Optional.of(new ProcessCgroups(
                "/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:ab", null, null,
                null, null, null)), Set.of()),
        new Case("garbage line skipped", text("garbage\n4:memory:/a\n"),
            Optional.of(new ProcessCgroups(null, null, null, "/a", null, null)),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("relative path is not a cgroup path", text("4:memory:a\n"), Optional.empty(),
            problems(SOURCE, Cause.MALFORMED_LINE, Cause.MISSING_FIELD)),
        new Case("cut inside the last line",
            cutInside(bytes("cgroup-v1-captured/proc/16512/cgroup"), "0::"),
            Optional.of(new ProcessCgroups(null, "/peregrine-fixture-limited",
                "/peregrine-fixture-limited", "/peregrine-fixture-limited", "/", "/")),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("another file: /proc/<pid>/stat", bytes("host-debian12-vm/proc/16208/stat"),
            Optional.empty(), problems(SOURCE, Cause.MALFORMED_LINE, Cause.MISSING_FIELD)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldMapHierarchiesToPathsOrReportWhy(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(ProcCgroupParser.parse(c.content(), c.content().length, problems))
        .isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }

  @Test
  void shouldShareOneStringForRepeatedPaths() {
    byte[] v1 = bytes("proc-cgroup-layouts/k8s-cgroupfs-v1");
    ProcessCgroups cg = ProcCgroupParser.parse(v1, v1.length, new ProblemCounters()).orElseThrow();
    assertThat(cg.cpu()).isSameAs(cg.memory()).isSameAs(cg.systemd());
  }

  @Test
  void shouldOfferNonRootPathsOnceEachForIdentity() {
    assertThat(new ProcessCgroups("/", "/a", "/a", "/b", "/", "/").identityCandidates())
        .containsExactly("/a", "/b");
  }
}
