package io.peregrine.flink.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Reader schemas that leave fields of a record unread (for {@link AvroRecordDeserializer#projected}).
 *
 * <p>Avro's schema resolution skips a writer field the reader schema does not have, and gives a
 * reader field the writer does not have its default. So renaming a field (to a name no writer
 * uses) skips its bytes without decoding them, and the decoded object holds the field's default
 * at the same position, which keeps the generated class's layout. Skipping an array of longs still
 * walks its varints, but allocates nothing: no boxed {@code Long} per element.
 */
public final class ReaderSchemas {

    /** Prefix of a field left unread; no Peregrine schema has a field of that name. */
    static final String UNREAD = "unread_";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReaderSchemas() {
    }

    /**
     * {@code schema} with field {@code field} of record {@code record} (full name; nested anywhere)
     * left unread. The field must have a default: that is what the decoded records hold.
     */
    public static Schema skipping(Schema schema, String record, String field) {
        Schema r = find(schema, record, new HashSet<>());
        if (r == null) {
            throw new IllegalArgumentException("no record " + record + " in " + schema.getFullName());
        }
        Schema.Field f = r.getField(field);
        if (f == null || !f.hasDefaultValue()) {
            throw new IllegalArgumentException(record + "." + field + (f == null ? " does not exist"
                    : " has no default, so it cannot be left unread"));
        }
        try {
            JsonNode root = JSON.readTree(schema.toString());
            if (!rename(root, null, record, field)) {
                throw new IllegalStateException("no definition of " + record + " in " + schema.getFullName());
            }
            return new Schema.Parser().parse(JSON.writeValueAsString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The definition of record {@code record} within {@code schema}, or null. */
    private static Schema find(Schema schema, String record, Set<String> seen) {
        return switch (schema.getType()) {
            case RECORD -> schema.getFullName().equals(record) ? schema : !seen.add(schema.getFullName()) ? null
                    : schema.getFields().stream().map(f -> find(f.schema(), record, seen)).filter(Objects::nonNull)
                            .findFirst().orElse(null);
            case UNION -> schema.getTypes().stream().map(s -> find(s, record, seen)).filter(Objects::nonNull)
                    .findFirst().orElse(null);
            case ARRAY -> find(schema.getElementType(), record, seen);
            case MAP -> find(schema.getValueType(), record, seen);
            default -> null;
        };
    }

    /** Renames the field in the (single) definition of {@code record}; namespaces inherit as in Avro. */
    private static boolean rename(JsonNode node, String namespace, String record, String field) {
        if (node.isArray()) {
            for (JsonNode n : node) {
                if (rename(n, namespace, record, field)) {
                    return true;
                }
            }
            return false;
        }
        if (!node.isObject()) {
            return false;
        }
        String ns = namespace;
        if (node.path("type").asText().equals("record") && node.has("name")) {
            String name = node.get("name").asText();
            if (node.has("namespace")) {
                ns = node.get("namespace").asText();
            }
            String full = name.contains(".") ? name : ns == null || ns.isEmpty() ? name : ns + "." + name;
            if (name.contains(".")) {
                ns = name.substring(0, name.lastIndexOf('.'));
            }
            if (full.equals(record)) {
                for (JsonNode f : node.get("fields")) {
                    if (f.get("name").asText().equals(field)) {
                        ((ObjectNode) f).put("name", UNREAD + field);
                        ((ObjectNode) f).remove("aliases");
                        return true;
                    }
                }
                return false;
            }
            return rename(node.get("fields"), ns, record, field);
        }
        for (JsonNode child : node) {
            if (rename(child, ns, record, field)) {
                return true;
            }
        }
        return false;
    }
}
