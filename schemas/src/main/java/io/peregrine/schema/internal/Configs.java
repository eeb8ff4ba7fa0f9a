package io.peregrine.schema.internal;

import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** Typed reads of loosely typed client configuration maps; a bad value is a ConfigException naming its key. */
public final class Configs {

    private Configs() {
    }

    public static String string(Map<String, ?> c, String key, String def) {
        Object v = c.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof org.apache.kafka.common.config.types.Password p) {
            return p.value();
        }
        return v.toString();
    }

    public static int integer(Map<String, ?> c, String key, int def, int min, int max) {
        Object v = c.get(key);
        int value;
        if (v == null) {
            value = def;
        } else if (v instanceof Number n) {
            value = n.intValue();
        } else {
            try {
                value = Integer.parseInt(v.toString().trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key, v, "must be an integer");
            }
        }
        if (value < min || value > max) {
            throw new ConfigException(key, v, "must be within [" + min + ", " + max + "]");
        }
        return value;
    }

    public static boolean bool(Map<String, ?> c, String key, boolean def) {
        Object v = c.get(key);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new ConfigException(key, v, "must be true or false");
    }

    public static <E extends Enum<E>> E parseEnum(Class<E> type, String key, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, value, "must be one of " + java.util.Arrays.toString(type.getEnumConstants()));
        }
    }
}
