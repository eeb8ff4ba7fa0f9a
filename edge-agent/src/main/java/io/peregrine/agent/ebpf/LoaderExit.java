package io.peregrine.agent.ebpf;

import java.util.Optional;

/**
 * What a peregrine-loader exit status means for the sensor (enum pg_loader_exit in records.h; the
 * decision is made on the status, never on the stderr text). Statuses outside the table, including
 * 128 + signal for a killed loader, are crashes worth a restart.
 */
enum LoaderExit {
  CLEAN(RecordLayout.EXIT_OK, null),
  RUNTIME(RecordLayout.EXIT_RUNTIME, null),
  USAGE(RecordLayout.EXIT_USAGE, EbpfSensor.Unavailability.BAD_CONFIGURATION),
  OUTPUT_CLOSED(RecordLayout.EXIT_OUTPUT, null),
  NO_PRIVILEGES(RecordLayout.EXIT_NO_PRIV, EbpfSensor.Unavailability.NO_PRIVILEGES),
  NO_BTF(RecordLayout.EXIT_NO_BTF, EbpfSensor.Unavailability.NO_BTF),
  VERIFIER(RecordLayout.EXIT_VERIFIER, EbpfSensor.Unavailability.VERIFIER_REJECTED),
  ATTACH(RecordLayout.EXIT_ATTACH, EbpfSensor.Unavailability.ATTACH_FAILED),
  KERNEL(RecordLayout.EXIT_KERNEL, EbpfSensor.Unavailability.UNSUPPORTED_KERNEL),
  CRASH(-1, null);

  private final int status;
  private final EbpfSensor.Unavailability unavailability;

  LoaderExit(int status, EbpfSensor.Unavailability unavailability) {
    this.status = status;
    this.unavailability = unavailability;
  }

  static LoaderExit of(int status) {
    for (LoaderExit e : values()) {
      if (e.status == status) {
        return e;
      }
    }
    return CRASH;
  }

  /** Present when restarting cannot help: this host cannot run the sensor. */
  Optional<EbpfSensor.Unavailability> permanent() {
    return Optional.ofNullable(unavailability);
  }
}
