package io.peregrine.agent.container;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.container.KubernetesWorkloads.Workload;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KubernetesWorkloadsTest {

  record Case(String pod, Map<String, String> labels, Workload expected) {
    @Override
    public String toString() {
      return "'" + pod + "'" + (labels.isEmpty() ? "" : " " + labels.keySet());
    }
  }

  static Stream<Case> cases() {
    Map<String, String> none = Map.of();
    return Stream.of(
        // From labels: they win over the name's shape.
        new Case("checkout-7d9f8b6c5d-x2x4q", Map.of("pod-template-hash", "7d9f8b6c5d"),
            new Workload("Deployment", "checkout")),
        new Case("checkout-x2x4q", Map.of("pod-template-hash", "7d9f8b6c5d"),
            new Workload("ReplicaSet", "checkout")),
        new Case("db-12", Map.of("statefulset.kubernetes.io/pod-name", "db-12",
            "controller-revision-hash", "db-6d8f9c7b5"), new Workload("StatefulSet", "db")),
        new Case("fluent-bit-x7kq2", Map.of("controller-revision-hash", "7f8d9c6b5",
            "pod-template-generation", "3"), new Workload("DaemonSet", "fluent-bit")),
        new Case("migrate-8fz2l", Map.of("batch.kubernetes.io/job-name", "migrate"),
            new Workload("Job", "migrate")),
        new Case("report-29411520-b7x9k", Map.of("job-name", "report-29411520"),
            new Workload("CronJob", "report")),
        new Case("web-0", Map.of("app", "web"), new Workload("StatefulSet", "web")),
        // From the name alone.
        new Case("checkout-7d9f8b6c5d-x2x4q", none, new Workload("Deployment", "checkout")),
        new Case("api-gateway-5b7c9d6f4-22457", none, new Workload("Deployment", "api-gateway")),
        new Case("report-29411520-b7x9k", none, new Workload("CronJob", "report")),
        new Case("kafka-2", none, new Workload("StatefulSet", "kafka")),
        new Case("node-exporter-z8wqk", none, new Workload("DaemonSet", "node-exporter")),
        // Bare pods: no controller's shape.
        new Case("debug-pod", none, null),
        new Case("my-app-hello", none, null),
        new Case("standalone", none, null),
        new Case("trailing-", none, null),
        new Case("-0", none, null),
        new Case("", none, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shouldNameTheOwningWorkload(Case c) {
    assertThat(KubernetesWorkloads.owner(c.pod(), c.labels())).isEqualTo(c.expected());
  }
}
