/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Peregrine eBPF sensor: the one BPF object, built from this umbrella file (as coroot-node-agent
 * and OpenTelemetry's eBPF instrumentation do) so the parts share maps and helpers without a
 * linker step. CO-RE: types come from vmlinux.h, field offsets are relocated by libbpf against the
 * running kernel's BTF at load time.
 *
 * vmlinux.h is generated at build time (build.sh: bpftool btf dump file /sys/kernel/btf/vmlinux
 * format c), not checked in:
 *  - it is ~135k lines / 5 MB of generated code that would swamp reviews and churn with every
 *    regeneration;
 *  - with CO-RE the build host's kernel does not have to match the target's: relocations are by
 *    type and field NAME, checked by libbpf at load time, and optional fields are guarded with
 *    bpf_core_field_exists / bpf_core_type_exists; so a header from any BTF-enabled 5.x/6.x kernel
 *    yields an equivalent object;
 *  - every host that can run the sensor has BTF anyway (the sensor needs it at load time), and the
 *    CI host builds and tests it. A build host without BTF can point BTF_FILE at a saved vmlinux
 *    BTF blob or VMLINUX_H at a saved header; without either, build.sh skips the sensor cleanly.
 * The cost is that two builds on different kernels may produce different (equivalent) objects.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "records.h"
#include "l7/http.h"
#include "common.h"
#include "l7/http_body.h"
#include "l7/capture.h"
#include "l7/http2.h"
#include "l7/pairing.h"
#include "tcp/state.h"
#include "tcp/fork.h"
#include "tcp/retransmit.h"
#include "tcp/adopt.h"
#include "l7/syscalls.h"
#include "l7/tls.h"
#include "proc/lifecycle.h"

/* GPL-compatible: bpf_probe_read_* and the ring buffer helpers are GPL-only. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
