package io.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AgentProcessTest {

    @Test
    void shouldTrimTheNativeHeapOnlyOnJvmsThatHaveTheFlag() {
        String trim = "-XX:TrimNativeHeapInterval=5000";
        assertThat(AgentProcess.jvmOptions(Runtime.Version.parse("17.0.8+7"))).doesNotContain(trim).contains("-Xmx96m");
        assertThat(AgentProcess.jvmOptions(Runtime.Version.parse("17.0.9"))).contains(trim);
        assertThat(AgentProcess.jvmOptions(Runtime.Version.parse("17.0.15+6-Debian-1deb12u1"))).contains(trim);
        assertThat(AgentProcess.jvmOptions(Runtime.Version.parse("21.0.1"))).contains(trim);
    }
}
