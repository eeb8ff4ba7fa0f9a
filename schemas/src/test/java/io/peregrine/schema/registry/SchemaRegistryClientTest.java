package io.peregrine.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchemaRegistryClientTest {

    @Test
    void shouldRetryThenFailRetriablyWhenNoRegistryListens() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        SchemaRegistryClient client = SchemaRegistryClient.create(Map.of(
                "schema.registry.url", "http://127.0.0.1:" + closedPort,
                "max.retries", 2, "retries.wait.ms", 10, "retries.max.wait.ms", 20));
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.isRetriable()).isTrue();
                    assertThat(e.httpStatus()).isEqualTo(-1);
                    assertThat(e.getMessage()).contains("unreachable", "/schemas/ids/1");
                });
        assertThat(System.nanoTime() - start).as("bounded by retries").isLessThan(10_000_000_000L);
    }

    @Test
    void shouldEncodeSubjectsForPaths() {
        assertThat(SchemaRegistryClient.encode("peregrine.raw.l7-value")).isEqualTo("peregrine.raw.l7-value");
        assertThat(SchemaRegistryClient.encode("a b/c?d")).isEqualTo("a%20b%2Fc%3Fd");
    }
}
