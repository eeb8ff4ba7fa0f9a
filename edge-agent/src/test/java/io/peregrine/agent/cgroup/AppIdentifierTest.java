package io.peregrine.agent.cgroup;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.cgroup.CgroupPathsTest.A;
import static io.peregrine.agent.cgroup.CgroupPathsTest.B;
import static io.peregrine.agent.cgroup.CgroupPathsTest.C;
import static io.peregrine.agent.cgroup.CgroupPathsTest.E;
import static io.peregrine.agent.cgroup.CgroupPathsTest.F;
import static io.peregrine.agent.cgroup.CgroupPathsTest.H;
import static io.peregrine.agent.cgroup.CgroupPathsTest.K;
import static io.peregrine.agent.cgroup.CgroupPathsTest.U1;
import static io.peregrine.agent.cgroup.CgroupPathsTest.U3;
import static io.peregrine.agent.cgroup.CgroupPathsTest.U4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.peregrine.agent.cgroup.CgroupClassification.Origin;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.schema.AppKind;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AppIdentifierTest {

  private static final String EXE = "/usr/local/bin/app";
  private static final int GROUP_LEADER = 4242;

  /** What a runtime client would answer for some of the layout fixtures' containers. */
  private static final Map<String, ContainerInfo> KNOWN = Map.of(
      A, new ContainerInfo("web", "nginx:1.27"),
      B, new ContainerInfo("shop-web-1", "nginx:1.27", new ContainerInfo.Compose("shop", "web"), null),
      E, new ContainerInfo("app", "registry/checkout:1.4.2", null,
          new ContainerInfo.Kubernetes("shop", "checkout-7d9f8b-x2x4q", null, "app", "Deployment",
              "checkout")),
      F, new ContainerInfo("shell", null, null,
          new ContainerInfo.Kubernetes("ops", "debug-pod", null, "shell", null, null)),
      K, new ContainerInfo("toolbox", "fedora-toolbox:40"));
  /** The runtime each fixture's cgroup path names, which the identifier must pass on. */
  private static final Map<String, ContainerRuntime> RUNTIMES = Map.of(A, ContainerRuntime.DOCKER,
      B, ContainerRuntime.DOCKER, E, ContainerRuntime.CONTAINERD, F, ContainerRuntime.CRIO,
      K, ContainerRuntime.PODMAN);
  private static final ContainerMetadata RUNTIME = (runtime, id) -> {
    assertThat(runtime).as("runtime of " + id).isEqualTo(RUNTIMES.getOrDefault(id, runtime));
    return Optional.ofNullable(KNOWN.get(id));
  };

  record Case(String fixture, ContainerMetadata metadata, String exe, Application app,
      String instanceId, Origin origin, Set<String> problems) {
    @Override
    public String toString() {
      return fixture + (metadata == ContainerMetadata.NONE ? "" : " + runtime metadata");
    }
  }

  private static Application app(AppKind kind, String id, String name) {
    return new Application(kind, id, name, null, null, null);
  }

  private static Application process(String name) {
    return app(AppKind.PROCESS, "process/" + name, name);
  }

  static Stream<Case> cases() {
    ContainerMetadata none = ContainerMetadata.NONE;
    Set<String> ok = Set.of();
    String k8sSystemd = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        + U3.replace('-', '_') + ".slice/cri-containerd-" + E + ".scope";
    String crio = "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
        + U4.replace('-', '_') + ".slice/crio-" + F + ".scope";
    return Stream.of(
        // Containers without metadata: keyed by their cgroup path, never given invented names.
        new Case("proc-cgroup-layouts/docker-cgroupfs-v1", none, EXE,
            app(AppKind.UNKNOWN, "unknown/docker/" + A, A.substring(0, 12)), A, Origin.CONTAINER, ok),
        new Case("proc-cgroup-layouts/docker-systemd-v2", none, EXE, app(AppKind.UNKNOWN,
            "unknown/system.slice/docker-" + B + ".scope", B.substring(0, 12)), B,
            Origin.CONTAINER, ok),
        new Case("proc-cgroup-layouts/k8s-cgroupfs-v1", none, EXE, app(AppKind.UNKNOWN,
            "unknown/kubepods/burstable/pod" + U1 + "/" + C, C.substring(0, 12)), C,
            Origin.KUBERNETES, ok),
        new Case("proc-cgroup-layouts/k8s-containerd-systemd-v2", none, EXE,
            app(AppKind.UNKNOWN, "unknown/" + k8sSystemd, E.substring(0, 12)), E, Origin.KUBERNETES,
            ok),
        new Case("proc-cgroup-layouts/k8s-containerd-colon-v1", none, EXE, app(AppKind.UNKNOWN,
            "unknown/system.slice/containerd.service/kubepods-burstable-pod" + U1.replace('-', '_')
                + ".slice:cri-containerd:" + H, H.substring(0, 12)), H, Origin.KUBERNETES, ok),
        // With metadata.
        new Case("proc-cgroup-layouts/docker-cgroupfs-v1", RUNTIME, EXE,
            new Application(AppKind.CONTAINER, "container/web", "web", null, null, "web"), A,
            Origin.CONTAINER, ok),
        new Case("proc-cgroup-layouts/docker-systemd-v2", RUNTIME, EXE,
            new Application(AppKind.CONTAINER, "container/shop/web", "shop/web", null, null,
                "shop-web-1"), B, Origin.CONTAINER, ok),
        new Case("proc-cgroup-layouts/k8s-containerd-systemd-v2", RUNTIME, EXE,
            new Application(AppKind.KUBERNETES, "k8s/shop/checkout", "checkout", "shop",
                "Deployment/checkout", "app"), E, Origin.KUBERNETES, ok),
        new Case("proc-cgroup-layouts/k8s-crio-systemd-v2", RUNTIME, EXE,
            new Application(AppKind.KUBERNETES, "k8s/ops/debug-pod", "debug-pod", "ops", null,
                "shell"), F, Origin.KUBERNETES, ok),
        new Case("proc-cgroup-layouts/k8s-crio-systemd-v2", none, EXE,
            app(AppKind.UNKNOWN, "unknown/" + crio, F.substring(0, 12)), F, Origin.KUBERNETES, ok),
        new Case("proc-cgroup-layouts/podman-rootless-v2", RUNTIME, EXE,
            new Application(AppKind.CONTAINER, "container/toolbox", "toolbox", null, null, "toolbox"),
            K, Origin.CONTAINER, ok),
        // Units.
        new Case("proc-cgroup-layouts/systemd-service-v2", none, "/usr/sbin/nginx",
            app(AppKind.SYSTEMD, "systemd/nginx.service", "nginx"), "/system.slice/nginx.service",
            Origin.SYSTEMD, ok),
        new Case("proc-cgroup-layouts/systemd-template-v2", none, "/usr/lib/postgresql/16/bin/postgres",
            app(AppKind.SYSTEMD, "systemd/postgresql@16-main.service", "postgresql@16-main"),
            "/system.slice/system-postgresql.slice/postgresql@16-main.service", Origin.SYSTEMD, ok),
        new Case("proc-cgroup-layouts/systemd-service-v1", none, "/usr/sbin/sshd",
            app(AppKind.SYSTEMD, "systemd/ssh.service", "ssh"), "/system.slice/ssh.service",
            Origin.SYSTEMD, ok),
        // Not applications: the executable names them.
        new Case("proc-cgroup-layouts/user-session-v2", none, "/usr/bin/vim", process("vim"),
            "pid:4242", Origin.HOST, ok),
        new Case("proc-cgroup-layouts/init-scope-v2", none, "/usr/lib/systemd/systemd",
            process("systemd"), "pid:4242", Origin.HOST, ok),
        new Case("proc-cgroup-layouts/root-v2", none, "/usr/bin/java", process("java"),
            "pid:4242", Origin.HOST, ok),
        new Case("proc-cgroup-layouts/k8s-crio-conmon-v2", none, "/usr/bin/conmon",
            process("conmon"), "pid:4242", Origin.HOST, ok),
        new Case("proc-cgroup-layouts/lxc-v2", none, "/usr/sbin/apache2", process("apache2"),
            "pid:4242", Origin.UNRECOGNISED,
            problems(AppIdentifier.SOURCE, Cause.UNKNOWN_CGROUP_LAYOUT)),
        // Captured on the development machine.
        new Case("host-debian12-vm/proc/16208/cgroup", none,
            "/root/.pyenv/versions/3.11.7/bin/python3.11", process("python3.11"), "pid:4242",
            Origin.UNRECOGNISED, problems(AppIdentifier.SOURCE, Cause.UNKNOWN_CGROUP_LAYOUT)),
        new Case("host-debian12-vm/proc/2/cgroup", none, "kthreadd", process("kthreadd"),
            "pid:4242", Origin.HOST, ok),
        new Case("cgroup-v1-captured/proc/16512/cgroup", none, "/usr/bin/python3",
            process("python3"), "pid:4242", Origin.UNRECOGNISED,
            problems(AppIdentifier.SOURCE, Cause.UNKNOWN_CGROUP_LAYOUT)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldIdentifyTheApplicationAndInstance(Case c) {
    ProblemCounters problems = new ProblemCounters();
    byte[] content = bytes(c.fixture());
    ProcessCgroups cgroups = ProcCgroupParser.parse(content, content.length, problems).orElseThrow();
    AppIdentity identity = new AppIdentifier(c.metadata())
        .identify(cgroups, GROUP_LEADER, c.exe(), problems);
    assertThat(identity.app()).isEqualTo(c.app());
    assertThat(identity.instanceId()).isEqualTo(c.instanceId());
    assertThat(identity.cgroup().origin()).isEqualTo(c.origin());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }

  @Test
  void shouldCarryThePodUidWithoutMetadata() {
    byte[] content = bytes("proc-cgroup-layouts/k8s-containerd-systemd-v2");
    ProcessCgroups cgroups =
        ProcCgroupParser.parse(content, content.length, new ProblemCounters()).orElseThrow();
    AppIdentity identity = new AppIdentifier(ContainerMetadata.NONE)
        .identify(cgroups, 1, "/app", new ProblemCounters());
    assertThat(identity.cgroup().podUid()).isEqualTo(U3);
    assertThat(identity.cgroup().runtime()).isEqualTo(ContainerRuntime.CONTAINERD);
  }

  @Test
  void shouldRefuseAnUnnamedExecutable() {
    assertThatThrownBy(() -> new AppIdentifier(ContainerMetadata.NONE)
        .identify(new ProcessCgroups("/", null, null, null, null, null), 1, " ", new ProblemCounters()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
