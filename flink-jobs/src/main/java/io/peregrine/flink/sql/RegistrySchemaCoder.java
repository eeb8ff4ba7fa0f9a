package io.peregrine.flink.sql;

import io.peregrine.schema.registry.RegistryException;
import io.peregrine.schema.registry.SchemaRegistryClient;
import io.peregrine.schema.serde.MalformedRecordException.Reason;
import io.peregrine.schema.serde.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.flink.formats.avro.SchemaCoder;

/**
 * flink-avro's {@link SchemaCoder} on Peregrine's registry client: reads the Confluent framing
 * (magic byte 0, 4-byte big-endian schema id) and fetches the writer schema by id; writes the
 * framing after registering the schema under the subject (or, with {@code auto.register.schemas}
 * false, looking its id up). Both directions are cached by the client: one HTTP call per id and per
 * (subject, schema) for the life of the JVM.
 *
 * <p>Clients are shared per configuration within a JVM, so every subtask of every query reading a
 * topic uses one cache, and {@link Provider#get()} stays cheap (flink-avro calls it eagerly, also
 * on the planner side): building a client makes no network call.
 */
public final class RegistrySchemaCoder implements SchemaCoder {

    private static final Map<Map<String, String>, SchemaRegistryClient> CLIENTS = new ConcurrentHashMap<>();

    private final String subject;
    private final boolean autoRegister;
    private final SchemaRegistryClient client;

    RegistrySchemaCoder(String subject, boolean autoRegister, SchemaRegistryClient client) {
        this.subject = subject;
        this.autoRegister = autoRegister;
        this.client = client;
    }

    @Override
    public Schema readSchema(InputStream in) throws IOException {
        int magic = in.read();
        if (magic < 0) {
            throw new UnreadableRecordException(Reason.TRUNCATED_HEADER, "empty value: no wire-format header", null);
        }
        if (magic != WireFormat.MAGIC_BYTE) {
            throw new UnreadableRecordException(Reason.BAD_MAGIC_BYTE, String.format(
                    "first byte 0x%02x, expected 0x00: not Confluent-framed Avro", magic), null);
        }
        byte[] id = in.readNBytes(4);
        if (id.length < 4) {
            throw new UnreadableRecordException(Reason.TRUNCATED_HEADER, (1 + id.length)
                    + " bytes, fewer than the 5 bytes of the wire-format header", null);
        }
        int schemaId = ((id[0] & 0xff) << 24) | ((id[1] & 0xff) << 16) | ((id[2] & 0xff) << 8) | (id[3] & 0xff);
        try {
            return client.schemaById(schemaId);
        } catch (RegistryException e) {
            if (e.errorCode() == RegistryException.SCHEMA_NOT_FOUND || e.httpStatus() == 404) {
                throw new UnreadableRecordException(Reason.UNKNOWN_SCHEMA_ID,
                        "the schema registry does not know schema id " + schemaId, e);
            }
            throw new IOException("avro-confluent: cannot fetch schema id " + schemaId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void writeSchema(Schema schema, OutputStream out) throws IOException {
        if (subject == null) {
            throw new IOException("avro-confluent: no subject to register the schema under (set 'subject')");
        }
        int id;
        try {
            id = autoRegister ? client.register(subject, schema) : client.idOf(subject, schema);
        } catch (RegistryException e) {
            throw new IOException("avro-confluent: cannot " + (autoRegister ? "register" : "look up")
                    + " the schema under subject " + subject + ": " + e.getMessage(), e);
        }
        out.write(WireFormat.MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
    }

    /**
     * Serializable recipe for a coder, compared by value (the format's equality, and so plan reuse,
     * rests on it).
     *
     * @param subject subject to register under; null for reading
     * @param registryConfig registry client settings under Confluent's names
     * @param autoRegister register the schema (true) or only look its id up
     */
    public record Provider(String subject, Map<String, String> registryConfig, boolean autoRegister)
            implements SchemaCoderProvider {
        private static final long serialVersionUID = 1L;

        public Provider {
            registryConfig = Map.copyOf(Objects.requireNonNull(registryConfig, "registryConfig"));
        }

        @Override
        public RegistrySchemaCoder get() {
            return new RegistrySchemaCoder(subject, autoRegister,
                    CLIENTS.computeIfAbsent(registryConfig, SchemaRegistryClient::create));
        }

        @Override
        public String toString() {
            return "Provider[subject=" + subject + ", url=" + registryConfig.get("schema.registry.url") + "]";
        }
    }
}
