package io.peregrine.schema.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client of a Confluent-compatible Schema Registry (ours or Confluent's): the REST calls the
 * serializers need, with the caches that make them one HTTP call per (subject, schema) and per id
 * for the life of the client, retries with exponential backoff and jitter on what can be retried,
 * failover across several URLs, basic authentication and TLS.
 *
 * <p>Thread-safe. Share one per process where possible; caches are per instance.
 */
public final class SchemaRegistryClient {

    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

    private final RegistryClientConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public SchemaRegistryClient(RegistryClientConfig config) {
        this.config = config;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (config.tls().isCustom()) {
            builder.sslContext(sslContext(config.tls()));
        }
        this.http = builder.build();
        this.authorization = authorization(config);
    }

    public static SchemaRegistryClient create(Map<String, ?> configs) {
        return new SchemaRegistryClient(RegistryClientConfig.from(configs));
    }

    public RegistryClientConfig config() {
        return config;
    }

    /**
     * Registers {@code schema} under {@code subject} (idempotent on the registry's side) and
     * returns its global id. Cached: the registry is asked once per (subject, schema).
     */
    public int register(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", body);
        int id = requiredInt(answer, "id");
        remember(subject, schema, id);
        return id;
    }

    /**
     * The id of {@code schema} under {@code subject} without registering it
     * ({@code auto.register.schemas=false}). Cached.
     *
     * @throws RegistryException with {@link RegistryException#SCHEMA_NOT_FOUND} or
     *     {@link RegistryException#SUBJECT_NOT_FOUND} when it is not registered
     */
    public int idOf(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode answer = call("POST", "/subjects/" + encode(subject) + "?deleted=false", body);
        int id = requiredInt(answer, "id");
        remember(subject, schema, id);
        return id;
    }

    /** The latest version of a subject. Not cached: it changes. */
    public RegisteredSchema latest(String subject) {
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
        RegisteredSchema latest = new RegisteredSchema(subject, requiredInt(answer, "version"),
                requiredInt(answer, "id"), parse(requiredText(answer, "schema"), "subject " + subject));
        schemasById.putIfAbsent(latest.id(), latest.schema());
        return latest;
    }

    /** The schema with this global id. Cached forever: an id never changes meaning. */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id + "?fetchMaxId=false", null);
        JsonNode type = answer.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equals(type.asText())) {
            throw new RegistryException("schema " + id + " is of type " + type.asText() + ", not AVRO", 200, -1, null);
        }
        Schema schema = parse(requiredText(answer, "schema"), "schema id " + id);
        Schema raced = schemasById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    /** All subjects. */
    public List<String> subjects() {
        JsonNode answer = call("GET", "/subjects", null);
        List<String> out = new ArrayList<>();
        answer.forEach(n -> out.add(n.asText()));
        return out;
    }

    private Integer cachedId(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.get(subject);
        return ids == null ? null : ids.get(schema);
    }

    private void remember(String subject, Schema schema, int id) {
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, id);
        schemasById.putIfAbsent(id, schema);
    }

    private static Schema parse(String text, String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new RegistryException("registry returned an unparsable Avro schema for " + what + ": " + e.getMessage(),
                    200, -1, e);
        }
    }

    /**
     * One logical call: each attempt tries the URLs in order (failover on connection errors); a
     * retriable failure waits {@code retries.wait.ms * 2^attempt} (capped, with jitter) and tries
     * again, up to {@code max.retries} times.
     */
    private JsonNode call(String method, String path, JsonNode body) {
        RegistryException last = null;
        for (int attempt = 0; attempt <= config.maxRetries(); attempt++) {
            if (attempt > 0) {
                backoff(attempt);
            }
            for (URI base : config.urls()) {
                try {
                    return once(base, method, path, body);
                } catch (RegistryException e) {
                    if (!e.isRetriable()) {
                        throw e;
                    }
                    last = e;
                    if (e.httpStatus() >= 0) {
                        break; // the registry answered; another URL would not answer differently now
                    }
                }
            }
            log.debug("registry call {} {} failed (attempt {}): {}", method, path, attempt + 1, last.getMessage());
        }
        throw last;
    }

    private JsonNode once(URI base, String method, String path, JsonNode body) {
        URI uri = URI.create(base.getScheme() + "://" + base.getRawAuthority().replaceFirst("^[^@]*@", "")
                + (base.getRawPath() == null ? "" : base.getRawPath()) + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(config.readTimeout())
                .header("Accept", ACCEPT);
        if (authorization != null) {
            request.header("Authorization", authorization);
        } else if (base.getUserInfo() != null && config.credentialsSource() == RegistryClientConfig.CredentialsSource.URL) {
            request.header("Authorization", basic(base.getUserInfo()));
        }
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            String why = e instanceof ConnectException ? "cannot connect" : e.toString();
            throw new RegistryException("schema registry " + base + " unreachable for " + method + " " + path + ": " + why,
                    -1, -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted during " + method + " " + path, -1, -1, e);
        }
        int status = response.statusCode();
        JsonNode json = null;
        try {
            if (response.body().length > 0) {
                json = JSON.readTree(response.body());
            }
        } catch (IOException e) {
            // Handled below: a success must parse, an error may come from a proxy in HTML.
        }
        if (status >= 200 && status < 300) {
            if (json == null) {
                throw new RegistryException("registry " + base + " answered " + method + " " + path
                        + " with a body that is not JSON", status, -1, null);
            }
            return json;
        }
        int code = json != null && json.hasNonNull("error_code") ? json.get("error_code").asInt() : -1;
        String message = json != null && json.hasNonNull("message") ? json.get("message").asText()
                : new String(response.body(), 0, Math.min(200, response.body().length), StandardCharsets.UTF_8);
        throw new RegistryException("registry " + base + " refused " + method + " " + path + ": HTTP " + status
                + (code >= 0 ? " error " + code : "") + ": " + message, status, code, null);
    }

    private void backoff(int attempt) {
        long base = config.retryWait().toMillis() << Math.min(attempt - 1, 20);
        long capped = Math.min(config.retryMaxWait().toMillis(), base);
        long wait = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while backing off", -1, -1, e);
        }
    }

    private static int requiredInt(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new RegistryException("registry answer lacks integer '" + field + "': " + node, 200, -1, null);
        }
        return v.asInt();
    }

    private static String requiredText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new RegistryException("registry answer lacks text '" + field + "'", 200, -1, null);
        }
        return v.asText();
    }

    static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String authorization(RegistryClientConfig config) {
        if (config.credentialsSource() == RegistryClientConfig.CredentialsSource.USER_INFO) {
            return basic(config.userInfo());
        }
        return null;
    }

    private static String basic(String userInfo) {
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static SSLContext sslContext(RegistryClientConfig.TlsSettings tls) {
        try {
            TrustManagerFactory tmf = null;
            if (tls.truststoreLocation() != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(tls.truststoreLocation(), tls.truststoreType(), tls.truststorePassword()));
            }
            KeyManagerFactory kmf = null;
            if (tls.keystoreLocation() != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPassword = tls.keyPassword() != null ? tls.keyPassword() : tls.keystorePassword();
                kmf.init(load(tls.keystoreLocation(), tls.keystoreType(), tls.keystorePassword()),
                        keyPassword == null ? null : keyPassword.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new org.apache.kafka.common.config.ConfigException(
                    "cannot set up TLS for the schema registry client: " + e.getMessage());
        }
    }

    private static KeyStore load(String location, String type, String password) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, password == null ? null : password.toCharArray());
        }
        return store;
    }
}
