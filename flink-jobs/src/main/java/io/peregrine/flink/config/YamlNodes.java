package io.peregrine.flink.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;

/** Strict reading of a YAML tree: every key known, every value of the right type, errors naming the full key. */
public final class YamlNodes {

    private YamlNodes() {
    }

    /** Fails on a key of {@code node} that is not in {@code known}: a typo must not silently mean "default". */
    public static void onlyKeys(JsonNode node, String path, Set<String> known) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new ConfigException(path, node, "must be a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new ConfigException(join(path, k), null, "unknown key; known here: " + known);
            }
        }
    }

    public static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public static double number(JsonNode node, String key, double fallback) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw new ConfigException(key, node, "must be a number");
        }
        return node.asDouble();
    }

    public static long integer(JsonNode node, String key, long fallback, long min, long max) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || node.asLong() < min || node.asLong() > max) {
            throw new ConfigException(key, node, "must be a whole number in [" + min + ", " + max + "]");
        }
        return node.asLong();
    }

    public static boolean bool(JsonNode node, String key, boolean fallback) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw new ConfigException(key, node, "must be true or false");
        }
        return node.asBoolean();
    }

    public static String text(JsonNode node, String key, String fallback) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isValueNode()) {
            throw new ConfigException(key, node, "must be a single value");
        }
        return node.asText();
    }
}
