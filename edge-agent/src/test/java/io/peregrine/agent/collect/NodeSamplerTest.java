package io.peregrine.agent.collect;

import static org.assertj.core.api.Assertions.assertThat;

import io.peregrine.agent.Fixtures;
import io.peregrine.agent.procfs.ProblemCounters;
import io.peregrine.agent.procfs.ProcFs;
import io.peregrine.schema.CloudLifecycle;
import io.peregrine.schema.CloudMetadata;
import io.peregrine.schema.CloudProvider;
import io.peregrine.schema.FilesystemStats;
import io.peregrine.schema.NetInterfaceStats;
import io.peregrine.schema.NodeSample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSamplerTest {

  @TempDir
  Path dir;

  final ProblemCounters counters = new ProblemCounters();
  final ScanProblems problems = new ScanProblems(counters, null);

  static final CloudMetadata CLOUD = CloudMetadata.newBuilder().setProvider(CloudProvider.AWS)
      .setRegion("eu-west-1").setAvailabilityZone("eu-west-1a").setInstanceType("m6i.large")
      .setLifecycle(CloudLifecycle.SPOT).build();

  @Test
  void shouldSampleTheNodeFromItsProcfsSysfsAndFilesystems() throws IOException {
    FixtureTree tree = new FixtureTree(dir).withNodeFiles();
    Files.createDirectories(tree.proc.resolve("1"));
    Files.writeString(tree.proc.resolve("1/mounts"), String.join("\n",
        "/dev/vda / ext4 rw,relatime 0 0",
        "proc /proc proc rw 0 0",
        "tmpfs /run tmpfs rw 0 0",
        "overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0",
        "/dev/vda /var/lib/docker ext4 rw 0 0",
        "server:/export /mnt/nfs nfs4 rw 0 0",
        "/dev/vdb /mnt/data\\040disk xfs rw 0 0", ""));
    Path eth0 = Files.createDirectories(tree.sys.resolve("class/net/eth0"));
    Files.writeString(eth0.resolve("flags"), "0x1003\n");
    Files.writeString(eth0.resolve("operstate"), "up\n");
    Path ifb0 = Files.createDirectories(tree.sys.resolve("class/net/ifb0"));
    Files.writeString(ifb0.resolve("flags"), "0x82\n");
    Files.writeString(ifb0.resolve("operstate"), "down\n");
    Files.writeString(tree.root.resolve("etc/os-release"), "NAME=\"Debian GNU/Linux\"\n"
        + "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", StandardCharsets.UTF_8);
    ProcFs procFs = new ProcFs(tree.proc, tree.root, 100, problems);
    RecordStamp stamp = new RecordStamp(ListenTrackerTest.NODE, "run-1", t -> 7, 5_000);
    NodeSampler sampler = new NodeSampler(stamp, "node", procFs, tree.sys, tree.root, () -> CLOUD, problems);

    NodeSample s = sampler.sample(1_000_000).orElseThrow();

    assertThat(s.getNode().getMachineId()).isEqualTo("3d1219c7c4c5404aaa1f6d2a48adfda4");
    assertThat(s.getSeq()).isEqualTo(7);
    assertThat(s.getBootId()).isEqualTo("d1052078-83bb-4404-b565-78d3052f72be");
    assertThat(s.getKernelRelease()).isEqualTo("6.18.44-fc-v669");
    assertThat(s.getOsName()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
    assertThat(s.getCpuCount()).isEqualTo(2);
    assertThat(s.getUptimeSeconds()).isEqualTo(2097.70);
    assertThat(s.getCpu().getUserSeconds()).isPositive();
    assertThat(s.getLoad1()).isEqualTo(2.41);
    assertThat(s.getMemory().getTotalBytes()).isEqualTo(24684084L * 1024);
    assertThat(s.getDisks()).extracting(d -> d.getDevice()).containsExactly("vda");
    assertThat(s.getInterfaces()).extracting(NetInterfaceStats::getName).containsExactly("ifb0", "ifb1", "eth0");
    assertThat(s.getInterfaces()).extracting(NetInterfaceStats::getUp).containsExactly(false, false, true);
    assertThat(s.getTcp().getListenOverflowsTotal()).isEqualTo(13);
    assertThat(s.getPressure().getCpu().getSomeTotalUs()).isEqualTo(106991932);
    assertThat(s.getCloud()).isEqualTo(CLOUD);
    // One device once, at its first mount point; the missing /mnt/data disk is counted, not fatal.
    List<FilesystemStats> fs = s.getFilesystems();
    assertThat(fs).extracting(FilesystemStats::getMountPoint).containsExactly("/");
    assertThat(fs.get(0).getDevice()).isEqualTo("/dev/vda");
    assertThat(fs.get(0).getSizeBytes()).isPositive();
    assertThat(fs.get(0).getUsedBytes() + fs.get(0).getAvailableBytes()).isLessThanOrEqualTo(fs.get(0).getSizeBytes());
    assertThat(Fixtures.reported(counters)).containsExactly("statvfs MISSING_FILE");
  }

  @Test
  void shouldSendNothingWithoutTheCoreFilesOfAWrongRoot() {
    ProcFs procFs = new ProcFs(dir, dir, 100, problems);
    RecordStamp stamp = RecordStamp.counting(ListenTrackerTest.NODE, "run-1", 5_000);
    NodeSampler sampler = new NodeSampler(stamp, "node", procFs, dir, dir, CloudMetadataSource.NONE, problems);
    assertThat(sampler.sample(1_000)).isEmpty();
    assertThat(Fixtures.reported(counters)).contains("/proc/stat MISSING_FILE");
  }

  @Test
  void shouldParseMountTablesKeepingRealFilesystemsOnly() {
    byte[] table = Fixtures.text("/dev/nvme0n1p1 / ext4 rw 0 0\nsysfs /sys sysfs rw 0 0\n"
        + "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n/dev/nvme1n1 /var/lib/containerd xfs rw 0 0\n"
        + "lxcfs /var/lib/lxcfs fuse.lxcfs rw 0 0\nshort line\n/dev/sdb /media/usb\\040stick vfat rw 0 0\n");
    assertThat(Filesystems.parse(table, table.length)).containsExactly(
        new Filesystems.Mount("/dev/nvme0n1p1", "/", "ext4"),
        new Filesystems.Mount("/dev/nvme1n1", "/var/lib/containerd", "xfs"),
        new Filesystems.Mount("/dev/sdb", "/media/usb stick", "vfat"));
  }

  @Test
  void shouldPreferTheMachineIdFileAndFallBackToTheDmiUuid() throws IOException {
    ProcFs procFs = new ProcFs(dir, dir, 100, problems);
    assertThat(NodeSampler.machineId(procFs, dir)).isEmpty();
    Path dmi = Files.createDirectories(dir.resolve("class/dmi/id"));
    Files.writeString(dmi.resolve("product_uuid"), "EC2A6F2B-1C3D-4E5F-8A9B-0C1D2E3F4A5B\n");
    assertThat(NodeSampler.machineId(procFs, dir)).isEqualTo("ec2a6f2b1c3d4e5f8a9b0c1d2e3f4a5b");
    Files.createDirectories(dir.resolve("etc"));
    Files.writeString(dir.resolve("etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
    assertThat(NodeSampler.machineId(procFs, dir)).isEqualTo("0123456789abcdef0123456789abcdef");
  }
}
