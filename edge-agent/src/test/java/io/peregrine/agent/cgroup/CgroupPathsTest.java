package io.peregrine.agent.cgroup;

import static io.peregrine.agent.cgroup.CgroupClassification.Origin.CONTAINER;
import static io.peregrine.agent.cgroup.CgroupClassification.Origin.HOST;
import static io.peregrine.agent.cgroup.CgroupClassification.Origin.KUBERNETES;
import static io.peregrine.agent.cgroup.CgroupClassification.Origin.SYSTEMD;
import static io.peregrine.agent.cgroup.CgroupClassification.Origin.UNRECOGNISED;
import static io.peregrine.agent.cgroup.ContainerRuntime.CONTAINERD;
import static io.peregrine.agent.cgroup.ContainerRuntime.CRIO;
import static io.peregrine.agent.cgroup.ContainerRuntime.DOCKER;
import static io.peregrine.agent.cgroup.ContainerRuntime.PODMAN;
import static io.peregrine.agent.cgroup.ContainerRuntime.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CgroupPathsTest {

  static final String A = "1167b3c0fe0c20e0c50197d60bac32fbe2bbf8b78d58f3079921e837fba42b00";
  static final String B = "9e0e52a7aa6565ef2faceda51e3cb669a174b703d5e95991cacf9f2dcfc12344";
  static final String C = "ccd66c078cc0dca9b690c8adb76311f6f41c0c65e26a7c601c150d0b74150481";
  static final String E = "bb78a5bb9e706c5bfa8fa2c31073aab2124362303d54a13a147d242faa6af1a7";
  static final String F = "104d82bc5a05bd26449a650fafa09d83a47f48985656283bbfe3ba96ff3115c4";
  static final String G = "cfde93560e39e87615768425d93ba7473b8782f6a2e7bb0d86088585df27acdb";
  static final String H = "b43f5b0fcb1582b12e750a1b2705cf60fe7ef3d40ce9f2722e692ecbf4f85441";
  static final String I = "7d1bc97db220030c637f03f3053ab510cac7dfae79aff43d8dc224a93326e5cd";
  static final String J = "521451503e957f0b7d09dd87d786306b3f3421b42bc70f02fbfa0e282b3d50f6";
  static final String K = "ddabe261cadc2d519ce952103d8205e4f1516cc46b4ca93d9c166edcffce0d99";
  static final String L = "4b5544b2f558d2b96d1e358fe26499e8f31a9d25dca7c579ee35bc51241590f4";
  static final String U1 = "9f2bb938-3076-4b5b-9cc7-e9feedbf33c0";
  static final String U2 = "2f588285-b838-4943-8968-acdbb531c778";
  static final String U3 = "f9329f0f-1a54-4401-b133-79ed11b6c4db";
  static final String U4 = "be05e3e8-d8cc-425c-b8d2-1eaba23f678f";
  static final String STATIC_POD = "c967f248190956137aa68c89b671a755";

  static String underscored(String uid) {
    return uid.replace('-', '_');
  }

  record Case(String path, CgroupClassification expected) {
    @Override
    public String toString() {
      return path;
    }
  }

  static Case container(String path, CgroupClassification.Origin origin, ContainerRuntime runtime,
      String id, String podUid, String instancePath) {
    return new Case(path, new CgroupClassification(origin, runtime, id, podUid, null, instancePath));
  }

  static Case unit(String path, String unit, String instancePath) {
    return new Case(path, new CgroupClassification(SYSTEMD, null, null, null, unit, instancePath));
  }

  static Case host(String path) {
    return new Case(path, new CgroupClassification(HOST, null, null, null, null, path));
  }

  /** The paths of proc-cgroup-layouts (see its README), and a few more. */
  static Stream<Case> cases() {
    String crioPod = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
        + underscored(U4) + ".slice";
    String kindPod = "/system.slice/docker-" + L + ".scope/kubelet.slice/kubelet-kubepods.slice/"
        + "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + underscored(U2)
        + ".slice";
    String colon = "/system.slice/containerd.service/kubepods-burstable-pod" + underscored(U1)
        + ".slice:cri-containerd:" + H;
    String k8sSystemd = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        + underscored(U3) + ".slice/cri-containerd-" + E + ".scope";
    return Stream.of(
        container("/docker/" + A, CONTAINER, DOCKER, A, null, "/docker/" + A),
        container("/system.slice/docker-" + B + ".scope", CONTAINER, DOCKER, B, null,
            "/system.slice/docker-" + B + ".scope"),
        container("/kubepods/burstable/pod" + U1 + "/" + C, KUBERNETES, UNKNOWN, C, U1,
            "/kubepods/burstable/pod" + U1 + "/" + C),
        container("/kubepods/pod" + U2 + "/" + C + "/", KUBERNETES, UNKNOWN, C, U2,
            "/kubepods/pod" + U2 + "/" + C),
        container(k8sSystemd, KUBERNETES, CONTAINERD, E, U3, k8sSystemd),
        container(crioPod + "/crio-" + F + ".scope/container", KUBERNETES, CRIO, F, U4,
            crioPod + "/crio-" + F + ".scope"),
        host(crioPod + "/crio-conmon-" + F + ".scope"),
        container("/kubepods.slice/kubepods-pod" + STATIC_POD + ".slice/cri-containerd-" + G
            + ".scope", KUBERNETES, CONTAINERD, G, STATIC_POD,
            "/kubepods.slice/kubepods-pod" + STATIC_POD + ".slice/cri-containerd-" + G + ".scope"),
        container(colon, KUBERNETES, CONTAINERD, H, U1, colon),
        container(kindPod + "/cri-containerd-" + I + ".scope", KUBERNETES, CONTAINERD, I, U2,
            kindPod + "/cri-containerd-" + I + ".scope"),
        container("/kubepods/besteffort/pod" + U1 + "/crio-" + F, KUBERNETES, CRIO, F, U1,
            "/kubepods/besteffort/pod" + U1 + "/crio-" + F),
        container("/machine.slice/libpod-" + J + ".scope/container", CONTAINER, PODMAN, J, null,
            "/machine.slice/libpod-" + J + ".scope"),
        container("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + K + ".scope",
            CONTAINER, PODMAN, K, null,
            "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + K + ".scope"),
        host("/machine.slice/libpod-conmon-" + J + ".scope"),
        container("/libpod_parent/libpod-" + J, CONTAINER, PODMAN, J, null, "/libpod_parent/libpod-" + J),
        container("/default/" + A, CONTAINER, UNKNOWN, A, null, "/default/" + A),
        unit("/system.slice/nginx.service", "nginx.service", "/system.slice/nginx.service"),
        unit("/system.slice/system-postgresql.slice/postgresql@16-main.service",
            "postgresql@16-main.service",
            "/system.slice/system-postgresql.slice/postgresql@16-main.service"),
        unit("/system.slice/docker.service/sub", "docker.service", "/system.slice/docker.service"),
        unit("/system.slice/system-serial\\x2dgetty.slice/serial-getty@ttyS0.service",
            "serial-getty@ttyS0.service",
            "/system.slice/system-serial\\x2dgetty.slice/serial-getty@ttyS0.service"),
        host("/user.slice/user-1000.slice/session-3.scope"),
        host("/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-2201.scope"),
        host("/user.slice/user-1000.slice/user@1000.service/app.slice/syncthing.service"),
        host("/init.scope"),
        host("/"),
        host("/system.slice/run-u42.scope"),
        host("/system.slice"),
        host("/machine.slice/machine-qemu\\x2d1\\x2dvm.scope"),
        // Not container ids: wrong length, upper case.
        new Case("/docker/" + A.substring(1),
            new CgroupClassification(UNRECOGNISED, null, null, null, null, "/docker/" + A.substring(1))),
        new Case("/docker/" + A.toUpperCase(java.util.Locale.ROOT), new CgroupClassification(
            UNRECOGNISED, null, null, null, null, "/docker/" + A.toUpperCase(java.util.Locale.ROOT))),
        new Case("/lxc/web01",
            new CgroupClassification(UNRECOGNISED, null, null, null, null, "/lxc/web01")),
        new Case("/process_api/03bc89246f882af9f4eaed883f41d6d4", new CgroupClassification(
            UNRECOGNISED, null, null, null, null, "/process_api/03bc89246f882af9f4eaed883f41d6d4")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldClassifyByRuntimeAndSystemdNaming(Case c) {
    assertThat(CgroupPaths.classify(c.path())).isEqualTo(c.expected());
  }
}
