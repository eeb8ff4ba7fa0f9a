package io.peregrine.flink.config;

/** A setting of {@code peregrine.yaml} (or a flag) that is missing, malformed or conflicts with another; names the key and the value. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigException(String key, Object value, String problem) {
        super(key + (value == null ? "" : " = " + value) + ": " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
