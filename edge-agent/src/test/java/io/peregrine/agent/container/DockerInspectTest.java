package io.peregrine.agent.container;

import static io.peregrine.agent.Fixtures.bytes;
import static io.peregrine.agent.Fixtures.cut;
import static io.peregrine.agent.Fixtures.problems;
import static io.peregrine.agent.Fixtures.reported;
import static io.peregrine.agent.Fixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.cgroup.ContainerInfo;
import io.peregrine.agent.procfs.ParseProblems.Cause;
import io.peregrine.agent.procfs.ProblemCounters;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DockerInspectTest {

  private static final String DIR = "container-runtimes/docker/";
  private static final String SOURCE = DockerInspect.SOURCE;

  record Case(String name, byte[] content, Optional<ContainerInfo> expected, Set<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    byte[] plain = bytes(DIR + "inspect-plain.json");
    return Stream.of(
        new Case("plain container", plain, Optional.of(new ContainerInfo("web", "nginx:1.27")), Set.of()),
        new Case("compose service", bytes(DIR + "inspect-compose.json"), Optional.of(new ContainerInfo(
            "shop-web-1", "nginx:1.27", new ContainerInfo.Compose("shop", "web"), null)), Set.of()),
        new Case("dockershim pod container", bytes(DIR + "inspect-dockershim.json"),
            Optional.of(new ContainerInfo("api",
                "registry.example.com/payments/api@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
                null, new ContainerInfo.Kubernetes("payments", "api-6b8f9c7d45-q8w2z",
                    "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", "api", "Deployment", "api"))), Set.of()),
        new Case("dockershim sandbox with the pod's labels",
            text("{\"Name\":\"/k8s_POD_db-0_data_u_0\",\"Config\":{\"Image\":\"registry.k8s.io/pause:3.9\","
                + "\"Labels\":{\"io.kubernetes.docker.type\":\"podsandbox\",\"io.kubernetes.pod.name\":\"db-0\","
                + "\"io.kubernetes.pod.namespace\":\"data\",\"statefulset.kubernetes.io/pod-name\":\"db-0\"}}}"),
            Optional.of(new ContainerInfo("POD", "registry.k8s.io/pause:3.9", null,
                new ContainerInfo.Kubernetes("data", "db-0", null, "POD", "StatefulSet", "db"))), Set.of()),
        new Case("compose labels without a service: a plain container",
            text("{\"Name\":\"/x\",\"Config\":{\"Labels\":{\"com.docker.compose.project\":\"p\"}}}"),
            Optional.of(new ContainerInfo("x", null)), Set.of()),
        new Case("labels of the wrong type are skipped",
            text("{\"Name\":\"/x\",\"Config\":{\"Image\":7,\"Labels\":[\"a\"]}}"),
            Optional.of(new ContainerInfo("x", null)), Set.of()),
        new Case("cut short", cut(plain, plain.length / 2), Optional.empty(),
            problems(SOURCE, Cause.TRUNCATED)),
        new Case("garbage", text("<html>502 Bad Gateway</html>"), Optional.empty(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("an array (the list endpoint's answer)", text("[{\"Name\":\"/web\"}]"), Optional.empty(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("duplicate keys", text("{\"Name\":\"/a\",\"Name\":\"/b\"}"), Optional.empty(),
            problems(SOURCE, Cause.MALFORMED_LINE)),
        new Case("no name", text("{\"Id\":\"abc\",\"Name\":\"/\"}"), Optional.empty(),
            problems(SOURCE, Cause.MISSING_FIELD)),
        new Case("empty", new byte[0], Optional.empty(), problems(SOURCE, Cause.EMPTY)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldReadNameImageAndPlacement(Case c) {
    ProblemCounters problems = new ProblemCounters();
    assertThat(DockerInspect.parse(c.content(), c.content().length, problems)).isEqualTo(c.expected());
    assertThat(reported(problems)).isEqualTo(c.problems());
  }
}
