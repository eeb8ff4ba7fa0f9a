package io.peregrine.agent.collect;

import io.peregrine.agent.cgroup.AppIdentity;
import io.peregrine.agent.cgroup.Application;
import io.peregrine.agent.procfs.IpAddress;
import io.peregrine.schema.AppId;
import io.peregrine.schema.AppInstance;
import io.peregrine.schema.IpFamily;
import io.peregrine.schema.Pressure;
import io.peregrine.schema.PressureStall;

/** Conversions from the parsing layer's hand-written records to the Avro types. */
final class AvroMapping {

  private AvroMapping() {
  }

  static AppInstance instance(AppIdentity identity) {
    Application a = identity.app();
    return AppInstance.newBuilder()
        .setApp(AppId.newBuilder()
            .setKind(a.kind())
            .setId(a.id())
            .setName(a.name())
            .setNamespace(a.namespace())
            .setWorkload(a.workload())
            .setContainer(a.container())
            .build())
        .setInstanceId(identity.instanceId())
        .build();
  }

  static IpFamily family(IpAddress address) {
    return address.ipv4() ? IpFamily.IPV4 : IpFamily.IPV6;
  }

  /** All three resources, or null when any is missing (the record holds all three). */
  static Pressure pressure(io.peregrine.agent.procfs.PressureStall cpu,
      io.peregrine.agent.procfs.PressureStall memory, io.peregrine.agent.procfs.PressureStall io) {
    if (cpu == null || memory == null || io == null) {
      return null;
    }
    return Pressure.newBuilder().setCpu(stall(cpu)).setMemory(stall(memory)).setBlockIo(stall(io)).build();
  }

  static PressureStall stall(io.peregrine.agent.procfs.PressureStall s) {
    return PressureStall.newBuilder()
        .setSomeAvg10(s.someAvg10())
        .setSomeTotalUs(s.someTotalMicros())
        .setFullAvg10(s.fullAvg10())
        .setFullTotalUs(s.fullTotalMicros())
        .build();
  }

  /** A counter the kernel did not print (-1) as 0. */
  static long counter(long v) {
    return Math.max(0, v);
  }
}
