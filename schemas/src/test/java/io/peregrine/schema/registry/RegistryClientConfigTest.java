package io.peregrine.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RegistryClientConfigTest {

    @Test
    void shouldAcceptConfluentKeysAndSeveralUrls() {
        RegistryClientConfig c = RegistryClientConfig.from(Map.of(
                "schema.registry.url", "http://a:8081/, https://b:8082",
                "basic.auth.credentials.source", "USER_INFO",
                "schema.registry.basic.auth.user.info", "fred:s3cret",
                "max.retries", "5"));
        assertThat(c.urls()).containsExactly(URI.create("http://a:8081"), URI.create("https://b:8082"));
        assertThat(c.credentialsSource()).isEqualTo(RegistryClientConfig.CredentialsSource.USER_INFO);
        assertThat(c.userInfo()).isEqualTo("fred:s3cret");
        assertThat(c.maxRetries()).isEqualTo(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ",", "localhost:8081", "ftp://x", "http://", "http://bad host:80", "\u0000"})
    void shouldRejectUrlsThatAreNotHttp(String url) {
        assertThatThrownBy(() -> RegistryClientConfig.from(Map.of("schema.registry.url", url)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
    }

    @Test
    void shouldRequireUrl() {
        assertThatThrownBy(() -> RegistryClientConfig.from(Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is required");
    }

    @Test
    void shouldRejectBadNumbersNamingTheKey() {
        Map<String, Object> c = new HashMap<>(Map.of("schema.registry.url", "http://a:1"));
        c.put("max.retries", "many");
        assertThatThrownBy(() -> RegistryClientConfig.from(c)).hasMessageContaining("max.retries");
        c.put("max.retries", -1);
        assertThatThrownBy(() -> RegistryClientConfig.from(c)).hasMessageContaining("max.retries");
        c.put("max.retries", 2);
        c.put("retries.wait.ms", 1000);
        c.put("retries.max.wait.ms", 10);
        assertThatThrownBy(() -> RegistryClientConfig.from(c)).hasMessageContaining("retries.max.wait.ms");
    }

    @Test
    void shouldRequireUserInfoWhenItIsTheCredentialsSource() {
        assertThatThrownBy(() -> RegistryClientConfig.from(Map.of("schema.registry.url", "http://a:1",
                "basic.auth.credentials.source", "USER_INFO", "basic.auth.user.info", "no-colon")))
                .hasMessageContaining("basic.auth.user.info")
                .hasMessageNotContaining("no-colon");
        assertThatThrownBy(() -> RegistryClientConfig.from(Map.of("schema.registry.url", "http://a:1",
                "basic.auth.credentials.source", "KERBEROS")))
                .hasMessageContaining("basic.auth.credentials.source");
    }
}
