package io.peregrine.schema.registry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import static io.peregrine.schema.internal.Configs.integer;
import static io.peregrine.schema.internal.Configs.parseEnum;
import static io.peregrine.schema.internal.Configs.string;

/**
 * Every setting of the registry client, under the names Confluent's serializers use, so an existing
 * {@code schema.registry.url=...} configuration works unchanged. Keys may also carry the
 * {@code schema.registry.} prefix where Confluent accepts it ({@code schema.registry.basic.auth.user.info},
 * {@code schema.registry.ssl.truststore.location}, ...).
 */
public final class RegistryClientConfig {

    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String MAX_RETRIES = "max.retries";
    public static final String RETRIES_WAIT_MS = "retries.wait.ms";
    public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";
    public static final String CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    public static final String READ_TIMEOUT_MS = "http.read.timeout.ms";
    public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";

    /** Where the credentials for HTTP basic authentication come from (Confluent's values). */
    public enum CredentialsSource { URL, USER_INFO, SASL_INHERIT }

    private final List<URI> urls;
    private final CredentialsSource credentialsSource;
    private final String userInfo;
    private final int maxRetries;
    private final Duration retryWait;
    private final Duration retryMaxWait;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final TlsSettings tls;

    private RegistryClientConfig(Map<String, ?> raw) {
        Map<String, Object> c = normalize(raw);
        this.urls = parseUrls(string(c, URL, null));
        this.credentialsSource = parseEnum(CredentialsSource.class, BASIC_AUTH_CREDENTIALS_SOURCE,
                string(c, BASIC_AUTH_CREDENTIALS_SOURCE, "URL"));
        this.userInfo = string(c, BASIC_AUTH_USER_INFO, null);
        this.maxRetries = integer(c, MAX_RETRIES, 3, 0, 100);
        this.retryWait = Duration.ofMillis(integer(c, RETRIES_WAIT_MS, 100, 0, 600_000));
        this.retryMaxWait = Duration.ofMillis(integer(c, RETRIES_MAX_WAIT_MS, 5_000, 0, 3_600_000));
        this.connectTimeout = Duration.ofMillis(integer(c, CONNECT_TIMEOUT_MS, 10_000, 1, 3_600_000));
        this.readTimeout = Duration.ofMillis(integer(c, READ_TIMEOUT_MS, 30_000, 1, 3_600_000));
        this.tls = new TlsSettings(
                string(c, SSL_TRUSTSTORE_LOCATION, null), string(c, SSL_TRUSTSTORE_PASSWORD, null),
                string(c, SSL_TRUSTSTORE_TYPE, "JKS"),
                string(c, SSL_KEYSTORE_LOCATION, null), string(c, SSL_KEYSTORE_PASSWORD, null),
                string(c, SSL_KEYSTORE_TYPE, "JKS"), string(c, SSL_KEY_PASSWORD, null));
        if (credentialsSource == CredentialsSource.USER_INFO && (userInfo == null || !userInfo.contains(":"))) {
            throw new ConfigException(BASIC_AUTH_USER_INFO, userInfo == null ? null : "<hidden>",
                    "must be 'user:password' when " + BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO");
        }
        if (credentialsSource == CredentialsSource.SASL_INHERIT) {
            throw new ConfigException(BASIC_AUTH_CREDENTIALS_SOURCE, "SASL_INHERIT",
                    "is not supported; use USER_INFO with " + BASIC_AUTH_USER_INFO);
        }
        if (retryMaxWait.compareTo(retryWait) < 0) {
            throw new ConfigException(RETRIES_MAX_WAIT_MS, retryMaxWait.toMillis(),
                    "must be at least " + RETRIES_WAIT_MS + " (" + retryWait.toMillis() + ")");
        }
    }

    /** Parses and validates a configuration map; a bad value is a {@link ConfigException} naming the key. */
    public static RegistryClientConfig from(Map<String, ?> configs) {
        return new RegistryClientConfig(configs);
    }

    public List<URI> urls() {
        return urls;
    }

    public CredentialsSource credentialsSource() {
        return credentialsSource;
    }

    /** "user:password" from {@code basic.auth.user.info}, or null. */
    public String userInfo() {
        return userInfo;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration retryWait() {
        return retryWait;
    }

    public Duration retryMaxWait() {
        return retryMaxWait;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    public TlsSettings tls() {
        return tls;
    }

    /** Key store and trust store for HTTPS registries; locations null means the JDK's defaults. */
    public record TlsSettings(String truststoreLocation, String truststorePassword, String truststoreType,
                              String keystoreLocation, String keystorePassword, String keystoreType,
                              String keyPassword) {
        public boolean isCustom() {
            return truststoreLocation != null || keystoreLocation != null;
        }
    }

    /** Accepts {@code schema.registry.}-prefixed spellings of the unprefixed keys, as Confluent does. */
    private static Map<String, Object> normalize(Map<String, ?> raw) {
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> {
            if (v == null) {
                return;
            }
            out.put(k, v);
            if (k.startsWith("schema.registry.") && !k.equals(URL) && !k.startsWith("schema.registry.ssl.")) {
                out.putIfAbsent(k.substring("schema.registry.".length()), v);
            }
        });
        return out;
    }

    private static List<URI> parseUrls(String value) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(URL, value, "is required (e.g. http://127.0.0.1:8081)");
        }
        List<URI> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(URL, value, "'" + s + "' is not a URL: " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new ConfigException(URL, value, "'" + s + "' must be an http:// or https:// URL with a host");
            }
            out.add(uri);
        }
        if (out.isEmpty()) {
            throw new ConfigException(URL, value, "names no URL");
        }
        return Collections.unmodifiableList(out);
    }
}
