package io.peregrine.agent.procfs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProcLinksTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      // fd link targets recorded in host-debian12-vm/proc/16208/fd.txt, and others
      "socket:[28682]|28682",
      "socket:[0]|0",
      "pipe:[27630]|-1",
      "/dev/null|-1",
      "anon_inode:[eventpoll]|-1",
      "socket:[]|-1",
      "socket:[12a]|-1",
      "socket:[99999999999999999999]|-1",
      "socket:[28682|-1"})
  void shouldExtractSocketInodesOnlyFromSocketLinks(String target, long inode) {
    assertThat(ProcLinks.socketInode(target)).isEqualTo(inode);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/usr/lib/jvm/java-17-openjdk-amd64/bin/java|java",
      "/usr/sbin/nginx (deleted)|nginx",
      "/tmp/x) (y z|x) (y z",
      "python3|python3"})
  void shouldNameExecutablesByFileNameIgnoringDeletion(String exe, String name) {
    assertThat(ProcLinks.executableName(exe)).isEqualTo(name);
  }
}
