package io.peregrine.cli;

import java.nio.file.Path;

/** The state directory: {@code --home}, else {@code $PEREGRINE_HOME}, else {@code ~/.peregrine}. */
final class PeregrineHome {

    private PeregrineHome() {
    }

    static Path resolve(Path option) {
        if (option != null) {
            return option.toAbsolutePath();
        }
        String env = System.getenv("PEREGRINE_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".peregrine");
    }
}
